"""Receipt codes (docs/architecture.md, D2): what a reporter keeps to follow their report.

A code is shown once and stored only as a keyed hash, so a database copy cannot open the portal.
"""

from __future__ import annotations

import base64
import re
import secrets
from email.utils import parseaddr

from django.conf import settings

from cocdesk.crypto import secret_hash

ALPHABET = "ABCDEFGHJKMNPQRSTVWXYZ23456789"  # no 0/O, 1/I/L, U: easy to read back
LENGTH = 20  # 20 symbols of 30: 98 bits
GROUP = 4


def receipt_code_new() -> str:
    code = "".join(secrets.choice(ALPHABET) for _ in range(LENGTH))
    return "-".join(code[i : i + GROUP] for i in range(0, LENGTH, GROUP))


def receipt_code_normalize(code: str) -> str:
    cleaned = "".join(ch for ch in code.upper() if ch.isalnum())
    return "-".join(cleaned[i : i + GROUP] for i in range(0, len(cleaned), GROUP))


def receipt_hash(code: str) -> str:
    return secret_hash("receipt:" + receipt_code_normalize(code))


# --- reply tokens ------------------------------------------------------------------------------------
# Each case has a random reply token: mail to its reporter says "Reply-To: conduct+TOKEN@…", and a
# reply to that address is threaded onto the case (intake.mail.storing). Lower-case base32, so a mail
# server that lower-cases addresses keeps it intact; never derived from the case reference.

REPLY_TOKEN_BYTES = 15  # 120 bits: 24 characters


def reply_token_new() -> str:
    return base64.b32encode(secrets.token_bytes(REPLY_TOKEN_BYTES)).decode().lower().rstrip("=")


def reply_token_key(token: str) -> str:
    """The keyed hash a case is found by: a database copy holds no usable token."""
    return secret_hash("reply:" + token.strip().lower())


def reply_base() -> tuple[str, str]:
    """The reply address as (local part, domain): COCDESK_REPLY_ADDRESS, else the From address."""
    _name, address = parseaddr(settings.REPLY_ADDRESS or settings.DEFAULT_FROM_EMAIL)
    local, _at, domain = address.rpartition("@")
    return (local or "conduct"), (domain or "localhost")


def reply_address(token: str) -> str:
    """`conduct+TOKEN@example.org`: where a reporter's reply reaches their case."""
    local, domain = reply_base()
    return f"{local}+{token}@{domain}"


def reply_tokens_in(addresses: list[str]) -> list[str]:
    """The reply tokens in `addresses` (To, Cc, Delivered-To…): `<local>+TOKEN@…`, any domain."""
    local, _domain = reply_base()
    pattern = re.compile(rf"(?<![^\s<,;:\"']){re.escape(local)}\+([a-z2-7]{{16,64}})@", re.IGNORECASE)
    found: list[str] = []
    for address in addresses:
        found += [token.lower() for token in pattern.findall(address) if token.lower() not in found]
    return found
