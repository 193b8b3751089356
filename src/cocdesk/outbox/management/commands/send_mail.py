"""`cocdesk send-mail [--loop]` (D11): deliver the outgoing mail that is due.

Without `--loop` it sends what is due once and exits (`cocdesk tick` does the same after its
deadlines). With `--loop` it keeps running, one round every `--interval` seconds, and is the way
mail goes out promptly: run it as a service beside the web server. SIGTERM or SIGINT lets it finish
the message in hand and exit 0. A database outage does not end the loop: it says so once and tries
again each round.
"""

from __future__ import annotations

import argparse
import signal
import threading

from django.core.management.base import BaseCommand
from django.db import close_old_connections, connection

from cocdesk.errors import database_unavailable
from cocdesk.outbox.services import outbox_send, outbox_summary


class Command(BaseCommand):
    help = "Send the outgoing mail that is due (also done by `cocdesk tick`); --loop keeps sending."

    def add_arguments(self, parser):
        parser.add_argument("--loop", action="store_true", help="keep running, one round per --interval")
        parser.add_argument("--interval", type=float, default=10.0, help="seconds between rounds (10)")
        parser.add_argument("--rounds", type=int, default=0, help=argparse.SUPPRESS)  # tests: stop after N

    def handle(self, *args, loop: bool, interval: float, rounds: int, **options):
        if not loop:
            self.stdout.write(outbox_summary(outbox_send()))
            return
        stopping = threading.Event()
        if threading.current_thread() is threading.main_thread():
            for signum in (signal.SIGTERM, signal.SIGINT):
                signal.signal(signum, lambda *_: stopping.set())
        done, unavailable = 0, False
        while not stopping.is_set():
            if not connection.in_atomic_block:  # (a test's transaction) old or broken connections go
                close_old_connections()
            try:
                counts = outbox_send(stop=stopping.is_set)
            except Exception as exc:
                if not database_unavailable(exc):
                    raise
                if not unavailable:  # said once per outage, not every round
                    self.stderr.write("cocdesk send-mail: database unavailable, trying again every round.")
                unavailable = True
            else:
                unavailable = False
                if any(counts.values()):
                    self.stdout.write(outbox_summary(counts))
                    continue  # there may be more: no pause while the outbox is busy
            done += 1
            if rounds and done >= rounds:
                break
            stopping.wait(interval)
