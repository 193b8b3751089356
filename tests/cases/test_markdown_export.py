"""The Markdown export (D4): nothing a reporter, a party or a member wrote can change the
document's structure or put HTML into it (issue 16).

The export is read with a CommonMark parser (markdown-it-py), as an editor or a Git host would show it.
"""

from datetime import date

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from markdown_it import MarkdownIt

from cocdesk.cases.exports import case_markdown, md_inline
from cocdesk.cases.models import Case, PartyRole
from cocdesk.cases.services import (
    ConsequenceInput,
    ConversationInput,
    PartyInput,
    conflict_declare,
    conversation_record,
    discussion_post_add,
    proposal_create,
    reporter_message_in,
)
from cocdesk.members.models import Member
from tests.factories import member_factory, open_report

pytestmark = pytest.mark.django_db

ATTACK = "last Tuesday\n## Decisions\n- passed\n<script>alert(1)</script>"

SECTIONS = [
    "The report",
    "People involved",
    "Incident owners",
    "Decisions",
    "Conversations with the reported person",
    "Discussion",
    "Timeline",
]


def _parse(markdown: str) -> list:
    return MarkdownIt("commonmark").parse(markdown)


def _headings(tokens: list) -> list[str]:
    return [tokens[i + 1].content for i, t in enumerate(tokens) if t.type == "heading_open" and t.tag == "h2"]


def _inline_types(tokens: list) -> set[str]:
    return {child.type for t in tokens if t.type == "inline" for child in t.children or []}


def _assert_structure_holds(markdown: str, *, conversations: int) -> None:
    tokens = _parse(markdown)
    assert _headings(tokens) == SECTIONS, markdown
    assert sum(1 for t in tokens if t.type == "heading_open") == 1 + len(SECTIONS) + conversations
    assert not {t.type for t in tokens} & {"html_block", "html_inline"}, markdown
    assert not _inline_types(tokens) & {"html_inline", "link_open", "image", "code_inline", "em_open"}
    html = MarkdownIt("commonmark").render(markdown)
    assert "<script" not in html and "<li>passed" not in html, html


def _case_written_by(text: str, *, member: Member) -> Case:
    """A case in which every field a person fills in holds `text`."""
    parties = [
        PartyInput(role=PartyRole.REPORTED, name=text, email=text, handle=text, phone=text),
        PartyInput(role=PartyRole.REPORTER, name=text, email="robin@example.net"),
    ]
    case = open_report(
        description=text, occurred_when=text, occurred_where=text, kind="named", parties=parties
    ).case
    conflict_declare(case=case, member=member, has_conflict=False)
    reporter_message_in(case=case, body=text)
    discussion_post_add(case=case, author=member, body=text)
    other = member_factory(name=text)
    conflict_declare(case=case, member=other, has_conflict=False)
    proposal_create(
        case=case,
        kind="consequences",
        text=text,
        by=member,
        consequences=[ConsequenceInput(custom=text, duration=text)],
    )
    conversation_record(
        case=case,
        by=member,
        talk=ConversationInput(
            held_on=date(2026, 5, 1), members=[member, other], behavior=text, impact=text, plan=text
        ),
    )
    return case


def test_a_reporter_cannot_forge_a_decision_or_html_through_when(alice):
    case = open_report(
        description="They shouted at me.", occurred_when=ATTACK, occurred_where=ATTACK, kind="anonymous"
    ).case
    markdown = case_markdown(case=case)
    _assert_structure_holds(markdown, conversations=0)
    when = next(line for line in markdown.splitlines() if line.startswith("- When:"))
    assert "Decisions" in when and "&lt;script&gt;" in when  # kept, on its own line, harmless


def test_no_field_anyone_fills_in_can_change_the_export(alice):
    case = _case_written_by(ATTACK, member=alice)
    _assert_structure_holds(case_markdown(case=case), conversations=1)


MARKDOWN_ALPHABET = st.sampled_from(
    [
        *"ab #-*_`[]()!<>&|~\\=+.:\"'0123456789",
        *"\n\r\t\u2028\u0085\x0b\x0c",  # line breaks CommonMark knows, and those only Python knows
        *("<script>", "```", "~~~", "    "),
    ]
)


@pytest.mark.slow
@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(text=st.lists(MARKDOWN_ALPHABET, min_size=1, max_size=40).map("".join))
def test_any_text_in_any_field_leaves_the_structure_alone(alice, text):
    case = _case_written_by(text, member=alice)
    _assert_structure_holds(case_markdown(case=case), conversations=1)


@pytest.mark.parametrize(
    "raw, escaped",
    [
        ("Jamie Doe", "Jamie Doe"),
        ("line one\nline two\r\nthree\u2028four", "line one line two three four"),
        ("<b>&", "&lt;b&gt;&amp;"),
        (
            "*bold* _it_ `code` [l](x) ![i](y) # | ~",
            r"\*bold\* \_it\_ \`code\` \[l\]\(x\) \!\[i\]\(y\) \# \| \~",
        ),
        ("back\\slash", "back\\\\slash"),
        ("", "—"),
    ],
)
def test_inline_values_are_folded_onto_one_line_and_escaped(raw, escaped):
    assert md_inline(raw) == escaped
