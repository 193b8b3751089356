"""Form fields shared by the apps."""

from __future__ import annotations

from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

MAX_PK_DIGITS = 18  # every primary key fits a signed 64-bit integer

# What ends a line for a mail program or for Python's str.splitlines: never in a header-bound field.
LINE_BREAKS = frozenset("\n\r\x0b\x0c\x1c\x1d\x1e\x85\u2028\u2029")
ONE_LINE_SUBJECT = _("The subject must be one line: please remove the line break.")


def has_line_break(value: str) -> bool:
    """Whether `value` holds a line break (or another control character): an email subject or
    other header with one is refused, never sent differently from what the member saw."""
    return any(ch in LINE_BREAKS or (ord(ch) < 32 and ch != "\t") for ch in value)


def one_line(value: str) -> None:
    """Validator for a subject (or any value that becomes an email header)."""
    if has_line_break(value):
        raise ValidationError(ONE_LINE_SUBJECT, code="line_break")


def _plausible_pk(value: Any) -> bool:
    text = str(value).strip()
    return text.isdigit() and len(text) <= MAX_PK_DIGITS


class ModelChoiceField(forms.ModelChoiceField):
    """Refuses a value that cannot be a primary key before querying: a 20-digit number would
    overflow SQLite's integer and answer 500 instead of "that is not one of the choices"."""

    def to_python(self, value: Any) -> Any:
        if value not in self.empty_values and not _plausible_pk(value):
            raise ValidationError(self.error_messages["invalid_choice"], code="invalid_choice")
        return super().to_python(value)


class ModelMultipleChoiceField(forms.ModelMultipleChoiceField):
    """The same guard for several choices."""

    def _check_values(self, value: Any) -> Any:
        for pk in value:
            if not _plausible_pk(pk):
                raise ValidationError(
                    self.error_messages["invalid_choice"], code="invalid_choice", params={"value": pk}
                )
        return super()._check_values(value)
