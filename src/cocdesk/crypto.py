"""Encryption at rest and blind indexes (D4, D7, D12).

Encrypted fields hold Fernet tokens (AES-128-CBC + HMAC-SHA256) under a MultiFernet built from
COCDESK_FIELD_KEYS, newest key first: new writes use the newest key, older keys still decrypt,
and `cocdesk rotate-keys` re-encrypts every row with the newest key.

Blind indexes are keyed HMACs of normalised identifiers (names, email addresses, handles), so
reports can be matched on the same person without storing the identifier in the clear.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import re
from collections.abc import Iterable
from functools import lru_cache
from typing import Any

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.db import models

from cocdesk import identity


@lru_cache(maxsize=4)
def _fernet(keys: tuple[str, ...]) -> MultiFernet:
    try:
        return MultiFernet([Fernet(key.strip().encode()) for key in keys if key.strip()])
    except (ValueError, TypeError) as exc:
        raise ImproperlyConfigured(
            "COCDESK_FIELD_KEYS must be comma-separated Fernet keys (32 url-safe base64-encoded bytes)."
        ) from exc


def fernet() -> MultiFernet:
    return _fernet(tuple(settings.FIELD_KEYS))


@lru_cache(maxsize=4)
def _single_fernets(keys: tuple[str, ...]) -> tuple[Fernet, ...]:
    _fernet(keys)  # the same clear error for a malformed key
    return tuple(Fernet(key.strip().encode()) for key in keys if key.strip())


def token_key_position(token: bytes | str) -> int | None:
    """Which key in COCDESK_FIELD_KEYS wrote `token`: 0 for the newest, None if none of them did.

    Only the token's HMAC is checked (nothing is decrypted), so this is cheap enough to ask of every
    row and file during key rotation.
    """
    data = token.encode("ascii") if isinstance(token, str) else token
    for position, key in enumerate(_single_fernets(tuple(settings.FIELD_KEYS))):
        try:
            key.extract_timestamp(data)
        except InvalidToken:
            continue
        return position
    return None


def rotate_token(token: bytes) -> bytes:
    """The same plaintext (and timestamp) encrypted with the newest key. Raises InvalidToken when
    no configured key opens it."""
    return fernet().rotate(token)


FINGERPRINT_MESSAGE = b"cocdesk-fingerprint"


def key_fingerprint(key: str) -> str:
    """A keyed hash of a key, stored in the database to recognise the key at the next start.

    HMAC(key, "cocdesk-fingerprint"): only someone who holds the key can compute it, so a copy of
    the database learns nothing about the key from it.
    """
    return hmac.new(key.strip().encode(), FINGERPRINT_MESSAGE, hashlib.sha256).hexdigest()


def encrypt(plaintext: str) -> str:
    return fernet().encrypt(plaintext.encode("utf-8")).decode("ascii")


def decrypt(token: str) -> str:
    try:
        return fernet().decrypt(token.encode("ascii")).decode("utf-8")
    except InvalidToken as exc:
        raise ImproperlyConfigured(
            "An encrypted value could not be decrypted: is the key that wrote it in COCDESK_FIELD_KEYS?"
        ) from exc


def encrypt_bytes(data: bytes) -> bytes:
    return fernet().encrypt(data)


def decrypt_bytes(token: bytes) -> bytes:
    return fernet().decrypt(token)


class EncryptedTextField(models.TextField):
    """A text field stored encrypted. Cannot be filtered or ordered on (use a blind index)."""

    def from_db_value(self, value: str | None, expression: Any, connection: Any) -> str | None:
        return None if value is None else decrypt(value)

    def get_prep_value(self, value: Any) -> str | None:
        value = super().get_prep_value(value)
        return None if value is None else encrypt(str(value))

    def get_lookup(self, lookup_name: str):
        # Comparing ciphertexts is meaningless (every token is unique): only isnull is allowed.
        return super().get_lookup(lookup_name) if lookup_name == "isnull" else None


class EncryptedJSONField(models.TextField):
    """A JSON value stored encrypted as a whole."""

    def from_db_value(self, value: str | None, expression: Any, connection: Any) -> Any:
        return None if value is None else json.loads(decrypt(value))

    def to_python(self, value: Any) -> Any:
        return value

    def get_prep_value(self, value: Any) -> str | None:
        return None if value is None else encrypt(json.dumps(value, sort_keys=True))

    def value_to_string(self, obj: models.Model) -> Any:
        # As Django's JSONField: serializers (backups) nest the value itself, which to_python takes back.
        return self.value_from_object(obj)

    def get_lookup(self, lookup_name: str):
        return super().get_lookup(lookup_name) if lookup_name == "isnull" else None


ENCRYPTED_FIELD_TYPES = (EncryptedTextField, EncryptedJSONField)


def encrypted_fields(model: type[models.Model]) -> list[str]:
    """Names of a model's encrypted columns."""
    return [f.name for f in model._meta.concrete_fields if isinstance(f, ENCRYPTED_FIELD_TYPES)]


