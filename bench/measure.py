"""Measure one seeded database (`python -m bench.measure --size N --out FILE`, started by bench.run with
DATABASE_URL and DJANGO_SETTINGS_MODULE=bench.settings set): seed it, then time what the issue asks
for and write the figures as JSON.

In this process (Django's test client, one request at a time, no network): the dashboard and the case
list (p50/p95 and query counts), the report form's POST (query count), escrow matching, the
transparency draft page. As separate processes: gunicorn as `make run` starts it under locust (the
report form against a bare one-row view), `cocdesk tick` three times, `cocdesk audit verify`.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import re
import socket
import subprocess
import sys
import time
import urllib.request
from contextlib import contextmanager
from datetime import timedelta
from pathlib import Path

import django

django.setup()

from django.db import connection, reset_queries  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402
from django_otp import DEVICE_ID_SESSION_KEY  # noqa: E402

from bench.seed import REPEAT_NAME, seed  # noqa: E402
from cocdesk import clock  # noqa: E402
from cocdesk.cases.models import Case, PartyRole  # noqa: E402
from cocdesk.cases.services import Incident, PartyInput, ReportInput, case_open  # noqa: E402
from cocdesk.escrow.services import escrow_match  # noqa: E402
from cocdesk.members.models import Member, Role, TOTPDevice  # noqa: E402
from cocdesk.middleware import SessionLifetimeMiddleware  # noqa: E402
from cocdesk.transparency.services import report_draft_create  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
TIME_BUDGET = 40.0  # seconds per timed page: at least 3 requests, at most 20


def log(text: str) -> None:
    print(text, flush=True)


def verified_client(member: Member) -> Client:
    client = Client()
    client.force_login(member)
    session = client.session
    session[DEVICE_ID_SESSION_KEY] = TOTPDevice.objects.get(user=member).persistent_id
    session[SessionLifetimeMiddleware.KEY] = clock.now().isoformat()
    session.save()
    return client


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    k = (len(ordered) - 1) * p / 100
    low, high = int(k), min(int(k) + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (k - low)


def page(client: Client, url: str) -> dict:
    """p50/p95 over up to 20 requests (after one warm-up), the query count and the HTML size."""
    reset_queries()  # each request starts the log afresh (request_started), so must the capture
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
    count = len(queries)  # now: the capture reads the live log, which the next request empties
    assert response.status_code == 200, (url, response.status_code)
    times: list[float] = []
    started = time.monotonic()
    while len(times) < 20 and (len(times) < 3 or time.monotonic() - started < TIME_BUDGET):
        t0 = time.perf_counter()
        client.get(url)
        times.append((time.perf_counter() - t0) * 1000)
    return {
        "url": url,
        "requests": len(times),
        "p50_ms": round(percentile(times, 50), 1),
        "p95_ms": round(percentile(times, 95), 1),
        "queries": count,
        "kb": round(len(response.content) / 1024, 1),
    }


def report_form_queries() -> dict:
    """The statements one public report costs, commit and on-commit work included (autocommit here)."""
    client = Client()
    client.get("/report/")
    reset_queries()
    data = {
        "kind": "named",
        "your_name": "Robin Query",
        "your_email": "robin.query@example.net",
        "preferred_contact": "email",
        "wants_updates": "yes",
        "what_happened": "They kept interrupting me. " * 10,
        "reported_1_name": "Jamie Count",
        "witnesses": "Sam Witness",
    }
    with CaptureQueriesContext(connection) as queries:
        t0 = time.perf_counter()
        response = client.post("/report/", data)
        ms = (time.perf_counter() - t0) * 1000
    assert response.status_code == 302, response.status_code
    return {"queries": len(queries), "ms": round(ms, 1)}


def escrow() -> dict:
    """A new report naming the person 50 sealed reports name, and one naming nobody known."""
    out = {}
    for label, name in (("match", REPEAT_NAME), ("no_match", "Nobody Known-Before")):
        report = ReportInput(
            channel="web",
            incident=Incident(description="They did it again."),
            kind="anonymous",
            parties=[PartyInput(role=PartyRole.REPORTED, name=name)],
            with_receipt=True,
        )
        opened = case_open(report=report, actor="public")
        reset_queries()
        with CaptureQueriesContext(connection) as queries:
            t0 = time.perf_counter()
            matches = escrow_match(case=opened.case)
            ms = (time.perf_counter() - t0) * 1000
        out[label] = {"matches": len(matches), "ms": round(ms, 1), "queries": len(queries)}
    return out


def transparency(chair: Member) -> dict:
    year = clock.now().year - 1
    cases = Case.objects.filter(received_at__year=year).count()
    client = verified_client(chair)
    t0 = time.perf_counter()
    report_draft_create(year=year, by=chair)
    generate_ms = (time.perf_counter() - t0) * 1000
    result = page(client, f"/transparency/drafts/{year}/")
    result.update(year=year, cases_in_year=cases, generate_ms=round(generate_ms, 1))
    return result


def timed(command: list[str], env: dict) -> dict:
    """Wall time and peak RSS of a command (GNU time), and the last line it printed."""
    t0 = time.monotonic()
    done = subprocess.run(
        ["/usr/bin/time", "-f", "%M", *command], env=env, capture_output=True, text=True, check=False
    )
    seconds = time.monotonic() - t0
    peak_kb = int(done.stderr.strip().splitlines()[-1])
    lines = [line for line in done.stdout.splitlines() if line.strip()]
    return {
        "seconds": round(seconds, 2),
        "peak_mb": round(peak_kb / 1024, 1),
        "exit": done.returncode,
        "lines": len(lines),
        "last": lines[-1][:160] if lines else done.stderr.strip().splitlines()[0][:160],
    }


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextmanager
def gunicorn(env: dict, port: int):
    """gunicorn as `make run` starts it (2 workers, 4 threads), on loopback."""
    process = subprocess.Popen(
        [
            str(BIN / "gunicorn"),
            "cocdesk.wsgi",
            "--bind",
            f"127.0.0.1:{port}",
            "--workers",
            "2",
            "--threads",
            "4",
            "--graceful-timeout",
            "5",
            "--log-level",
            "warning",
        ],
        env=env,
        cwd=ROOT,
    )
    try:
        for _ in range(200):
            try:
                urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=2)
                break
            except OSError:
                time.sleep(0.1)
        yield process
    finally:
        process.terminate()
        process.wait(timeout=30)


def worker_peak_mb(master: subprocess.Popen) -> float:
    """The largest peak RSS (VmHWM) among gunicorn's workers."""
    children = Path(f"/proc/{master.pid}/task/{master.pid}/children").read_text().split()
    peaks = []
    for pid in children:
        status = Path(f"/proc/{pid}/status").read_text()
        found = re.search(r"VmHWM:\s+(\d+) kB", status)
        if found:
            peaks.append(int(found.group(1)))
    return round(max(peaks) / 1024, 1) if peaks else 0.0


