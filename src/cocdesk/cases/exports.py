"""Exports of case data: the whole record as Markdown, the case list as CSV. Callers check access
and step-up, and audit the export; these functions only format what they are given."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable

from django.utils.translation import gettext as _

from cocdesk import clock
from cocdesk.cases.models import Case


def _md(text: str) -> str:
    """Indent free text so nothing a reporter wrote can break the document's structure."""
    return "\n".join("    " + line for line in (text or "—").splitlines()) or "    —"


def _yes_no(value: bool) -> str:
    return _("yes") if value else _("no")


def case_markdown(*, case: Case) -> str:
    """The "Incident Response and Review" document for one case."""
    out = [
        f"# {case.reference}",
        "",
        f"- {_('State')}: {case.get_state_display()}"
        + (f" ({case.get_resolution_display()})" if case.resolution else ""),
        f"- {_('Channel')}: {case.get_channel_display()}",
        f"- {_('Kind')}: {case.get_kind_display()}",
        f"- {_('Received')}: {case.received_at:%Y-%m-%d %H:%M} UTC",
        f"- {_('Immediate danger reported')}: {_yes_no(case.urgent)}",
        f"- {_('Law enforcement requested by the reporter')}: {_yes_no(case.law_enforcement_requested)}",
        f"- {_('Exported')}: {clock.now():%Y-%m-%d %H:%M} UTC",
        "",
        f"## {_('The report')}",
        "",
        _md(case.description),
        "",
        f"- {_('When')}: {case.occurred_when or '—'}",
        f"- {_('Where')}: {case.occurred_where or '—'}",
        "",
        f"## {_('People involved')}",
        "",
    ]
    for party in case.parties.all():
        details = ", ".join(x for x in (party.name, party.handle, party.email, party.phone) if x)
        out.append(f"- {party.get_role_display()}: {details or '—'}")
    out += ["", f"## {_('Incident owners')}", ""]
    out += [f"- {o.get_role_display()}: {o.member.name}" for o in case.owners.select_related("member")] or [
        "- —"
    ]
    out += ["", f"## {_('Decisions')}", ""]
    for proposal in case.proposals.all():
        counts = proposal.tally or {}
        votes = "/".join(str(counts.get(k, 0)) for k in ("yes", "no", "abstain"))
        status = f"{_('round')} {proposal.round}, {proposal.get_status_display()}"
        out.append(
            f"- {proposal.get_kind_display()} ({status}; {votes} {_('of')} {counts.get('participants', '?')})"
        )
        out.append(_md(proposal.text))
        for consequence in proposal.consequences.select_related("catalog_item"):
            label = consequence.catalog_item.label if consequence.catalog_item else consequence.custom
            out.append(f"    - {label}" + (f" ({consequence.duration})" if consequence.duration else ""))
    out += ["", f"## {_('Conversations with the reported person')}", ""]
    for talk in case.conversations.prefetch_related("members"):
        out.append(f"### {talk.held_on:%Y-%m-%d} ({', '.join(m.name for m in talk.members.all())})")
        for label, text in (
            (_("Behavior"), talk.behavior),
            (_("Context"), talk.context),
            (_("Impact"), talk.impact),
            (_("Call in"), talk.call_in),
            (_("Behavioral modification plan"), talk.plan),
            (_("Their response"), talk.response),
        ):
            out += [f"**{label}**", "", _md(text), ""]
    out += [f"## {_('Discussion')}", ""]
    for post in case.posts.select_related("author"):
        out += [
            f"- {post.created_at:%Y-%m-%d %H:%M} {post.author.name if post.author else _('cocdesk')}:",
            _md(post.body),
        ]
    out += ["", f"## {_('Timeline')}", ""]
    for entry in case.timeline.select_related("author"):
        who = entry.author.name if entry.author else "cocdesk"
        out += [f"- {entry.at:%Y-%m-%d %H:%M} · {entry.get_kind_display()} · {who}", _md(entry.text)]
    return "\n".join(out) + "\n"


def _cell(value: object) -> str:
    """Spreadsheet apps run cells that start with = + - @ as formulas: neutralise them."""
    text = str(value)
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text


def cases_csv(*, cases: Iterable[Case]) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(
        ["reference", "state", "resolution", "channel", "kind", "urgent", "received_at", "owners"]
    )
    for case in cases:
        owners = "; ".join(f"{o.role}: {o.member.name}" for o in case.owners.all())
        writer.writerow(
            [
                _cell(v)
                for v in (
                    case.reference,
                    case.state,
                    case.resolution,
                    case.channel,
                    case.kind,
                    case.urgent,
                    case.received_at.isoformat(),
                    owners,
                )
            ]
        )
    return buffer.getvalue()
