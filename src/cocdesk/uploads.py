"""Upload limits enforced while a request is read (issue 16).

Installed first in settings.FILE_UPLOAD_HANDLERS, before Django's temporary-file handler: every
uploaded file streams to a temporary file on disk (never into memory), and this handler stops
reading a file at the chunk that takes it past `evidence.MAX_FILE_BYTES`, and skips every file
after the `evidence.MAX_FILES`-th. Skipping a file keeps the rest of the form (the reporter's text
comes after the file input); what was skipped, and why, is kept on the request for the form to say.
"""

from __future__ import annotations

from django.core.files.uploadhandler import FileUploadHandler, SkipFile
from django.http import HttpRequest

from cocdesk.cases import evidence

_PROBLEMS = "_cocdesk_upload_problems"


def upload_problems(request: HttpRequest) -> list[str]:
    """Kind messages about files that were not read (too large, too many); empty if none."""
    return list(getattr(request, _PROBLEMS, []))


class EvidenceLimitUploadHandler(FileUploadHandler):
    """Counts files and bytes as they arrive; passes every chunk on to the next handler."""

    def __init__(self, request: HttpRequest | None = None) -> None:
        super().__init__(request)
        self.files_seen = 0
        self.received = 0
        self.skipping = False
        self.problems: list[str] = []
        if request is not None:
            setattr(request, _PROBLEMS, self.problems)

    def new_file(self, *args, **kwargs) -> None:
        super().new_file(*args, **kwargs)
        self.files_seen += 1
        self.received = 0
        # Not SkipFile here: Django would close the previous file's temporary file with it.
        self.skipping = self.files_seen > evidence.MAX_FILES
        if self.files_seen == evidence.MAX_FILES + 1:
            self.problems.append(evidence.too_many_message())

    def receive_data_chunk(self, raw_data: bytes, start: int) -> bytes:
        if self.skipping:
            raise SkipFile
        self.received += len(raw_data)
        if self.received > evidence.MAX_FILE_BYTES:
            self.problems.append(evidence.too_large_message(self.file_name))
            raise SkipFile  # the rest of this file is read and thrown away, chunk by chunk
        return raw_data

    def file_complete(self, file_size: int) -> None:
        return None  # the temporary-file handler after this one makes the file
