"""Evidence files: limits, magic bytes, metadata removed by re-encoding, encryption at rest
(intake issue; issue 16 "Photos keep their GPS")."""

import io
import struct
import zlib

import pikepdf
import pytest
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client, TestCase
from PIL import ExifTags, Image, PngImagePlugin

from cocdesk.cases.evidence import read_decrypted
from cocdesk.cases.models import Attachment, Case
from cocdesk.cases.services import attachment_add
from cocdesk.intake import ratelimit
from tests.factories import case_factory, verified_client
from tests.intake.test_email_ingest import ingest, make_email
from tests.intake.test_web_report import named_report

pytestmark = pytest.mark.django_db

GPS = b"canary-gps-52.5200N"
CAMERA = "CanaryPhone 12"
JPEG_CANARIES = (GPS, b"canary-jpeg-xmp", b"canary-jpeg-comment", b"canary-after-eoi", CAMERA.encode())


def gps_exif(*, orientation: int | None = None) -> Image.Exif:
    exif = Image.Exif()
    exif[ExifTags.Base.Make] = CAMERA
    if orientation:
        exif[ExifTags.Base.Orientation] = orientation
    exif[ExifTags.IFD.GPSInfo] = {
        ExifTags.GPS.GPSLatitudeRef: "N",
        ExifTags.GPS.GPSLatitude: (52.0, 31.0, 12.0),
        ExifTags.GPS.GPSAreaInformation: GPS.decode(),
    }
    return exif


