"""The database cache as shared state (cocdesk/cache.py): counts are never lost between processes,
and no live entry (a lockout, a rate limit, a session) is ever dropped to make room."""

import threading

import pytest
from axes.models import AccessAttempt
from django.contrib.sessions.models import Session
from django.core.cache import cache, caches
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.utils import timezone

from cocdesk.cache import cache_expired_clear


@pytest.mark.django_db(transaction=True)
def test_concurrent_increments_are_all_counted():
    cache.add("counter", 0, timeout=60)
    errors = []

    def count(times):
        try:
            for _ in range(times):
                caches["default"].incr("counter")
        except Exception as exc:
            errors.append(repr(exc))
        finally:
            connection.close()

    threads = [threading.Thread(target=count, args=(25,)) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert errors == []
    assert cache.get("counter") == 200


@pytest.mark.django_db
def test_incrementing_a_missing_or_expired_entry_is_refused():
    with pytest.raises(ValueError):
        cache.incr("never-set")
    cache.set("gone", 1, timeout=-1)
    with pytest.raises(ValueError):
        cache.incr("gone")


@pytest.mark.django_db
def test_a_full_cache_drops_expired_entries_never_live_ones(settings):
    settings.CACHES = {
        "default": {
            "BACKEND": "cocdesk.cache.DatabaseCache",
            "LOCATION": "cocdesk_cache",
            "OPTIONS": {"MAX_ENTRIES": 5},
        }
    }
    cache.set("expired", 1, timeout=-1)
    for n in range(20):
        cache.set(f"live-{n}", n, timeout=600)
    assert all(cache.get(f"live-{n}") == n for n in range(20))
    with connection.cursor() as cursor:
        cursor.execute("SELECT cache_key FROM cocdesk_cache")
        assert not [key for (key,) in cursor.fetchall() if key.endswith(":expired")]


@pytest.mark.django_db
def test_expired_entries_are_cleared_and_redis_needs_no_clearing(redis_cache):
    assert cache_expired_clear() is None


@pytest.mark.django_db(transaction=True)
def test_migrate_makes_the_cache_table_and_forgets_what_earlier_versions_kept_in_the_database():
    executor = MigrationExecutor(connection)
    executor.migrate([("cocdesk", None)])
    try:
        assert "cocdesk_cache" not in connection.introspection.table_names()
        Session.objects.create(session_key="plain-text-key", session_data="{}", expire_date=timezone.now())
        AccessAttempt.objects.bulk_create(  # as django-axes' database handler kept them (no signals)
            [AccessAttempt(ip_address="203.0.113.9", user_agent="CanaryAgent", failures_since_start=3)]
        )
    finally:
        executor = MigrationExecutor(connection)
        executor.migrate(executor.loader.graph.leaf_nodes("cocdesk"))
    assert "cocdesk_cache" in connection.introspection.table_names()
    assert Session.objects.count() == AccessAttempt.objects.count() == 0
