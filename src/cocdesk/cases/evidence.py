"""Evidence files: checked (size, count, extension and magic bytes), cleaned of metadata, encrypted,
and stored under a name the server chose (D4; intake issue; issues 11 and 16).

Cleaning works by construction, not by hunting for known metadata blocks:
- photos (JPEG, PNG, GIF, WebP, animations included) are decoded with Pillow and only their pixels
  are encoded again, so EXIF (GPS position, camera), XMP, comments, text chunks, colour profiles and
  anything after the image cannot survive. EXIF orientation is applied first, so nothing is shown
  sideways. A picture too large to decode safely is refused, never half-decoded;
- PDFs are rewritten by qpdf (pikepdf) without the document information dictionary, XMP metadata
  streams, application data (/PieceInfo) and old revisions, or refused if qpdf cannot do that;
- anything else we take (plain text, emails) is stored as it is and labelled "not cleaned".

Files follow the transaction that records them: they are written under a pending name and moved
into place on commit, a block that rolls back deletes what it stored (`atomic_with_files`), and
`stored_files_sweep` (run by `cocdesk tick`) finishes interrupted moves and deletes files no row
refers to. Only Django's storage API is used, so S3-compatible storage works as well as a folder.
"""

from __future__ import annotations

import hashlib
import io
import logging
import os
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import partial

import pikepdf
from django.apps import apps
from django.core.files.base import ContentFile, File
from django.core.files.storage import default_storage
from django.db import transaction
from django.utils.translation import gettext as _
from PIL import ExifTags, Image, ImageSequence, JpegImagePlugin

from cocdesk import clock
from cocdesk.crypto import decrypt_bytes, encrypt_bytes
from cocdesk.errors import Refused

log = logging.getLogger("cocdesk.evidence")

MAX_FILE_BYTES = 10 * 1024 * 1024
MAX_FILES = 5
# Pixels decoded for one photo (all frames of an animation together). 40 million is a 7,300 x 5,500
# photo: about 120 MB of memory while it is re-encoded. Larger ones are refused with a kind message.
MAX_PIXELS = 40_000_000
MAX_FRAMES = 1_000  # an animation's frames are all held while it is encoded again
STORED_FOLDERS = ("evidence", "mail")
PENDING_SUFFIX = ".pending"
ORPHAN_AGE = timedelta(hours=6)  # an unreferenced file younger than this may belong to a running request


def _is_text(data: bytes) -> bool:
    try:
        data.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return b"\x00" not in data


# extension -> (content type, magic-byte check)
ALLOWED = {
    "jpg": ("image/jpeg", lambda b: b.startswith(b"\xff\xd8\xff")),
    "jpeg": ("image/jpeg", lambda b: b.startswith(b"\xff\xd8\xff")),
    "png": ("image/png", lambda b: b.startswith(b"\x89PNG\r\n\x1a\n")),
    "gif": ("image/gif", lambda b: b[:6] in (b"GIF87a", b"GIF89a")),
    "webp": ("image/webp", lambda b: b[:4] == b"RIFF" and b[8:12] == b"WEBP"),
    "pdf": ("application/pdf", lambda b: b.startswith(b"%PDF-")),
    "txt": ("text/plain", _is_text),
    "eml": ("message/rfc822", lambda b: _is_text(b[:4096])),
}
# content type -> (format written, formats Pillow may read it as: no other decoder ever runs)
_IMAGES = {
    "image/jpeg": ("JPEG", ("JPEG", "MPO")),
    "image/png": ("PNG", ("PNG",)),
    "image/gif": ("GIF", ("GIF",)),
    "image/webp": ("WEBP", ("WEBP",)),
}
_ORIENTATION = {  # EXIF orientation -> the turn that shows the photo as the camera saw it
    2: Image.Transpose.FLIP_LEFT_RIGHT,
    3: Image.Transpose.ROTATE_180,
    4: Image.Transpose.FLIP_TOP_BOTTOM,
    5: Image.Transpose.TRANSPOSE,
    6: Image.Transpose.ROTATE_270,
    7: Image.Transpose.TRANSVERSE,
    8: Image.Transpose.ROTATE_90,
}


@dataclass(frozen=True)
class CheckedFile:
    name: str
    content_type: str
    data: bytes
    cleaned: bool = False  # True once metadata was removed by re-encoding or rewriting


