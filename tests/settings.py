"""Test settings: cocdesk's own settings, a private data dir, a cheaper Argon2, and a test-only app."""

import os
import tempfile

os.environ["COCDESK_DATA_DIR"] = tempfile.mkdtemp(prefix="cocdesk-test-")
os.environ.pop("COCDESK_ENV", None)
# The database cache unless a test asks for Redis (the `redis_cache` fixture); no proxy unless asked.
os.environ.pop("REDIS_URL", None)
os.environ.pop("COCDESK_REQUIRE_REDIS", None)
os.environ.pop("COCDESK_PROXY_COUNT", None)

from cocdesk.settings import *  # noqa: F403
from cocdesk.settings import INSTALLED_APPS

INSTALLED_APPS = [*INSTALLED_APPS, "tests.testapp"]
PASSWORD_HASHERS = ["tests.hashers.FastArgon2PasswordHasher"]
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"

# A file, not SQLite's shared in-memory database, so threads (live server, concurrency) share one database.
if DATABASES["default"]["ENGINE"].endswith("sqlite3"):  # noqa: F405
    DATABASES["default"]["TEST"] = {"NAME": str(DATA_DIR / "test.sqlite3")}  # noqa: F405
