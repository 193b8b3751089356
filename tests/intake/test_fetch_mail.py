"""`cocdesk fetch-mail` against a real IMAP server: Debian's Dovecot, started on a loopback port.

Without Dovecot the server tests are skipped on a developer machine and fail under CI=true, where
.ci/run installs dovecot-imapd.
"""

import grp
import imaplib
import io
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
import time
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from cocdesk.cases.models import Case
from cocdesk.intake.mail import imap as imap_client
from cocdesk.intake.mail import storing
from cocdesk.intake.mail.imap import imap_target
from cocdesk.intake.models import InboundEmail
from tests.intake.test_email_ingest import CANARY, make_email
from tests.mailbox import delivered

DOVECOT = Path(shutil.which("dovecot") or "/usr/sbin/dovecot")
USER, PASSWORD = "cocdesk", "imap test password"

transactional = pytest.mark.django_db(transaction=True)  # fetch-mail commits each message itself


@dataclass
class Dovecot:
    port: int
    log: Path

    def url(self, mailbox: str = "INBOX") -> str:
        return f"imap://{USER}:imap%20test%20password@127.0.0.1:{self.port}/{mailbox}"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _config(root: Path, port: int) -> str:
    if os.geteuid() == 0:  # Dovecot refuses to run its login and mail processes as root
        internal, login = "dovecot", "dovenull"
    else:
        internal = login = pwd.getpwuid(os.geteuid()).pw_name
    owner = pwd.getpwnam(internal)
    (root / "mail").mkdir()
    os.chown(root / "mail", owner.pw_uid, owner.pw_gid)
    (root / "passwd").write_text(f"{USER}:{{PLAIN}}{PASSWORD}::::::\n")
    return f"""
base_dir = {root}/run
state_dir = {root}/state
log_path = {root}/dovecot.log
protocols = imap
listen = 127.0.0.1
ssl = no
disable_plaintext_auth = no
auth_mechanisms = plain
auth_failure_delay = 0
default_internal_user = {internal}
default_internal_group = {grp.getgrgid(owner.pw_gid).gr_name}
default_login_user = {login}
first_valid_uid = {owner.pw_uid}
mail_location = maildir:{root}/mail/%u
passdb {{
  driver = passwd-file
  args = scheme=PLAIN username_format=%u {root}/passwd
}}
userdb {{
  driver = passwd-file
  args = username_format=%u {root}/passwd
  default_fields = uid={owner.pw_uid} gid={owner.pw_gid} home={root}/mail/%u
}}
service imap-login {{
  chroot =
  inet_listener imap {{
    address = 127.0.0.1
    port = {port}
  }}
  inet_listener imaps {{
    port = 0
  }}
}}
service anvil {{
  chroot =
}}
service stats {{
  chroot =
}}
"""