def too_large_message(name: str, max_bytes: int = MAX_FILE_BYTES) -> str:
    return _(
        "%(name)s is larger than %(mb)s MB. Could you send a smaller version, or describe it in words?"
    ) % {"name": name, "mb": max_bytes // (1024 * 1024)}


def too_many_message() -> str:
    return _("Please attach at most %(n)s files.") % {"n": MAX_FILES}


def check_upload(name: str, data: bytes | File, *, max_bytes: int = MAX_FILE_BYTES) -> CheckedFile:
    """Refuse what is too large or not what it claims to be, with a message a reporter understands.

    `data` may be an uploaded file: its size is checked before a byte of it is read.
    """
    extension = name.rsplit(".", 1)[-1].lower() if "." in name else ""
    if extension not in ALLOWED:
        raise Refused(
            _("%(name)s: we can take photos (JPG, PNG, GIF, WebP), PDF and text files."),
            params={"name": name},
        )
    size = data.size if isinstance(data, File) else len(data)
    if size > max_bytes:
        raise Refused(too_large_message(name, max_bytes))
    if isinstance(data, File):
        data.seek(0)
        data = data.read()
    content_type, looks_right = ALLOWED[extension]
    if not data or not looks_right(data):
        raise Refused(
            _("%(name)s does not look like a .%(ext)s file. Please check it and try again."),
            params={"name": name, "ext": extension},
        )
    return CheckedFile(name=name[-200:], content_type=content_type, data=data)


def clean(checked: CheckedFile, *, keep_photo_metadata: bool = False) -> CheckedFile:
    """The file without its metadata; photos as they are if the reporter asked to keep theirs.

    Raises Refused (kindly) for a photo or PDF that cannot be opened and cleaned.
    """
    if checked.content_type in _IMAGES:
        if keep_photo_metadata:
            return checked
        data = _clean_image(checked.name, checked.content_type, checked.data)
    elif checked.content_type == "application/pdf":
        data = _clean_pdf(checked.name, checked.data)
    else:
        return checked
    return CheckedFile(name=checked.name, content_type=checked.content_type, data=data, cleaned=True)


def upload_prepare(
    name: str, data: bytes | File, *, keep_photo_metadata: bool = False, max_bytes: int = MAX_FILE_BYTES
) -> CheckedFile:
    """Check, then clean, one file (see `check_upload` and `clean`)."""
    return clean(check_upload(name, data, max_bytes=max_bytes), keep_photo_metadata=keep_photo_metadata)


# --- photos -------------------------------------------------------------------------------------


def _cannot_open(name: str) -> Refused:
    return Refused(
        _(
            "%(name)s could not be opened, so we could not remove its hidden details (such as where "
            "it was taken). Could you check it, send it in another format, or describe it in words?"
        ),
        params={"name": name},
    )


def _too_many_pixels(name: str) -> Refused:
    return Refused(
        _(
            "%(name)s is too large a picture for us to process safely. Could you send a smaller "
            "version or a screenshot of it?"
        ),
        params={"name": name},
    )


def _pixels_only(frame: Image.Image, turn: Image.Transpose | None) -> Image.Image:
    """A new image holding the frame's pixels (and palette and transparency), and nothing else."""
    fresh = frame.copy()
    fresh.info = {"transparency": frame.info["transparency"]} if "transparency" in frame.info else {}
    return fresh.transpose(turn) if turn is not None else fresh


def _clean_image(name: str, content_type: str, data: bytes) -> bytes:
    out_format, readable_as = _IMAGES[content_type]
    try:
        return _pixels_encoded_again(name, data, out_format, readable_as)
    except Refused:
        raise
    except Image.DecompressionBombError as exc:
        raise _too_many_pixels(name) from exc
    except Exception as exc:  # an untrusted file: any decoder or encoder error means "cannot clean it"
        log.info("an uploaded picture could not be re-encoded (%s)", type(exc).__name__)
        raise _cannot_open(name) from exc


def _pixels_encoded_again(name: str, data: bytes, out_format: str, readable_as: tuple[str, ...]) -> bytes:
    with Image.open(io.BytesIO(data), formats=readable_as) as image:
        # JPEG: the first picture only (an MPO's others are previews or depth maps).
        frames = 1 if out_format == "JPEG" else getattr(image, "n_frames", 1)
        if frames > MAX_FRAMES or image.width * image.height * frames > MAX_PIXELS:
            raise _too_many_pixels(name)
        turn = _ORIENTATION.get(image.getexif().get(ExifTags.Base.Orientation))
        options = _save_options(image, out_format, data)
        pixels, durations = [], []
        for frame in ImageSequence.Iterator(image):
            durations.append(frame.info.get("duration", 0))
            pixels.append(_pixels_only(frame, turn))
            if len(pixels) == frames:
                break
    if out_format in ("JPEG", "WEBP") and pixels[0].mode not in ("L", "RGB", "RGBA"):
        pixels = [p.convert("RGBA" if "A" in p.mode or "transparency" in p.info else "RGB") for p in pixels]
    first = pixels[0].convert("RGB") if out_format == "JPEG" and pixels[0].mode == "RGBA" else pixels[0]
    if len(pixels) > 1:
        options.update(save_all=True, append_images=pixels[1:], duration=durations)
        if out_format == "GIF":
            options["disposal"] = 2  # every frame is a whole picture: clear before the next one
    out = io.BytesIO()
    first.save(out, out_format, **options)
    return out.getvalue()


def _save_options(image: Image.Image, out_format: str, data: bytes) -> dict:
    """How to encode again with as little loss as possible. Never carries metadata across."""
    options: dict = {}
    if out_format == "JPEG":
        options["quality"] = 95
        sampling = JpegImagePlugin.get_sampling(image) if image.mode != "CMYK" else -1
        if getattr(image, "quantization", None) and sampling != -1:
            # The original's own quantization tables: the same quality and about the same size.
            options = {"qtables": image.quantization, "subsampling": sampling}
    elif out_format == "WEBP":
        # A lossless original (VP8L, often a screenshot) stays lossless; a photo is encoded at 90.
        options = {"lossless": True} if b"VP8L" in data[12:4096] else {"quality": 90}
    if out_format != "JPEG" and "loop" in image.info:  # how often an animation plays
        options["loop"] = image.info["loop"]
    return options


# --- PDFs ---------------------------------------------------------------------------------------

_PDF_METADATA_KEYS = ("/Metadata", "/PieceInfo")


def _clean_pdf(name: str, data: bytes) -> bytes:
    """The PDF rewritten by qpdf without document information, XMP streams or application data.

    Only objects still reachable are written, so old revisions (incremental updates) and anything
    after the end of the file go too. Streams are copied without decompressing them.
    """
    try:
        with pikepdf.open(io.BytesIO(data)) as pdf:
            for key in ("/Info", "/ID"):
                if key in pdf.trailer:
                    del pdf.trailer[key]
            for obj in pdf.objects:
                if isinstance(obj, pikepdf.Dictionary | pikepdf.Stream):
                    for key in _PDF_METADATA_KEYS:
                        if key in obj:
                            del obj[key]
            out = io.BytesIO()
            pdf.save(
                out,
                encryption=False,
                fix_metadata_version=False,
                stream_decode_level=pikepdf.StreamDecodeLevel.none,
                compress_streams=False,
            )
    except pikepdf.PasswordError as exc:
        raise Refused(
            _(
                "%(name)s is protected by a password. Could you send a copy without the password, "
                "or describe it in words?"
            ),
            params={"name": name},
        ) from exc
    except Exception as exc:  # an untrusted file: any qpdf error means "cannot clean it"
        log.info("an uploaded PDF could not be cleaned (%s)", type(exc).__name__)
        raise Refused(
            _(
                "%(name)s could not be opened, so we could not remove its hidden details (such as its "
                "author). Could you check it, send it in another format, or describe it in words?"
            ),
            params={"name": name},
        ) from exc
    return out.getvalue()


# --- storage: encrypted, and following the transaction ------------------------------------------

# The pending files stored inside each `atomic_with_files` block that is open in this context.
_open_blocks: ContextVar[tuple[list[str], ...]] = ContextVar("cocdesk_evidence_blocks", default=())


def pending_name(storage_name: str) -> str:
    return storage_name + PENDING_SUFFIX


def store_encrypted(data: bytes, *, folder: str = "evidence") -> tuple[str, str]:
    """Encrypt and store bytes; return (storage name, sha256 of the plaintext).

    The file is written under a pending name and moved to the returned name when the current
    transaction commits (at once outside a transaction). If it rolls back, the enclosing
    `atomic_with_files` block deletes the pending file; `stored_files_sweep` catches the rest.
    """
    final = f"{folder}/{uuid.uuid4().hex}.bin"
    pending = default_storage.save(pending_name(final), ContentFile(encrypt_bytes(data)))
    if pending != pending_name(final):  # the storage renamed it: a clash that cannot happen with uuid4
        default_storage.delete(pending)
        raise OSError(f"storage refused the name {pending_name(final)}")
    for stored in _open_blocks.get():
        stored.append(pending)
    transaction.on_commit(partial(_move_into_place, final), robust=True)
    return final, hashlib.sha256(data).hexdigest()


def _move_into_place(storage_name: str) -> bool:
    """Move a pending file to its name. Idempotent: a file already in place is left as it is."""
    pending = pending_name(storage_name)
    if default_storage.exists(storage_name):
        if default_storage.exists(pending):
            default_storage.delete(pending)
        return False
    try:
        source, target = default_storage.path(pending), default_storage.path(storage_name)
    except NotImplementedError:  # not a local folder (S3 and the like): copy, then delete
        with default_storage.open(pending, "rb") as handle:
            saved = default_storage.save(storage_name, File(handle))
        if saved != storage_name:  # created meanwhile by a concurrent move
            default_storage.delete(saved)
        default_storage.delete(pending)
        return True
    try:
        os.replace(source, target)  # atomic within one file system
    except FileNotFoundError:  # a concurrent move (the sweep, or the request itself) did it
        return False
    return True


@contextmanager
def atomic_with_files(using: str | None = None) -> Iterator[None]:
    """`transaction.atomic()` that also deletes the files stored inside it if it rolls back.

    Usable as a decorator. A file stored inside a block that ends normally but whose enclosing
    transaction rolls back later stays under its pending name until `stored_files_sweep`.
    """
    stored: list[str] = []
    committed: list[bool] = []
    token = _open_blocks.set((*_open_blocks.get(), stored))
    try:
        with transaction.atomic(using=using):
            # Runs first of this block's commit hooks; if a later hook fails, the files are kept.
            transaction.on_commit(partial(committed.append, True), using=using)
            yield
    except BaseException:
        if not committed:
            _delete_quietly(stored)
        raise
    finally:
        _open_blocks.reset(token)


def _delete_quietly(names: list[str]) -> None:
    for name in names:
        try:
            if default_storage.exists(name):
                default_storage.delete(name)
        except OSError:
            log.warning("could not remove a file stored by a transaction that rolled back")


def readable_name(storage_name: str) -> str:
    """The name to read: the file's own, or its pending name between a commit and the move."""
    if not default_storage.exists(storage_name) and default_storage.exists(pending_name(storage_name)):
        return pending_name(storage_name)
    return storage_name


def stored_exists(storage_name: str) -> bool:
    return bool(storage_name) and (
        default_storage.exists(storage_name) or default_storage.exists(pending_name(storage_name))
    )


def open_stored(storage_name: str):
    """The encrypted file, opened for reading (binary)."""
    return default_storage.open(readable_name(storage_name), "rb")


def read_decrypted(storage_name: str) -> bytes:
    with open_stored(storage_name) as handle:
        return decrypt_bytes(handle.read())


def delete_stored(storage_name: str) -> None:
    """Delete a stored file, wherever it is (moved into place or still pending)."""
    if not storage_name:
        return
    for name in (storage_name, pending_name(storage_name)):
        if default_storage.exists(name):
            default_storage.delete(name)


# --- the sweep ----------------------------------------------------------------------------------


@dataclass
class SweepResult:
    moved: list[str]  # committed files whose move into place had not happened (a crash, an outage)
    deleted: list[str]  # files no row refers to, older than the grace period


def _referenced(names: list[str]) -> set[str]:
    """Which of these storage names a row refers to (every `*storage_name` field of every model)."""
    found: set[str] = set()
    for model in apps.get_models():
        for model_field in model._meta.concrete_fields:
            if model_field.name.endswith("storage_name"):
                for start in range(0, len(names), 500):
                    batch = names[start : start + 500]
                    lookup = {f"{model_field.name}__in": batch}
                    found.update(
                        model._base_manager.filter(**lookup).values_list(model_field.name, flat=True)
                    )
    return found


def _older_than(name: str, cutoff: datetime) -> bool:
    try:
        return default_storage.get_modified_time(name) < cutoff
    except (OSError, NotImplementedError):
        return False


def stored_files_sweep(*, older_than: timedelta = ORPHAN_AGE) -> SweepResult:
    """Finish moves that a crash interrupted, and delete files that no row refers to.

    Side effects: pending files of committed rows are moved into place at once; pending and
    stored files that no row refers to are deleted once older than `older_than` (younger ones may
    belong to a transaction still running). Safe to run concurrently and repeatedly.
    """
    cutoff = clock.now() - older_than
    result = SweepResult(moved=[], deleted=[])
    for folder in STORED_FOLDERS:
        if not default_storage.exists(folder):
            continue
        names = [f"{folder}/{n}" for n in default_storage.listdir(folder)[1]]
        finals = [n.removesuffix(PENDING_SUFFIX) for n in names]
        referenced = _referenced(sorted(set(finals)))
        for name, final in zip(names, finals, strict=True):
            if final in referenced:
                if name != final and _move_into_place(final):
                    result.moved.append(final)
                continue
            if _older_than(name, cutoff):
                try:
                    default_storage.delete(name)
                except OSError:
                    log.warning("could not delete an unreferenced stored file")
                    continue
                result.deleted.append(name)
    if result.moved or result.deleted:
        log.info("file sweep: %s moved into place, %s deleted", len(result.moved), len(result.deleted))
    return result
