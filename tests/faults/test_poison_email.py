"""Email that cannot be decoded is still a report (issue 11, D2): utf-7, unicode_escape, bogus
charsets and nested forwards are all stored; what cannot be read stays in the kept original with a
readable placeholder; nothing the parser produces can make encryption fail. A different message
reusing a known Message-ID is a new message on the same thread, never dropped."""

import io

import pytest
from django.core.management import call_command

from cocdesk.cases import evidence
from cocdesk.cases.models import Case, MessageDirection
from cocdesk.intake.mail import parsing
from cocdesk.intake.mail.storing import email_ingest
from cocdesk.intake.models import InboundEmail

pytestmark = pytest.mark.django_db

SURROGATE_UTF7 = b"+2D0-"  # a lone high surrogate in UTF-7


def message(content_type: bytes, body: bytes, *, subject=b"a report", msgid=b"<poison.1@example.net>"):
    return (
        b"From: Robin Reporter <robin@example.net>\r\n"
        b"To: conduct@example.org\r\n"
        b"Subject: " + subject + b"\r\n"
        b"Message-ID: " + msgid + b"\r\n"
        b"MIME-Version: 1.0\r\n"
        b"Content-Type: " + content_type + b"\r\n\r\n" + body
    )


def forwarded(inner: bytes, depth: int) -> bytes:
    for level in range(depth):
        inner = (
            b"From: forwarder%d@example.net\r\nSubject: Fwd\r\nMIME-Version: 1.0\r\n" % level
            + b'Content-Type: multipart/mixed; boundary="B%d"\r\n\r\n' % level
            + b"--B%d\r\nContent-Type: message/rfc822\r\n\r\n" % level
            + inner
            + b"\r\n--B%d--\r\n" % level
        )
    return inner


UTF7_HTML = message(b"text/html; charset=utf-7", b"<p>He said " + SURROGATE_UTF7 + b" and left +AOk-.</p>")
CORPUS = {
    "utf-7 html": UTF7_HTML,
    "utf-7 plain": message(b"text/plain; charset=utf-7", b"Plain " + SURROGATE_UTF7 + b" text."),
    "unicode_escape html": message(
        b"text/html; charset=unicode_escape", b"<p>Escaped \\ud800 \\x00 and \\N{NO SUCH NAME}</p>"
    ),
    "unicode_escape plain": message(b"text/plain; charset=unicode_escape", b"Escaped \\udfff here."),
    "raw_unicode_escape": message(b"text/plain; charset=raw_unicode_escape", b"Raw \\ud800 here."),
    "bogus charset": message(b"text/plain; charset=x-no-such-charset", b"caf\xe9 at noon"),
    "charset idna": message(b"text/plain; charset=idna", b"\xff\xfe.." * 10),
    "charset undefined": message(b"text/html; charset=undefined", b"<p>undefined</p>"),
    "charset rot13": message(b"text/plain; charset=rot13", b"uryyb"),
    "charset with quotes": message(b'text/plain; charset="utf-8\\"; x=1"', b"quoted charset"),
    "utf-7 subject": message(b"text/plain", b"body", subject=b"=?utf-7?Q?" + SURROGATE_UTF7 + b"?="),
    "forwarded utf-7 html": forwarded(UTF7_HTML, 1),
    "nested forwards": forwarded(UTF7_HTML, 6),
    "forwarded unicode_escape": forwarded(
        message(b"text/html; charset=unicode_escape", b"<p>\\ud800 inside</p>", msgid=b"<in.1@x>"), 3
    ),
    "undecodable binary as text": message(b"text/html; charset=utf-16", b"\x00\xd8" * 200),
    "utf-7 attachment name": (
        b"From: robin@example.net\r\nSubject: file\r\nMessage-ID: <att.7@example.net>\r\n"
        b'MIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary="Z"\r\n\r\n'
        b"--Z\r\nContent-Type: text/plain\r\n\r\nsee file\r\n"
        b"--Z\r\nContent-Type: text/plain\r\n"
        b"Content-Disposition: attachment; filename*=utf-7''" + SURROGATE_UTF7 + b".txt\r\n\r\n"
        b"log\r\n--Z--\r\n"
    ),
}


def clean(text: str) -> bool:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return "\x00" not in text


@pytest.mark.parametrize("name", CORPUS)
def test_poison_email_is_stored_as_a_report_with_the_original_kept(name):
    raw = CORPUS[name]
    parsed = parsing.email_parse(raw)
    for text in (parsed.text, parsed.subject, parsed.from_name, *(a.name for a in parsed.attachments)):
        assert clean(text), name
    result = email_ingest(raw=raw)
    case = Case.objects.get()
    assert result.reference == case.reference and result.created
    assert clean(case.description) and case.description.strip()
    inbound = InboundEmail.objects.get()
    assert evidence.read_decrypted(inbound.raw_storage_name) == raw  # the original bytes, encrypted
    assert email_ingest(raw=raw).reference == case.reference  # redelivered: the same reference
    assert Case.objects.count() == 1


def test_poison_email_through_the_command_exits_0(tmp_path):
    path = tmp_path / "poison.eml"
    path.write_bytes(CORPUS["nested forwards"])
    out = io.StringIO()
    call_command("ingest_email", str(path), stdout=out)  # no SystemExit: exit 0
    assert out.getvalue().strip() == Case.objects.get().reference


def test_an_undecodable_part_leaves_a_readable_placeholder():
    email_ingest(raw=CORPUS["undecodable binary as text"])
    description = Case.objects.get().description
    assert "could not be read" in description and "original" in description


def test_a_decodable_utf7_part_is_read_with_only_the_bad_character_replaced():
    email_ingest(raw=CORPUS["utf-7 html"])
    assert "He said \ufffd and left é." in Case.objects.get().description


def test_a_different_message_reusing_a_known_message_id_is_a_new_message_on_the_same_thread():
    first = message(b"text/plain", b"The first report.")
    second = message(b"text/plain", b"Something else entirely, with the same Message-ID.")
    opened = email_ingest(raw=first)
    again = email_ingest(raw=second)
    assert again.reference == opened.reference and not again.created and not again.duplicate
    case = Case.objects.get()
    assert InboundEmail.objects.filter(case=case).count() == 2
    texts = list(
        case.messages.filter(direction=MessageDirection.FROM_REPORTER).values_list("body", flat=True)
    )
    assert texts == ["Something else entirely, with the same Message-ID."]
    # Each of them redelivered, byte for byte or with other transport headers: nothing new.
    assert email_ingest(raw=second).duplicate and email_ingest(raw=b"Received: by mx2\r\n" + first).duplicate
    assert InboundEmail.objects.count() == 2