def locust(user: str, port: int, seconds: int, workdir: Path) -> dict:
    prefix = workdir / f"locust-{user}"
    subprocess.run(
        [
            str(BIN / "locust"),
            "-f",
            str(ROOT / "bench" / "locustfile.py"),
            "--headless",
            "-u",
            "20",
            "-r",
            "20",
            "-t",
            f"{seconds}s",
            "--host",
            f"http://127.0.0.1:{port}",
            "--csv",
            str(prefix),
            "--only-summary",
            "--loglevel",
            "WARNING",
            user,
        ],
        check=False,
        capture_output=True,
        cwd=ROOT,
    )
    with open(f"{prefix}_stats.csv") as handle:
        rows = {row["Name"]: row for row in csv.DictReader(handle)}
    row = next((r for name, r in rows.items() if name.startswith("POST")), None)
    if row is None:  # no post finished in time (a warm-up on a busy machine)
        return {"requests": 0, "failures": 0, "rps": 0.0, "p50_ms": 0.0, "p95_ms": 0.0}
    return {
        "requests": int(row["Request Count"]),
        "failures": int(row["Failure Count"]),
        "rps": round(float(row["Requests/s"]), 1),
        "p50_ms": float(row["50%"]),
        "p95_ms": float(row["95%"]),
    }


def load(env: dict, seconds: int, workdir: Path) -> dict:
    port = free_port()
    env = {**env, "COCDESK_BASE_URL": f"http://127.0.0.1:{port}"}
    with connection.cursor() as cursor:
        cursor.execute("CREATE TABLE IF NOT EXISTS bench_bare (id bigserial PRIMARY KEY, at timestamptz)")
    connection.close()
    with gunicorn(env, port) as master:
        locust("BareUser", port, 8, workdir)  # warm-up: both workers loaded, connections open
        bare = locust("BareUser", port, seconds, workdir)
        report = locust("ReportUser", port, seconds, workdir)
        peak = worker_peak_mb(master)
    ratio = round(report["rps"] / bare["rps"], 3) if bare["rps"] else None
    return {"bare": bare, "report": report, "ratio": ratio, "worker_peak_mb": peak, "seconds": seconds}


def ticks(env: dict) -> dict:
    """The first run on the seeded data (nothing was ever claimed: a catch-up after a long outage),
    a day later (a day's work), then again at the same time (nothing due)."""
    now = clock.now()
    command = [str(BIN / "cocdesk"), "tick"]
    day = (now + timedelta(days=1)).isoformat()
    return {
        "catch_up": timed([*command, "--now", now.isoformat()], env),
        "day": timed([*command, "--now", day], env),
        "nothing_due": timed([*command, "--now", day], env),
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--size", type=int, required=True)
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--load-seconds", type=int, default=20)
    args = parser.parse_args()
    workdir = args.out.parent
    env = dict(os.environ)
    results: dict = {"size": args.size}

    log(f"[{args.size:,}] seeding")
    results["seed"] = seed(size=args.size, log=log)
    log(f"[{args.size:,}] seeded in {results['seed']['seconds']} s")
    member = Member.objects.get(email="member1@bench.example")
    chair = Member.objects.get(role=Role.CHAIR)
    client = verified_client(member)
    results["pages"] = {
        "dashboard": page(client, "/dashboard/"),
        "case list": page(client, "/cases/"),
        "case list, open only": page(client, "/cases/?state=triage"),
        "case list, search by name": page(client, f"/cases/?q={REPEAT_NAME.replace(' ', '+')}"),
    }
    log(f"[{args.size:,}] pages: {json.dumps(results['pages'])}")
    results["report_form"] = report_form_queries()
    results["escrow"] = escrow()
    log(f"[{args.size:,}] report form {results['report_form']}, escrow {results['escrow']}")
    results["transparency"] = transparency(chair)
    log(f"[{args.size:,}] transparency {results['transparency']}")
    connection.close()
    results["loadavg_before_load"] = os.getloadavg()
    results["load"] = load(env, args.load_seconds, workdir)
    log(f"[{args.size:,}] load {results['load']}")
    results["tick"] = ticks(env)
    log(f"[{args.size:,}] tick {results['tick']}")
    results["audit_verify"] = timed([str(BIN / "cocdesk"), "audit", "verify"], env)
    results["audit_entries"] = results["seed"]["audit"]
    log(f"[{args.size:,}] audit verify {results['audit_verify']}")
    results["loadavg_end"] = os.getloadavg()
    args.out.write_text(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
