"""A real PostgreSQL outage in the middle of web and email submissions (issue 11, D2).

A database of its own (a copy of the test database), served by gunicorn in its own processes.
Halfway through 50 web reports and 5 emails the database stops taking connections (`ALTER DATABASE
… ALLOW_CONNECTIONS false`) and its open connections are terminated (`pg_terminate_backend`), then it
comes back. Every reporter gets their receipt code, every `ingest-email` exits 0, and after `cocdesk
tick` every report is found exactly once. PostgreSQL only; the same flow is simulated on SQLite in
test_database_outage.py.
"""

import json
import os
import re
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from http.cookiejar import CookieJar
from pathlib import Path

import psycopg
import pytest
from django.conf import settings as django_settings
from django.db import connection

from cocdesk.receipts import receipt_hash
from tests.factories import receipt_codes_in
from tests.faults.test_smtp_faults import free_port

GUNICORN = ["--workers", "2", "--threads", "8", "--graceful-timeout", "2"]


def _env(database: str, data: Path) -> dict:
    db = connection.settings_dict
    env = {k: v for k, v in os.environ.items() if not k.startswith(("COCDESK_", "DJANGO_", "DATABASE_"))}
    env.update(
        DJANGO_SETTINGS_MODULE="cocdesk.settings",
        DATABASE_URL=f"postgres://{db['USER']}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{database}",
        COCDESK_DATA_DIR=str(data),
        SECRET_KEY=django_settings.SECRET_KEY,
        COCDESK_FIELD_KEYS=",".join(django_settings.FIELD_KEYS),
        COCDESK_AUDIT_KEY=django_settings.AUDIT_KEY,
        COCDESK_INDEX_KEY=django_settings.INDEX_KEY,
        COCDESK_REPORT_RATE_LIMIT="1000/3600",
        EMAIL_BACKEND="django.core.mail.backends.locmem.EmailBackend",
    )
    return env


spooled: list[str] = []  # reports whose reporter was answered from the spool


def _submit(base_url: str, text: str, results: dict, errors: list) -> None:
    try:
        opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(CookieJar()))
        form = opener.open(f"{base_url}/report/", timeout=60).read().decode()
        token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', form).group(1)
        fields = {
            "kind": "anonymous",
            "preferred_contact": "email",
            "wants_updates": "no",
            "what_happened": text,
        }
        body = urllib.parse.urlencode({"csrfmiddlewaretoken": token, **fields}).encode()
        request = urllib.request.Request(  # noqa: S310 - our own gunicorn on loopback
            f"{base_url}/report/", data=body, headers={"Referer": f"{base_url}/report/"}
        )
        page = opener.open(request, timeout=60).read().decode()
        results[text] = receipt_codes_in(page)[0]
        if "safely received" in page:
            spooled.append(text)
    except Exception as exc:
        errors.append(f"{text}: {exc!r}")


def _wave(base_url, first, last, results, errors):
    threads = [
        threading.Thread(target=_submit, args=(base_url, f"pg outage report {n}", results, errors))
        for n in range(first, last)
    ]
    for thread in threads:
        thread.start()
    return threads


def _email(n: int) -> bytes:
    return (
        f"From: reporter{n}@example.net\r\nSubject: report {n}\r\nMessage-ID: <pg-outage.{n}@example.net>\r\n"
        f"\r\npg outage email {n}\r\n"
    ).encode()


@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
def test_a_postgres_outage_during_web_and_email_submissions_loses_no_report(tmp_path, alice):
    if connection.vendor != "postgresql":
        pytest.skip("a real PostgreSQL outage; SQLite runs the simulated one")
    spooled.clear()
    db = connection.settings_dict
    template, name = db["NAME"], f"reliability_outage_{os.getpid()}"
    connection.close()
    admin = psycopg.connect(
        host=db["HOST"] or "127.0.0.1",
        port=db["PORT"] or 5432,
        user=db["USER"],
        dbname="postgres",
        autocommit=True,
    )
    admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    admin.execute(f'CREATE DATABASE "{name}" TEMPLATE "{template}"')
    env = _env(name, tmp_path / "data")
    port = free_port()
    server = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "cocdesk.wsgi", "--bind", f"127.0.0.1:{port}", *GUNICORN],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    base_url = f"http://127.0.0.1:{port}"

    def cocdesk(*args, stdin=None):
        return subprocess.run(
            [sys.executable, "-m", "cocdesk.cli", *args],
            env=env,
            input=stdin,
            capture_output=True,
            timeout=120,
        )

    def outage(on: bool):
        admin.execute(f'ALTER DATABASE "{name}" ALLOW_CONNECTIONS {"false" if on else "true"}')
        if on:
            admin.execute("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = %s", [name])

    try:
        for _attempt in range(300):  # until gunicorn answers (bounded)
            try:
                urllib.request.urlopen(f"{base_url}/report/", timeout=5).read()  # noqa: S310
                break
            except (urllib.error.URLError, ConnectionError):
                time.sleep(0.1)
        results, errors = {}, []
        for thread in _wave(base_url, 0, 15, results, errors):
            thread.join(timeout=120)
        during = _wave(base_url, 15, 35, results, errors)
        outage(True)  # some of them are mid-request now
        mails = [
            subprocess.Popen(
                [sys.executable, "-m", "cocdesk.cli", "ingest-email"],
                env=env,
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
            )
            for _n in range(5)
        ]
        mail_results = [process.communicate(_email(n), timeout=120) for n, process in enumerate(mails)]
        for thread in during:
            thread.join(timeout=120)
        outage(False)
        for thread in _wave(base_url, 35, 50, results, errors):
            thread.join(timeout=120)

        assert errors == []
        assert len(results) == 50
        assert spooled  # the outage was real: some reporters were answered from the spool
        for process, (_out, err) in zip(mails, mail_results, strict=True):
            assert process.returncode == 0, err.decode()
        ticked = cocdesk("tick")
        assert ticked.returncode == 0, ticked.stderr.decode()
        listing = cocdesk(
            "shell",
            "-c",
            "import json; from cocdesk.cases.models import Case; "
            "print(json.dumps([[c.description, c.receipt_hash] for c in Case.objects.all()]))",
        )
        stored = json.loads(listing.stdout.decode().strip().splitlines()[-1])
    finally:
        server.terminate()
        server.communicate(timeout=60)
        admin.execute(f'ALTER DATABASE "{name}" ALLOW_CONNECTIONS true')
        admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.close()

    descriptions = sorted(description for description, _hash in stored)
    expected = sorted([*results, *(f"pg outage email {n}" for n in range(5))])
    assert descriptions == expected  # every report, exactly once
    hashes = {h for _description, h in stored}
    assert all(receipt_hash(code) in hashes for code in results.values())
    assert not any((tmp_path / "data" / "spool").iterdir())
