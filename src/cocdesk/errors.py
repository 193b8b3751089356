"""The one domain error (docs/architecture.md, "Errors").

A service raises `Refused` when the plan's rules or the access policy do not allow what was asked.
Its message is written for the person who asked: kind, plain, and saying what to do instead. Views
turn it into a form error (`form.add_error(None, exc)`) or a message; it never becomes a 500.
"""

from __future__ import annotations

from django.core.exceptions import ValidationError


class Refused(ValidationError):
    """The rules refuse this request; `messages` say why, in words for the person who asked."""
