"""The shared cache without Redis: Django's database cache, made safe for shared state.

Rate limits, login lockouts and sessions live in the default cache (settings.CACHES). With Redis
they expire on their own and `incr` is atomic. With the database cache two things need care, which
this subclass adds:

- `incr` is atomic: the row is locked (SELECT ... FOR UPDATE on PostgreSQL; SQLite's IMMEDIATE
  transactions serialise writers), so concurrent requests in several processes all count;
- culling never deletes a live entry: Django's deletes a third of all entries once there are more
  than MAX_ENTRIES, which would drop lockouts, rate limits and sessions that an attacker could push
  out on purpose. Here only expired entries go, then and whenever `cocdesk tick` runs.
"""

from __future__ import annotations

import base64
import pickle

from django.core.cache import caches
from django.core.cache.backends.db import DatabaseCache as DjangoDatabaseCache
from django.db import connections, router, transaction
from django.utils import timezone


class DatabaseCache(DjangoDatabaseCache):
    def incr(self, key, delta=1, version=None):
        key = self.make_and_validate_key(key, version=version)
        db = router.db_for_write(self.cache_model_class)
        connection = connections[db]
        quote_name = connection.ops.quote_name
        table, cache_key, value, expires = map(quote_name, (self._table, "cache_key", "value", "expires"))
        lock = " FOR UPDATE" if connection.features.has_select_for_update else ""
        # The same comparison as Django's has_key: naive UTC, as the expires column is written.
        now = connection.ops.adapt_datetimefield_value(timezone.now().replace(microsecond=0, tzinfo=None))
        with transaction.atomic(using=db), connection.cursor() as cursor:
            cursor.execute(
                f"SELECT {value} FROM {table} WHERE {cache_key} = %s AND {expires} > %s{lock}",  # noqa: S608
                [key, now],
            )
            row = cursor.fetchone()
            if row is None:
                raise ValueError(f"Key '{key}' not found.")
            stored = connection.ops.process_clob(row[0])
            number = pickle.loads(base64.b64decode(stored.encode())) + delta  # noqa: S301 - our own rows
            encoded = base64.b64encode(pickle.dumps(number, self.pickle_protocol)).decode("latin1")
            cursor.execute(
                f"UPDATE {table} SET {value} = %s WHERE {cache_key} = %s",  # noqa: S608
                [encoded, key],
            )
        return number

    def _cull(self, db, cursor, now, num):
        self._expired_delete(cursor, connections[db], now)

    def _expired_delete(self, cursor, connection, now) -> int:
        table, expires = map(connection.ops.quote_name, (self._table, "expires"))
        cursor.execute(
            f"DELETE FROM {table} WHERE {expires} < %s",  # noqa: S608
            [connection.ops.adapt_datetimefield_value(now)],
        )
        return cursor.rowcount

    def expired_delete(self) -> int:
        db = router.db_for_write(self.cache_model_class)
        connection = connections[db]
        with connection.cursor() as cursor:
            return self._expired_delete(cursor, connection, timezone.now().replace(microsecond=0))


def cache_expired_clear() -> int | None:
    """Delete the expired entries of the database cache (sessions, rate limits, lockouts); None when
    the shared cache is Redis, which expires entries itself.

    Wall-clock time, not `clock.now()`: the cache's expiry times are real times, and `tick --now`
    must not end live sessions. Side effects: rows deleted from the cache table.
    """
    cache = caches["default"]
    if not isinstance(cache, DatabaseCache):
        return None
    return cache.expired_delete()
