"""Email intake: `cocdesk ingest-email` (intake issue; D2, D11)."""

import io
import os
import subprocess
import sys
from email.message import EmailMessage
from pathlib import Path

import pikepdf
import pytest
from django.core.files.storage import default_storage
from django.core.management import call_command
from django.db import DatabaseError
from django.test import TestCase
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from PIL import Image

from cocdesk.audit.models import AuditEntry
from cocdesk.cases import evidence
from cocdesk.cases import services as cases
from cocdesk.cases.models import (
    Attachment,
    Case,
    Channel,
    Kind,
    Message,
    MessageDirection,
    PartyRole,
    TimelineKind,
)
from cocdesk.intake.mail import parsing, storing
from cocdesk.intake.models import InboundEmail
from tests.factories import open_report
from tests.mailbox import delivered, forget_delivered, intake_mail

pytestmark = pytest.mark.django_db

CANARY = "canary-7d2a9 he cornered me after the keynote"
SUBJECT_CANARY = "canary-subject-51c0 about the hallway"
REPO = Path(__file__).resolve().parents[2]


def make_email(
    *,
    body: str = CANARY,
    subject: str = SUBJECT_CANARY,
    sender: str = "Robin Reporter <robin@example.net>",
    message_id: str | None = "<first.1@mail.example.net>",
    headers: dict | None = None,
    attachments: list[tuple[str, str, bytes]] = (),
    to: str = "conduct@example.org",
) -> bytes:
    message = EmailMessage()
    message["From"] = sender
    message["To"] = to
    message["Subject"] = subject
    if message_id:
        message["Message-ID"] = message_id
    for name, value in (headers or {}).items():
        message[name] = value
    message.set_content(body)
    for filename, content_type, data in attachments:
        maintype, subtype = content_type.split("/")
        message.add_attachment(data, maintype=maintype, subtype=subtype, filename=filename)
    return message.as_bytes()


def ingest(tmp_path, *messages: bytes) -> tuple[int, list[str], str]:
    """Run `ingest-email FILE …` as the mail server would; mail queued on commit is sent."""
    files = []
    for number, raw in enumerate(messages):
        path = tmp_path / f"message-{len(list(tmp_path.iterdir()))}-{number}.eml"
        path.write_bytes(raw)
        files.append(str(path))
    out, err = io.StringIO(), io.StringIO()
    code = 0
    with TestCase.captureOnCommitCallbacks(execute=True):
        try:
            call_command("ingest_email", *files, stdout=out, stderr=err)
        except SystemExit as exc:
            code = exc.code
    return code, out.getvalue().split(), err.getvalue()


def stored_raw(case: Case) -> bytes:
    inbound = InboundEmail.objects.get(case=case)
    return evidence.read_decrypted(inbound.raw_storage_name)


def tiny_png() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (4, 4), "green").save(out, "PNG")
    return out.getvalue()


def mail_files() -> set[str]:
    return set(default_storage.listdir("mail")[1]) if default_storage.exists("mail") else set()


# --- a new report ---------------------------------------------------------------------------------


def test_an_email_becomes_a_named_email_case_with_its_raw_message_kept_encrypted(tmp_path):
    raw = make_email()
    code, out, err = ingest(tmp_path, raw)
    assert (code, err) == (0, "")
    case = Case.objects.get()
    assert out == [case.reference]
    assert (case.channel, case.kind) == (Channel.EMAIL, Kind.NAMED)
    assert case.description == CANARY
    assert case.intake_details["subject"] == SUBJECT_CANARY
    reporter = case.parties.get(role=PartyRole.REPORTER)
    assert (reporter.name, reporter.email) == ("Robin Reporter", "robin@example.net")
    inbound = InboundEmail.objects.get()
    assert inbound.raw_storage_name.startswith("mail/")
    assert stored_raw(case) == raw
    with default_storage.open(inbound.raw_storage_name, "rb") as handle:
        assert b"canary" not in handle.read()  # encrypted at rest
    assert case.timeline.filter(kind=TimelineKind.INTAKE).exists()


