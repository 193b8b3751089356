"""Evidence files: checked (size, count, extension and magic bytes), cleaned of metadata, encrypted,
and stored under a name the server chose (DESIGN D4; intake issue; issues 11 and 16).

Cleaning works by construction, not by hunting for known metadata blocks:
- photos (JPEG, PNG, GIF, WebP, animations included) are decoded with Pillow and only their pixels
  are encoded again, so EXIF (GPS position, camera), XMP, comments, text chunks, colour profiles and
  anything after the image cannot survive. EXIF orientation is applied first, so nothing is shown
  sideways. A picture too large to decode safely is refused, never half-decoded;
- PDFs are rewritten by qpdf (pikepdf) without the document information dictionary, XMP metadata
  streams, application data (/PieceInfo) and old revisions, or refused if qpdf cannot do that;
- anything else we take (plain text, emails) is stored as it is and labelled "not cleaned".
"""

from __future__ import annotations

import hashlib
import io
import logging
import uuid
from dataclasses import dataclass

import pikepdf
from django.core.files.base import ContentFile, File
from django.core.files.storage import default_storage
from django.utils.translation import gettext as _
from PIL import ExifTags, Image, ImageSequence, JpegImagePlugin

from cocdesk.crypto import decrypt_bytes, encrypt_bytes
from cocdesk.errors import Refused

log = logging.getLogger("cocdesk.evidence")

MAX_FILE_BYTES = 10 * 1024 * 1024
MAX_FILES = 5
# Pixels decoded for one photo (all frames of an animation together). 40 million is a 7,300 x 5,500
# photo: about 120 MB of memory while it is re-encoded. Larger ones are refused with a kind message.
MAX_PIXELS = 40_000_000


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
        with Image.open(io.BytesIO(data), formats=readable_as) as image:
            # JPEG: the first picture only (an MPO's others are previews or depth maps).
            frames = 1 if out_format == "JPEG" else getattr(image, "n_frames", 1)
            if image.width * image.height * frames > MAX_PIXELS:
                raise _too_many_pixels(name)
            turn = _ORIENTATION.get(image.getexif().get(ExifTags.Base.Orientation))
            options = _save_options(image, out_format, data)
            pixels, durations = [], []
            for frame in ImageSequence.Iterator(image):
                durations.append(frame.info.get("duration", 0))
                pixels.append(_pixels_only(frame, turn))
                if len(pixels) == frames:
                    break
    except Refused:
        raise
    except Image.DecompressionBombError as exc:
        raise _too_many_pixels(name) from exc
    except Exception as exc:  # an untrusted file: any decoder error means "cannot open it"
        log.info("an uploaded picture could not be decoded (%s)", type(exc).__name__)
        raise _cannot_open(name) from exc
    first = pixels[0]
    if out_format in ("JPEG", "WEBP") and first.mode not in ("L", "RGB", "RGBA"):
        pixels = [p.convert("RGBA" if "A" in p.mode or "transparency" in p.info else "RGB") for p in pixels]
        first = pixels[0]
    if out_format == "JPEG" and first.mode == "RGBA":
        first = first.convert("RGB")
    if len(pixels) > 1:
        options.update(save_all=True, append_images=pixels[1:], duration=durations)
        if out_format == "GIF":
            options["disposal"] = 2  # every frame is a whole picture: clear before the next one
    out = io.BytesIO()
    first.save(out, out_format, **options)
    return out.getvalue()


def _save_options(image: Image.Image, out_format: str, data: bytes) -> dict:
    """How to encode again with as little loss as possible. Never carries metadata across."""
    if out_format == "JPEG":
        sampling = JpegImagePlugin.get_sampling(image) if image.mode != "CMYK" else -1
        options: dict = {"quality": 95}
        if getattr(image, "quantization", None) and sampling != -1:
            # The original's own quantization tables: the same quality and about the same size.
            options = {"qtables": image.quantization, "subsampling": sampling}
        return options
    if out_format == "WEBP":
        # A lossless original (VP8L, often a screenshot) stays lossless; a photo is encoded at 90.
        return {"lossless": True} if b"VP8L" in data[12:4096] else {"quality": 90}
    if out_format in ("GIF", "PNG") and "loop" in image.info:
        return {"loop": image.info["loop"]}
    return {}


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


# --- storage ------------------------------------------------------------------------------------


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
