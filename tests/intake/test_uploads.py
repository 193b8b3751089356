"""Uploads are streamed to disk and the size limit holds while the request is read (issue 16:
"one 200 MB upload took a worker from 70 MB to 466 MB")."""

import sys
import tracemalloc
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.files.uploadhandler import TemporaryFileUploadHandler
from django.test import Client
from django.test.client import ClientHandler

from cocdesk.cases.models import Attachment, Case
from cocdesk.intake import ratelimit
from tests.intake.test_web_report import named_report

pytestmark = pytest.mark.django_db

MB = 1024 * 1024
BOUNDARY = "cocdesk-test-boundary-7f3a"


@pytest.fixture(autouse=True)
def _fresh_rate_limits():
    ratelimit.reset()


def multipart_body(path: Path, fields: list[tuple[str, str]], files: list[tuple[str, int]]) -> int:
    """Write a multipart/form-data body to a file, 1 MB at a time (never whole in memory).

    `files` are (file name, size) of text files of that many bytes, sent between the fields'
    first half and second half, as a browser sends a file input in the middle of a form.
    """
    half = len(fields) // 2
    with path.open("wb") as out:

        def field(name: str, value: str) -> None:
            out.write(f'--{BOUNDARY}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n'.encode())
            out.write(value.encode() + b"\r\n")

        for name, value in fields[:half]:
            field(name, value)
        for file_name, size in files:
            out.write(
                f"--{BOUNDARY}\r\nContent-Disposition: form-data; "
                f'name="evidence"; filename="{file_name}"\r\n'
                "Content-Type: text/plain\r\n\r\n".encode()
            )
            chunk = b"a" * MB
            for _ in range(size // MB):
                out.write(chunk)
            out.write(b"a" * (size % MB) + b"\r\n")
        for name, value in fields[half:]:
            field(name, value)
        out.write(f"--{BOUNDARY}--\r\n".encode())
    return path.stat().st_size


def post_streamed(path: Path, size: int):
    """POST /report/ reading the body from disk, as a WSGI server hands it to Django."""
    with path.open("rb") as body:
        environ = {
            "REQUEST_METHOD": "POST",
            "PATH_INFO": "/report/",
            "SCRIPT_NAME": "",
            "QUERY_STRING": "",
            "SERVER_NAME": "testserver",
            "SERVER_PORT": "80",
            "SERVER_PROTOCOL": "HTTP/1.1",
            "REMOTE_ADDR": "127.0.0.1",
            "CONTENT_TYPE": f"multipart/form-data; boundary={BOUNDARY}",
            "CONTENT_LENGTH": str(size),
            "wsgi.input": body,
            "wsgi.errors": sys.stderr,
            "wsgi.url_scheme": "http",
            "wsgi.version": (1, 0),
            "wsgi.multithread": False,
            "wsgi.multiprocess": False,
            "wsgi.run_once": False,
        }
        return ClientHandler(enforce_csrf_checks=False)(environ)


@pytest.fixture
def written_to_disk(monkeypatch) -> list[int]:
    """Bytes that Django's temporary-file handler writes, upload by upload."""
    written: list[int] = []
    original_new_file = TemporaryFileUploadHandler.new_file
    original_receive = TemporaryFileUploadHandler.receive_data_chunk

    def new_file(self, *args, **kwargs):
        written.append(0)
        return original_new_file(self, *args, **kwargs)

    def receive(self, raw_data, start):
        written[-1] += len(raw_data)
        return original_receive(self, raw_data, start)

    monkeypatch.setattr(TemporaryFileUploadHandler, "new_file", new_file)
    monkeypatch.setattr(TemporaryFileUploadHandler, "receive_data_chunk", receive)
    return written


def test_a_60_mb_upload_is_refused_while_it_is_read_and_memory_stays_small(tmp_path, written_to_disk):
    body = tmp_path / "body"
    fields = list(named_report().items())
    size = multipart_body(body, fields, [("recording.txt", 60 * MB)])
    post_streamed(body, size)  # warm-up: imports, templates and caches are not the upload's cost
    ratelimit.reset()

    tracemalloc.start()
    try:
        response = post_streamed(body, size)
        _current, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()

    assert response.status_code == 200
    page = response.content.decode()
    assert "recording.txt is larger than 10 MB" in page
    assert "Robin Reporter" in page and "Sam Witness" in page  # fields before and after the file
    assert peak < 4 * MB, f"{peak / MB:.1f} MB allocated while a 60 MB upload was read"
    assert max(written_to_disk) <= 10 * MB  # reading stopped at the limit, not at the end
    assert not Case.objects.exists()


def test_a_too_big_file_keeps_every_field_typed_after_it():
    data = {"evidence": [SimpleUploadedFile("big.txt", b"a" * (10 * MB + 1))], **named_report()}
    response = Client().post("/report/", data)
    assert response.status_code == 200
    assert "big.txt is larger than 10 MB" in response.text
    assert "Please choose your files again" in response.text
    for typed in ("Robin Reporter", "Hall B", "Jamie Doe", "Sam Witness"):
        assert typed in response.text
    assert not Case.objects.exists()


def test_a_file_at_the_limit_is_taken_and_the_one_over_it_is_not(tmp_path):
    fields = list(named_report().items())
    body = tmp_path / "body"
    size = multipart_body(body, fields, [("exact.txt", 10 * MB), ("over.txt", 10 * MB + 1)])
    response = post_streamed(body, size)
    assert response.status_code == 200 and "over.txt is larger than 10 MB" in response.text
    assert "exact.txt is larger" not in response.text
    ratelimit.reset()
    size = multipart_body(body, fields, [("exact.txt", 10 * MB)])
    assert post_streamed(body, size).status_code == 302
    assert Attachment.objects.get().size == 10 * MB


def test_files_beyond_the_fifth_are_not_read_and_the_reporter_is_told(tmp_path, written_to_disk):
    fields = list(named_report().items())
    body = tmp_path / "body"
    size = multipart_body(body, fields, [(f"note-{n}.txt", 1000) for n in range(1, 8)])
    response = post_streamed(body, size)
    assert response.status_code == 200
    assert "Please attach at most 5 files." in response.text
    assert "Robin Reporter" in response.text
    assert not Case.objects.exists()
    assert written_to_disk == [1000] * 5 + [0, 0]  # the 6th and 7th: not a byte written
