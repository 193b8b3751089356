"""The one domain error (docs/architecture.md, "Errors").

A service raises `Refused` when the plan's rules or the access policy do not allow what was asked.
Its message is written for the person who asked: kind, plain, and saying what to do instead. Views
turn it into a form error (`form.add_error(None, exc)`) or a message; it never becomes a 500.
"""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import InterfaceError, OperationalError


class Refused(ValidationError):
    """The rules refuse this request; `messages` say why, in words for the person who asked."""


DATABASE_UNAVAILABLE = "cocdesk: database unavailable, try again (exit 75)."


def database_unavailable(exc: BaseException | None) -> bool:
    """Whether `exc`, or what caused it, says the database cannot be reached (connection refused,
    server shutting down, connection lost): a temporary failure, not a bug."""
    seen: set[int] = set()
    while exc is not None and id(exc) not in seen:
        if isinstance(exc, OperationalError | InterfaceError):
            return True
        seen.add(id(exc))
        exc = exc.__cause__ or exc.__context__
    return False