def half_and_half(size=(40, 20)) -> Image.Image:
    """Red on the left, blue on the right: shows which way round a photo is stored."""
    image = Image.new("RGB", size, "red")
    image.paste("blue", (size[0] // 2, 0, size[0], size[1]))
    return image


def jpeg_with_gps(*, orientation: int | None = None) -> bytes:
    """A real JPEG with EXIF (GPS, camera), XMP, a comment, an odd byte between two segments (the
    old stripper stopped there and copied the rest, EXIF included) and bytes after the image."""
    out = io.BytesIO()
    half_and_half().save(
        out,
        "JPEG",
        exif=gps_exif(orientation=orientation),
        xmp=b"<x:xmpmeta>canary-jpeg-xmp</x:xmpmeta>",
        comment=b"canary-jpeg-comment",
    )
    data = out.getvalue()
    app1 = data.index(b"\xff\xe1")
    return data[:app1] + b"\x00" + data[app1:] + b"canary-after-eoi"


def png_with_text() -> bytes:
    info = PngImagePlugin.PngInfo()
    info.add_text("Comment", "canary-png-text")
    info.add_itxt("Author", "canary-png-itxt")
    info.add_text("Location", "canary-png-ztxt", zip=True)
    info.add(b"caNy", b"canary-png-private")  # a private chunk the old stripper kept
    out = io.BytesIO()
    Image.new("RGBA", (12, 8), (10, 20, 30, 128)).save(out, "PNG", pnginfo=info, exif=gps_exif())
    return out.getvalue() + b"canary-after-iend"


def gif_animated_with_comment() -> bytes:
    frames = [Image.new("P", (30, 20), index) for index in (1, 2, 3)]
    for frame in frames:
        frame.putpalette([0, 0, 0, 255, 0, 0, 0, 255, 0, 0, 0, 255] + [0] * (252 * 3))
    out = io.BytesIO()
    frames[0].save(
        out,
        "GIF",
        save_all=True,
        append_images=frames[1:],
        duration=[100, 200, 300],
        loop=0,
        comment=b"canary-gif-comment",
    )
    data = out.getvalue()
    payload = b"<x:xmpmeta>canary-gif-xmp</x:xmpmeta>"
    application = b"\x21\xff\x0bXMP DataXMP" + bytes([len(payload)]) + payload + b"\x00"
    return data[:-1] + application + data[-1:]  # before the trailer byte


def webp_with_exif() -> bytes:
    out = io.BytesIO()
    half_and_half().save(out, "WEBP", exif=gps_exif(), xmp=b"<x:xmpmeta>canary-webp-xmp</x:xmpmeta>")
    return out.getvalue()


def pdf_with_author() -> bytes:
    pdf = pikepdf.new()
    pdf.add_blank_page()
    with pdf.open_metadata(set_pikepdf_as_editor=False) as meta:
        meta["dc:creator"] = ["canary-xmp-creator"]
    pdf.docinfo["/Author"] = "canary-pdf-author"
    pdf.docinfo["/Producer"] = "canary-pdf-producer"
    page = pdf.pages[0].obj
    page["/Metadata"] = pdf.make_stream(
        b"<x:xmpmeta>canary-page-xmp</x:xmpmeta>", Type=pikepdf.Name.Metadata, Subtype=pikepdf.Name.XML
    )
    page["/PieceInfo"] = pikepdf.Dictionary(Editor=pikepdf.Dictionary(Private=pikepdf.String("canary-piece")))
    out = io.BytesIO()
    pdf.save(out, compress_streams=False)  # uncompressed, so a canary left behind would show in the bytes
    return out.getvalue()


PDF_CANARIES = (b"canary-pdf-author", b"canary-pdf-producer", b"canary-xmp-creator", b"canary-page-xmp")


@pytest.fixture(autouse=True)
def _fresh_rate_limits():
    ratelimit.reset()


def upload(files, **overrides):
    data = named_report(**overrides)
    data["evidence"] = files
    with TestCase.captureOnCommitCallbacks(execute=True):
        return Client().post("/report/", data)


def stored(name: str, data: bytes, **overrides) -> bytes:
    response = upload([SimpleUploadedFile(name, data)], **overrides)
    assert response.status_code == 302, response.text
    return read_decrypted(Attachment.objects.get().storage_name)


def assert_no_canaries(data: bytes, canaries) -> None:
    for canary in canaries:
        assert canary not in data, canary


# --- photos: re-encoded, so no metadata block survives ------------------------------------------


def test_jpeg_gps_camera_xmp_comment_and_trailing_bytes_are_gone_even_after_an_odd_byte():
    original = jpeg_with_gps()
    assert all(canary in original for canary in JPEG_CANARIES)
    data = stored("photo.jpg", original)
    assert_no_canaries(data, JPEG_CANARIES)
    image = Image.open(io.BytesIO(data))
    assert image.format == "JPEG" and image.size == (40, 20)
    assert not image.getexif() and not {"exif", "xmp", "comment", "icc_profile"} & set(image.info)
    assert Attachment.objects.get().cleaned


def test_a_photo_taken_sideways_is_stored_the_right_way_up():
    data = stored("photo.jpg", jpeg_with_gps(orientation=6))  # "rotate 90° clockwise to show"
    image = Image.open(io.BytesIO(data)).convert("RGB")
    assert image.size == (20, 40)
    top, bottom = image.getpixel((10, 5)), image.getpixel((10, 35))
    assert top[0] > 200 > top[2] and bottom[2] > 200 > bottom[0]  # red on top, blue below
    assert GPS not in data


def test_png_text_chunks_exif_private_chunks_and_trailing_bytes_are_gone():
    original = png_with_text()
    data = stored("screenshot.png", original)
    assert_no_canaries(data, (GPS, b"canary-png-text", b"canary-png-itxt", b"canary-png-private"))
    assert b"canary-after-iend" not in data
    image = Image.open(io.BytesIO(data))
    assert image.format == "PNG" and image.size == (12, 8) and image.mode == "RGBA"
    assert image.getpixel((0, 0)) == (10, 20, 30, 128)  # lossless, transparency kept
    image.load()
    assert not {"Comment", "Author", "Location", "exif"} & set(image.info)


def test_gif_comment_and_application_blocks_are_gone_and_the_animation_stays():
    original = gif_animated_with_comment()
    assert b"canary-gif-comment" in original and b"canary-gif-xmp" in original
    data = stored("funny.gif", original)
    assert_no_canaries(data, (b"canary-gif-comment", b"canary-gif-xmp", b"XMP DataXMP"))
    image = Image.open(io.BytesIO(data))
    assert image.format == "GIF" and image.n_frames == 3
    durations = []
    for frame in range(3):
        image.seek(frame)
        durations.append(image.info["duration"])
        assert image.convert("RGB").getpixel((5, 5)) == [(255, 0, 0), (0, 255, 0), (0, 0, 255)][frame]
    assert durations == [100, 200, 300]
    assert "comment" not in image.info


def test_webp_exif_and_xmp_are_gone():
    data = stored("photo.webp", webp_with_exif())
    assert_no_canaries(data, (GPS, b"canary-webp-xmp", CAMERA.encode()))
    image = Image.open(io.BytesIO(data))
    assert image.format == "WEBP" and image.size == (40, 20)
    assert not {"exif", "xmp"} & set(image.info)


def test_pdf_author_producer_and_xmp_metadata_are_gone_and_the_pdf_still_opens():
    original = pdf_with_author()
    assert all(canary in original for canary in PDF_CANARIES)
    data = stored("statement.pdf", original)
    assert_no_canaries(data, (*PDF_CANARIES, b"canary-piece"))
    with pikepdf.open(io.BytesIO(data)) as pdf:
        assert "/Info" not in pdf.trailer and "/Metadata" not in pdf.Root
        assert len(pdf.pages) == 1
        assert "/Metadata" not in pdf.pages[0].obj and "/PieceInfo" not in pdf.pages[0].obj
    assert Attachment.objects.get().cleaned


def test_a_pdf_that_cannot_be_cleaned_is_refused_kindly_and_the_report_text_kept():
    response = upload([SimpleUploadedFile("statement.pdf", b"%PDF-1.4\nthis is not really a pdf")])
    assert response.status_code == 200
    assert "statement.pdf could not be opened" in response.text
    assert "Please choose your files again" in response.text
    assert "Robin Reporter" in response.text
    assert not Case.objects.exists()


def test_a_password_protected_pdf_is_refused_kindly():
    pdf = pikepdf.new()
    pdf.add_blank_page()
    out = io.BytesIO()
    pdf.save(out, encryption=pikepdf.Encryption(user="secret", owner="secret"))
    response = upload([SimpleUploadedFile("locked.pdf", out.getvalue())])
    assert response.status_code == 200 and "protected by a password" in response.text


def test_a_photo_that_does_not_open_is_refused_kindly():
    broken = jpeg_with_gps()[:300]  # the start of a JPEG and nothing else
    response = upload([SimpleUploadedFile("photo.jpg", broken)])
    assert response.status_code == 200 and "photo.jpg could not be opened" in response.text
    assert "Robin Reporter" in response.text


def _png_header_only(width: int, height: int) -> bytes:
    """A tiny file that claims to be a huge picture (a decompression bomb's header)."""

    def chunk(kind, data):
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    ihdr = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", zlib.compress(b"\x00" * 64))


@pytest.mark.parametrize("side", [8_000, 30_000])  # over our limit; over Pillow's own bomb limit
def test_a_decompression_bomb_is_refused_kindly_not_a_server_error(side):
    response = upload([SimpleUploadedFile("huge.png", _png_header_only(side, side))])
    assert response.status_code == 200
    assert "huge.png is too large a picture" in response.text
    assert "Robin Reporter" in response.text
    assert not Attachment.objects.exists()


def test_an_animation_with_too_many_frames_is_refused_kindly():
    frames = [Image.new("L", (2, 2), n % 2 * 255) for n in range(1_001)]  # tiny, but every frame is kept
    out = io.BytesIO()
    frames[0].save(out, "GIF", save_all=True, append_images=frames[1:])
    response = upload([SimpleUploadedFile("flicker.gif", out.getvalue())])
    assert response.status_code == 200 and "flicker.gif is too large a picture" in response.text


def test_text_files_are_stored_as_they_are_and_labelled_not_cleaned(alice):
    case = case_factory(participants=(alice,))
    note = attachment_add(case=case, name="chat.txt", data=b"canary-chat-log\n", source="committee")
    photo = attachment_add(case=case, name="photo.jpg", data=jpeg_with_gps(), source="committee")
    assert read_decrypted(note.storage_name) == b"canary-chat-log\n"
    assert (note.cleaned, photo.cleaned) == (False, True)
    page = verified_client(alice).get(f"/cases/{case.reference}/").text
    evidence = page[page.index('id="evidence"') :]
    evidence = evidence[: evidence.index("</section>")]
    assert evidence.count("Not cleaned") == 1
    chat_line = next(line for line in evidence.splitlines() if "chat.txt" in line)
    assert "Not cleaned" in chat_line


# --- a named reporter may keep the metadata -----------------------------------------------------


def test_named_reporter_may_keep_metadata():
    original = jpeg_with_gps()
    assert stored("photo.jpg", original, keep_metadata="on") == original
    assert not Attachment.objects.get().cleaned


def test_anonymous_reporter_cannot_keep_metadata():
    data = stored("photo.jpg", jpeg_with_gps(), kind="anonymous", keep_metadata="on")
    assert GPS not in data and Attachment.objects.get().cleaned


def test_keeping_photo_metadata_still_cleans_pdfs():
    data = stored("statement.pdf", pdf_with_author(), keep_metadata="on")
    assert_no_canaries(data, PDF_CANARIES)


# --- checks and encryption at rest --------------------------------------------------------------


def test_uploaded_photo_is_stored_encrypted_under_a_name_the_server_chose():
    response = upload([SimpleUploadedFile("photo.jpg", jpeg_with_gps(), content_type="image/jpeg")])
    assert response.status_code == 302
    attachment = Attachment.objects.get()
    raw = default_storage.open(attachment.storage_name).read()
    assert b"\xff\xd8" not in raw and GPS not in raw  # encrypted at rest
    assert "photo" not in attachment.storage_name
    assert read_decrypted(attachment.storage_name).startswith(b"\xff\xd8\xff")


def test_a_file_that_is_not_what_it_claims_is_refused_with_a_clear_message():
    response = upload([SimpleUploadedFile("photo.jpg", b"MZ\x90\x00 not a jpeg")])
    assert response.status_code == 200
    assert "does not look like a .jpg file" in response.text
    assert "Robin Reporter" in response.text  # the rest of the form is kept
    assert not Attachment.objects.exists()


def test_unsupported_types_and_too_many_files_are_refused():
    assert "we can take photos" in upload([SimpleUploadedFile("run.exe", b"MZ")]).text
    assert (
        "we can take photos" in upload([SimpleUploadedFile("photo.heic", b"\x00\x00\x00\x18ftypheic")]).text
    )
    many = [SimpleUploadedFile(f"n{i}.txt", b"note") for i in range(6)]
    assert "at most 5 files" in upload(many).text


def test_a_file_over_the_size_limit_is_refused_and_the_report_text_kept():
    big = SimpleUploadedFile("big.txt", b"a" * (10 * 1024 * 1024 + 1))
    response = upload([big])
    assert response.status_code == 200
    assert "big.txt is larger than 10 MB" in response.text
    assert "Robin Reporter" in response.text and "Hall B" in response.text
    assert not Case.objects.exists()


def test_attachment_download_is_audited_and_hidden_from_non_participants(alice, bob):
    case = case_factory(participants=(alice,))
    attachment = attachment_add(case=case, name="note.txt", data=b"canary-file", source="committee")
    url = f"/cases/{case.reference}/attachments/{attachment.pk}/"
    response = verified_client(alice).get(url)
    assert response.status_code == 200 and b"".join(response.streaming_content) == b"canary-file"
    assert response["Content-Disposition"].startswith("attachment")
    assert verified_client(bob).get(url).status_code == 404


def test_a_photo_sent_by_email_is_cleaned_too(tmp_path):
    raw = make_email(attachments=[("photo.jpg", "image/jpeg", jpeg_with_gps())])
    code, _out, _err = ingest(tmp_path, raw)
    assert code == 0
    attachment = Attachment.objects.get()
    assert attachment.cleaned and attachment.source == "email"
    assert_no_canaries(read_decrypted(attachment.storage_name), JPEG_CANARIES)
