"""A database outage, simulated in this process: every new cursor fails as a refused connection
does (django.db.OperationalError). Used on SQLite and PostgreSQL alike; the real PostgreSQL outage
(ALLOW_CONNECTIONS false) is in test_database_outage_postgres.py."""

from __future__ import annotations

import contextlib

from django.db import OperationalError
from django.db.backends.base.base import BaseDatabaseWrapper

_saved: list = []


def _refused(self):
    raise OperationalError('connection to server at "127.0.0.1", port 5432 failed: Connection refused')


def outage_start() -> None:
    """From now on every database access in this process fails (pytest-django swaps the same method
    to block database access, so the outage is set up when it starts, not at import)."""
    if not _saved:
        _saved.append(BaseDatabaseWrapper.ensure_connection)
        BaseDatabaseWrapper.ensure_connection = _refused


def outage_end() -> None:
    if _saved:
        BaseDatabaseWrapper.ensure_connection = _saved.pop()


@contextlib.contextmanager
def database_down():
    outage_start()
    try:
        yield
    finally:
        outage_end()
