"""Forms for transparency pages. Validation of shape only; the rules live in services.py."""

from __future__ import annotations

from django import forms
from django.core.validators import RegexValidator
from django.utils.translation import gettext_lazy as _

from cocdesk.cases.models import Case, Category
from cocdesk.confirm import ConfirmForm
from cocdesk.transparency.selectors import summary_of

_DIGEST = RegexValidator(r"^[0-9a-f]{64}$", _("This page is out of date. Please open it again."))


class CaseSummaryForm(forms.Form):
    """On the case page: the type of incident and how it may be described in public."""

    category = forms.ChoiceField(label=_("Type of incident"), choices=Category.choices, required=False)
    summary = forms.CharField(
        label=_("Public summary for the transparency report"),
        required=False,
        max_length=5_000,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=_(
            "A general description of what happened and how it was resolved. No names, handles, "
            "places, dates or details that could tell anyone who was involved."
        ),
    )
    anonymizable = forms.BooleanField(
        label=_("This summary identifies nobody and may be published"),
        required=False,
        help_text=_('If not, the report only says "a report was made".'),
    )


class DraftForm(forms.Form):
    """A report covers one calendar year, always the whole of it."""

    year = forms.IntegerField(label=_("Year"), min_value=2000, max_value=2100)


class PublishedElsewhereForm(forms.Form):
    year = forms.IntegerField(label=_("Year the report covers"), min_value=2000, max_value=2999)


class PromotionForm(forms.Form):
    promotion = forms.CharField(
        label=_("How the Code of Conduct was promoted"),
        required=False,
        max_length=20_000,
        widget=forms.Textarea(attrs={"rows": 6}),
        help_text=_("For example: where it is linked, how events announced it, training for responders."),
    )
    include_statistics = forms.BooleanField(
        label=_("Add the year's charts to the public report"),
        required=False,
        help_text=_(
            "Reports by month and channel, and how quickly the committee answered, over the incidents "
            "the report describes. Small numbers are shown as “fewer than 3”."
        ),
    )


class PublishForm(ConfirmForm):
    """The chair confirms that she read the text she is publishing (`read`: its digest); the one
    confirmation pattern (`web.ConfirmForm`)."""

    read = forms.CharField(widget=forms.HiddenInput, validators=[_DIGEST])
    confirm = forms.BooleanField(
        label=_("I have read the text above. Publish it for everyone to read."),
        error_messages={"required": _("Please confirm that you have read the text.")},
    )


class CaseCheckForm(forms.Form):
    """A case team's answer: nothing in the text tells who was involved, or a change is needed."""

    read = forms.CharField(widget=forms.HiddenInput, validators=[_DIGEST])
    looks_fine = forms.BooleanField(required=False, widget=forms.HiddenInput)
    change = forms.CharField(
        label=_("What should change?"),
        required=False,
        max_length=2_000,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_(
            "The chair reads this. Say which part of the text should change, without naming anyone "
            "or this case."
        ),
    )


class StatisticsForm(forms.Form):
    year = forms.IntegerField(min_value=2000, max_value=2100, required=False)


def case_summary_form_for(*, case: Case) -> CaseSummaryForm:
    """The case page's form, filled with what is saved (the case was fetched through `access`)."""
    summary = summary_of(case=case)
    return CaseSummaryForm(
        initial={
            "category": case.category,
            "summary": summary.text if summary else "",
            "anonymizable": summary.anonymizable if summary else False,
        }
    )
