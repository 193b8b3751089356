"""Receipt codes (docs/architecture.md, D2): what a reporter keeps to follow their report.

A code is shown once and stored only as a keyed hash, so a database copy cannot open the portal.
"""

from __future__ import annotations

import secrets

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
