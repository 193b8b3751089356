"""Exports of case data: the whole record as Markdown, the case list as CSV. Callers check access
and step-up, and audit the export; these functions only format what they are given.

Everything in the Markdown export that a person wrote (a reporter, a party's details, a member's
name or words) goes through one of two functions, so nobody can add a section, a list item, a link
or HTML to the document (issue 16): `md_inline` for a value inside a line, `md_block` for long text.
"""

from __future__ import annotations

import csv
import html
import io
import unicodedata
from collections.abc import Iterable

from django.utils.translation import gettext as _

from cocdesk import clock
from cocdesk.cases.models import Case

# CommonMark lets a backslash escape any ASCII punctuation. These are the ones that mean something
# inside a line (emphasis, code, links, images, headings' closing #, tables, strikethrough, escapes);
# < > & are written as HTML entities instead. Nothing a person wrote ever starts a line.
_MARKDOWN_INLINE = frozenset("\\`*_[]()!#|~")


def md_inline(value: object) -> str:
    """A value on one line of the document, inside a line (never at its start): every line break
    (\\n, \\r, and Unicode's own) and control character folded into a space, Markdown's inline
    punctuation backslash-escaped, and < > & written as entities. Empty is shown as "—"."""
    text = " ".join(str(value if value is not None else "").splitlines())
    text = "".join(" " if unicodedata.category(char) == "Cc" else char for char in text).strip()
    if not text:
        return "—"
    escaped = "".join("\\" + char if char in _MARKDOWN_INLINE else char for char in text)
    return html.escape(escaped, quote=False)


def md_block(text: str) -> list[str]:
    """Long text as an indented code block: shown exactly as written, never read as Markdown or
    HTML. A block stands on its own, with a blank line before and after (never inside a list item,
    where four spaces would be only a continuation)."""
    lines = (text or "").splitlines() or ["—"]
    return ["", *("    " + line for line in lines), ""]


def _yes_no(value: bool) -> str:
    return _("yes") if value else _("no")


def case_markdown(*, case: Case) -> str:
    """The "Incident Response and Review" document for one case."""
    i = md_inline
    out = [
        f"# {i(case.reference)}",
        "",
        f"- {_('State')}: {i(case.get_state_display())}"
        + (f" ({i(case.get_resolution_display())})" if case.resolution else ""),
        f"- {_('Channel')}: {i(case.get_channel_display())}",
        f"- {_('Kind')}: {i(case.get_kind_display())}",
        f"- {_('Received')}: {case.received_at:%Y-%m-%d %H:%M} UTC",
        f"- {_('Immediate danger reported')}: {_yes_no(case.urgent)}",
        f"- {_('Law enforcement requested by the reporter')}: {_yes_no(case.law_enforcement_requested)}",
        f"- {_('Exported')}: {clock.now():%Y-%m-%d %H:%M} UTC",
        "",
        f"## {_('The report')}",
        *md_block(case.description),
        f"- {_('When')}: {i(case.occurred_when)}",
        f"- {_('Where')}: {i(case.occurred_where)}",
        "",
        f"## {_('People involved')}",
        "",
    ]
    for party in case.parties.all():
        details = ", ".join(i(x) for x in (party.name, party.handle, party.email, party.phone) if x)
        out.append(f"- {i(party.get_role_display())}: {details or '—'}")
    out += ["", f"## {_('Incident owners')}", ""]
    owners = case.owners.select_related("member")
    out += [f"- {i(o.get_role_display())}: {i(o.member.name)}" for o in owners] or ["- —"]
    out += ["", f"## {_('Decisions')}", ""]
    for proposal in case.proposals.all():
        counts = proposal.tally or {}
        votes = "/".join(str(counts.get(k, 0)) for k in ("yes", "no", "abstain"))
        status = f"{_('round')} {proposal.round}, {i(proposal.get_status_display())}"
        of = i(counts.get("participants", "?"))
        out.append(f"**{i(proposal.get_kind_display())} ({status}; {votes} {_('of')} {of})**")
        out += md_block(proposal.text)
        for consequence in proposal.consequences.select_related("catalog_item"):
            label = consequence.catalog_item.label if consequence.catalog_item else consequence.custom
            out.append(f"- {i(label)}" + (f" ({i(consequence.duration)})" if consequence.duration else ""))
        out.append("")
    out += [f"## {_('Conversations with the reported person')}", ""]
    for talk in case.conversations.prefetch_related("members"):
        names = ", ".join(i(m.name) for m in talk.members.all())
        out += [f"### {talk.held_on:%Y-%m-%d} ({names})", ""]
        for label, text in (
            (_("Behavior"), talk.behavior),
            (_("Context"), talk.context),
            (_("Impact"), talk.impact),
            (_("Call in"), talk.call_in),
            (_("Behavioral modification plan"), talk.plan),
            (_("Their response"), talk.response),
        ):
            out += [f"**{label}**", *md_block(text)]
    out += [f"## {_('Discussion')}", ""]
    for post in case.posts.select_related("author"):
        who = i(post.author.name) if post.author else _("cocdesk")
        out += [f"**{post.created_at:%Y-%m-%d %H:%M} · {who}**", *md_block(post.body)]
    out += [f"## {_('Timeline')}", ""]
    for entry in case.timeline.select_related("author"):
        who = i(entry.author.name) if entry.author else "cocdesk"
        kind = i(entry.get_kind_display())
        out += [f"**{entry.at:%Y-%m-%d %H:%M} · {kind} · {who}**", *md_block(entry.text)]
    return "\n".join(out).rstrip("\n") + "\n"


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
