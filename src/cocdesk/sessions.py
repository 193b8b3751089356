"""Sessions in the database that a database outage does not turn into an error page (D2).

During an outage a session that cannot be read is empty for this request (nobody is logged in,
which is the safe way to fail) and is not written back, so the stored one is untouched; a session
that cannot be saved is simply not saved. The public report form then still answers: its
submission goes to the spool (intake/spool.py).
"""

from __future__ import annotations

import logging

from django.contrib.sessions.backends.base import UpdateError
from django.contrib.sessions.backends.db import SessionStore as DatabaseSessionStore
from django.db import DatabaseError

from cocdesk.errors import database_unavailable

log = logging.getLogger("cocdesk")


class SessionStore(DatabaseSessionStore):
    unavailable = False

    def load(self):
        try:
            return super().load()
        except DatabaseError as exc:
            if not database_unavailable(exc):
                raise
            self.unavailable = True
            return {}

    def exists(self, session_key):
        try:
            return super().exists(session_key)
        except DatabaseError as exc:
            if not database_unavailable(exc):
                raise
            self.unavailable = True
            return False

    def save(self, must_create=False):
        if self.unavailable:
            return
        try:
            super().save(must_create=must_create)
        except (DatabaseError, UpdateError) as exc:  # Django turns a failed update into UpdateError
            if not database_unavailable(exc):
                raise
            log.warning("a session could not be saved: the database is unavailable")