def test_the_same_message_twice_prints_the_same_reference_and_makes_one_case(tmp_path, alice):
    raw = make_email()
    _, first, _ = ingest(tmp_path, raw)
    sent = len(delivered())
    code, second, err = ingest(tmp_path, raw)
    assert (code, err) == (0, "")
    assert first == second
    assert Case.objects.count() == 1 and InboundEmail.objects.count() == 1
    assert len(delivered()) == sent  # no second confirmation or notice
    # A re-delivered copy with other transport headers is still the same Message-ID.
    _, third, _ = ingest(tmp_path, b"Received: from relay2\r\n" + raw)
    assert third == first and Case.objects.count() == 1


def test_reporter_is_confirmed_and_members_get_a_notice_without_any_of_the_email(tmp_path, alice, bob):
    ingest(tmp_path, make_email())
    for message in intake_mail(Case.objects.get(), reporter="robin@example.net", members=(alice, bob)):
        text = message.subject + message.body
        assert "canary" not in text and "Robin" not in text


def test_an_automatic_message_is_stored_but_never_answered(tmp_path, alice):
    bounce = make_email(
        sender="Mail Delivery System <MAILER-DAEMON@example.net>",
        message_id="<bounce.1@example.net>",
        headers={"Auto-Submitted": "auto-replied"},
    )
    code, out, _ = ingest(tmp_path, bounce)
    case = Case.objects.get()
    assert code == 0 and out == [case.reference]
    assert case.intake_details["automatic"] is True
    assert [m.to[0] for m in delivered()] == [alice.email]  # the member notice only: no mail loop


def test_stdin_is_read_when_no_file_is_given(monkeypatch):
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(make_email())))
    out = io.StringIO()
    call_command("ingest_email", stdout=out)
    assert out.getvalue().split() == [Case.objects.get().reference]


def test_an_unreadable_file_is_reported_without_a_traceback(tmp_path):
    err = io.StringIO()
    with pytest.raises(SystemExit) as exit_:
        call_command("ingest_email", str(tmp_path / "missing.eml"), stderr=err)
    assert exit_.value.code == 66
    assert "cannot read" in err.getvalue() and "Traceback" not in err.getvalue()


# --- replies --------------------------------------------------------------------------------------


def test_a_reply_by_in_reply_to_lands_on_its_case_and_tells_participants(tmp_path, alice, bob):
    _, (reference,), _ = ingest(tmp_path, make_email())
    case = Case.objects.get()
    cases.conflict_declare(case=case, member=alice, has_conflict=False)  # alice takes part, bob not yet
    forget_delivered()
    reply = make_email(
        body="canary-reply-3 and it happened again on Sunday",
        subject="Re: " + SUBJECT_CANARY,
        message_id="<reply.2@mail.example.net>",
        headers={"In-Reply-To": "<first.1@mail.example.net>", "References": "<first.1@mail.example.net>"},
    )
    code, out, _ = ingest(tmp_path, reply)
    assert (code, out) == (0, [reference])
    assert Case.objects.count() == 1
    message = Message.objects.get(case=case, direction=MessageDirection.FROM_REPORTER)
    assert message.body == "canary-reply-3 and it happened again on Sunday"
    entry = case.timeline.get(kind=TimelineKind.EMAIL_IN)
    # Unverified (no Authentication-Results here): never called the reporter's address outright.
    assert "shows the address on this case" in entry.text and "canary-reply-3" in entry.text
    assert "Sent from the reporter's address" not in entry.text
    assert [m.to[0] for m in delivered()] == [alice.email]
    assert reference in delivered()[0].subject and "canary" not in delivered()[0].body
    inbound = InboundEmail.objects.order_by("pk").last()
    assert inbound.details["threaded_by"] == "headers"
    assert inbound.details["refs"] == [parsing.message_key_for_id("first.1@mail.example.net")]
    # A reply to the reply (only the newest Message-ID in In-Reply-To) still finds the case.
    third = make_email(
        body="one more thing",
        subject="Re: Re: something else",
        message_id="<reply.3@mail.example.net>",
        headers={"In-Reply-To": "<reply.2@mail.example.net>"},
    )
    assert ingest(tmp_path, third)[1] == [reference]
    assert Case.objects.count() == 1 and case.messages.filter(direction="from_reporter").count() == 2


