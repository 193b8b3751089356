"""Scale-out, proven (issue 16; D12): two cocdesk web servers (gunicorn, as `make run` starts
it) on two ports, one PostgreSQL database and one Redis, and two `cocdesk tick` runners.

Each server has a data directory of its own, as on two hosts; they share only the database, Redis
and the keys. Both sit behind a pretend nginx (COCDESK_PROXY_COUNT=1): every request comes from
127.0.0.1 and names its client in X-Forwarded-For.

The test makes its own PostgreSQL database (`scale_<random>`, dropped afterwards) whatever
DATABASE_URL says, so it runs the same in the SQLite and the PostgreSQL pass of CI, and uses a Redis
database number of its own, flushed before and after (COCDESK_SCALE_REDIS_URL, default
redis://127.0.0.1:6379/6). Without PostgreSQL or Redis it is skipped on a developer machine and
fails under CI=true.
"""

from __future__ import annotations

import base64
import http.cookiejar
import os
import re
import secrets
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

import psycopg
import pytest
from cryptography.fernet import Fernet
from django_otp.oath import TOTP

from cocdesk.demo import DEMO_PASSWORD
from tests.shared_state import redis_or_skip

pytestmark = pytest.mark.slow

POSTGRES = os.environ.get("COCDESK_SCALE_POSTGRES", "postgresql://postgres@127.0.0.1:5432")
REDIS_URL = os.environ.get("COCDESK_SCALE_REDIS_URL", "redis://127.0.0.1:6379/6")
BIN = Path(sys.executable).parent
REPORTS = 100
GUNICORN_AS_MAKE_RUN = ["--workers", "2", "--threads", "4", "--graceful-timeout", "5"]


def _unavailable(what: str) -> None:
    if os.environ.get("CI") == "true":
        pytest.fail(f"{what} is not reachable under CI; .ci/run starts it.")
    pytest.skip(f"{what} is not reachable")


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@dataclass
class Cluster:
    env: dict
    tmp: Path
    database: str
    servers: list[str] = field(default_factory=list)
    totp_keys: dict[str, str] = field(default_factory=dict)

    def cocdesk(self, *args: str, data_dir: str, **extra_env: str) -> subprocess.Popen:
        env = {**self.env, "COCDESK_DATA_DIR": str(self.tmp / data_dir), **extra_env}
        return subprocess.Popen(
            [str(BIN / "cocdesk"), *args], env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
        )

    def run(self, *args: str, data_dir: str = "admin", **extra_env: str) -> str:
        process = self.cocdesk(*args, data_dir=data_dir, **extra_env)
        out, err = process.communicate(timeout=120)
        assert process.returncode == 0, f"cocdesk {' '.join(args)} failed:\n{out}\n{err}"
        return out

    def query(self, sql: str) -> list[tuple]:
        with psycopg.connect(f"{POSTGRES}/{self.database}") as conn:
            return conn.execute(sql).fetchall()

    def code(self, email: str) -> str:
        key = self.totp_keys[email]
        return f"{TOTP(base64.b32decode(key + '=' * (-len(key) % 8))).token():06d}"


