"""The identifier check of a transparency report's text (D6), as set operations over blind indexes.

The text is tokenised (email addresses, @handles, words, and runs of words that may form a name),
each token is blind-indexed with `crypto.blind_index`, and the set of token indexes is intersected
with the stored indexes of the parties of the given cases (`Party.name_index`, `email_index`,
`handle_index` and `part_indexes`), read in one query. Nobody's identifiers are decrypted: what a
hit shows is the token as it stands in the text, which its reader may see anyway.

Cost: one blind index per distinct word (two: as a name and as a handle), per email address and
handle, and per run of consecutive words that are all parts of some name (to find whole names,
however many words they have); never one comparison per party and word.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass

from django.db.models import QuerySet
from django.utils.translation import gettext as _

from cocdesk import access
from cocdesk.cases.models import Case
from cocdesk.crypto import PART_EMAIL_LOCAL, PART_HANDLE_LOCAL, PART_NAME, blind_index, identifier_words


class IdentifierKind:
    NAME = "name"
    NAME_PART = "part of a name"
    EMAIL = "email address"
    EMAIL_LOCAL = "the part of an email address before the @"
    HANDLE = "handle"


@dataclass(frozen=True)
class IdentifierHit:
    case_id: int
    reference: str
    kind: str
    found: str  # the words as they stand in the text (never an identifier read from the case)
    where: str  # the heading of the part of the report they are in


# Email addresses (also tried as fediverse handles, name@server) and @handles (@name, @name@server).
_EMAIL = re.compile(r"(?<![\w@.+'’\-])\w+(?:[.+'’\-]\w+)*@\w+(?:[.\-]\w+)*\.\w+")
_HANDLE = re.compile(r"(?<![\w@])@\w+(?:[.\-]\w+)*(?:@\w+(?:[.\-]\w+)*\.\w+)?")
_HEADING = re.compile(r"^#+ +(.*)$", re.MULTILINE)
MIN_LENGTH = 2  # a one-letter identifier would match every "a"
MIN_NAME_PART = 3  # parts of names shorter than this ("Mo", "de") only count inside a whole name
MAX_NAME_WORDS = 12  # a run of name parts longer than this is searched in windows of this size


class _Index:
    """The stored blind indexes of the parties of some cases, by what they index."""

    def __init__(self, rows: Iterable[tuple[int, str, str, str, str]]) -> None:
        self.full: dict[str, dict[str, set[int]]] = {k: defaultdict(set) for k in ("name", "email", "handle")}
        self.parts: dict[str, dict[str, set[int]]] = {
            k: defaultdict(set) for k in (PART_NAME, PART_EMAIL_LOCAL, PART_HANDLE_LOCAL)
        }
        for case_id, name, email, handle, parts in rows:
            for kind, value in (("name", name), ("email", email), ("handle", handle)):
                if value:
                    self.full[kind][value].add(case_id)
            for part in parts.split():
                kind, _sep, value = part.partition(":")
                if kind in self.parts:
                    self.parts[kind][value].add(case_id)

    def __bool__(self) -> bool:
        return any(self.full.values()) or any(self.parts.values())


@dataclass(frozen=True)
class Piece:
    where: str  # the heading it is under
    start: int
    end: int
    written: bool  # written by people (the promotion text, a summary), not generated


def pieces(text: str) -> list[Piece]:
    """The parts of a report's Markdown under each heading. What people wrote (the text on how the
    Code of Conduct was promoted, and each incident's summary, after its generated outcome lines)
    is checked for everything; the generated rest for whole identifiers only (a name of several
    words, an address, an @handle), since nobody could change its words."""
    promoted = _("How the Code of Conduct was promoted")
    incident = re.compile(re.escape(_("Incident %(n)s")).replace(re.escape("%(n)s"), "[0-9]+"))
    found: list[Piece] = []
    headings = [*_HEADING.finditer(text), None]
    start, heading = 0, ""
    for match in headings:
        end = match.start() if match else len(text)
        if heading == promoted:
            found.append(Piece(heading, start, end, written=True))
        elif incident.fullmatch(heading):
            bullets = text.find("\n- ", start, end)  # its outcome lines, then a blank line, then the summary
            split = text.find("\n\n", bullets + 1, end) if bullets >= 0 else start
            split = end if split < 0 else split
            found += [Piece(heading, start, split, written=False), Piece(heading, split, end, written=True)]
        else:
            found.append(Piece(heading, start, end, written=False))
        if match:
            start, heading = match.end(), match.group(1).strip()
    return [piece for piece in found if piece.start < piece.end]


def identifier_hits(*, text: str, cases: QuerySet[Case]) -> list[IdentifierHit]:
    """Every name, email address and handle of a party of `cases` that occurs in `text`, compared
    after the normalisation of the blind indexes (case, Unicode, spacing, a leading @), as whole
    words: the full name and each part of it of three letters or more, the address and the part
    before its @, the handle and the name of a name@server handle."""
    rows = access.parties_for_identifier_check().filter(case__in=cases.values("pk"))
    index = _Index(rows.values_list("case_id", "name_index", "email_index", "handle_index", "part_indexes"))
    if not index:
        return []
    found: dict[tuple[int, str, str, str], None] = {}
    hashes: dict[tuple[str, str], str] = {}

    def hashed(token: str, kind: str) -> str:
        key = (token, kind)
        if key not in hashes:
            hashes[key] = blind_index(token, kind=kind)
        return hashes[key]

    def hit(case_ids: Iterable[int], kind: str, token: str, where: str) -> None:
        for case_id in case_ids:
            found[(case_id, kind, token, where)] = None

    for piece in pieces(text):
        _check_piece(text[piece.start : piece.end], piece.where, index, hashed, hit, weak=piece.written)

    references = dict(Case.objects.filter(pk__in={key[0] for key in found}).values_list("pk", "reference"))
    return [
        IdentifierHit(case_id=case_id, reference=references[case_id], kind=kind, found=token, where=where)
        for case_id, kind, token, where in found
    ]


def _check_piece(piece: str, where: str, index: _Index, hashed, hit, *, weak: bool) -> None:
    """Look for identifiers in one piece of text; single words (a one-word name, a part of a name,
    a handle without its @, the part of an address before the @) only if `weak`."""
    taken = [False] * len(piece)  # characters inside an address or handle are not words again

    def take(start: int, end: int) -> None:
        taken[start:end] = [True] * (end - start)

    for match in _HANDLE.finditer(piece):
        token = match.group()
        local = token[1:].split("@", 1)[0]
        cases = index.full["handle"].get(hashed(token, "handle"), set())
        cases = cases | index.parts[PART_HANDLE_LOCAL].get(hashed(local, "handle"), set())
        if len(local) >= MIN_LENGTH:
            cases = cases | index.full["handle"].get(hashed(local, "handle"), set())
        hit(cases, IdentifierKind.HANDLE, token, where)
        take(*match.span())
    for match in _EMAIL.finditer(piece):
        if taken[match.start()]:
            continue
        token = match.group()
        hit(index.full["email"].get(hashed(token, "email"), ()), IdentifierKind.EMAIL, token, where)
        hit(index.full["handle"].get(hashed(token, "handle"), ()), IdentifierKind.HANDLE, token, where)
        take(*match.span())

    words = [(s, e) for s, e in identifier_words(piece) if not taken[s]]
    name_parts: list[set[int]] = []
    for start, end in words:
        word = piece[start:end]
        as_name = hashed(word, "name")
        name_parts.append(index.parts[PART_NAME].get(as_name, set()))
        if len(word) < MIN_LENGTH or not weak:
            continue
        as_handle = hashed(word, "handle")
        hit(index.full["name"].get(as_name, ()), IdentifierKind.NAME, word, where)
        hit(index.full["handle"].get(as_handle, ()), IdentifierKind.HANDLE, word, where)
        hit(index.parts[PART_HANDLE_LOCAL].get(as_handle, ()), IdentifierKind.HANDLE, word, where)
        hit(index.parts[PART_EMAIL_LOCAL].get(as_handle, ()), IdentifierKind.EMAIL_LOCAL, word, where)

    # Whole names of several words: every stretch of two or more consecutive words that are each a
    # part of some name, hashed as it stands in the text (so the index's normalisation applies).
    named: dict[int, set[int]] = defaultdict(set)  # word position -> cases whose whole name covers it
    position = 0
    while position < len(words):
        if not name_parts[position]:
            position += 1
            continue
        run_end = position
        while (
            run_end + 1 < len(words)
            and name_parts[run_end + 1]
            and _adjacent(piece, words[run_end], words[run_end + 1])
        ):
            run_end += 1
        for first in range(position, run_end):
            for last in range(first + 1, min(run_end, first + MAX_NAME_WORDS - 1) + 1):
                span = piece[words[first][0] : words[last][1]]
                cases = index.full["name"].get(hashed(span, "name"), set())
                if cases:
                    hit(cases, IdentifierKind.NAME, " ".join(span.split()), where)
                    for covered in range(first, last + 1):
                        named[covered] |= cases
        position = run_end + 1
    for position, (start, end) in enumerate(words):
        word = piece[start:end]
        if weak and len(word) >= MIN_NAME_PART:
            single = index.full["name"].get(hashed(word, "name"), set())
            hit(name_parts[position] - named[position] - single, IdentifierKind.NAME_PART, word, where)


def _adjacent(text: str, before: tuple[int, int], after: tuple[int, int]) -> bool:
    """Two words that may belong to one name: only spaces, or an initial's full stop, between them."""
    between = text[before[1] : after[0]]
    return bool(between) and between.replace(".", "").isspace() and between.count(".") <= 1
