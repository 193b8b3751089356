from django import forms
from django.utils.translation import gettext_lazy as _

from cocdesk import fields
from cocdesk.cases.models import (
    ConsequenceCatalogItem,
    ImmediateAction,
    ProposalKind,
    Resolution,
    State,
    VoteChoice,
)
from cocdesk.cases.services import ConversationInput


class DeclarationForm(forms.Form):
    answer = forms.ChoiceField(
        label=_("Do you have a conflict of interest?"),
        choices=[
            ("no_conflict", _("No, I have no conflict of interest")),
            ("conflict", _("Yes, I have a conflict of interest")),
        ],
        widget=forms.RadioSelect,
        error_messages={"required": _("Please choose one answer.")},
    )


class NoteForm(forms.Form):
    text = forms.CharField(
        label=_("Add to the timeline"), max_length=20_000, widget=forms.Textarea(attrs={"rows": 3})
    )


CONSEQUENCE_SLOTS = 4
LONG = {"max_length": 20_000, "widget": forms.Textarea(attrs={"rows": 4})}


class OwnersForm(forms.Form):
    primary = fields.ModelChoiceField(label=_("Primary incident owner"), queryset=None)
    secondary = fields.ModelChoiceField(label=_("Secondary incident owner"), queryset=None)

    def __init__(self, *args, participants=None, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["primary"].queryset = participants
        self.fields["secondary"].queryset = participants


class PostForm(forms.Form):
    body = forms.CharField(label=_("Write to the members taking part"), **LONG)


class TransitionForm(forms.Form):
    to = forms.ChoiceField(label=_("Move the case to"), choices=State.choices)
    resolution = forms.ChoiceField(
        label=_("Resolution (when closing)"), choices=Resolution.choices, required=False
    )

    def __init__(self, *args, allowed: list[str] | None = None, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        if allowed is not None:  # offer only the moves the state machine allows from here
            self.fields["to"].choices = [(value, label) for value, label in State.choices if value in allowed]


class ProposalForm(forms.Form):
    kind = forms.ChoiceField(label=_("What is to be decided"), choices=ProposalKind.choices)
    text = forms.CharField(label=_("The proposal"), **LONG)

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        catalog = ConsequenceCatalogItem.objects.filter(active=True)
        for n in range(1, CONSEQUENCE_SLOTS + 1):
            self.fields[f"consequence_{n}_item"] = fields.ModelChoiceField(
                label=_("Consequence %(n)s") % {"n": n}, queryset=catalog, required=False
            )
            self.fields[f"consequence_{n}_custom"] = forms.CharField(
                label=_("…or describe your own"), max_length=500, required=False
            )
            self.fields[f"consequence_{n}_duration"] = forms.CharField(
                label=_("For how long"),
                max_length=200,
                required=False,
                help_text=_("For example: for the rest of the event"),
            )
            self.fields[f"consequence_{n}_until"] = forms.DateField(
                label=_("Until (date, if there is one)"),
                required=False,
                widget=forms.DateInput(attrs={"type": "date"}),
            )

    def consequence_slots(self) -> list[list]:
        return [
            [self[f"consequence_{n}_{part}"] for part in ("item", "custom", "duration", "until")]
            for n in range(1, CONSEQUENCE_SLOTS + 1)
        ]

    def consequences(self) -> list[dict]:
        chosen = []
        for n in range(1, CONSEQUENCE_SLOTS + 1):
            item = self.cleaned_data.get(f"consequence_{n}_item")
            custom = self.cleaned_data.get(f"consequence_{n}_custom", "").strip()
            if item or custom:
                chosen.append(
                    {
                        "catalog_item": item,
                        "custom": custom,
                        "duration": self.cleaned_data.get(f"consequence_{n}_duration", ""),
                        "until": self.cleaned_data.get(f"consequence_{n}_until"),
                    }
                )
        return chosen


class VoteForm(forms.Form):
    choice = forms.ChoiceField(choices=VoteChoice.choices)


class RoundForm(forms.Form):
    """Re-evaluation: which decided questions to decide again in a new round."""

    questions = forms.MultipleChoiceField(
        label=_("Which questions should be decided again?"),
        choices=ProposalKind.choices,
        widget=forms.CheckboxSelectMultiple,
        error_messages={"required": _("Please choose at least one question to decide again.")},
    )

    def __init__(self, *args, decided: list[str] | None = None, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        if decided is not None:
            self.fields["questions"].choices = [c for c in ProposalKind.choices if c[0] in decided]


class ConversationForm(forms.Form):
    held_on = forms.DateField(
        label=_("Date of the conversation"), widget=forms.DateInput(attrs={"type": "date"})
    )
    members = fields.ModelMultipleChoiceField(
        label=_("Committee members who took part (at least two)"),
        queryset=None,
        widget=forms.CheckboxSelectMultiple,
    )
    behavior = forms.CharField(
        label=_("Behavior"),
        help_text=_("“When you joined this chat channel, you greeted people by saying…”"),
        **LONG,
    )
    context = forms.CharField(
        label=_("Context"),
        required=False,
        help_text=_("“Women are underrepresented in our community…”"),
        **LONG,
    )
    impact = forms.CharField(
        label=_("Impact"), help_text=_("“…women in our community felt invisible and unwelcome.”"), **LONG
    )
    call_in = forms.CharField(
        label=_("Call in"),
        required=False,
        help_text=_("“I need your help to ensure our community is welcoming to everyone.”"),
        **LONG,
    )
    plan = forms.CharField(
        label=_("Behavioral modification plan"),
        help_text=_("“I need you to not use ‘guys’ to refer to our community members.”"),
        **LONG,
    )
    response = forms.CharField(label=_("Their response, and any context they gave"), required=False, **LONG)
    plan_accepted = forms.ChoiceField(
        label=_("Did they accept the plan?"),
        choices=[("yes", _("Yes")), ("no", _("No, they refused or did not understand")), ("", _("Not yet"))],
        required=False,
        widget=forms.RadioSelect,
    )
    apology_offered = forms.BooleanField(label=_("They wanted to apologize"), required=False)
    apology_relayed = forms.ChoiceField(
        label=_("Will the apology be relayed to the reporter?"),
        choices=[("yes", _("Yes, it seems genuine")), ("no", _("No")), ("", _("Not decided"))],
        required=False,
        widget=forms.RadioSelect,
        help_text=_("They must not contact the reporter; we never reveal the reporter's identity."),
    )
    apology_reason = forms.CharField(label=_("Why (or why not)"), required=False, **LONG)

    def __init__(self, *args, participants=None, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["members"].queryset = participants

    def conversation(self) -> ConversationInput:
        """The conversation as `cases.services.conversation_record` takes it."""
        data = self.cleaned_data
        return ConversationInput(
            held_on=data["held_on"],
            members=list(data["members"]),
            behavior=data["behavior"],
            context=data["context"],
            impact=data["impact"],
            call_in=data["call_in"],
            plan=data["plan"],
            response=data["response"],
            plan_accepted=tri_state(data["plan_accepted"]),
            apology_offered=data["apology_offered"],
            apology_relayed=tri_state(data["apology_relayed"]),
            apology_reason=data["apology_reason"],
        )


def tri_state(value: str) -> bool | None:
    return {"yes": True, "no": False}.get(value)


class TextForm(forms.Form):
    text = forms.CharField(label=_("Text"), **LONG)

    def __init__(self, *args, label: str | None = None, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        if label:
            self.fields["text"].label = label


class DangerForm(forms.Form):
    """ "Someone may be in danger": what was done at once (action), when, and a note. Who is the
    member recording it."""

    action = forms.ChoiceField(
        label=_("What has been done?"),
        choices=ImmediateAction.choices,
        widget=forms.RadioSelect,
        error_messages={"required": _("Please choose what has been done, or “Nothing yet”.")},
    )
    at = forms.DateTimeField(
        label=_("When? (leave empty for now)"),
        required=False,
        input_formats=["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M"],
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
    )
    note = forms.CharField(
        label=_("Note"),
        required=False,
        max_length=5000,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("Who acted, where the people are now, what was given to law enforcement."),
    )
    reporter_asked = forms.BooleanField(
        label=_("The reporter asked us to involve law enforcement"),
        required=False,
        help_text=_("Only call law enforcement if the reporter asks you to."),
    )


class LawEnforcementForm(forms.Form):
    shared = forms.CharField(label=_("What was given to law enforcement"), **LONG)
    shared_on = forms.DateField(label=_("When"), widget=forms.DateInput(attrs={"type": "date"}))


class CatalogItemForm(forms.Form):
    item = fields.ModelChoiceField(
        queryset=ConsequenceCatalogItem.objects.all(), required=False, widget=forms.HiddenInput
    )
    label = forms.CharField(label=_("Consequence"), max_length=300)
    active = forms.BooleanField(label=_("Offer it in proposals"), required=False, initial=True)