def test_a_reply_to_our_confirmation_is_threaded_by_its_reply_to_address(tmp_path):
    _, (reference,), _ = ingest(tmp_path, make_email())
    confirmation = next(m for m in delivered() if m.to == ["robin@example.net"])
    reply = make_email(
        body="Thanks. Here is a photo.",
        subject="Re: " + confirmation.subject,
        message_id="<reply.4@mail.example.net>",
        to=confirmation.reply_to[0],
        headers={"In-Reply-To": "<never-stored@cocdesk>"},
        attachments=[("photo.png", "image/png", tiny_png())],
    )
    assert ingest(tmp_path, reply)[1] == [reference]
    case = Case.objects.get()
    assert case.messages.filter(direction="from_reporter").get().body == "Thanks. Here is a photo."
    attachment = Attachment.objects.get(case=case)
    assert (attachment.source, attachment.original_name) == ("email", "photo.png")
    assert InboundEmail.objects.order_by("pk").last().details["threaded_by"] == "token"


def test_a_reply_from_another_address_is_threaded_but_flagged(tmp_path):
    _, (reference,), _ = ingest(tmp_path, make_email())
    confirmation = next(m for m in delivered() if m.to == ["robin@example.net"])
    other = make_email(
        sender="Someone Else <else@example.com>",
        subject=f"About {reference}",
        message_id="<other.5@example.com>",
        to=confirmation.reply_to[0],
        body="I saw it too",
    )
    assert ingest(tmp_path, other)[1] == [reference]
    entry = Case.objects.get().timeline.get(kind=TimelineKind.EMAIL_IN)
    assert "not on this case" in entry.text


def test_a_reply_to_an_anonymous_case_keeps_no_trace_of_the_sender(tmp_path):
    with TestCase.captureOnCommitCallbacks(execute=True):
        case = open_report(
            channel=Channel.WEB,
            kind=Kind.ANONYMOUS,
            description="anonymous report",
            notify_email="ping@example.net",
            actor="public",
        ).case
    (ping,) = [m for m in delivered() if m.to == ["ping@example.net"]]
    reply = make_email(
        sender="Secret Person <ping@example.net>",
        subject="Re: " + ping.subject,
        message_id="<anon.6@example.net>",
        to=ping.reply_to[0],
        headers={"Received": "from [198.51.100.23] by mx.example.net", "X-Originating-IP": "198.51.100.23"},
        body="More details, anonymously",
    )
    assert ingest(tmp_path, reply)[1] == [case.reference]
    kept = stored_raw(case)
    assert b"More details" in kept
    for trace in (b"Secret", b"ping@", b"198.51.100.23", b"From:"):
        assert trace not in kept
    assert not case.parties.exists()
    assert InboundEmail.objects.get(case=case).details["identity_removed"] is True


# --- a corpus of broken messages: each ends stored, none lost, no traceback ------------------------

