"""Evidence files: limits, magic bytes, metadata stripping, encryption at rest (intake issue)."""

import struct
import zlib

import pytest
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from cocdesk.cases.evidence import read_decrypted, strip_metadata
from cocdesk.cases.models import Attachment
from cocdesk.cases.services import attachment_add
from cocdesk.intake import ratelimit
from tests.factories import case_factory, verified_client
from tests.intake.test_web_report import named_report

pytestmark = pytest.mark.django_db

GPS = b"GPSLatitude 52.5200 N canary-gps"


def jpeg_with_exif() -> bytes:
    exif = b"Exif\x00\x00" + GPS
    app1 = b"\xff\xe1" + struct.pack(">H", len(exif) + 2) + exif
    jfif = b"JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00"
    app0 = b"\xff\xe0" + struct.pack(">H", len(jfif) + 2) + jfif
    scan = b"\xff\xda" + struct.pack(">H", 8) + b"\x01\x01\x00\x00\x3f\x00" + b"\x12\x34pixels\xff\xd9"
    return b"\xff\xd8" + app0 + app1 + scan


def png_with_text() -> bytes:
    def chunk(kind, data):
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    ihdr = struct.pack(">IIBBBBB", 1, 1, 8, 0, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", ihdr)
        + chunk(b"tEXt", b"Comment\x00" + GPS)
        + chunk(b"IDAT", zlib.compress(b"\x00\x00"))
        + chunk(b"IEND", b"")
    )


@pytest.fixture(autouse=True)
def _fresh_rate_limits():
    ratelimit.reset()


def upload(files, **overrides):
    data = named_report(**overrides)
    data["evidence"] = files
    return Client().post("/report/", data)


def test_gps_metadata_is_stripped_from_photos():
    assert GPS not in strip_metadata("image/jpeg", jpeg_with_exif())
    assert b"pixels" in strip_metadata("image/jpeg", jpeg_with_exif())
    assert GPS not in strip_metadata("image/png", png_with_text())
    assert b"IDAT" in strip_metadata("image/png", png_with_text())


def test_uploaded_photo_is_stored_encrypted_without_metadata():
    response = upload([SimpleUploadedFile("photo.jpg", jpeg_with_exif(), content_type="image/jpeg")])
    assert response.status_code == 302
    attachment = Attachment.objects.get()
    raw = default_storage.open(attachment.storage_name).read()
    assert b"pixels" not in raw and GPS not in raw  # encrypted at rest
    assert "photo" not in attachment.storage_name  # the server chose the name
    stored = read_decrypted(attachment.storage_name)
    assert GPS not in stored and b"pixels" in stored


def test_named_reporter_may_keep_metadata():
    upload([SimpleUploadedFile("photo.jpg", jpeg_with_exif())], keep_metadata="on")
    assert GPS in read_decrypted(Attachment.objects.get().storage_name)


def test_anonymous_reporter_cannot_keep_metadata():
    upload([SimpleUploadedFile("photo.jpg", jpeg_with_exif())], kind="anonymous", keep_metadata="on")
    assert GPS not in read_decrypted(Attachment.objects.get().storage_name)


def test_a_file_that_is_not_what_it_claims_is_refused_with_a_clear_message():
    response = upload([SimpleUploadedFile("photo.jpg", b"MZ\x90\x00 not a jpeg")])
    assert response.status_code == 200
    assert "does not look like a .jpg file" in response.text
    assert "Robin Reporter" in response.text  # the rest of the form is kept
    assert not Attachment.objects.exists()


def test_unsupported_types_and_too_many_files_are_refused():
    assert "we can take photos" in upload([SimpleUploadedFile("run.exe", b"MZ")]).text
    many = [SimpleUploadedFile(f"n{i}.txt", b"note") for i in range(6)]
    assert "at most 5 files" in upload(many).text


def test_a_file_over_the_size_limit_is_refused(settings):
    big = SimpleUploadedFile("big.txt", b"a" * (10 * 1024 * 1024 + 1))
    assert "larger than 10 MB" in upload([big]).text


def test_attachment_download_is_audited_and_hidden_from_non_participants(alice, bob):
    case = case_factory(participants=(alice,))

    attachment = attachment_add(case=case, name="note.txt", data=b"canary-file", source="committee")
    url = f"/cases/{case.reference}/attachments/{attachment.pk}/"
    response = verified_client(alice).get(url)
    assert response.status_code == 200 and b"".join(response.streaming_content) == b"canary-file"
    assert response["Content-Disposition"].startswith("attachment")
    assert verified_client(bob).get(url).status_code == 404
