"""The shared cache in tests: the test Redis, and what an attacker with a copy of the database or of
Redis would see."""

from __future__ import annotations

import base64
import os
import pickle

import pytest
import redis
from django.core.cache import caches
from django.core.cache.backends.db import BaseDatabaseCache
from django.db import connection

REDIS_TEST_URL = os.environ.get("COCDESK_TEST_REDIS_URL", "redis://127.0.0.1:6379/5")


def redis_or_skip(url: str = REDIS_TEST_URL):
    """A client for the test Redis; skipped on a developer machine without one, failed under CI."""
    client = redis.Redis.from_url(url, socket_connect_timeout=2)
    try:
        client.ping()
    except redis.exceptions.ConnectionError:
        if os.environ.get("CI") == "true":
            pytest.fail(f"Redis is not reachable at {url} under CI; .ci/run starts it.")
        pytest.skip(f"Redis is not reachable at {url}")
    return client


def _readable(raw: bytes) -> str:
    try:
        return repr(pickle.loads(raw))  # noqa: S301 - our own test data
    except Exception:
        return repr(raw)


def cache_entries() -> dict[str, str]:
    """Every entry of the shared cache: its stored key and a readable form of its stored value."""
    cache = caches["default"]
    if isinstance(cache, BaseDatabaseCache):
        table = connection.ops.quote_name(cache._table)
        with connection.cursor() as cursor:
            cursor.execute(f"SELECT cache_key, value FROM {table}")
            rows = cursor.fetchall()
        return {key: _readable(base64.b64decode(value.encode())) for key, value in rows}
    client = cache._cache.get_client(write=False)
    entries = {}
    for key in client.scan_iter(f"{cache.key_prefix}:*"):
        value = client.get(key)
        entries[key.decode()] = _readable(value) if value is not None else ""
    return entries


def database_dump() -> str:
    """Every row of every table of the database, as text."""
    parts = []
    with connection.cursor() as cursor:
        for table in connection.introspection.table_names():
            cursor.execute(f"SELECT * FROM {connection.ops.quote_name(table)}")
            parts.extend(repr(row) for row in cursor.fetchall())
    return "\n".join(parts)


def copy_of_everything() -> str:
    """A database copy and a Redis copy together, with cache values unpickled."""
    entries = cache_entries()
    return "\n".join([database_dump(), *entries, *entries.values()])
