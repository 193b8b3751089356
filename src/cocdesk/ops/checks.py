"""System checks that keep an unsafe configuration from starting (issues 11 and 16).

They run before every management command (`check --deploy` reports them; `ingest-email` and
`tick` refuse to run) and at a production start (`cocdesk.wsgi`).
"""

from __future__ import annotations

import logging

from django.conf import settings
from django.core import checks
from django.core.exceptions import ImproperlyConfigured
from django.db import DatabaseError

from cocdesk.ops.models import KeyName
from cocdesk.ops.selectors import key_problems
from cocdesk.ops.services import key_fingerprints_record

TAG = "cocdesk"
log = logging.getLogger("cocdesk.ops")

KEY_CHECK_IDS = {KeyName.AUDIT: "ops.E001", KeyName.INDEX: "ops.E002", KeyName.FIELD: "ops.E003"}


def keys_match(app_configs=None, **kwargs) -> list[checks.CheckMessage]:
    """Each configured key must be the one this database was written with (ops.selectors)."""
    return [
        checks.Error(problem.message, hint=problem.hint, id=KEY_CHECK_IDS[problem.setting])
        for problem in key_problems()
    ]


UNSAFE_EMAIL_BACKENDS = {
    "django.core.mail.backends.console.EmailBackend": "prints every email, reporters' addresses and "
    "words included, wherever the output goes (a terminal, a log, cron's mail)",
    "django.core.mail.backends.filebased.EmailBackend": "writes every email, unencrypted, to files",
    "django.core.mail.backends.locmem.EmailBackend": "keeps every email in memory and never sends it",
    "django.core.mail.backends.dummy.EmailBackend": "throws every email away",
}


def production_email_backend(app_configs=None, **kwargs) -> list[checks.CheckMessage]:
    """Production sends mail; it never prints it, files it or drops it."""
    why = UNSAFE_EMAIL_BACKENDS.get(settings.EMAIL_BACKEND)
    if not settings.PRODUCTION or why is None:
        return []
    return [
        checks.Error(
            f"EMAIL_BACKEND is {settings.EMAIL_BACKEND}, which {why}.",
            hint="In production leave EMAIL_BACKEND unset (SMTP) and set EMAIL_HOST, EMAIL_PORT and "
            "the other EMAIL_ settings (docs/operating.md).",
            id="ops.E010",
        )
    ]


def record_fingerprints_after_migrate(sender=None, **kwargs) -> None:
    """The first `migrate` records the keys it ran with."""
    key_fingerprints_record()


def refuse_unsafe_start() -> None:
    """A production web process: refuse to serve when a check above fails; then record the keys'
    fingerprints if this is the first start. A database that cannot be reached is not a reason to
    refuse (the report form keeps working without it); the commands check again."""
    errors = [m for m in checks.run_checks(tags=[TAG]) if m.is_serious()]
    if errors:
        raise ImproperlyConfigured(
            "cocdesk will not start:\n" + "\n".join(f"- {e.msg} {e.hint or ''}".rstrip() for e in errors)
        )
    try:
        key_fingerprints_record()
    except DatabaseError:
        log.warning("could not compare the keys with the database at start: it is unavailable")
