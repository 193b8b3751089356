"""Small template helpers for cocdesk's own pages."""

from __future__ import annotations

from django import template
from django.utils.html import format_html_join
from django.utils.safestring import SafeString, mark_safe

register = template.Library()


@register.filter
def receipt_groups(code: str) -> SafeString:
    """A receipt code in groups of four that never break inside a group on a narrow screen
    (a line may break only after a dash)."""
    return format_html_join(
        mark_safe("-<wbr>"),
        '<span class="code-group">{}</span>',
        ((group,) for group in str(code).split("-")),
    )