class _NoRedirects(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


class Visitor:
    """One browser with its own cookies, at one client address behind the proxy."""

    def __init__(self, address: str) -> None:
        self.address = address
        self.jar = http.cookiejar.CookieJar()
        self.opener = urllib.request.build_opener(
            urllib.request.HTTPCookieProcessor(self.jar), _NoRedirects()
        )

    def request(self, url: str, fields: dict | None = None) -> tuple[int, str]:
        data = None
        if fields is not None:
            token = next((c.value for c in self.jar if c.name == "csrftoken"), "")
            data = urllib.parse.urlencode({**fields, "csrfmiddlewaretoken": token}).encode()
        request = urllib.request.Request(url, data=data, headers={"X-Forwarded-For": self.address})  # noqa: S310
        try:
            with self.opener.open(request, timeout=60) as response:
                return response.status, response.read().decode()
        except urllib.error.HTTPError as error:
            return error.code, error.read().decode()

    def get(self, url: str) -> tuple[int, str]:
        return self.request(url)

    def post(self, url: str, fields: dict) -> tuple[int, str]:
        if not any(c.name == "csrftoken" for c in self.jar):
            self.get(url)
        return self.request(url, fields)


def _wait_until_up(url: str, process: subprocess.Popen, log: Path) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if process.poll() is not None:
            pytest.fail(f"gunicorn exited:\n{log.read_text()}")
        try:
            with urllib.request.urlopen(f"{url}/healthz", timeout=5) as response:  # noqa: S310
                if response.status == 200:
                    return
        except OSError:
            time.sleep(0.2)
    pytest.fail(f"gunicorn did not answer on {url}:\n{log.read_text()}")


@pytest.fixture(scope="module")
def cluster(tmp_path_factory):
    try:
        admin = psycopg.connect(f"{POSTGRES}/postgres", autocommit=True, connect_timeout=5)
    except psycopg.OperationalError:
        _unavailable(f"PostgreSQL at {POSTGRES}")
    redis = redis_or_skip(REDIS_URL)
    redis.flushdb()
    database = f"scale_{secrets.token_hex(4)}"
    admin.execute(f'CREATE DATABASE "{database}"')
    tmp = tmp_path_factory.mktemp("scale")
    inherited = ("COCDESK_", "DJANGO_", "DATABASE_URL", "REDIS_URL", "EMAIL_", "SECRET_KEY")
    env = {key: value for key, value in os.environ.items() if not key.startswith(inherited)}
    env.update(
        DATABASE_URL=f"{POSTGRES}/{database}",
        REDIS_URL=REDIS_URL,
        SECRET_KEY=secrets.token_urlsafe(50),
        COCDESK_FIELD_KEYS=Fernet.generate_key().decode(),
        COCDESK_AUDIT_KEY=secrets.token_hex(32),
        COCDESK_INDEX_KEY=secrets.token_hex(32),
        COCDESK_PROXY_COUNT="1",
        EMAIL_BACKEND="django.core.mail.backends.filebased.EmailBackend",
    )
    cluster = Cluster(env=env, tmp=tmp, database=database)
    processes = []
    try:
        cluster.run("migrate", "--noinput", "-v", "0")
        demo = cluster.run("demo")
        emails = re.findall(r"email:\s+(\S+)", demo)
        keys = re.findall(r"TOTP key:\s+([A-Z2-7]+)", demo)
        cluster.totp_keys = dict(zip(emails, keys, strict=True))
        for name in ("web-a", "web-b"):
            port = _free_port()
            log = tmp / f"{name}.log"
            process = subprocess.Popen(
                [str(BIN / "gunicorn"), "cocdesk.wsgi", "--bind", f"127.0.0.1:{port}", *GUNICORN_AS_MAKE_RUN],
                env={**env, "COCDESK_DATA_DIR": str(tmp / name)},
                stdout=log.open("w"),
                stderr=subprocess.STDOUT,
            )
            processes.append(process)
            cluster.servers.append(f"http://127.0.0.1:{port}")
            _wait_until_up(cluster.servers[-1], process, log)
        yield cluster
    finally:
        for process in processes:
            process.terminate()
        for process in processes:
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                process.kill()
        admin.execute(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)')
        admin.close()
        redis.flushdb()


def test_a_rate_limit_reached_on_one_server_holds_on_the_other(cluster):
    a, b = cluster.servers
    guesser = Visitor("203.0.113.50")
    for n in range(10):
        status, _ = guesser.post(f"{a}/report/status/", {"code": f"AAAA-BBBB-CCCC-DDDD-{n:04d}"})
        assert status == 200
    status, page = guesser.post(f"{b}/report/status/", {"code": "AAAA-BBBB-CCCC-DDDD-9999"})
    assert status == 429
    assert "try again in about" in page
    assert (
        Visitor("198.51.100.50").post(f"{b}/report/status/", {"code": "AAAA-BBBB-CCCC-DDDD-9999"})[0] == 200
    )


def test_a_lockout_reached_on_one_server_holds_on_the_other(cluster):
    a, b = cluster.servers
    email = "ben@example.org"
    stranger = Visitor("203.0.113.60")
    statuses = [
        stranger.post(f"{a}/login/", {"email": email, "password": "guess", "code": "000000"})[0]
        for _ in range(5)
    ]
    assert statuses == [200, 200, 200, 200, 429]  # the fifth failure locks
    right = {"email": email, "password": DEMO_PASSWORD, "code": cluster.code(email)}
    status, page = stranger.post(f"{b}/login/", right)
    assert status == 429
    assert "Too many attempts" in page
    # The lockout is the stranger's alone: Ben, elsewhere, logs in on either server.
    assert Visitor("198.51.100.60").post(f"{b}/login/", right)[0] == 302


def test_a_session_started_on_one_server_is_valid_on_the_other(cluster):
    a, b = cluster.servers
    email = "ada@example.org"
    ada = Visitor("198.51.100.70")
    status, _ = ada.post(
        f"{a}/login/", {"email": email, "password": DEMO_PASSWORD, "code": cluster.code(email)}
    )
    assert status == 302
    status, page = ada.get(f"{b}/dashboard/")
    assert status == 200
    assert "Ada Okafor" in page
    assert ada.post(f"{b}/logout/", {})[0] == 302
    assert ada.get(f"{a}/dashboard/")[0] == 302  # logged out on both


def _report(n: int, server: str) -> str:
    visitor = Visitor(f"198.18.{n // 200}.{n % 200 + 1}")
    fields = {
        "kind": "anonymous",
        "preferred_contact": "email",
        "wants_updates": "no",
        "what_happened": f"scale report {n}",
    }
    status, page = visitor.post(f"{server}/report/", fields)
    assert status == 302, page
    status, page = visitor.get(f"{server}/report/thanks/")
    return re.search(r"stored as <strong>([^<]+)</strong>", page).group(1)


def test_a_hundred_concurrent_reports_across_both_servers_all_land_exactly_once(cluster):
    before = cluster.query("SELECT count(*) FROM cases_case")[0][0]
    with ThreadPoolExecutor(max_workers=20) as pool:
        references = list(pool.map(lambda n: _report(n, cluster.servers[n % 2]), range(REPORTS)))
    assert len(set(references)) == REPORTS
    total, distinct = cluster.query("SELECT count(*), count(DISTINCT reference) FROM cases_case")[0]
    assert total - before == REPORTS
    assert distinct == total
    stored = {ref for (ref,) in cluster.query("SELECT reference FROM cases_case")}
    assert set(references) <= stored


QUEUED = 300
QUEUE_MAIL = f"""
from cocdesk.members.models import Member
from cocdesk.outbox.services import outbox_enqueue
members = list(Member.objects.filter(is_active=True))
for n in range({QUEUED}):
    outbox_enqueue(kind="scale", member=members[n % len(members)], subject=f"scale {{n}}", body="-",
                   dedupe_key=f"scale:{{n}}")
"""


def _two_ticks_at_once(cluster: Cluster, mail: Path) -> int:
    """Start two tick runners together; the number of messages they say they sent."""
    ticks = [cluster.cocdesk("tick", data_dir=f"tick-{n}", EMAIL_FILE_PATH=str(mail)) for n in (1, 2)]
    outputs = [tick.communicate(timeout=120) for tick in ticks]
    for tick, (out, err) in zip(ticks, outputs, strict=True):
        assert tick.returncode == 0, out + err
    return sum(int(re.search(r"outbox: (\d+) sent", out).group(1)) for out, _ in outputs)


def test_two_ticks_started_together_send_each_message_once(cluster):
    cluster.run("shell", "-c", QUEUE_MAIL)
    sent_before = cluster.query("SELECT count(*) FROM outbox_outboxmessage WHERE status = 'sent'")[0][0]
    mail = cluster.tmp / "tick-mail"
    # A tick sends at most 200 messages: pairs of ticks run until a pair finds nothing left to send.
    reported, rounds = 0, 0
    while rounds < 5:
        rounds += 1
        sent = _two_ticks_at_once(cluster, mail)
        reported += sent
        if not sent:
            break
    texts = [path.read_text() for path in mail.glob("*.log")]
    delivered = sum(text.count("\n" + "-" * 79 + "\n") for text in texts)
    subjects = [s for text in texts for s in re.findall(r"^Subject: (scale \d+)$", text, re.MULTILINE)]
    by_status = dict(cluster.query("SELECT status, count(*) FROM outbox_outboxmessage GROUP BY status"))
    assert sorted(subjects) == sorted(f"scale {n}" for n in range(QUEUED))  # each one exactly once
    assert by_status.get("pending", 0) == 0
    assert delivered == reported == by_status["sent"] - sent_before