def normalize_identifier(value: str, *, kind: str) -> str:
    """Normalise a name, email address or handle so spelling variants index the same
    (`identity.canonical`: the one normal form)."""
    return identity.canonical(kind, value)


def index_hash(key: str) -> str:
    """A keyed hash of a matching key (`identity.identity_keys`, `identity.probe_keys`): members'
    identifiers and what a report says are compared through these, never in the clear."""
    return hmac.digest(settings.INDEX_KEY.encode(), b"key:" + key.encode(), "sha256").hex()


def index_hashes(keys: Iterable[str]) -> frozenset[str]:
    """`index_hash` of many keys at once (the words of a long report)."""
    secret = settings.INDEX_KEY.encode()
    return frozenset(hmac.digest(secret, b"key:" + key.encode(), "sha256").hex() for key in keys)


def blind_index(value: str, *, kind: str) -> str:
    """A keyed hash of an identifier: equal for equal people, useless without COCDESK_INDEX_KEY."""
    if kind not in identity.KINDS:
        raise ValueError(f"unknown identifier kind {kind!r}")
    message = f"{kind}:{normalize_identifier(value, kind=kind)}".encode()
    return hmac.new(settings.INDEX_KEY.encode(), message, hashlib.sha256).hexdigest()


def identity_row_key(value: str, *, kind: str) -> str:
    """The key that keeps one row per identifier in a member's list (MemberIdentity.index). Never
    equal to a party's `blind_index` of the same identifier, so a copy of the database cannot join a
    member's identities with the people reports name (issue 16)."""
    return secret_hash(f"member-identity:{kind}:{normalize_identifier(value, kind=kind)}")


# A word as identifier matching sees it: letters and digits, joined inside by full stops,
# apostrophes (straight or typographic) and hyphens, so "qa.writes", "O'Brien" and "Jean-Luc" are
# one word each; a possessive "'s" is not part of it.
_WORD = re.compile(r"\w+(?:[.'’\-]\w+)*")
_POSSESSIVE = ("'s", "’s", "'S", "’S")


def identifier_words(text: str) -> list[tuple[int, int]]:
    """Where the words of `text` are, as (start, end) offsets. Names are split into words the same
    way when their part indexes are made, so a word of a report matches a word of a name."""
    found = []
    for match in _WORD.finditer(text):
        start, end = match.span()
        if match.group().endswith(_POSSESSIVE) and end - start > 2:
            end -= 2
        found.append((start, end))
    return found


PART_NAME, PART_EMAIL_LOCAL, PART_HANDLE_LOCAL = "n", "e", "h"


def part_indexes(*, name: str, email: str, handle: str) -> str:
    """Blind indexes of the parts of a person's identifiers, space-separated, each marked with what
    it is a part of: every word of the name (`n:`), the part of the email address before the @
    (`e:`), and of a handle such as @name@server, the name (`h:`). They let a transparency report be
    checked for "Avery" or "qa.writes" without reading anyone's identifiers (D6, D7)."""
    parts = {f"{PART_NAME}:{blind_index(name[s:e], kind='name')}" for s, e in identifier_words(name)}
    local = email.strip().rpartition("@")[0]
    if local:
        parts.add(f"{PART_EMAIL_LOCAL}:{blind_index(local, kind='handle')}")
    bare = handle.strip().lstrip("@")
    if "@" in bare:
        parts.add(f"{PART_HANDLE_LOCAL}:{blind_index(bare.split('@', 1)[0], kind='handle')}")
    return " ".join(sorted(parts))


def secret_hash(value: str) -> str:
    """A keyed hash for one-way secrets such as receipt codes and enrolment tokens."""
    # Keyed with INDEX_KEY, not SECRET_KEY, so rotating the session secret keeps receipt codes valid.
    return hmac.new(settings.INDEX_KEY.encode(), f"secret:{value}".encode(), hashlib.sha256).hexdigest()


def search_index_hash(key: str) -> str:
    """The blind index of a search key (`identity.search_keys`, `identity.search_words`), apart from
    the matching keys so that neither can be taken for the other."""
    return hmac.digest(settings.INDEX_KEY.encode(), b"search:" + key.encode(), "sha256").hex()


def search_indexes(*, name: str, handle: str) -> str:
    """Blind indexes, space-separated, of the words of a name and the prefixes (three letters and
    up) of its words and of a handle: "Kevin", "Kevin D" and "kdev" find "Kevin D." (@kdev_42)
    without the name being stored in the clear (issue 17)."""
    return " ".join(sorted(search_index_hash(key) for key in identity.search_keys(name=name, handle=handle)))