BAD_CHARSET = (
    b"From: Ren\xe9 <rene@example.net>\r\n"
    b"Subject: =?x-unknown?q?Caf=E9?= incident\r\n"
    b"Message-ID: <charset.1@example.net>\r\n"
    b"MIME-Version: 1.0\r\n"
    b'Content-Type: text/plain; charset="x-unknown"\r\n'
    b"Content-Transfer-Encoding: 8bit\r\n\r\n"
    b"It happened at the caf\xe9 \xe0 midi.\r\n"
)
TRUNCATED_MIME = (
    b"From: robin@example.net\r\n"
    b"Subject: truncated\r\n"
    b"Message-ID: <truncated.1@example.net>\r\n"
    b"MIME-Version: 1.0\r\n"
    b'Content-Type: multipart/mixed; boundary="XYZ"\r\n\r\n'
    b"--XYZ\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n"
    b"The first part was readable.\r\n"
    b"--XYZ\r\nContent-Type: image/png; name=cut.png\r\n"
    b"Content-Disposition: attachment; filename=cut.png\r\n"
    b"Content-Transfer-Encoding: base64\r\n\r\n"
    b"iVBORw0KGgoAAAANSUhEUgAAAAEAAAAB"  # cut off mid-part: no closing boundary
)
NO_MESSAGE_ID = b"From: robin@example.net\r\nSubject: no id\r\n\r\nThere is no Message-ID here.\r\n"
EMPTY_BODY = b"From: robin@example.net\r\nSubject: empty\r\nMessage-ID: <empty.1@example.net>\r\n\r\n"
HTML_ONLY = (
    b"From: robin@example.net\r\n"
    b"Subject: html\r\n"
    b"Message-ID: <html.1@example.net>\r\n"
    b"MIME-Version: 1.0\r\n"
    b"Content-Type: text/html; charset=utf-8\r\n\r\n"
    b"<html><head><style>p {color:red}</style><script>steal('cookie')</script></head>"
    b"<body><p>He said <b>awful</b> things &amp; left.</p><img src=x onerror=alert(1)>"
    b"<a href='https://chat.example/msg/1'>the message</a><script>alert('x')</script></body></html>"
)
FORWARDED = (
    b"From: robin@example.net\r\n"
    b"Subject: Fwd: what he sent me\r\n"
    b"Message-ID: <fwd.1@example.net>\r\n"
    b"MIME-Version: 1.0\r\n"
    b'Content-Type: multipart/mixed; boundary="F"\r\n\r\n'
    b"--F\r\nContent-Type: message/rfc822\r\n\r\n"
    b"From: jamie@example.com\r\nSubject: you\r\n\r\nThe message I was sent.\r\n"
    b"--F--\r\n"
)
GARBAGE = b"\x00\xff\xfe not an email at all \x80\x81\r\n\r\n\x00"
HEADER_SOUP = (
    b"Subject: =?utf-8?b?!!!notbase64?=\r\nFrom: <<<@@@>>>\r\nContent-Type: multipart/\r\n\r\n--\r\n"
)

CORPUS = {
    "bad charset": (BAD_CHARSET, "It happened at the café à midi."),
    "truncated MIME": (TRUNCATED_MIME, "The first part was readable."),
    "no Message-ID": (NO_MESSAGE_ID, "There is no Message-ID here."),
    "empty body": (EMPTY_BODY, parsing.no_text_description()),
    "HTML only": (HTML_ONLY, "He said awful things & left.\nthe message <https://chat.example/msg/1>"),
    "forwarded as an attachment": (FORWARDED, "The message I was sent."),
    "not an email": (GARBAGE, None),
    "broken headers": (HEADER_SOUP, None),
}


@pytest.mark.parametrize("name", CORPUS)
def test_a_broken_message_is_still_stored_with_what_could_be_read(tmp_path, name):
    raw, description = CORPUS[name]
    code, out, err = ingest(tmp_path, raw)
    assert (code, err) == (0, "")
    case = Case.objects.get()
    assert out == [case.reference]
    assert stored_raw(case) == raw  # none lost: the original is kept, encrypted
    if description is not None:
        assert case.description == description
    assert "<script" not in case.description and "steal" not in case.description
    assert "alert" not in case.description
    if name == "forwarded as an attachment":  # the forwarded message is kept as evidence too
        assert case.attachments.get().content_type == "message/rfc822"
    # Idempotent even without a usable Message-ID.
    assert ingest(tmp_path, raw)[1] == out and Case.objects.count() == 1


