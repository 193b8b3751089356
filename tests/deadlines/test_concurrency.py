"""Two `cocdesk tick` processes started together send each message once (D5, D12).

Real processes, each with its own database connection, against the test database; mail goes to
files so both processes' sending can be counted. Runs on SQLite and on PostgreSQL.
"""

import email
import os
import subprocess
import sys
from collections import Counter
from pathlib import Path

import pytest
from django.conf import settings
from django.db import connection

from cocdesk.cases.models import Message, MessageKind
from cocdesk.deadlines.models import DeadlineAction, Rule
from tests.deadlines.conftest import DAY, HOUR, T, case_at

CASES = 4
SEPARATOR = b"\n" + b"-" * 79 + b"\n"


def database_url() -> str:
    db = connection.settings_dict
    if connection.vendor == "postgresql":
        auth = db["USER"] + (f":{db['PASSWORD']}" if db["PASSWORD"] else "")
        return f"postgres://{auth}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"
    return f"sqlite:///{db['NAME']}"


def tick_process(tmp_path: Path, moment) -> subprocess.Popen:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("COCDESK_", "DJANGO_", "DATABASE_"))}
    env.update(
        DJANGO_SETTINGS_MODULE="cocdesk.settings",
        DATABASE_URL=database_url(),
        COCDESK_DATA_DIR=str(tmp_path / "data"),
        SECRET_KEY=settings.SECRET_KEY,
        COCDESK_FIELD_KEYS=",".join(settings.FIELD_KEYS),
        COCDESK_AUDIT_KEY=settings.AUDIT_KEY,
        COCDESK_INDEX_KEY=settings.INDEX_KEY,
        EMAIL_BACKEND="django.core.mail.backends.filebased.EmailBackend",
        EMAIL_FILE_PATH=str(tmp_path / "mail"),
    )
    return subprocess.Popen(
        [sys.executable, "-m", "cocdesk.cli", "tick", "--now", moment.isoformat()],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )


def sent_mail(folder: Path) -> list[tuple[str, str]]:
    found = []
    for path in folder.glob("*.log"):
        for chunk in path.read_bytes().split(SEPARATOR):
            if chunk.strip():
                message = email.message_from_bytes(chunk)
                found.append((message["To"], message["Subject"]))
    return found


@pytest.mark.django_db(transaction=True)
def test_two_tick_processes_started_together_send_each_message_once(tmp_path, alice, bob):
    cases = [case_at(T, participants=(alice, bob)) for _ in range(CASES)]
    moment = T + 7 * DAY + HOUR  # acknowledgement and decision overdue, delay notice due

    processes = [tick_process(tmp_path, moment) for _ in range(2)]
    outputs = [p.communicate(timeout=120) for p in processes]
    for process, (_out, err) in zip(processes, outputs, strict=True):
        assert process.returncode == 0, err.decode()

    mail = sent_mail(tmp_path / "mail")
    duplicates = [item for item, n in Counter(mail).items() if n > 1]
    assert duplicates == []
    # One delay notice per case; one digest each for alice and bob, listing every case.
    assert len(mail) == CASES + 2
    for case in cases:
        assert ("robin@example.net", f"[{case.reference}] Your report is taking us longer") in mail
        assert Message.objects.filter(case=case, kind=MessageKind.DELAY).count() == 1
    assert sorted(to for to, _subject in mail if to != "robin@example.net") == [alice.email, bob.email]
    lines = b"".join(out for out, _err in outputs).decode().splitlines()
    assert len([line for line in lines if line.startswith("digest  ")]) == 2
    assert len([line for line in lines if line.startswith("delay notice  ")]) == CASES
    assert DeadlineAction.objects.filter(rule=Rule.DELAY_NOTICE).count() == CASES
    assert DeadlineAction.objects.filter(rule=Rule.DIGEST).count() == 2
    # The audit head is anchored once for the day, by one of the two (D9).
    assert len([line for line in lines if line.startswith("audit anchor: ")]) == 1
    assert len((tmp_path / "data" / "audit-anchors.log").read_text().splitlines()) == 1
