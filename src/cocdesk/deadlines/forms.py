"""Forms for deadlines pages. Validation of shape only; the rules live in services."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from cocdesk.cases.models import ToldHow
from cocdesk.deadlines.models import CheckInAnswer, TemplateKind

COMPOSE_ACTIONS = ("template", "replace", "keep", "preview", "edit", "send")


class ComposeForm(forms.Form):
    """Writing to the reporter. The kind of message and its template are one choice: choosing a
    kind offers its template (filled in only when nothing is typed, or after asking)."""

    kind = forms.ChoiceField(
        label=_("What kind of message is this?"),
        choices=TemplateKind.choices,
        widget=forms.RadioSelect,
        help_text=_(
            "Choosing one offers its template. A decision-and-actions message counts as telling "
            "the reporter the outcome."
        ),
        error_messages={"required": _("Please choose what kind of message this is.")},
    )
    subject = forms.CharField(label=_("Subject"), max_length=200)
    body = forms.CharField(
        label=_("Message"),
        max_length=20_000,
        widget=forms.Textarea(attrs={"rows": 14}),
        help_text=_("Please replace the parts in [square brackets]. Do not name anyone else."),
    )
    action = forms.ChoiceField(choices=[(a, a) for a in COMPOSE_ACTIONS], required=False)
    previewed = forms.CharField(required=False, max_length=128, widget=forms.HiddenInput)


class ToldForm(forms.Form):
    """ "I told them by phone or in person": who (the member), when, what."""

    kind = forms.ChoiceField(
        label=_("What did you tell them?"),
        choices=TemplateKind.choices,
        widget=forms.RadioSelect,
        help_text=_("Telling them the decision counts as telling the reporter the outcome."),
    )
    how = forms.ChoiceField(label=_("How?"), choices=ToldHow.choices, widget=forms.RadioSelect)
    at = forms.DateTimeField(
        label=_("When? (leave empty for now)"),
        required=False,
        input_formats=["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M"],
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
    )
    text = forms.CharField(
        label=_("What you told them, in a few words"),
        max_length=20_000,
        widget=forms.Textarea(attrs={"rows": 4}),
    )


class WishesForm(forms.Form):
    wants_updates = forms.TypedChoiceField(
        choices=[("yes", _("They would like to hear from us")), ("no", _("No further involvement"))],
        coerce=lambda value: value == "yes",
    )


class TemplateForm(forms.Form):
    subject = forms.CharField(label=_("Subject"), max_length=200)
    body = forms.CharField(
        label=_("Text"),
        widget=forms.Textarea(attrs={"rows": 16}),
        help_text=_("{reference} becomes the case reference and {member} the name of the sender."),
    )


class CheckInForm(forms.Form):
    answer = forms.ChoiceField(
        label=_("Would you like to continue on the committee?"),
        choices=CheckInAnswer.choices,
        widget=forms.RadioSelect,
    )


class TemplateChoiceForm(forms.Form):
    """Which template the compose page starts from (`?template=` in its address)."""

    template = forms.ChoiceField(choices=TemplateKind.choices)
