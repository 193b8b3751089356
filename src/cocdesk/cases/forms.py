from django import forms
from django.utils.translation import gettext_lazy as _


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
