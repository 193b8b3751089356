"""Forms for transparency pages. Validation of shape only; the rules live in services.py."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from cocdesk.cases.models import Case, Category
from cocdesk.transparency.selectors import summary_of


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
    year = forms.IntegerField(label=_("Year"), min_value=2000, max_value=2100)
    period_start = forms.DateField(
        label=_("From (optional)"),
        required=False,
        help_text=_("Leave empty to start the day after the last published report, or on 1 January."),
        widget=forms.DateInput(attrs={"type": "date"}),
    )
    period_end = forms.DateField(
        label=_("To (optional)"),
        required=False,
        help_text=_("Leave empty for 31 December."),
        widget=forms.DateInput(attrs={"type": "date"}),
    )


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
