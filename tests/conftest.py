"""The suite's one cast and the fixtures every test shares.

The cast (defined once: `tests.factories.CAST`; each a fixture below, made only when a test asks for it,
so a test has exactly the people it names):

    a committee of five
      chair              Carla Chair     <carla@example.org>  the chair
      alice              Alice Member    <alice@example.org>  a member
      bob                Bob Member      <bob@example.org>    a member
      carol              Carol Hartmann  <carol@example.org>  a member whom reports can name (conflict tests)
      community_manager  Dana Manager    <dana@example.org>   the community manager
    around it
      responder          Oli Organizer   <oli@example.org>    an event responder
      operator           Olga Operator   <op@example.org>     the site operator (Django superuser)

`committee` gives all five at once. Every account has a password (`factories.PASSWORD`) and an enrolled
authenticator; `factories.verified_client(member)` is a client logged in as after password and code.
They joined now, unless a folder overrides `cast_joined_at` (tests/deadlines: the day before its fixed
time T; tests/transparency: early in the reported year). A test that needs more people than the cast (a
crowd to count votes, a member who is reported, someone added later) makes them in the test with
`member_factory()`, named for what they are. The access matrix (tests/access/world.py) has its own world:
one account for each of its access roles.

Markers: `slow` (more than ~2 s: processes, threads, fault injection, the full access matrix) and `e2e`
(browsers; always slow too). `make test-fast` runs `pytest -m "not slow"`; `make test` and CI run all.
"""

import os
import uuid
from dataclasses import dataclass

import pytest
from django.core.cache import caches
from hypothesis import settings as hypothesis_settings

from cocdesk import clock
from cocdesk.members.models import Member
from tests.factories import CAST, cast_member, operator_factory
from tests.shared_state import REDIS_TEST_URL, redis_or_skip

# CI replays the same examples every run (a red build must be reproducible); local runs explore.
hypothesis_settings.register_profile("ci", derandomize=True, print_blob=True)
if os.environ.get("CI") == "true":
    hypothesis_settings.load_profile("ci")


def pytest_collection_modifyitems(items):
    """A browser test is always slow too: `pytest -m "not slow"` never starts Chromium."""
    for item in items:
        if item.get_closest_marker("e2e") and not item.get_closest_marker("slow"):
            item.add_marker(pytest.mark.slow)


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
def cast_joined_at():
    """When the cast joined the committee: now, unless a folder's conftest says otherwise (the
    deadline tests need them to have joined the day before their fixed time)."""
    return None


def _cast_fixture(part: str):
    """The fixture of the cast's `part` (`factories.CAST`): the account, made when a test names it."""

    def person(db, cast_joined_at) -> Member:
        return cast_member(part, joined_at=cast_joined_at)

    who = CAST[part]
    person.__doc__ = f"{who.name} <{who.email}>, {who.role.label.lower()} (the cast: tests/conftest.py)."
    return pytest.fixture(name=part)(person)


chair = _cast_fixture("chair")
alice = _cast_fixture("alice")
bob = _cast_fixture("bob")
carol = _cast_fixture("carol")
community_manager = _cast_fixture("community_manager")
responder = _cast_fixture("responder")


@pytest.fixture
def operator(db):
    """Olga Operator <op@example.org>, the site operator (a Django superuser, never on the committee)."""
    return operator_factory(email="op@example.org")


@dataclass(frozen=True)
class Committee:
    chair: Member
    alice: Member
    bob: Member
    carol: Member
    community_manager: Member

    @property
    def members(self) -> tuple[Member, ...]:
        """The four who deliberate and vote: the chair and the three members."""
        return (self.chair, self.alice, self.bob, self.carol)


@pytest.fixture
def committee(chair, alice, bob, carol, community_manager) -> Committee:
    """All five at once, for tests about the whole committee (the named fixtures are the same rows)."""
    return Committee(chair, alice, bob, carol, community_manager)


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
