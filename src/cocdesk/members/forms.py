from django import forms
from django.utils.translation import gettext_lazy as _

from cocdesk import fields
from cocdesk.confirm import Confirmation
from cocdesk.members.models import CHECKLIST, IdentityKind


def totp_code_field(label: str) -> forms.RegexField:
    """The 6-digit authenticator code, as every form that asks for one takes it."""
    return forms.RegexField(
        label=label,
        regex=r"^\s*\d{3}\s?\d{3}\s*$",
        error_messages={"invalid": _("The code is the 6 digits your authenticator app shows.")},
        widget=forms.TextInput(
            attrs={"autocomplete": "one-time-code", "inputmode": "numeric", "maxlength": 7}
        ),
    )


class LoginForm(forms.Form):
    email = forms.EmailField(
        label=_("Email address"), widget=forms.EmailInput(attrs={"autocomplete": "username"})
    )
    password = forms.CharField(
        label=_("Password"),
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}),
    )
    code = totp_code_field(_("6-digit code from your authenticator app"))

    def clean_code(self) -> str:
        return self.cleaned_data["code"].replace(" ", "").strip()


class NextForm(forms.Form):
    """The page a login returns to (checked to be on this site by the view)."""

    next = forms.CharField(required=False, max_length=2000)


class EnrolmentForm(forms.Form):
    password = forms.CharField(
        label=_("Choose a password"),
        strip=False,
        help_text=_("At least 12 characters. A few unrelated words work well."),
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
    )
    password_again = forms.CharField(
        label=_("Type it again"),
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
    )
    code = totp_code_field(_("6-digit code your authenticator app now shows"))

    def clean(self) -> dict:
        data = super().clean()
        if data.get("password") and data.get("password") != data.get("password_again"):
            self.add_error("password_again", _("The two passwords are not the same."))
        return data


class RemovalOpenForm(forms.Form):
    member = fields.ModelChoiceField(label=_("Which committee member is this about?"), queryset=None)
    text = forms.CharField(
        label=_("What would you like the committee to discuss?"),
        help_text=_("Only committee members can read this. The member it is about cannot see it."),
        required=False,
        widget=forms.Textarea(attrs={"rows": 6}),
    )

    def __init__(self, *args, candidates=None, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["member"].queryset = candidates


class RemovalPostForm(forms.Form):
    text = forms.CharField(label=_("Your message"), widget=forms.Textarea(attrs={"rows": 4}))


class RemovalVoteForm(forms.Form):
    choice = forms.ChoiceField(
        label=_("Should this member be removed from the committee?"),
        choices=[("yes", _("Yes, remove them")), ("no", _("No"))],
        widget=forms.RadioSelect,
    )


class OffboardingTickForm(forms.Form):
    """One item of the off-boarding checklist, ticked or unticked."""

    item = forms.ChoiceField(choices=CHECKLIST)
    done = forms.TypedChoiceField(
        choices=[("1", "done"), ("0", "not done")], coerce=lambda value: value == "1"
    )


class IdentityForm(forms.Form):
    """A name, email address or handle a member is known by."""

    kind = forms.ChoiceField(
        label=_("What is it?"),
        choices=IdentityKind.choices,
        initial=IdentityKind.NAME,
        widget=forms.RadioSelect,
    )
    value = forms.CharField(
        label=_("Name, address or handle"),
        max_length=300,
        help_text=_(
            "For example another spelling of your name, a nickname, an old email address, or your "
            "username on the community's chat, forum or code host."
        ),
    )


class RoleForm(forms.Form):
    """The chair gives an account another role; `roles` are the ones it may be given."""

    role = forms.ChoiceField(label=_("Role"))

    def __init__(self, *args, roles: list[tuple[str, str]], **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["role"].choices = roles


class ChairElectionOpenForm(forms.Form):
    candidate = fields.ModelChoiceField(label=_("Whom do you propose as chair?"), queryset=None)

    def __init__(self, *args, candidates=None, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["candidate"].queryset = candidates


class ChairElectionVoteForm(forms.Form):
    choice = forms.ChoiceField(
        label=_("Should this member become a chair?"),
        choices=[("yes", _("Yes")), ("no", _("No"))],
        widget=forms.RadioSelect,
    )


def step_down_confirmation(
    *, unattended: list, has_chair: bool, action: str, cancel_url: str, fields_template: str = ""
) -> Confirmation:
    """What stepping down does and who is told: the one confirmation for the Resign page and the
    six-monthly check-in (D8). `unattended`: `cases.selectors.cases_left_unattended` for the member."""
    told = [
        _("The chair gets an email asking them to finish your off-boarding. It holds no case details.")
        if has_chair
        else _("The committee has no chair, so every member gets an email asking two of them to finish it.")
    ]
    if unattended:
        told.append(
            _(
                "For each case listed above, the chair and the other members free of conflict on it "
                "are told at once."
            )
        )
    told.append(_("Nothing is sent to you until a last email, once everything is done."))
    return Confirmation(
        title=_("Step down from the committee?"),
        happens=[
            _("Your account is closed straight away: you are logged out and no longer see any case."),
            _("You stop taking part in every case; cases you own will need a new owner."),
            _(
                "The chair then removes your access to the mailing lists, chat channels and documents, "
                "and writes to you when that is done."
            ),
        ],
        told=told,
        button=_("Yes, I am stepping down"),
        action=action,
        cancel_url=cancel_url,
        unattended=unattended,
        danger=True,
        fields_template=fields_template,
    )
