"""Confirming an irreversible step (issue 12): publish, unseal, step down, step away from a case,
delete a case's content, send to a reporter.

One pattern for all: a GET shows what will happen and who will be told, and the cases the step
would leave unattended (`Confirmation`, rendered by `templates/confirm_step.html`, included by
`templates/confirm.html` or by a page of its own such as the publish page); only a POST carrying
the ticked `confirm` box (`ConfirmForm`) does it. A POST without it does nothing and shows the page
again with the error at the top. No JavaScript needed.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from django import forms
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext_lazy


@dataclass(frozen=True)
class Confirmation:
    """What a confirmation page says before an irreversible step (`templates/confirm_step.html`).

    happens: what will happen, in plain sentences; told: who will be told (or that nobody is);
    unattended: cases the step would leave unattended (`cases.selectors.cases_left_unattended`),
    only ever ones the person may read; action: where the form posts; cancel_url: the way back.
    fields_template / buttons_template: a page's own hidden fields and extra buttons, if any."""

    title: str
    happens: Sequence[str]
    told: Sequence[str]
    button: str
    action: str
    cancel_url: str
    unattended: Sequence[object] = field(default_factory=tuple)
    danger: bool = False
    button_name: str = ""
    button_value: str = ""
    fields_template: str = ""
    buttons_template: str = ""


class ConfirmForm(forms.Form):
    """The ticked box that turns a confirmation page's POST into the step itself."""

    confirm = forms.BooleanField(
        label=gettext_lazy("Yes, I understand. Go ahead."),
        error_messages={
            "required": gettext_lazy("Please tick the box to confirm. Nothing has been done yet.")
        },
    )

    def __init__(self, *args: object, label: str | None = None, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)
        if label:
            self.fields["confirm"].label = label


def confirm_form(request: HttpRequest, *, label: str | None = None) -> ConfirmForm:
    """The form bound to a POST (even an empty one: a POST without the box is refused), unbound on GET."""
    return ConfirmForm(request.POST if request.method == "POST" else None, label=label)


def confirmed(request: HttpRequest, form: ConfirmForm) -> bool:
    """A POST with the box ticked. A GET, or a POST without it, does nothing."""
    return request.method == "POST" and form.is_valid()


def confirmation_page(
    request: HttpRequest,
    confirm: Confirmation,
    form: ConfirmForm,
    *,
    template: str = "confirm.html",
    **context: object,
) -> HttpResponse:
    """The confirmation page; 400 when a POST came without the box ticked (its error at the top)."""
    status = 400 if form.is_bound and form.errors else 200
    return render(request, template, {"confirm": confirm, "form": form, **context}, status=status)
