"""Server-rendered SVG charts for the statistics page and the public report (issue 14).

No script, no style attribute (the CSP allows neither), nothing loaded from elsewhere: shapes with
classes that `site.css` colours (light and dark), a `<title>` on each shape, and `role="img"` with a
title and a description. Every chart is drawn beside a table with the same numbers (the templates'
`_chart.html`), which is what a screen reader reads.

A count under the small-number threshold has no value here (`Shown.value` is 0): it is drawn as a
short hatched block of one fixed size, so the drawing tells no more than "fewer than 3".
"""

from __future__ import annotations

import math
from html import escape

from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext as _

from cocdesk.transparency.selectors.numbers import Shown, threshold
from cocdesk.transparency.selectors.statistics import Chart, Clock, duration_text

WIDTH, HEIGHT = 360, 230
LEFT, RIGHT, TOP, BOTTOM = 30, 6, 18, 196  # the plot area
SERIES_CLASSES = 8  # .s0 … .s7 in site.css


def _attrs(**values: object) -> str:
    return " ".join(
        f'{name.rstrip("_").replace("_", "-")}="{escape(str(value))}"' for name, value in values.items()
    )


def _svg(key: str, title: str, body: list[str], height: int = HEIGHT) -> SafeString:
    head = (
        f"<svg {_attrs(class_='chart', viewBox=f'0 0 {WIDTH} {height}', role='img')} "
        f'aria-labelledby="{escape(key)}-title {escape(key)}-desc" focusable="false">'
        f'<title id="{escape(key)}-title">{escape(title)}</title>'
        f'<desc id="{escape(key)}-desc">{escape(_("The table below the chart gives every number."))}</desc>'
        f'<defs><pattern id="{escape(key)}-hatch" width="5" height="5" patternUnits="userSpaceOnUse" '
        f'patternTransform="rotate(45)"><line x1="0" y1="0" x2="0" y2="5" class="hatch"/></pattern></defs>'
    )
    # Every piece of text above went through escape(); the markup is this module's own.
    return mark_safe(head + "".join(body) + "</svg>")  # noqa: S308


def _text(content: str, *, x: float, y: float, css: str, anchor: str = "start") -> str:
    return (
        f"<text {_attrs(x=f'{x:.1f}', y=f'{y:.1f}', class_=css, text_anchor=anchor)}>{escape(content)}</text>"
    )


def _line(*, x1: float, x2: float, y1: float, y2: float, css: str) -> str:
    return f"<line {_attrs(x1=f'{x1:.1f}', x2=f'{x2:.1f}', y1=f'{y1:.1f}', y2=f'{y2:.1f}', class_=css)}/>"


def _text(content: str, *, x: float, y: float, css: str, anchor: str = "start") -> str:
    where = _attrs(x=f"{x:.1f}", y=f"{y:.1f}", class_=css, text_anchor=anchor)
    return f"<text {where}>{escape(content)}</text>"


def _line(*, x1: float, x2: float, y1: float, y2: float, css: str) -> str:
    return f"<line {_attrs(x1=f'{x1:.1f}', x2=f'{x2:.1f}', y1=f'{y1:.1f}', y2=f'{y2:.1f}', class_=css)}/>"


def _rect(*, x: float, y: float, width: float, height: float, tip: str, css: str = "", fill: str = "") -> str:
    shape = _attrs(x=f"{x:.1f}", y=f"{y:.1f}", width=f"{width:.1f}", height=f"{height:.1f}")
    extra = (f' class="{escape(css)}"' if css else "") + (f' fill="{escape(fill)}"' if fill else "")
    return f"<rect {shape}{extra}><title>{escape(tip)}</title></rect>"


def _nice_step(top: float) -> float:
    """A round step for about four grid lines up to `top`."""
    raw = max(top, 1) / 4
    magnitude = 10 ** math.floor(math.log10(raw))
    return next(m * magnitude for m in (1, 2, 5, 10) if m * magnitude >= raw)


def _total_label(total: Shown) -> str:
    if total.hidden:
        return "–"
    return "<" + str(threshold()) if total.small else total.text


def _heights(chart: Chart, i: int) -> list[float]:
    """The height of each series' block in bar `i`. Counts shown are drawn as they are. Counts not
    shown share what is left of the bar's total equally (that sum can be worked out from the
    numbers shown anyway); a total of "fewer than 3" is a bar of a fixed small height, and when the
    total is not shown either, each hidden count gets that height."""
    values = [s.values[i] for s in chart.series]
    secret = sum(v.small for v in values) or 1
    total, nominal = chart.totals[i], max(threshold() / 2, 0.5)
    if total.hidden:
        share = nominal
    elif total.small:  # "fewer than 3" in all: one bar of a fixed small height
        share = nominal / secret
    else:
        share = max(total.value - sum(v.value for v in values if not v.small), 0) / secret
    return [share if v.small else float(v.value) for v in values]


