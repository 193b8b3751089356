import os
import uuid

import pytest
from django.core.cache import caches
from hypothesis import settings as hypothesis_settings

from cocdesk import clock
from cocdesk.members.models import Role
from tests.factories import member_factory
from tests.shared_state import REDIS_TEST_URL, redis_or_skip

# CI replays the same examples every run (a red build must be reproducible); local runs explore.
hypothesis_settings.register_profile("ci", derandomize=True, print_blob=True)
if os.environ.get("CI") == "true":
    hypothesis_settings.load_profile("ci")


@pytest.fixture(autouse=True)
def _unfreeze_clock():
    yield
    clock.set_now(None)


@pytest.fixture(autouse=True)
def _own_file_storage(settings, tmp_path):
    """Each test stores files in a folder of its own, so what one test leaves (a rolled-back
    test transaction never moves its files into place) is never another test's orphan."""
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {
            "BACKEND": "django.core.files.storage.FileSystemStorage",
            "OPTIONS": {"location": tmp_path / "files"},
        },
    }


@pytest.fixture(autouse=True)
def _own_spool(settings, tmp_path):
    """Each test has its own intake spool (reports kept during a database outage)."""
    settings.SPOOL_DIR = tmp_path / "spool"


@pytest.fixture(autouse=True)
def _own_audit_anchor_log(settings, tmp_path):
    """`tick` appends the audit head to a file: each test has its own (the database is rolled back)."""
    settings.AUDIT_ANCHOR_LOG = tmp_path / "audit-anchors.log"


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


# --- shared state: the cache that holds rate limits, lockouts and sessions ------------------------


@pytest.fixture
def redis_cache(settings):
    """Django's Redis cache as the shared cache, under a key prefix of its own (never FLUSHDB: the
    database number may be shared with other runs); its keys are deleted afterwards."""
    client = redis_or_skip()
    prefix = f"cocdesk-test-{uuid.uuid4().hex}"
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": REDIS_TEST_URL,
            "KEY_PREFIX": prefix,
        }
    }
    yield client
    for key in client.scan_iter(f"{prefix}:*"):
        client.delete(key)


@pytest.fixture(params=["database", "redis"])
def shared_cache(request, db):
    """Each test runs once on the database cache (no REDIS_URL) and once on Redis."""
    if request.param == "redis":
        request.getfixturevalue("redis_cache")
    return request.param


@pytest.fixture(autouse=True)
def _empty_cache_after_committed_tests(request, django_db_blocker):
    """The database cache is a table outside the ORM: tests whose writes are committed (live servers,
    threads) would leave rate limits, lockouts and sessions behind for the next test."""
    yield
    marker = request.node.get_closest_marker("django_db")
    committed = (marker is not None and marker.kwargs.get("transaction")) or bool(
        {"transactional_db", "live_server"} & set(request.fixturenames)
    )
    if committed:
        with django_db_blocker.unblock():
            caches["default"].clear()
