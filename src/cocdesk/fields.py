"""Form fields shared by the apps."""

from __future__ import annotations

from typing import Any

from django import forms
from django.core.exceptions import ValidationError

MAX_PK_DIGITS = 18  # every primary key fits a signed 64-bit integer


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
