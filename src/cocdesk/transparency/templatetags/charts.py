"""`{% load charts %}`: the SVG charts and durations of transparency pages (see transparency/charts.py)."""

from django import template
from django.utils.safestring import SafeString

from cocdesk.transparency import charts
from cocdesk.transparency.selectors.statistics import Chart, Clock, duration_text

register = template.Library()


@register.simple_tag
def bar_chart(chart: Chart) -> SafeString:
    return charts.bar_chart(chart)


@register.simple_tag
def clocks_chart(clocks: list[Clock]) -> SafeString:
    return charts.clocks_chart(clocks)


@register.filter
def duration(hours: float | None) -> str:
    return duration_text(hours)
