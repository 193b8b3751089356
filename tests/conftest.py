import os

import pytest
from hypothesis import settings as hypothesis_settings

from cocdesk import clock
from cocdesk.members.models import Role
from tests.factories import member_factory

# CI replays the same examples every run (a red build must be reproducible); local runs explore.
hypothesis_settings.register_profile("ci", derandomize=True, print_blob=True)
if os.environ.get("CI") == "true":
    hypothesis_settings.load_profile("ci")


@pytest.fixture(autouse=True)
def _unfreeze_clock():
    yield
    clock.set_now(None)


@pytest.fixture(autouse=True)
def _own_spool(settings, tmp_path):
    """Each test has its own intake spool (reports kept during a database outage)."""
    settings.SPOOL_DIR = tmp_path / "spool"


@pytest.fixture
def alice(db):
    """A committee member."""
    return member_factory(name="Alice Member", email="alice@example.org")


@pytest.fixture
def bob(db):
    """Another committee member."""
    return member_factory(name="Bob Member", email="bob@example.org")


@pytest.fixture
def chair(db):
    return member_factory(name="Carla Chair", email="carla@example.org", role=Role.CHAIR)
