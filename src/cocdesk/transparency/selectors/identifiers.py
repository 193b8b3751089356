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
from bisect import bisect_right
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
    before its @, the handle and the name of a name@server handle. One pass over the text."""
    rows = access.parties_for_identifier_check().filter(case__in=cases.values("pk"))
    index = _Index(rows.values_list("case_id", "name_index", "email_index", "handle_index", "part_indexes"))
    if not index:
        return []
    scan = _Scan(text, index)
    scan.addresses_and_handles()
    scan.words()
    found = scan.found
    references = dict(Case.objects.filter(pk__in={key[0] for key in found}).values_list("pk", "reference"))
    return [
        IdentifierHit(case_id=case_id, reference=references[case_id], kind=kind, found=token, where=where)
        for case_id, kind, token, where in found
    ]


class _Scan:
    """One pass over a report's text: its pieces (`pieces`), the tokens, their blind indexes (one
    per distinct token and kind), and what they match in `index`."""

    def __init__(self, text: str, index: _Index) -> None:
        self.text, self.index = text, index
        self.pieces = pieces(text)
        self.starts = [piece.start for piece in self.pieces]
        self.found: dict[tuple[int, str, str, str], None] = {}
        self.hashes: dict[tuple[str, str], str] = {}
        self.taken: list[tuple[int, int]] = []  # addresses and handles: their words are not words again

    def hashed(self, token: str, kind: str) -> str:
        key = (token, kind)
        value = self.hashes.get(key)
        if value is None:
            value = self.hashes[key] = blind_index(token, kind=kind)
        return value

    def piece_at(self, position: int) -> Piece | None:
        i = bisect_right(self.starts, position) - 1
        return self.pieces[i] if i >= 0 and position < self.pieces[i].end else None

    def hit(self, case_ids: Iterable[int], kind: str, token: str, where: str) -> None:
        for case_id in case_ids:
            self.found[(case_id, kind, token, where)] = None

    def addresses_and_handles(self) -> None:
        full, parts = self.index.full, self.index.parts
        for match in _HANDLE.finditer(self.text):
            piece = self.piece_at(match.start())
            if piece is None:
                continue
            token = match.group()
            local = token[1:].split("@", 1)[0]
            cases = full["handle"].get(self.hashed(token, "handle"), set())
            cases = cases | parts[PART_HANDLE_LOCAL].get(self.hashed(local, "handle"), set())
            if len(local) >= MIN_LENGTH:
                cases = cases | full["handle"].get(self.hashed(local, "handle"), set())
            self.hit(cases, IdentifierKind.HANDLE, token, piece.where)
            self.taken.append(match.span())
        handles = sorted(self.taken)
        for match in _EMAIL.finditer(self.text):
            piece = self.piece_at(match.start())
            if piece is None or _inside(handles, match.start()):
                continue
            token = match.group()
            self.hit(
                full["email"].get(self.hashed(token, "email"), ()), IdentifierKind.EMAIL, token, piece.where
            )
            self.hit(
                full["handle"].get(self.hashed(token, "handle"), ()),
                IdentifierKind.HANDLE,
                token,
                piece.where,
            )
            self.taken.append(match.span())
        self.taken.sort()

    def words(self) -> None:
        """Single words (a one-word name, a part of a name, a handle without its @, the part of an
        address before the @) in what people wrote; whole names of several words everywhere."""
        full, parts, text = self.index.full, self.index.parts, self.text
        seen: dict[str, tuple[frozenset[int] | set[int], list]] = {}  # per distinct word, hashed once

        def look_up(word: str) -> tuple[frozenset[int] | set[int], list]:
            as_name, as_handle = self.hashed(word, "name"), self.hashed(word, "handle")
            single = [
                (kind, cases)
                for kind, cases in (
                    (IdentifierKind.NAME, full["name"].get(as_name)),
                    (IdentifierKind.HANDLE, full["handle"].get(as_handle)),
                    (IdentifierKind.HANDLE, parts[PART_HANDLE_LOCAL].get(as_handle)),
                    (IdentifierKind.EMAIL_LOCAL, parts[PART_EMAIL_LOCAL].get(as_handle)),
                )
                if cases and len(word) >= MIN_LENGTH
            ]
            return parts[PART_NAME].get(as_name, _NONE), single

        words: list[
            tuple[int, int, Piece, frozenset[int] | set[int]]
        ] = []  # with the cases it names a part of
        pieces_left, taken_left = iter(self.pieces), iter(self.taken)
        piece, taken = next(pieces_left, None), next(taken_left, None)
        for start, end in identifier_words(text):
            while piece is not None and start >= piece.end:
                piece = next(pieces_left, None)
            while taken is not None and start >= taken[1]:
                taken = next(taken_left, None)
            if piece is None or start < piece.start or (taken is not None and taken[0] <= start):
                continue
            word = text[start:end]
            found = seen.get(word)
            if found is None:
                found = seen[word] = look_up(word)
            words.append((start, end, piece, found[0]))
            if piece.written:
                for kind, cases in found[1]:
                    self.hit(cases, kind, word, piece.where)

        # Whole names of several words: every stretch of two or more consecutive words of one piece
        # that are each a part of some name, hashed as it stands in the text (so the index's
        # normalisation applies to it as to the name).
        named: dict[int, set[int]] = defaultdict(set)  # word position -> cases whose whole name covers it
        position = 0
        while position < len(words):
            if not words[position][3]:
                position += 1
                continue
            run_end = position
            while (
                run_end + 1 < len(words)
                and words[run_end + 1][3]
                and _adjacent(text, words[run_end], words[run_end + 1])
            ):
                run_end += 1
            for first in range(position, run_end):
                for last in range(first + 1, min(run_end, first + MAX_NAME_WORDS - 1) + 1):
                    span = text[words[first][0] : words[last][1]]
                    cases = full["name"].get(self.hashed(span, "name"))
                    if cases:
                        self.hit(cases, IdentifierKind.NAME, " ".join(span.split()), words[first][2].where)
                        for covered in range(first, last + 1):
                            named[covered] |= cases
            position = run_end + 1
        for position, (start, end, piece, name_parts) in enumerate(words):
            word = text[start:end]
            if name_parts and piece.written and len(word) >= MIN_NAME_PART:
                single = full["name"].get(self.hashed(word, "name"), _NONE)
                self.hit(name_parts - named[position] - single, IdentifierKind.NAME_PART, word, piece.where)


_NONE: frozenset[int] = frozenset()


def _inside(spans: list[tuple[int, int]], position: int) -> bool:
    """Whether `position` falls inside one of the sorted `spans`."""
    i = bisect_right(spans, (position, float("inf"))) - 1
    return i >= 0 and spans[i][0] <= position < spans[i][1]


def _adjacent(text: str, before: tuple, after: tuple) -> bool:
    """Two words of one piece that may belong to one name: only spaces, or an initial's full stop,
    between them."""
    if before[2] is not after[2]:
        return False
    between = text[before[1] : after[0]]
    return bool(between) and between.replace(".", "").isspace() and between.count(".") <= 1
