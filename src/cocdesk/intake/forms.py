"""Report forms: the public web form and the committee's intake form (in person, phone, DM, other)."""

from __future__ import annotations

from collections.abc import Iterable

from django import forms
from django.utils.translation import gettext_lazy as _

from cocdesk import fields
from cocdesk.cases.evidence import MAX_FILES
from cocdesk.cases.models import Channel, ContactPreference, ImmediateAction, Kind, PartyRole
from cocdesk.cases.services import FileInput, Incident, PartyInput, ReportInput
from cocdesk.intake.models import Event
from cocdesk.intake.selectors import ReportChoices, report_form_choices
from cocdesk.intake.services import WebSubmission
from cocdesk.members.selectors import committee_members
from cocdesk.receipts import receipt_code_new

MAX_TEXT = 20_000
REPORTED_SLOTS = 3
DANGER_NOT_IN_ESCROW = _(
    "A report about someone in danger right now cannot be held in escrow: the committee must act on "
    "it at once. Please choose to report with your name or anonymously."
)


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class MultipleFileField(forms.FileField):
    def __init__(self, *args, **kwargs) -> None:
        kwargs.setdefault("widget", MultipleFileInput())
        super().__init__(*args, **kwargs)

    def clean(self, data, initial=None):
        files = [f for f in (data if isinstance(data, list | tuple) else [data]) if f]
        if len(files) > MAX_FILES:
            raise forms.ValidationError(_("Please attach at most %(n)s files.") % {"n": MAX_FILES})
        return [super(MultipleFileField, self).clean(f, initial) for f in files]


def _text(label, *, required=False, help_text="", max_length=500, **kw):
    return forms.CharField(label=label, required=required, help_text=help_text, max_length=max_length, **kw)


def _long(label, *, required=False, help_text=""):
    return forms.CharField(
        label=label,
        required=required,
        help_text=help_text,
        max_length=MAX_TEXT,
        widget=forms.Textarea(attrs={"rows": 6}),
    )


class IncidentFields(forms.Form):
    """What both forms ask about the incident itself."""

    what_happened = _long(
        _("What happened?"),
        required=True,
        help_text=_(
            "In your own words. Include anything you think matters; there is no wrong way to say it."
        ),
    )
    when = _text(_("When did it happen?"), help_text=_('A date and time, or roughly ("Saturday afternoon").'))
    where = _text(
        _("Where did it happen?"), help_text=_("A room at an event, a chat channel, a mailing list…")
    )
    ongoing = forms.BooleanField(label=_("It is still going on"), required=False)
    immediate_danger = forms.BooleanField(label=_("Someone is in danger right now"), required=False)
    witnesses = _long(_("Did anyone else see or hear it?"), help_text=_("Names or handles, one per line."))
    law_enforcement = forms.BooleanField(
        label=_("I would like the committee to involve law enforcement"),
        required=False,
        help_text=_("We only ever involve law enforcement if you ask us to."),
    )

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        for n in range(1, REPORTED_SLOTS + 1):
            self.fields[f"reported_{n}_name"] = _text(_("Their name"), max_length=200)
            self.fields[f"reported_{n}_email"] = forms.EmailField(
                label=_("Their email address"), required=False
            )
            self.fields[f"reported_{n}_handle"] = _text(_("Their handle or username"), max_length=200)

    def incident(self) -> Incident:
        data = self.cleaned_data
        return Incident(
            description=data["what_happened"],
            occurred_when=data.get("when", ""),
            occurred_where=data.get("where", ""),
            ongoing=data.get("ongoing", False),
            urgent=data.get("immediate_danger", False),
            law_enforcement_requested=data.get("law_enforcement", False),
        )

    def people(self) -> list[PartyInput]:
        """The reported people and the witnesses named in the form."""
        people = []
        for n in range(1, REPORTED_SLOTS + 1):
            person = {k: self.cleaned_data.get(f"reported_{n}_{k}", "") for k in ("name", "email", "handle")}
            if any(v.strip() for v in person.values()):
                people.append(PartyInput(role=PartyRole.REPORTED, **person))
        witnesses = self.cleaned_data.get("witnesses", "").splitlines()
        return people + [PartyInput(role=PartyRole.WITNESS, name=w.strip()) for w in witnesses if w.strip()]

    def uploads(self, *, keep_metadata: bool) -> list[FileInput]:
        """The uploaded files as they are (temporary files on disk): read only after the size check."""
        return [
            FileInput(name=f.name, data=f, keep_metadata=keep_metadata)
            for f in self.cleaned_data.get("evidence") or []
        ]

    def reported_slots(self) -> list[list]:
        return [
            [self[f"reported_{n}_{k}"] for k in ("name", "email", "handle")]
            for n in range(1, REPORTED_SLOTS + 1)
        ]


