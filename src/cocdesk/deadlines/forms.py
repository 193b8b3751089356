"""Forms for deadlines pages. Validation of shape only; the rules live in services.py."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from cocdesk.deadlines.models import CheckInAnswer, TemplateKind


class ComposeForm(forms.Form):
    kind = forms.ChoiceField(
        label=_("What kind of message is this?"),
        choices=TemplateKind.choices,
        widget=forms.RadioSelect,
        help_text=_("A decision-and-actions message counts as telling the reporter the outcome."),
    )
    subject = forms.CharField(label=_("Subject"), max_length=200)
    body = forms.CharField(
        label=_("Message"),
        widget=forms.Textarea(attrs={"rows": 14}),
        help_text=_("Please replace the parts in [square brackets]. Do not name anyone else."),
    )
    reporter_asked = forms.BooleanField(
        label=_("The reporter asked us for this message"),
        required=False,
        help_text=_("Only for a reporter who chose no further involvement."),
    )

    def __init__(self, *args, opted_out: bool = False, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        if not opted_out:
            del self.fields["reporter_asked"]


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
