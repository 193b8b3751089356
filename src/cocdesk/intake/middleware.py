"""The web process imports the intake spool on its next good request (D2), cheaply: one directory
read at most every CHECK_EVERY seconds, a few files at a time, after the response is ready."""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable

from django.http import HttpRequest, HttpResponse

from cocdesk.intake.recovery import spool_import
from cocdesk.intake.spool import spool_waiting

log = logging.getLogger("cocdesk.intake")

CHECK_EVERY = 30.0  # seconds
PER_REQUEST = 5  # files imported at most by one request; `tick` takes the rest


class SpoolImportMiddleware:
    _next_check = 0.0
    _lock = threading.Lock()

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if response.status_code < 500 and self._due() and spool_waiting():
            try:
                done = spool_import(limit=PER_REQUEST)
            except Exception as exc:  # the report stays in the spool; the next check tries again
                log.warning("spooled reports could not be imported yet (%s)", type(exc).__name__)
            else:
                if done.imported:
                    log.info("imported %s spooled report(s)", done.imported)
        return response

    @classmethod
    def _due(cls) -> bool:
        now = time.monotonic()
        with cls._lock:
            if now < cls._next_check:
                return False
            cls._next_check = now + CHECK_EVERY
            return True

    @classmethod
    def check_now(cls) -> None:
        """Tests: the next request checks the spool."""
        cls._next_check = 0.0
