"""Who is who (D3, D7): one way to normalise names, email addresses and handles, and one way to
match a person's identifiers against what a report says.

Pure: no Django, no app, no key. Callers hash the keys made here with `crypto.index_hash` before
they store or compare them, so nothing a report says is kept in the clear.

- `canonical(kind, value)`: the one normal form of an identifier (blind indexes are made of it).
  Everything is NFKC-normalised, case-folded and stripped of accents. Names lose punctuation and
  word order ("Hartmann, Ben" is "Ben Hartmann"); handles lose `@` prefixes and punctuation;
  email addresses lose `+tags`, and Gmail addresses the dots of their local part.
- `identity_keys(kind, value)`: what one of a member's identifiers answers to, each key with the
  strength of a match on it: FULL (the full name, the address, the handle) or PARTIAL (the first
  name alone, the surname alone, an initial and the surname, the first name and an initial).
- `probe_keys(kind, value)` / `text_probe_keys(text)`: the keys a party's identifier, or the free
  text of a report (names, `@handles`, email addresses in it), is looked up by.
- `match(keys, probes)`: the one comparison. A member whose FULL key is probed is a party to the
  case; one matched only on PARTIAL keys may be involved.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from enum import IntEnum
from functools import lru_cache

KINDS = ("name", "email", "handle")
GMAIL_DOMAINS = frozenset({"gmail.com", "googlemail.com"})

# Letters that carry no combining accent in Unicode, folded by hand.
_LETTERS = str.maketrans({"ø": "o", "æ": "ae", "œ": "oe", "ł": "l", "đ": "d", "ð": "d", "þ": "th", "ı": "i"})
_APOSTROPHES = re.compile(r"['’ʼ`´]")
_WORD = re.compile(r"[^\W_]+")
_SPACE = re.compile(r"\s+")
_HANDLE_JUNK = re.compile(r"[\W_]+")
_EMAIL_IN_TEXT = re.compile(r"[^\s<>()\[\]{},;:\"'@]+@[^\s<>()\[\]{},;:\"'@]+\.[^\s<>()\[\]{},;:\"'@]+")
_HANDLE_IN_TEXT = re.compile(r"(?<![\w@.])@([^\W_][\w.\-]*(?:@[\w\-]+(?:\.[\w\-]+)+)?)")
MAX_NAME_WORDS = 5  # the longest run of words in free text that is taken for one name
_NAME_JOINERS = ("", "-", "‐", "‑")  # what may stand between two words of one name ("Jean-Luc")
_TEXT_WORD = re.compile(r"[^\W\d_]+(?:['’ʼ][^\W\d_]+)*")


class Strength(IntEnum):
    PARTIAL = 1  # first name only, initial and surname…: the member may be involved
    FULL = 2  # the full name, an email address, a handle: the member is a party


@lru_cache(maxsize=65536)  # free text repeats its words; folding is pure
def fold(text: str) -> str:
    """NFKC, case folded, accents removed; repeated until nothing changes (so folding twice is
    folding once)."""
    for _round in range(4):
        step = unicodedata.normalize("NFKC", text).casefold()
        step = "".join(ch for ch in unicodedata.normalize("NFKD", step) if not unicodedata.combining(ch))
        step = unicodedata.normalize("NFKC", step.translate(_LETTERS)).casefold()
        if step == text:
            break
        text = step
    return text


def name_tokens(value: str) -> list[str]:
    """The words of a name: folded, apostrophes dropped ("O'Brien" is "obrien"), any other
    punctuation or space a separator ("Jean-Luc" is "jean luc", "B." is "b")."""
    return _WORD.findall(_APOSTROPHES.sub("", fold(value)))


def canonical_email(value: str) -> str:
    text = _SPACE.sub("", fold(value))
    text = text.removeprefix("mailto:").strip("<>")
    local, at, domain = text.rpartition("@")
    if not at or not local:
        return text
    domain = domain.strip(".")
    untagged = local.split("+", 1)[0] or local  # plus addressing: jo+coc@ is jo@
    if domain in GMAIL_DOMAINS:
        untagged, domain = untagged.replace(".", "") or untagged, "gmail.com"
    return f"{untagged}@{domain}"


def canonical_handle(value: str) -> str:
    """ "@Ben_H", "ben.h" and "BenH" are one handle; a fediverse handle keeps its server."""
    text = _SPACE.sub("", fold(value)).lstrip("@")
    user, _at, server = text.partition("@")
    user = _HANDLE_JUNK.sub("", user)
    server = server.replace("@", "").strip(".")
    if user and server:
        return f"{user}@{server}"
    return user or _HANDLE_JUNK.sub("", server)


def canonical(kind: str, value: str) -> str:
    """The one normal form of an identifier of `kind` ("name", "email" or "handle")."""
    if kind == "name":
        return " ".join(sorted(name_tokens(value)))
    if kind == "email":
        return canonical_email(value)
    if kind == "handle":
        return canonical_handle(value)
    raise ValueError(f"unknown identifier kind {kind!r}")


def looks_like_email(value: str) -> bool:
    return bool(_EMAIL_IN_TEXT.fullmatch(value.strip()))


# --- keys -----------------------------------------------------------------------------------------


def _name_key(tokens: Iterable[str]) -> str:
    return "name:" + " ".join(sorted(tokens))


def identity_keys(kind: str, value: str) -> dict[str, Strength]:
    """What one identifier of a member answers to. A name of two or more words also answers,
    partly, to its first name, its surname, "initial surname" and "first-name initial"."""
    if kind in ("email", "handle"):
        key = canonical(kind, value)
        return {f"{kind}:{key}": Strength.FULL} if key else {}
    if kind != "name":
        raise ValueError(f"unknown identifier kind {kind!r}")
    tokens = name_tokens(value)
    if not tokens:
        return {}
    keys = {_name_key(tokens): Strength.FULL}
    first, last = tokens[0], tokens[-1]
    if len(tokens) > 2:
        keys[_name_key([first, last])] = Strength.FULL  # "Ben J. Hartmann" is "Ben Hartmann"
    partial = {}
    if len(first) > 1:
        partial[f"first:{first}"] = Strength.PARTIAL
    if len(tokens) > 1:
        if len(last) > 1:
            partial[f"surname:{last}"] = Strength.PARTIAL
            partial[f"initial-surname:{first[0]} {last}"] = Strength.PARTIAL
        if len(first) > 1:
            partial[f"first-initial:{first} {last[0]}"] = Strength.PARTIAL
    return {**partial, **keys}


def _name_probes(tokens: list[str], *, partial: bool = True) -> set[str]:
    if not tokens:
        return set()
    probes = {_name_key(tokens)}
    first, last = tokens[0], tokens[-1]
    if len(tokens) > 2:
        probes.add(_name_key([first, last]))
    if not partial:
        return probes
    if len(tokens) == 1 and len(first) > 1:
        probes |= {f"first:{first}", f"surname:{first}"}
    elif len(tokens) > 1:
        if len(first) == 1 and len(last) > 1:
            probes.add(f"initial-surname:{first} {last}")
        if len(last) == 1 and len(first) > 1:
            probes.add(f"first-initial:{first} {last}")
    return probes


def probe_keys(kind: str, value: str) -> set[str]:
    """The keys a party's identifier is looked up by. A value that is plainly an address or an
    `@handle` is looked up as one too, whatever field it was typed in."""
    value = value.strip()
    if not value:
        return set()
    probes: set[str] = set()
    if kind == "name":
        probes |= _name_probes(name_tokens(value))
    elif kind in ("email", "handle"):
        key = canonical(kind, value)
        if key:
            probes.add(f"{kind}:{key}")
    else:
        raise ValueError(f"unknown identifier kind {kind!r}")
    if kind != "email" and looks_like_email(value.lstrip("@")) and not value.startswith("@"):
        probes.add(f"email:{canonical_email(value)}")
    if kind != "handle" and value.startswith("@") and len(value) > 1:
        probes.add(f"handle:{canonical_handle(value)}")
    return probes


_OUTSIDE = "\x00"  # a word of free text that is in no name it will be matched against


def vocabulary(names: Iterable[str]) -> frozenset[str]:
    """Every word of these names, and its initial: the only words a name in free text can be made
    of to match one of them (`text_probe_keys`)."""
    words: set[str] = set()
    for name in names:
        for token in name_tokens(name):
            words |= {token, token[0]}
    return frozenset(words)


def text_probe_keys(text: str, *, words: frozenset[str] | None = None) -> set[str]:
    """The keys free text is looked up by: every email address, every `@handle`, every run of two
    to five words (a full name, or an initial and a surname), and every capitalised word (a
    first name or a surname, which can only ever match partly).

    `words` (a `vocabulary` of the names it will be matched against) narrows the keys to those that
    could match one of them: a word outside it stays in its run only as a placeholder (a name of
    three words or more also matches on its first and last word, "B. Ana Hartmann" as "B. Hartmann"),
    and no key is made of a placeholder. The same matches, far fewer keys to hash."""
    text = unicodedata.normalize("NFKC", text)
    probes: set[str] = set()
    for address in _EMAIL_IN_TEXT.findall(text):
        probes.add(f"email:{canonical_email(address.rstrip('.'))}")
    text = _EMAIL_IN_TEXT.sub(" ; ", text)
    for handle in _HANDLE_IN_TEXT.findall(text):
        key = canonical_handle(handle.rstrip(".-"))
        if key:
            probes.add(f"handle:{key}")
    text = _HANDLE_IN_TEXT.sub(" ; ", text)
    in_text = list(_TEXT_WORD.finditer(text))
    runs: list[list[tuple[str, bool]]] = []
    previous_end, previous = -1, ""
    for word in in_text:
        raw = word.group(0)
        gap = text[previous_end : word.start()] if previous_end >= 0 else None
        between = gap.strip() if gap is not None else None
        joined = gap is not None and (
            (between in _NAME_JOINERS and "\n\n" not in gap) or (len(previous) == 1 and between == ".")
        )
        tokens = tuple(name_tokens(raw))
        if words is not None and tokens and not words.issuperset(tokens):
            tokens = (_OUTSIDE,)  # no name matched against holds this word: never a first or last word
        if not joined or not tokens:
            runs.append([])
        if tokens:
            runs[-1].append((tokens, raw[:1].isupper()))
        previous_end, previous = word.end(), raw
    for run in runs:
        for size in range(1, MAX_NAME_WORDS + 1):
            for start in range(len(run) - size + 1):
                window = run[start : start + size]
                tokens = [t for word_tokens, _cap in window for t in word_tokens]
                capitalised = all(cap for _tokens, cap in window)
                if size == 1 and not capitalised:
                    continue  # a lowercase word alone is not taken for a name
                if _OUTSIDE not in (tokens[0], tokens[-1]):
                    probes |= {p for p in _name_probes(tokens, partial=capitalised) if _OUTSIDE not in p}
    return probes


# --- the comparison -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Match:
    strength: Strength
    partial_keys: frozenset[str]  # which partial keys matched (a clearance covers these)


def match(keys: Mapping[str, Strength], probes: Iterable[str]) -> Match | None:
    """The one comparison: a person's keys (`identity_keys`, or their hashes) against what a case
    says (`probe_keys`, `text_probe_keys`, or their hashes). None when nothing matches."""
    hits = {key: keys[key] for key in probes if key in keys}
    if not hits:
        return None
    strength = max(hits.values())
    partial = frozenset(key for key, found in hits.items() if found == Strength.PARTIAL)
    return Match(strength=strength, partial_keys=partial)


# --- search by part of a name or handle (issue 17) ------------------------------------------------

SEARCH_PREFIX_MIN = 3  # shorter prefixes would tell too little apart, and hint at too much


class Found:
    """How a search word matched a party: a kind of key, shown to the member ("name starts with")."""

    NAME_PREFIX = "name-prefix"
    NAME_WORD = "name-word"
    HANDLE_PREFIX = "handle-prefix"


def _prefixes(word: str) -> list[str]:
    return [word[:end] for end in range(SEARCH_PREFIX_MIN, len(word) + 1)]


def search_keys(*, name: str, handle: str) -> set[str]:
    """What a party is found by: every word of the name whole ("d" of "Kevin D."), every prefix of
    three letters or more of each word ("kev", "kevi", "kevin"), and every such prefix of the handle,
    whole and in its parts ("kdev_42": "kde" … "kdev42", "kdev" … and "42" is too short)."""
    keys: set[str] = set()
    for word in name_tokens(name):
        keys.add(f"{Found.NAME_WORD}:{word}")
        keys |= {f"{Found.NAME_PREFIX}:{prefix}" for prefix in _prefixes(word)}
    user = canonical_handle(handle).split("@", 1)[0]
    if user:
        parts = [user, *_WORD.findall(fold(handle.strip().lstrip("@").split("@", 1)[0]))]
        for part in parts:
            keys |= {f"{Found.HANDLE_PREFIX}:{prefix}" for prefix in _prefixes(_HANDLE_JUNK.sub("", part))}
    return keys


@dataclass(frozen=True)
class SearchWord:
    """One word of a search and the keys that would find it: a party is found when every word of
    the search is found in its name or handle."""

    word: str
    keys: dict[str, str]  # key → how it matched (a `Found` kind)


def search_words(text: str) -> list[SearchWord]:
    """The words of a search: a word of three letters or more is looked up as the start of a word of
    a name or of a handle; a shorter one ("D" of "Kevin D") only as a whole word of a name."""
    found = []
    for word in name_tokens(text.replace("@", " ")):
        if len(word) >= SEARCH_PREFIX_MIN:
            keys = {
                f"{Found.NAME_PREFIX}:{word}": Found.NAME_PREFIX,
                f"{Found.HANDLE_PREFIX}:{word}": Found.HANDLE_PREFIX,
            }
        else:
            keys = {f"{Found.NAME_WORD}:{word}": Found.NAME_WORD}
        found.append(SearchWord(word=word, keys=keys))
    return found