@pytest.fixture(scope="module")
def dovecot():
    if not DOVECOT.exists():
        if os.environ.get("CI") == "true":
            pytest.fail("Dovecot is missing under CI; .ci/run installs dovecot-imapd with apt-get.")
        pytest.skip("Dovecot is not installed (apt-get install dovecot-imapd)")
    root = Path(tempfile.mkdtemp(prefix="cocdesk-dovecot-"))
    root.chmod(0o755)  # the mail and login users must reach their files
    port = _free_port()
    (root / "dovecot.conf").write_text(_config(root, port))
    process = subprocess.Popen(
        [str(DOVECOT), "-F", "-c", str(root / "dovecot.conf")],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    try:
        deadline = time.monotonic() + 15
        while True:
            try:
                client = imaplib.IMAP4("127.0.0.1", port, timeout=5)
                client.login(USER, PASSWORD)
                client.logout()
                break
            except (OSError, imaplib.IMAP4.error):
                if process.poll() is not None or time.monotonic() > deadline:
                    log = (root / "dovecot.log").read_text() if (root / "dovecot.log").exists() else ""
                    pytest.fail(f"Dovecot did not start:\n{process.stderr.read().decode()}\n{log}")
                time.sleep(0.1)
        yield Dovecot(port=port, log=root / "dovecot.log")
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        shutil.rmtree(root, ignore_errors=True)


@contextmanager
def imap(server: Dovecot):
    client = imaplib.IMAP4("127.0.0.1", server.port, timeout=10)
    client.login(USER, PASSWORD)
    client.select("INBOX")
    try:
        yield client
    finally:
        client.logout()


@pytest.fixture
def mailbox(dovecot, settings):
    """An empty INBOX, and IMAP_URL pointing at it."""
    with imap(dovecot) as client:
        _status, data = client.uid("SEARCH", None, "ALL")
        if data[0]:
            client.uid("STORE", b",".join(data[0].split()), "+FLAGS.SILENT", "(\\Deleted)")
            client.expunge()
    settings.IMAP_URL = dovecot.url()
    return dovecot


def deliver(server: Dovecot, raw: bytes, *, seen: bool = False) -> None:
    with imap(server) as client:
        status, _ = client.append("INBOX", "(\\Seen)" if seen else None, None, raw)
        assert status == "OK"


def flags(server: Dovecot) -> list[bool]:
    """For each message in the INBOX, in order: is it seen?"""
    with imap(server) as client:
        _status, data = client.fetch("1:*", "(FLAGS)")
    return [b"\\Seen" in item for item in data if isinstance(item, bytes)]


def fetch_mail() -> tuple[int, list[str], str]:
    out, err = io.StringIO(), io.StringIO()
    try:
        call_command("fetch_mail", stdout=out, stderr=err)
    except SystemExit as exc:
        return exc.code, out.getvalue().split(), err.getvalue()
    return 0, out.getvalue().split(), err.getvalue()


@transactional
def test_unseen_messages_become_cases_and_are_marked_seen_after_storing(mailbox):
    deliver(mailbox, make_email(message_id="<imap.1@example.net>"))
    deliver(mailbox, make_email(message_id="<imap.2@example.net>", sender="Sam <sam@example.net>"))
    deliver(mailbox, make_email(message_id="<old.3@example.net>"), seen=True)  # handled before
    code, out, err = fetch_mail()
    assert (code, err) == (0, "")
    assert sorted(out) == sorted(Case.objects.values_list("reference", flat=True))
    assert len(out) == 2 and all(c.description == CANARY for c in Case.objects.all())
    assert flags(mailbox) == [True, True, True]
    assert {m.to[0] for m in delivered()} >= {"robin@example.net", "sam@example.net"}  # confirmations
    assert fetch_mail() == (0, [], "")  # nothing left to do


@transactional
def test_a_crash_between_fetch_and_store_loses_nothing(mailbox, monkeypatch):
    deliver(mailbox, make_email(message_id="<crash.1@example.net>"))
    fetched = []

    def crash(*, raw):
        fetched.append(raw)
        raise RuntimeError("the process died here")

    monkeypatch.setattr(imap_client, "email_ingest", crash)
    code, out, err = fetch_mail()
    assert code == 75 and out == [] and "Traceback" not in err
    assert fetched and b"crash.1@example.net" in fetched[0]  # it had been fetched
    assert flags(mailbox) == [False] and not Case.objects.exists()
    monkeypatch.undo()
    code, out, _ = fetch_mail()
    assert code == 0 and out == [Case.objects.get().reference]
    assert flags(mailbox) == [True]


@transactional
def test_a_crash_after_storing_but_before_marking_seen_makes_no_second_case(mailbox, monkeypatch):
    deliver(mailbox, make_email(message_id="<crash.2@example.net>"))
    real = storing.email_ingest

    def store_then_crash(*, raw):
        real(raw=raw)
        raise OSError("the connection dropped before \\Seen")

    monkeypatch.setattr(imap_client, "email_ingest", store_then_crash)
    assert fetch_mail()[0] == 75
    assert flags(mailbox) == [False] and Case.objects.count() == 1
    monkeypatch.undo()
    code, out, _ = fetch_mail()  # fetched again: the Message-ID is known, so the same case
    assert code == 0 and out == [Case.objects.get().reference]
    assert Case.objects.count() == 1 and InboundEmail.objects.count() == 1
    assert flags(mailbox) == [True]


@transactional
def test_a_wrong_password_exits_75_without_a_traceback(mailbox, settings):
    settings.IMAP_URL = f"imap://{USER}:wrong@127.0.0.1:{mailbox.port}/INBOX"
    code, _, err = fetch_mail()
    assert code == 75 and "could not read the mailbox" in err
    assert "wrong" not in err and "Traceback" not in err


def test_an_unreachable_server_exits_75(settings):
    settings.IMAP_URL = f"imap://u:p@127.0.0.1:{_free_port()}/INBOX"
    code, out, err = fetch_mail()
    assert code == 75 and out == [] and "could not read the mailbox" in err


def test_fetch_mail_needs_imap_url(settings):
    settings.IMAP_URL = ""
    with pytest.raises(CommandError, match="IMAP_URL"):
        call_command("fetch_mail")


def test_imap_url_is_read_with_defaults_and_percent_decoding():
    target = imap_target("imaps://conduct%40example.org:p%40ss%2Fw@mail.example.org")
    assert (target.host, target.port, target.tls) == ("mail.example.org", 993, True)
    assert (target.user, target.password, target.mailbox) == ("conduct@example.org", "p@ss/w", "INBOX")
    assert imap_target("imap://u:p@127.0.0.1:10143/Reports").port == 10143
    with pytest.raises(ValueError, match="imaps://"):
        imap_target("http://example.org/")
