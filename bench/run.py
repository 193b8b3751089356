"""`make bench` (`python -m bench.run --sizes 1000,10000,100000`): for each size, a fresh PostgreSQL
database `bench_<size>` (copied from a migrated template), seeded and measured by `bench.measure` in a
process of its own; then `docs/benchmarks.md` is written from every size's figures.

PostgreSQL: BENCH_DATABASE_URL (default postgres://postgres@127.0.0.1:5432/bench), whose database
name is the prefix of every database made here (they are dropped and made again on each run). Data
directory (keys, mail, locust's CSV): var/bench/. Mail goes nowhere (Django's dummy backend). The
report form's rate limit is lifted for the run: it would otherwise answer 429 after 10 reports.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import urlparse, urlunparse

import psycopg

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
WORK = ROOT / "var" / "bench"
NOTES = "<!-- notes: written by hand, kept by make bench -->"


def _url(base: str, name: str) -> str:
    return urlunparse(urlparse(base)._replace(path=f"/{name}"))


def _admin(base: str, *statements: str) -> None:
    with psycopg.connect(_url(base, "postgres"), autocommit=True) as db:
        for statement in statements:
            db.execute(statement)


def environment(base: str, name: str) -> dict:
    env = dict(os.environ)
    env.update(
        DATABASE_URL=_url(base, name),
        DJANGO_SETTINGS_MODULE="bench.settings",
        PYTHONPATH=str(ROOT),
        COCDESK_DATA_DIR=str(WORK / "data"),
        COCDESK_REPORT_RATE_LIMIT="100000000/60",
        EMAIL_BACKEND="django.core.mail.backends.dummy.EmailBackend",
    )
    env.pop("REDIS_URL", None)  # as `make run`: the database cache
    return env


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--sizes", default="1000,10000", help="comma-separated numbers of cases")
    parser.add_argument("--load-seconds", type=int, default=20, help="seconds of load per locust run")
    parser.add_argument("--out", type=Path, default=ROOT / "docs" / "benchmarks.md")
    args = parser.parse_args()
    sizes = [int(s.replace("_", "")) for s in args.sizes.split(",") if s.strip()]
    base = os.environ.get("BENCH_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/bench")
    prefix = urlparse(base).path.lstrip("/") or "bench"
    WORK.mkdir(parents=True, exist_ok=True)
    template = f"{prefix}_template"
    started = time.monotonic()
    print(f"migrating the template database {template}", flush=True)
    _admin(base, f"DROP DATABASE IF EXISTS {template}", f"CREATE DATABASE {template}")
    subprocess.run(
        [str(BIN / "cocdesk"), "migrate", "--noinput", "-v", "0"], env=environment(base, template), check=True
    )
    results = []
    for size in sizes:
        name = f"{prefix}_{size}"
        _admin(base, f"DROP DATABASE IF EXISTS {name}", f"CREATE DATABASE {name} TEMPLATE {template}")
        out = WORK / f"results-{size}.json"
        subprocess.run(
            [
                sys.executable,
                "-m",
                "bench.measure",
                "--size",
                str(size),
                "--out",
                str(out),
                "--load-seconds",
                str(args.load_seconds),
            ],
            env=environment(base, name),
            cwd=ROOT,
            check=True,
        )
        results.append(json.loads(out.read_text()))
    command = f"make bench BENCH_SIZES={args.sizes}"
    notes = ""  # what was written by hand below the marker stays
    if args.out.exists() and NOTES in args.out.read_text():
        notes = args.out.read_text().split(NOTES, 1)[1]
    figures = render(results, command=command, minutes=(time.monotonic() - started) / 60)
    args.out.write_text(figures + (NOTES + notes if notes else ""))
    print(f"wrote {args.out}", flush=True)


def machine() -> list[str]:
    cpu = next(
        (
            line.split(":", 1)[1].strip()
            for line in Path("/proc/cpuinfo").read_text().splitlines()
            if line.startswith("model name")
        ),
        platform.processor(),
    )
    memory = next(
        int(line.split()[1])
        for line in Path("/proc/meminfo").read_text().splitlines()
        if line.startswith("MemTotal")
    )
    with psycopg.connect(
        _url(os.environ.get("BENCH_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/bench"), "postgres")
    ) as db:
        pg = db.execute("SHOW server_version").fetchone()[0]
    versions = subprocess.run(
        [
            sys.executable,
            "-c",
            "import django, gunicorn, locust; print(django.__version__, gunicorn.__version__,"
            " locust.__version__)",
        ],
        capture_output=True,
        text=True,
        check=False,
    ).stdout.split()
    return [
        f"- CPU: {os.cpu_count()} × {cpu}; memory {memory / 1024 / 1024:.1f} GB; {platform.system()} "
        f"{platform.release()}",
        f"- PostgreSQL {pg} on the same machine (loopback); Python {platform.python_version()}, "
        f"Django {versions[0] if versions else '?'}, gunicorn {versions[1] if len(versions) > 1 else '?'}, "
        f"locust {versions[2] if len(versions) > 2 else '?'}",
        "- Shared with other work: the load generator (locust, one process) runs on the same two cores "
        "as gunicorn and PostgreSQL, and other sessions may have been busy at the same time.",
    ]


def _goal(ok: bool | None) -> str:
    return "–" if ok is None else ("met" if ok else "**not met**")


def render(results: list[dict], *, command: str, minutes: float) -> str:
    sizes = [r["size"] for r in results]
    head = "| what | goal | " + " | ".join(f"{s:,} cases" for s in sizes) + " |"
    rule = "|---|---|" + "---|" * len(sizes)

    def row(what: str, goal: str, cell) -> str:
        return f"| {what} | {goal} | " + " | ".join(cell(r) for r in results) + " |"

    def pg(name: str):
        return lambda r: (
            f"p50 {r['pages'][name]['p50_ms']:.0f} ms, p95 {r['pages'][name]['p95_ms']:.0f} ms; "
            f"{r['pages'][name]['queries']} queries, {r['pages'][name]['kb']:.0f} KB "
            f"({r['pages'][name]['requests']} requests) {_goal(r['pages'][name]['p95_ms'] < 150)}"
        )

    def tick(which: str, limit: float | None):
        return lambda r: (
            f"{r['tick'][which]['seconds']:.1f} s, peak {r['tick'][which]['peak_mb']:.0f} MB "
            f"({r['tick'][which]['lines']} lines) "
            + (
                _goal(r["tick"][which]["seconds"] < limit and r["tick"][which]["peak_mb"] < 200)
                if limit
                else ""
            )
        )

    lines = [
        "# Benchmarks",
        "",
        "Written by `make bench` (`bench/run.py`, `bench/measure.py`, `bench/seed.py`); every figure below is "
        "from one run. Do not edit by hand: run it again.",
        "",
        f"- Command: `{command}`; run on {datetime.now(UTC):%Y-%m-%d %H:%M} UTC, {minutes:.0f} minutes in all.",
        *machine(),
        "",
        "## What was seeded",
        "",
        "Bulk inserts of cocdesk's own models (encrypted columns through `crypto.EncryptedTextField`, blind "
        "indexes through `crypto.blind_index`): about 10,000 reports a year; 75 % named, 20 % anonymous, "
        "5 % sealed; open when received in the last 14 days (or 0.5 % of older ones), the rest closed; "
        "1–4 parties, 9 committee members' declarations (3 % conflicts), two owners, 3–5 timeline entries, "
        "1–2 posts per case, 10 hash-chained audit entries per case; 50 sealed reports name the same person.",
        "",
        "| | " + " | ".join(f"{s:,}" for s in sizes) + " |",
        "|---|" + "---|" * len(sizes),
        *(
            f"| {label} | " + " | ".join(f"{r['seed'][key]:,}" for r in results) + " |"
            for label, key in (
                ("cases", "cases"),
                ("open (visible)", "open"),
                ("sealed", "sealed"),
                ("parties", "parties"),
                ("declarations", "declarations"),
                ("timeline entries", "timeline"),
                ("audit entries", "audit"),
            )
        ),
        "| seeding time | " + " | ".join(f"{r['seed']['seconds']:.0f} s" for r in results) + " |",
        "",
        "## Figures",
        "",
        "Pages: Django's test client in the bench process (one request at a time, no network), as "
        "committee member `member1`, who took part in about 97 % of the cases; p50/p95 over up to 20 "
        "requests after a warm-up. Public report: gunicorn as `make run` starts it (2 workers × 4 threads, "
        "database cache, no Redis), 20 locust clients posting without pause for "
        f"{results[0]['load']['seconds']} s each, first `/bench/bare/` (a view inserting one row, same "
        "middleware), then `/report/`.",
        "",
        head,
        rule,
        row(
            "public report `POST /report/`, 20 clients",
            "≥ 0.5 × bare",
            lambda r: (
                f"{r['load']['report']['rps']} req/s, p50 {r['load']['report']['p50_ms']:.0f} ms, "
                f"p95 {r['load']['report']['p95_ms']:.0f} ms ({r['load']['report']['failures']} failed)"
            ),
        ),
        row(
            "bare view inserting one row, 20 clients",
            "",
            lambda r: (
                f"{r['load']['bare']['rps']} req/s, p50 {r['load']['bare']['p50_ms']:.0f} ms, "
                f"p95 {r['load']['bare']['p95_ms']:.0f} ms ({r['load']['bare']['failures']} failed)"
            ),
        ),
        row(
            "ratio report / bare",
            "≥ 0.5",
            lambda r: (
                f"{r['load']['ratio']} {_goal(r['load']['ratio'] is not None and r['load']['ratio'] >= 0.5)}"
            ),
        ),
        row(
            "statements per public report (commit and on-commit work included)",
            "≤ 15",
            lambda r: f"{r['report_form']['queries']} {_goal(r['report_form']['queries'] <= 15)}",
        ),
        row("`/dashboard/`", "p95 < 150 ms", pg("dashboard")),
        row("`/cases/` (first page)", "p95 < 150 ms, < 200 KB", pg("case list")),
        row("`/cases/?state=triage`", "p95 < 150 ms", pg("case list, open only")),
        row("`/cases/?q=<a name>` (blind index)", "p95 < 150 ms", pg("case list, search by name")),
        row("`tick`, first run on the seeded data (catch-up)", "", tick("catch_up", None)),
        row("`tick`, a day later (a day's work)", "< 30 s, < 200 MB", tick("day", 30)),
        row("`tick`, again at once (nothing due)", "< 5 s, < 200 MB", tick("nothing_due", 5)),
        row(
            "escrow match, new report naming a person 50 sealed reports name",
            "< 50 ms, constant queries",
            lambda r: (
                f"{r['escrow']['match']['matches']} matches, {r['escrow']['match']['ms']:.0f} ms, "
                f"{r['escrow']['match']['queries']} queries {_goal(r['escrow']['match']['ms'] < 50)}"
            ),
        ),
        row(
            "escrow match, nobody known",
            "< 50 ms",
            lambda r: f"{r['escrow']['no_match']['ms']:.0f} ms, {r['escrow']['no_match']['queries']} queries",
        ),
        row(
            "transparency draft of last year (create, then the page with its identifier check)",
            "< 3 s for 10,000 cases",
            lambda r: (
                f"{r['transparency']['cases_in_year']:,} cases: create {r['transparency']['generate_ms'] / 1000:.1f} s, "
                f"page p50 {r['transparency']['p50_ms'] / 1000:.1f} s, {r['transparency']['queries']} queries "
                f"{_goal(r['transparency']['generate_ms'] + r['transparency']['p50_ms'] < 3000)}"
            ),
        ),
        row(
            "`cocdesk audit verify`",
            "< 5 s for 1,000,000 entries",
            lambda r: (
                f"{r['audit_entries']:,} entries: {r['audit_verify']['seconds']:.1f} s, "
                f"peak {r['audit_verify']['peak_mb']:.0f} MB"
            ),
        ),
        row(
            "peak memory of a web worker (VmHWM after the load)",
            "",
            lambda r: f"{r['load']['worker_peak_mb']:.0f} MB",
        ),
        "",
        "Load average of the machine (1, 5, 15 min) before the load test and at the end of each size: "
        + "; ".join(
            f"{r['size']:,}: {', '.join(f'{x:.1f}' for x in r['loadavg_before_load'])} / "
            f"{', '.join(f'{x:.1f}' for x in r['loadavg_end'])}"
            for r in results
        )
        + " (2 cores: anything above 2 means other work was waiting for a core too).",
        "",
        "What each `tick` printed last: "
        + "; ".join(f"{r['size']:,}: “{r['tick']['day']['last']}”" for r in results),
        "",
    ]
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    main()