def test_a_bad_charset_subject_and_name_are_still_readable(tmp_path):
    ingest(tmp_path, BAD_CHARSET)
    case = Case.objects.get()
    assert case.intake_details["subject"] == "Café incident"
    assert case.parties.get(role=PartyRole.REPORTER).email == "rene@example.net"


@pytest.mark.slow
def test_a_20_mb_attachment_is_stored(tmp_path):
    content = os.urandom(20 * 1024 * 1024)
    pdf = pikepdf.new()
    pdf.add_blank_page()
    pdf.pages[0].obj["/Canary"] = pdf.make_stream(content)
    report = io.BytesIO()
    pdf.save(report)
    raw = make_email(attachments=[("recording-transcript.pdf", "application/pdf", report.getvalue())])
    code, out, _ = ingest(tmp_path, raw)
    case = Case.objects.get()
    assert code == 0 and out == [case.reference]
    attachment = Attachment.objects.get(case=case)
    assert attachment.size > len(content) and attachment.source == "email" and attachment.cleaned
    with pikepdf.open(io.BytesIO(evidence.read_decrypted(attachment.storage_name))) as stored:
        assert stored.pages[0].obj["/Canary"].read_bytes() == content


def test_an_attachment_we_do_not_take_is_noted_and_kept_in_the_original(tmp_path):
    raw = make_email(
        attachments=[
            ("screen-recording.mov", "video/quicktime", b"\x00\x00\x00\x14ftypqt  " + b"\x00" * 100),
            ("fake.png", "image/png", b"this is not a png"),
            ("log.txt", "text/plain", b"chat log line 1\n"),
        ]
    )
    ingest(tmp_path, raw)
    case = Case.objects.get()
    assert list(case.attachments.values_list("content_type", flat=True)) == ["text/plain"]
    note = case.timeline.get(kind=TimelineKind.NOTE).text
    assert "screen-recording.mov" in note and "fake.png" in note and "not extracted" in note
    details = InboundEmail.objects.get().details
    assert [item["name"] for item in details["not_extracted"]] == ["screen-recording.mov", "fake.png"]
    assert stored_raw(case) == raw  # what was not extracted is still in the original


# --- storage failures: exit 75, nothing half-stored -----------------------------------------------


def _snapshot():
    return (Case.objects.count(), InboundEmail.objects.count(), AuditEntry.objects.count(), mail_files())


def test_exit_75_when_the_database_fails_and_nothing_is_half_stored(tmp_path, monkeypatch):
    def broken(**kwargs):
        raise DatabaseError("could not write: the disk is full")

    monkeypatch.setattr(storing, "report_store", broken)
    before = _snapshot()
    code, out, err = ingest(tmp_path, make_email())
    assert code == 75 and out == []
    assert "could not be stored" in err and "DatabaseError" in err and "Traceback" not in err
    assert _snapshot() == before
    assert not delivered()


def test_exit_75_when_a_later_step_fails_after_the_case_was_opened(tmp_path, monkeypatch):
    def broken(**kwargs):
        raise DatabaseError("connection lost")

    monkeypatch.setattr(storing, "attachment_add", broken)
    before = _snapshot()
    raw = make_email(attachments=[("log.txt", "text/plain", b"x\n")])
    code, _, err = ingest(tmp_path, raw)
    assert code == 75 and "Traceback" not in err
    assert _snapshot() == before
    monkeypatch.undo()  # the mail server retries: now it is stored, once
    code, out, _ = ingest(tmp_path, raw)
    assert code == 0 and out == [Case.objects.get().reference]