class PublicReportForm(IncidentFields):
    """The form at /report/. No account, no IP address kept."""

    kind = forms.ChoiceField(
        label=_("How would you like to report?"),
        choices=[
            (Kind.NAMED, _("With my name, so the committee can talk with me")),
            (Kind.ANONYMOUS, _("Anonymously: no name or contact details are kept")),
            (
                Kind.ESCROWED,
                _("Held in escrow: the committee acts only if the same person is reported again"),
            ),
        ],
        initial=Kind.NAMED,
        widget=forms.RadioSelect,
        help_text=_(
            "Anonymous or escrow: the name and contact boxes are not kept. A report about someone in "
            "danger right now cannot be held in escrow."
        ),
    )
    # Plain id choices, not querysets: the form renders and validates from `report_form_choices`,
    # which still answers from its cache when the database is down (D2).
    event = forms.TypedChoiceField(
        label=_("Was it at an event?"), coerce=int, required=False, empty_value=None, choices=()
    )
    your_name = _text(_("Your name"), max_length=200, help_text=_("The name you would like us to use."))
    your_email = forms.EmailField(label=_("Your email address"), required=False)
    your_phone = _text(_("Your phone number"), max_length=50)
    other_contact = _text(_("Another way to reach you"), max_length=300)
    preferred_contact = forms.ChoiceField(
        label=_("How should we contact you? (optional)"),
        choices=ContactPreference.choices,
        required=False,
        widget=forms.RadioSelect,
        help_text=_("If you choose one, please fill in that box above."),
    )
    wants_updates = forms.ChoiceField(
        label=_("Would you like to hear from us?"),
        choices=[
            ("yes", _("Yes, keep me updated")),
            ("no", _("No, I would prefer not to be involved any further")),
        ],
        initial="yes",
        widget=forms.RadioSelect,
    )
    notify_email = forms.EmailField(
        label=_("An address to tell you there is a new message (optional)"),
        required=False,
        help_text=_(
            'Only used to say "you have a new message". The committee never sees it. '
            "Read the message itself with your receipt code."
        ),
    )
    exclude_members = forms.TypedMultipleChoiceField(
        label=_("Is there anyone on the committee who should not see this report?"),
        coerce=int,
        choices=(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=_("They will not see it or know it exists. You do not need to tell us why."),
    )
    evidence = MultipleFileField(
        label=_("Screenshots or other files (optional)"),
        required=False,
        help_text=_(
            "Up to 5 files, 10 MB each: photos, PDF or text. Hidden details (such as where a photo "
            "was taken, or who wrote a PDF) are removed."
        ),
    )
    keep_metadata = forms.BooleanField(
        label=_("Keep the photos' metadata (time and place they were taken)"),
        required=False,
        help_text=_("Only if you want it to be part of the evidence. Not available for anonymous reports."),
    )

    def __init__(
        self, *args, choices: ReportChoices | None = None, upload_problems: Iterable[str] = (), **kwargs
    ) -> None:
        super().__init__(*args, **kwargs)
        # Files the upload handler did not read (too large, too many): cocdesk.uploads.
        self.upload_problems = list(upload_problems)
        choices = choices or report_form_choices()
        # Lists that cannot be read (database down, nothing cached) are left out: both are optional.
        self.offers_events = choices.events is not None
        self.offers_exclusion = choices.members is not None
        if self.offers_events:
            self.fields["event"].choices = [("", _("No, or I would rather not say")), *choices.events]
        else:
            del self.fields["event"]
        if self.offers_exclusion:
            self.fields["exclude_members"].choices = choices.members
        else:
            del self.fields["exclude_members"]
        self.fields["immediate_danger"].help_text = _(
            "The committee is alerted at once. A report about danger cannot be held in escrow: it is "
            "filed with your name or anonymously, as you choose above."
        )

    def clean_evidence(self) -> list:
        if self.upload_problems:
            raise forms.ValidationError(self.upload_problems)
        return self.cleaned_data["evidence"]

    def submission(self) -> WebSubmission:
        """The report as `intake.services.web_report_receive` takes it, with its receipt code and
        its spool id chosen now, before anything is stored."""
        data = self.cleaned_data
        report = self.report()
        report.receipt_code, report.spool_id = receipt_code_new(), WebSubmission.new_id()
        return WebSubmission(
            report=report,
            event_id=data.get("event"),
            excluded_member_ids=list(data.get("exclude_members") or []),
        )

    CONTACT_FIELDS = ("your_name", "your_email", "your_phone", "other_contact")

    def discarded_contact(self) -> bool:
        """A reporter who chose anonymous or escrow typed a name or contact: it is not kept."""
        data = self.cleaned_data
        return data["kind"] != Kind.NAMED and any((data.get(f) or "").strip() for f in self.CONTACT_FIELDS)

    def report(self) -> ReportInput:
        """The report without its event and exclusions (`submission()` carries those as ids)."""
        data = self.cleaned_data
        named = data["kind"] == Kind.NAMED
        reporter = PartyInput(
            role=PartyRole.REPORTER,
            name=data["your_name"],
            email=data["your_email"],
            phone=data["your_phone"],
            notes=data["other_contact"],
        )
        return ReportInput(
            channel=Channel.WEB,
            incident=self.incident(),
            kind=data["kind"],
            parties=([reporter] if named else []) + self.people(),
            wants_updates=data["wants_updates"] == "yes",
            preferred_contact=data["preferred_contact"],
            notify_email="" if named else data["notify_email"],
            files=self.uploads(keep_metadata=named and data["keep_metadata"]),
            with_receipt=True,
        )

    def clean(self) -> dict:
        data = super().clean()
        # Against the list offered (no query: the form also works while the database is down).
        excluded = set(data.get("exclude_members") or [])
        offered = (
            {pk for pk, _label in self.fields["exclude_members"].choices} if self.offers_exclusion else set()
        )
        if excluded and offered <= excluded:
            self.add_error(
                "exclude_members",
                _(
                    "Please leave at least one committee member unticked. Otherwise nobody could "
                    "read your report or help you."
                ),
            )
        named = data.get("kind") == Kind.NAMED
        if data.get("kind") == Kind.ESCROWED and data.get("immediate_danger"):
            self.add_error("kind", DANGER_NOT_IN_ESCROW)
        if named and data.get("wants_updates") == "yes":
            preferred = data.get("preferred_contact")
            needed = {
                ContactPreference.EMAIL: "your_email",
                ContactPreference.PHONE: "your_phone",
                ContactPreference.OTHER: "other_contact",
            }.get(preferred)
            if needed and not (data.get(needed) or "").strip():
                self.add_error(needed, _("Please add this so we can reach you the way you chose."))
        return data


class CommitteeIntakeForm(IncidentFields):
    """A member or event responder taking a report in person, by phone, DM or otherwise."""

    channel = forms.ChoiceField(
        label=_("How was it reported?"),
        choices=[(c.value, c.label) for c in Channel if c not in (Channel.WEB, Channel.EMAIL)],
        initial=Channel.IN_PERSON,
    )
    kind = forms.ChoiceField(
        label=_("Kind of report"),
        choices=Kind.choices,
        initial=Kind.NAMED,
        widget=forms.RadioSelect,
        help_text=_(
            "Anonymous: do not write down their name or contact. Escrow: sealed until a pattern is found."
        ),
    )
    event = fields.ModelChoiceField(
        label=_("Event"), queryset=None, required=False, empty_label=_("Not at an event")
    )
    reporter_name = _text(_("Reporter's name"), max_length=200)
    reporter_email = forms.EmailField(label=_("Reporter's email address"), required=False)
    reporter_phone = _text(_("Reporter's phone number"), max_length=50)
    reporter_other_contact = _text(_("Another way to reach them"), max_length=300)
    preferred_contact = forms.ChoiceField(
        label=_("How they would like to be contacted"),
        choices=[("", _("They did not say")), *ContactPreference.choices],
        required=False,
    )
    wants_updates = forms.ChoiceField(
        label=_("Updates"),
        choices=[("yes", _("They would like updates")), ("no", _("They prefer no further involvement"))],
        initial="yes",
        widget=forms.RadioSelect,
    )
    reporter_location = _text(
        _("Where will they be?"), help_text=_("For their safety, in case you need to find them.")
    )
    reporter_clothing = _text(_("What are they wearing?"))
    immediate_action = forms.ChoiceField(
        label=_("Immediate response already taken"),
        choices=[("", _("None")), *[c for c in ImmediateAction.choices if c[0] != ImmediateAction.NONE_YET]],
        required=False,
    )
    immediate_note = _text(_("What was done"), max_length=2000)
    handoff_to = fields.ModelChoiceField(
        label=_("Conflict of interest? Hand this report to another member"),
        queryset=None,
        required=False,
        help_text=_("They take over the report; you will not see it after you submit."),
    )
    checklist = forms.MultipleChoiceField(
        label=_("Taking the report"),
        required=False,
        widget=forms.CheckboxSelectMultiple,
        choices=[
            ("calm", _("I stayed calm and patient while noting the details")),
            ("contact", _("I asked for contact details they are comfortable giving")),
            ("reviewing", _("I told them the committee will review the report immediately")),
            ("no_promises", _("I made no promises about what action will be taken")),
            ("updates", _("I told them we will send updates unless they prefer no further involvement")),
            ("thanked", _("I thanked them for making the report")),
            ("comfort", _("I asked if we can do anything to make them more comfortable now")),
        ],
    )

    def __init__(self, *args, events=None, handoff_members=None, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["event"].queryset = events if events is not None else Event.objects.all()
        self.fields["handoff_to"].queryset = (
            handoff_members if handoff_members is not None else committee_members()
        )
        # In the taker's voice: they write down what the reporter tells them.
        what = self.fields["what_happened"]
        what.required = False  # a taker with a conflict hands off with contact details only
        what.help_text = _(
            "In their words, as far as you can. If you have a conflict of interest, leave this for the "
            "member you hand the report to."
        )
        self.fields["law_enforcement"].label = _("They would like the committee to involve law enforcement")
        self.fields["law_enforcement"].help_text = _("Only ever at their request.")
        self.fields["witnesses"].label = _("Did anyone else see or hear it?")

    def report(self) -> ReportInput:
        """The report as `intake.services.committee_report_take` takes it."""
        data = self.cleaned_data
        reporter = PartyInput(
            role=PartyRole.REPORTER,
            name=data["reporter_name"],
            email=data["reporter_email"],
            phone=data["reporter_phone"],
            notes=data["reporter_other_contact"],
        )
        return ReportInput(
            channel=data["channel"],
            incident=self.incident(),
            kind=data["kind"],
            parties=[reporter, *self.people()],
            wants_updates=data["wants_updates"] == "yes",
            preferred_contact=data["preferred_contact"],
            intake_details={
                "safety": {"location": data["reporter_location"], "clothing": data["reporter_clothing"]},
                "checklist": data["checklist"],
            },
            files=self.uploads(keep_metadata=False),
            event=data["event"],
        )

    def clean(self) -> dict:
        data = super().clean()
        if data.get("kind") == Kind.ESCROWED and data.get("immediate_danger"):
            self.add_error("kind", DANGER_NOT_IN_ESCROW)
        if not data.get("handoff_to") and not (data.get("what_happened") or "").strip():
            self.add_error(
                "what_happened",
                _("Please write down what happened, or hand the report to another member below."),
            )
        if data.get("immediate_action") == ImmediateAction.LAW_ENFORCEMENT and not data.get(
            "law_enforcement"
        ):
            self.add_error(
                "immediate_action", _("Law enforcement is only involved when the reporter asks for it.")
            )
        return data


class PersonForm(forms.Form):
    """A reported person or a witness, added or corrected by a member taking part in a case."""

    role = forms.ChoiceField(
        label=_("Who is this?"),
        choices=[(PartyRole.REPORTED, _("A reported person")), (PartyRole.WITNESS, _("A witness"))],
        initial=PartyRole.REPORTED,
        widget=forms.RadioSelect,
    )
    name = _text(_("Name"), max_length=200, help_text=_("As the report gives it."))
    handle = _text(_("Handle or username"), max_length=200)
    email = forms.EmailField(label=_("Email address"), required=False)
    phone = _text(_("Phone number"), max_length=50)
    notes = _long(_("Notes"))

    def clean(self) -> dict:
        data = super().clean()
        if not any((data.get(k) or "").strip() for k in ("name", "handle", "email", "phone")):
            raise forms.ValidationError(
                _("Please give a name, a handle, an email address or a phone number.")
            )
        return data

    def person(self) -> PartyInput:
        data = self.cleaned_data
        return PartyInput(
            role=data["role"],
            name=data["name"],
            email=data["email"],
            handle=data["handle"],
            phone=data["phone"],
            notes=data["notes"],
        )

    @classmethod
    def for_party(cls, party: object) -> PersonForm:
        fields = ("role", "name", "handle", "email", "phone", "notes")
        return cls(initial={name: getattr(party, name) for name in fields})


class ReceiptCodeForm(forms.Form):
    code = forms.CharField(
        label=_("Your receipt code"),
        max_length=40,
        help_text=_("The code you were given when you made the report, like ABCD-EFGH-JKMN-PQRS-TVWX."),
        widget=forms.TextInput(
            attrs={"autocomplete": "off", "autocapitalize": "characters", "spellcheck": "false"}
        ),
    )


class PortalReplyForm(forms.Form):
    body = _long(_("Add information or answer a question"), required=True)


class EventSafetyForm(forms.Form):
    """Who to call when someone is in danger at this event (shown after an urgent report and on
    every case's safety page)."""

    emergency_number = _text(
        _("Emergency number where the event is"),
        max_length=100,
        help_text=_("For example 112 or 911. Empty: the site's default is shown."),
    )
    venue_security = _text(_("Venue security (a phone number, or where to find them)"), max_length=200)
    safety_contact = _text(
        _("The event's safety contact"), max_length=200, help_text=_("A name and a phone number.")
    )


class EventForm(EventSafetyForm):
    name = _text(_("Event name"), required=True, max_length=200)
    starts_on = forms.DateField(label=_("First day"), widget=forms.DateInput(attrs={"type": "date"}))
    ends_on = forms.DateField(label=_("Last day"), widget=forms.DateInput(attrs={"type": "date"}))
    place = _text(_("Place"), max_length=200)

    field_order = ["name", "starts_on", "ends_on", "place"]

    def clean(self) -> dict:
        data = super().clean()
        if data.get("starts_on") and data.get("ends_on") and data["ends_on"] < data["starts_on"]:
            self.add_error("ends_on", _("The last day cannot be before the first day."))
        return data


class ResponderForm(forms.Form):
    name = _text(_("Organizer's name"), required=True, max_length=150)
    email = forms.EmailField(label=_("Organizer's email address"))
