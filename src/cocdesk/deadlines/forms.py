"""Forms for deadlines pages. Validation of shape only; the rules live in services."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from cocdesk.cases.models import ToldHow
from cocdesk.deadlines.models import CheckInAnswer, RetentionPolicy, TemplateKind
from cocdesk.fields import one_line

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
    subject = forms.CharField(label=_("Subject"), max_length=200, validators=[one_line])
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
    subject = forms.CharField(label=_("Subject"), max_length=200, validators=[one_line])
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


class RetentionPolicyForm(forms.ModelForm):
    """The committee's retention settings (D5), in the chair's words."""

    class Meta:
        model = RetentionPolicy
        fields = [
            "minor_months",
            "moderate_months",
            "severe_months",
            "unassessed_months",
            "extend_months",
            "never_delete",
        ]
        labels = {
            "minor_months": _("Minor incidents: months to keep a closed case"),
            "moderate_months": _("Moderate incidents: months to keep a closed case"),
            "severe_months": _("Severe incidents: months to keep a closed case"),
            "unassessed_months": _("Severity not assessed: months to keep a closed case"),
            "extend_months": _("“Keep it longer” keeps a case this many more months"),
            "never_delete": _("Never delete closed cases"),
        }
        help_texts = {
            "unassessed_months": _(
                "Cases closed without a severity. Keep this at least as long as severe ones."
            ),
            "extend_months": _("Used when the chair keeps one case longer without choosing a date."),
            "never_delete": _(
                "Closed cases are then kept for good, with the reporter's words and every name in them. "
                "Please think about what you told reporters before choosing this."
            ),
        }
        widgets = {
            name: forms.NumberInput(attrs={"min": 1, "max": 240, "inputmode": "numeric"})
            for name in fields[:5]
        }


class RetentionExtendForm(forms.Form):
    """Keep one closed case longer: by the committee's period, or until a date; always with a reason."""

    how = forms.ChoiceField(
        label=_("Keep it"),
        choices=[("period", _("for the committee's extension period")), ("date", _("until a date I choose"))],
        widget=forms.RadioSelect,
        initial="period",
    )
    until = forms.DateField(
        label=_("Until"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
        help_text=_("Only when you choose a date."),
    )
    reason = forms.CharField(
        label=_("Why does the committee need to keep it?"),
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=_("Only committee members who may read the case see this. It is kept encrypted."),
    )

    def clean(self) -> dict:
        data = super().clean()
        if data.get("how") == "date" and not data.get("until"):
            self.add_error("until", _("Please choose the date."))
        if data.get("how") != "date":
            data["until"] = None
        return data


class NoticePreferenceForm(forms.Form):
    """When the daily email comes, in which time zone, and what else is emailed at once."""

    time_zone = forms.ChoiceField(
        label=_("Your time zone"),
        help_text=_("The time of your daily email, and the times in it, are in this time zone."),
    )
    digest_at = forms.TimeField(
        label=_("When should your daily email come?"),
        input_formats=["%H:%M", "%H:%M:%S"],
        widget=forms.TimeInput(attrs={"type": "time"}, format="%H:%M"),
        help_text=_("For example 09:00. It comes within the hour after that time."),
        error_messages={"invalid": _("Please give a time of day such as 09:00.")},
    )
    posts_at_once = forms.BooleanField(
        label=_("Email me at once when someone writes in the discussion of a case I take part in"),
        required=False,
    )
    votes_at_once = forms.BooleanField(
        label=_("Email me at once when a proposal waits for my vote"),
        required=False,
    )

    def __init__(self, *args: object, time_zones: list[str], **kwargs: object) -> None:
        super().__init__(*args, **kwargs)
        self.fields["time_zone"].choices = [(name, name.replace("_", " ")) for name in time_zones]