def test_exit_75_when_file_storage_fails(tmp_path, monkeypatch):
    def full(*args, **kwargs):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(evidence, "store_encrypted", full)
    code, _, err = ingest(tmp_path, make_email())
    assert code == 75 and "No space left" in err and "Traceback" not in err
    assert not Case.objects.exists() and not InboundEmail.objects.exists()


# --- the real command line, once ----------------------------------------------------------------


@pytest.mark.slow
def test_ingest_email_as_a_real_process_prints_the_same_reference_twice(tmp_path):
    data = tmp_path / "data"
    message = tmp_path / "report.eml"
    message.write_bytes(make_email())
    env = {k: v for k, v in os.environ.items() if k not in {"DATABASE_URL", "COCDESK_ENV"}}
    env.update(
        COCDESK_DATA_DIR=str(data),
        DJANGO_SETTINGS_MODULE="cocdesk.settings",
        EMAIL_BACKEND="django.core.mail.backends.filebased.EmailBackend",
        EMAIL_FILE_PATH=str(tmp_path / "sent"),
        PYTHONPATH=str(REPO / "src"),
    )

    def cocdesk(*args):
        return subprocess.run(
            [sys.executable, "-m", "cocdesk.cli", *args],
            env=env,
            capture_output=True,
            timeout=120,
            check=False,
        )

    assert cocdesk("migrate", "--noinput", "-v", "0").returncode == 0
    first, second = cocdesk("ingest-email", str(message)), cocdesk("ingest-email", str(message))
    assert (first.returncode, second.returncode) == (0, 0), first.stderr + second.stderr
    reference = first.stdout.decode().strip()
    assert reference.startswith("CoC-") and second.stdout.decode().strip() == reference
    assert b"Traceback" not in first.stderr + second.stderr
    assert not (tmp_path / "sent").exists()  # ingesting only queues mail
    assert cocdesk("send-mail").returncode == 0  # the outbox worker sends it
    sent = b"".join(p.read_bytes() for p in (tmp_path / "sent").iterdir())
    assert reference.encode() in sent and b"canary" not in sent


# --- property-based: no input makes the parser or the intake raise ----------------------------------


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(raw=st.binary(max_size=3000))
def test_the_parser_never_raises_on_arbitrary_bytes(raw):
    parsed = parsing.email_parse(raw)
    assert isinstance(parsed.text, str)
    assert parsing.message_key(message_id=parsed.message_id, raw=raw)


CONTENT_TYPES = [
    "text/plain",
    "text/html",
    'multipart/mixed; boundary="b1"',
    "multipart/alternative; boundary=b1",
    "message/rfc822",
    "image/png",
    'application/octet-stream; name="a.pdf"',
    "",
]


@pytest.mark.slow
@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    subject=st.text(max_size=80),
    sender=st.text(max_size=60),
    message_id=st.text(max_size=40),
    content_type=st.sampled_from(CONTENT_TYPES),
    charset=st.sampled_from(["utf-8", "x-unknown", "latin-1", "base64", "utf-16", ""]),
    encoding=st.sampled_from(["7bit", "8bit", "base64", "quoted-printable", "x-weird"]),
    body=st.text(max_size=400),
)
def test_no_header_or_body_text_makes_intake_raise(
    subject, sender, message_id, content_type, charset, encoding, body
):
    def line(name, value):
        return f"{name}: {value}".encode("utf-8", "surrogatepass") + b"\r\n"

    raw = (
        line("Subject", subject)
        + line("From", sender)
        + line("Message-ID", message_id)
        + line("Content-Type", f"{content_type}; charset={charset}" if charset else content_type)
        + line("Content-Transfer-Encoding", encoding)
        + b"\r\n"
        + body.encode("utf-8", "surrogatepass")
    )
    parsed = parsing.email_parse(raw)
    assert isinstance(parsed.subject, str) and isinstance(parsed.text, str)
    result = storing.email_ingest(raw=raw)
    assert Case.objects.filter(reference=result.reference).exists()