def bar_chart(chart: Chart) -> SafeString:
    """Stacked bars: one bar per label (month, age), one block per series (channel, type). Blocks
    of counts not shown are hatched."""
    heights = [_heights(chart, i) for i in range(len(chart.labels))]
    highest = max((sum(h) for h in heights), default=0)
    step = _nice_step(highest)
    top = step * max(1, math.ceil(highest / step))
    scale = (BOTTOM - TOP) / top
    body = []
    for tick in range(int(top / step) + 1):
        y = BOTTOM - tick * step * scale
        body.append(_line(x1=LEFT, x2=WIDTH - RIGHT, y1=y, y2=y, css="grid"))
        body.append(_text(f"{tick * step:g}", x=LEFT - 4, y=y + 3.5, css="tick", anchor="end"))
    band = (WIDTH - RIGHT - LEFT) / max(1, len(chart.labels))
    bar = band * 0.7
    for i, label in enumerate(chart.labels):
        x = LEFT + i * band + (band - bar) / 2
        y = float(BOTTOM)
        for j, series in enumerate(chart.series):
            value = series.values[i]
            if not (value.small or value.value):
                continue
            h = heights[i][j] * scale
            y -= h
            tip = f"{label}, {series.label}: {value.text}"
            css = f"bar s{j % SERIES_CLASSES}" + (" small" if value.small else "")
            body.append(_rect(x=x, y=y, width=bar, height=h, tip=tip, css=css))
            if value.small:
                body.append(_rect(x=x, y=y, width=bar, height=h, tip=tip, fill=f"url(#{chart.key}-hatch)"))
        total = chart.totals[i]
        if total.small or total.value:
            body.append(_text(_total_label(total), x=x + bar / 2, y=y - 3, css="total", anchor="middle"))
        body.append(_text(label, x=x + bar / 2, y=BOTTOM + 14, css="axis", anchor="middle"))
    body.append(_line(x1=LEFT, x2=WIDTH - RIGHT, y1=BOTTOM, y2=BOTTOM, css="baseline"))
    return _svg(chart.key, chart.title, body)


def clocks_chart(clocks: list[Clock], *, key: str = "clocks") -> SafeString:
    """How long things took: per step, the median and the time nine in ten took, as bars, with the
    plan's clock as a dashed line. Each step has its own scale (hours for one, weeks for another);
    the words on the bars give the times."""
    row, left, right = 80, 4, WIDTH - 4
    body = []
    for index, clock in enumerate(clocks):
        y = 16 + index * row
        body.append(_text(clock.label, x=left, y=y, css="label"))
        if clock.median_hours is None:
            body.append(_text(_("Too few reports to show a time"), x=left, y=y + 24, css="tick"))
            continue
        top = max(t for t in (clock.p90_hours, clock.clock_hours, 1) if t) * 1.15
        scale = (right - left) / top
        if clock.clock_hours:
            cx = left + clock.clock_hours * scale
            body.append(_line(x1=cx, x2=cx, y1=y + 4, y2=y + 52, css="clock-line"))
            label = _("plan: %(clock)s") % {"clock": clock.clock_label}
            anchor = "start" if cx < WIDTH / 2 else "end"
            body.append(
                _text(label, x=cx + (4 if anchor == "start" else -4), y=y + 64, css="tick", anchor=anchor)
            )
        for offset, value, css, name in (
            (8, clock.median_hours, "s0", _("median")),
            (30, clock.p90_hours, "s4", _("nine in ten within")),
        ):
            w = max(value * scale, 2)
            text = f"{name} {duration_text(value)}"
            tip = f"{clock.label}: {text}"
            body.append(_rect(x=left, y=y + offset, width=w, height=18, tip=tip, css=f"bar {css}"))
            inside = w > right - left - 170
            x = left + w - 5 if inside else left + w + 5
            css_text = ("value inside" + (" on-dark" if css == "s0" else "")) if inside else "value"
            body.append(
                _text(text, x=x, y=y + offset + 13, css=css_text, anchor="end" if inside else "start")
            )
    return _svg(key, _("How quickly the committee answered"), body, height=16 + row * len(clocks) - 8)
