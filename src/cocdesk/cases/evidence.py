"""Evidence files: checked (size, count, extension and magic bytes), stripped of image metadata,
encrypted, and stored under a name the server chose (D4; intake issue)."""

from __future__ import annotations

import hashlib
import struct
import uuid
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.utils.translation import gettext as _

from cocdesk.crypto import decrypt_bytes, encrypt_bytes

MAX_FILE_BYTES = 10 * 1024 * 1024
MAX_FILES = 5
# extension -> (content type, magic-byte check)
ALLOWED = {
    "jpg": ("image/jpeg", lambda b: b.startswith(b"\xff\xd8\xff")),
    "jpeg": ("image/jpeg", lambda b: b.startswith(b"\xff\xd8\xff")),
    "png": ("image/png", lambda b: b.startswith(b"\x89PNG\r\n\x1a\n")),
    "gif": ("image/gif", lambda b: b[:6] in (b"GIF87a", b"GIF89a")),
    "webp": ("image/webp", lambda b: b[:4] == b"RIFF" and b[8:12] == b"WEBP"),
    "pdf": ("application/pdf", lambda b: b.startswith(b"%PDF-")),
    "txt": ("text/plain", lambda b: _is_text(b)),
    "eml": ("message/rfc822", lambda b: _is_text(b[:4096])),
}


def _is_text(data: bytes) -> bool:
    try:
        data.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return b"\x00" not in data


@dataclass(frozen=True)
class CheckedFile:
    name: str
    content_type: str
    data: bytes


def check_upload(name: str, data: bytes, *, max_bytes: int = MAX_FILE_BYTES) -> CheckedFile:
    """Refuse what is too large or not what it claims to be, with a message a reporter understands."""
    extension = name.rsplit(".", 1)[-1].lower() if "." in name else ""
    if extension not in ALLOWED:
        raise ValidationError(
            _("%(name)s: we can take photos (JPG, PNG, GIF, WebP), PDF and text files."),
            params={"name": name},
        )
    if len(data) > max_bytes:
        raise ValidationError(
            _(
                "%(name)s is larger than %(mb)s MB. "
                "Could you send a smaller version, or describe it in words?"
            ),
            params={"name": name, "mb": max_bytes // (1024 * 1024)},
        )
    content_type, looks_right = ALLOWED[extension]
    if not data or not looks_right(data):
        raise ValidationError(
            _("%(name)s does not look like a .%(ext)s file. Please check it and try again."),
            params={"name": name, "ext": extension},
        )
    return CheckedFile(name=name[-200:], content_type=content_type, data=data)


def strip_metadata(content_type: str, data: bytes) -> bytes:
    """Remove EXIF/XMP/comments (which can hold GPS position, device and name) from images.

    Done on the container format, without decoding pixels, so a crafted image cannot exhaust memory.
    """
    if content_type == "image/jpeg":
        return _strip_jpeg(data)
    if content_type == "image/png":
        return _strip_png(data)
    if content_type == "image/webp":
        return _strip_webp(data)
    return data


def _strip_jpeg(data: bytes) -> bytes:
    out, i = bytearray(data[:2]), 2
    while i + 4 <= len(data):
        if data[i] != 0xFF:
            break
        marker = data[i + 1]
        if marker == 0xDA:  # start of scan: the rest is image data
            out += data[i:]
            return bytes(out)
        length = struct.unpack(">H", data[i + 2 : i + 4])[0]
        segment = data[i : i + 2 + length]
        # APP1..APP15 (EXIF, XMP, ICC, maker notes) and COM (comments) go; APP0 (JFIF) stays.
        if not (0xE1 <= marker <= 0xEF or marker == 0xFE):
            out += segment
        i += 2 + length
    out += data[i:]
    return bytes(out)


_PNG_DROP = {b"eXIf", b"tEXt", b"zTXt", b"iTXt", b"tIME"}


def _strip_png(data: bytes) -> bytes:
    out, i = bytearray(data[:8]), 8
    while i + 8 <= len(data):
        length = struct.unpack(">I", data[i : i + 4])[0]
        chunk_type = data[i + 4 : i + 8]
        chunk = data[i : i + 12 + length]
        if chunk_type not in _PNG_DROP:
            out += chunk
        i += 12 + length
    return bytes(out)


def _strip_webp(data: bytes) -> bytes:
    chunks, i = bytearray(), 12
    while i + 8 <= len(data):
        chunk_type = data[i : i + 4]
        length = struct.unpack("<I", data[i + 4 : i + 8])[0]
        padded = length + (length & 1)
        if chunk_type not in (b"EXIF", b"XMP "):
            chunks += data[i : i + 8 + padded]
        i += 8 + padded
    return b"RIFF" + struct.pack("<I", len(chunks) + 4) + b"WEBP" + bytes(chunks)


def store_encrypted(data: bytes, *, folder: str = "evidence") -> tuple[str, str]:
    """Encrypt and store bytes; return (storage name, sha256 of the plaintext)."""
    name = default_storage.save(f"{folder}/{uuid.uuid4().hex}.bin", ContentFile(encrypt_bytes(data)))
    return name, hashlib.sha256(data).hexdigest()


def read_decrypted(storage_name: str) -> bytes:
    with default_storage.open(storage_name, "rb") as handle:
        return decrypt_bytes(handle.read())


def delete_stored(storage_name: str) -> None:
    if storage_name and default_storage.exists(storage_name):
        default_storage.delete(storage_name)
