"""Reading an email (D2): one RFC 5322 message to what can be read from it. Never raises.

The modern parser is tried first, then the lenient compat32 one, then plain byte decoding, and
whatever could not be read is noted. Every string that comes out is clean Unicode that can be
encrypted and stored: lone surrogates (UTF-7, unicode_escape) and control characters are replaced,
codecs that are not mail charsets (unicode_escape, idna, …) are never used, and a text part that
cannot be decoded is replaced by a readable placeholder (its bytes stay in the kept original).
Nothing here touches the database.
"""

from __future__ import annotations

import codecs
import email
import email.header
import email.policy
import email.utils
import hashlib
import logging
import mimetypes
import re
from dataclasses import dataclass, field
from email.message import Message as MimeMessage
from email.parser import BytesParser
from html.parser import HTMLParser

from django.utils.translation import gettext as _

from cocdesk.crypto import secret_hash

log = logging.getLogger("cocdesk.intake")

MAX_REFERENCES = 50
MAX_AUTH_HEADERS = 10
RECIPIENT_HEADERS = ("to", "cc", "delivered-to", "x-original-to", "envelope-to")
MAX_DEPTH = 20  # MIME nesting followed; deeper parts stay in the original

_MSGID_RE = re.compile(r"<([^<>\s]{1,990})>")
_ADDRESS_RE = re.compile(r"[^\s@<>,;]{1,64}@[^\s@<>,;]{1,255}")
_CONTROL_RE = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
_SURROGATE_RE = re.compile(r"[\ud800-\udfff]")
# Python text codecs that are not mail charsets: decoding mail with them turns backslashes into
# arbitrary code points (lone surrogates, NUL) or raises whatever the error handler says.
NOT_CHARSETS = {"unicode-escape", "raw-unicode-escape", "idna", "punycode", "undefined"}
UNREADABLE_SHARE = 0.3  # a part decoded with more replacement characters than this is not text
# Kept when the original of a reply to an anonymous or escrowed case is stored: nothing that
# identifies the sender (From, Received with client addresses, DKIM, ...) survives.
_ANONYMOUS_KEEP_HEADERS = {
    "subject",
    "date",
    "message-id",
    "in-reply-to",
    "references",
    "mime-version",
    "content-type",
    "content-transfer-encoding",
    "content-disposition",
    "content-language",
}


def no_text_description() -> str:
    return _("(This email had no readable text. The original message is kept.)")


def unreadable_part_placeholder(content_type: str, size: int) -> str:
    return _(
        "[A part of this email (%(type)s, %(size)s bytes) could not be read. It is kept in the "
        "original message, stored encrypted with the case.]"
    ) % {"type": content_type, "size": size}


def safe_text(text: str) -> str:
    """Text that can always be encoded as UTF-8: surrogate pairs are joined, lone surrogates
    become U+FFFD."""
    if not _SURROGATE_RE.search(text):
        return text
    return text.encode("utf-16", "surrogatepass").decode("utf-16", "replace")


@dataclass(frozen=True)
class EmailAttachment:
    name: str
    content_type: str
    data: bytes


@dataclass
class ParsedEmail:
    """What could be read from one message. Strings are clean Unicode (no surrogates)."""

    message_id: str = ""
    in_reply_to: list[str] = field(default_factory=list)
    references: list[str] = field(default_factory=list)
    subject: str = ""
    from_name: str = ""
    from_address: str = ""
    text: str = ""
    attachments: list[EmailAttachment] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)  # short codes, never content
    parser: str = "default"
    automatic: bool = False  # an auto-reply or a delivery report: never answered
    # Where it was sent (To, Cc and the receiving server's Delivered-To, X-Original-To, Envelope-To):
    # a reply token in one of them threads it (`receipts.reply_tokens_in`).
    recipients: list[str] = field(default_factory=list)
    # Every Authentication-Results header, topmost (added last, by our own mail server) first.
    authentication_results: list[str] = field(default_factory=list)


# --- parsing -------------------------------------------------------------------------------------


def _clean(text: str, *, keep_newlines: bool = False) -> str:
    """Clean Unicode: undo the parser's surrogate escapes, drop control characters."""
    try:
        text = text.encode("utf-8", "surrogateescape").decode("utf-8", "replace")
    except UnicodeError:
        text = text.encode("utf-8", "replace").decode("utf-8", "replace")
    text = _CONTROL_RE.sub("", text)
    if not keep_newlines:
        text = " ".join(text.split())
    return text


def _decode_bytes(data: bytes, charset: str | None) -> str:
    """Decode a text part. An unknown or wrong charset still gives readable text, never an error."""
    return _decode_part(data, charset)[0]


def _decode_part(data: bytes, charset: str | None) -> tuple[str, bool]:
    """Decode a text part: (text, whether it decoded cleanly). Never raises; the text never holds
    lone surrogates."""
    name = (charset or "").strip().strip('"').lower()
    if name:
        try:
            codec = codecs.lookup(name)
        except (LookupError, ValueError, TypeError):
            codec = None
        if codec is not None and codec._is_text_encoding and codec.name not in NOT_CHARSETS:
            try:
                text = data.decode(codec.name)
                return safe_text(text), not _SURROGATE_RE.search(text)
            except (UnicodeError, ValueError, TypeError, LookupError):
                try:
                    return safe_text(data.decode(codec.name, errors="replace")), False
                except (UnicodeError, ValueError, TypeError, LookupError):
                    pass
    try:
        return data.decode("utf-8"), not name
    except UnicodeDecodeError:
        # Most undeclared 8-bit mail is Windows-1252 / Latin-1.
        return data.decode("cp1252", errors="replace"), False


def _unreadable(text: str) -> bool:
    """Mostly replacement or control characters: what came out is not the sender's text."""
    if not text.strip():
        return False
    bad = text.count("\ufffd") + len(_CONTROL_RE.findall(text))
    return bad / len(text) > UNREADABLE_SHARE


def _decode_header_text(value: str) -> str:
    """Decode RFC 2047 encoded words leniently; fall back to the raw text."""
    try:
        parts = email.header.decode_header(value)
        return "".join(
            _decode_bytes(chunk, charset) if isinstance(chunk, bytes) else chunk for chunk, charset in parts
        )
    except Exception:  # malformed encoded words: keep the raw header text
        return value


def _raw_header(msg: MimeMessage, name: str) -> str:
    """A header's value as received (no parsing), or ""."""
    try:
        for key, value in msg.raw_items():
            if key.lower() == name:
                return str(value)
    except Exception:  # noqa: S110 - a header that cannot even be listed is simply absent
        pass
    return ""


def _raw_headers(msg: MimeMessage, name: str) -> list[str]:
    """Every value of a header as received, top to bottom."""
    try:
        return [str(value) for key, value in msg.raw_items() if key.lower() == name]
    except Exception:
        return []


def _header(msg: MimeMessage, name: str) -> str:
    """A header decoded for people (Subject, From): the policy's parser, then a lenient decoder."""
    decoded = ""
    try:
        value = msg.get(name)
        decoded = _clean(str(value)) if value is not None else ""
    except Exception:  # noqa: S110 - the raw value is decoded below
        pass
    if decoded and "\ufffd" not in decoded:
        return decoded
    raw = _raw_header(msg, name.lower())
    lenient = _clean(_decode_header_text(raw)) if raw else ""
    # An unknown charset: the lenient decoder guesses (UTF-8, then Windows-1252) instead of giving up.
    if not decoded or (lenient and lenient.count("\ufffd") < decoded.count("\ufffd")):
        return lenient
    return decoded


def _message_ids(value: str) -> list[str]:
    found = _MSGID_RE.findall(value)
    if not found and value.strip() and " " not in value.strip():
        found = [value.strip()]  # some clients omit the angle brackets
    return [_clean(v) for v in found if v]


def normalize_message_id(value: str) -> str:
    ids = _message_ids(value)
    return ids[0] if ids else ""


def message_key_for_id(message_id: str) -> str:
    return secret_hash("msgid:" + message_id)


# What makes two copies "the same message": these headers and the body. Transport headers
# (Received, Delivered-To, Return-Path, DKIM, …) differ between deliveries of one message.
_CONTENT_HEADERS = {"from", "to", "cc", "subject", "date", "message-id", "content-type"}


def content_digest(raw: bytes) -> str:
    """A hash of the message's own content: the body and the headers its sender wrote."""
    text = raw.replace(b"\r\n", b"\n")
    head, _sep, body = text.partition(b"\n\n")
    fields: list[bytes] = []
    for line in head.split(b"\n"):
        if line[:1] in (b" ", b"\t") and fields:  # a folded continuation line
            fields[-1] += b" " + line.strip()
        else:
            fields.append(line.strip())
    kept = sorted(
        b" ".join(f.split())
        for f in fields
        if f.split(b":", 1)[0].strip().lower().decode("ascii", "replace") in _CONTENT_HEADERS
    )
    return hashlib.sha256(b"\n".join(kept) + b"\n\n" + body.rstrip()).hexdigest()


def message_key(*, message_id: str, raw: bytes) -> str:
    """The idempotency key: the Message-ID plus a hash of the content (a different message that
    reuses a Message-ID is not a copy), or the bytes themselves when there is no Message-ID."""
    if message_id:
        return secret_hash(f"msgid:{message_id}:content:{content_digest(raw)}")
    return secret_hash("sha256:" + hashlib.sha256(raw).hexdigest())


def _sender(msg: MimeMessage) -> tuple[str, str]:
    name, address = "", ""
    try:
        header = msg.get("From")
        addresses = getattr(header, "addresses", None)
        if addresses:
            name, address = addresses[0].display_name, addresses[0].addr_spec
        elif header is not None:
            name, address = email.utils.parseaddr(str(header))
    except Exception:
        name, address = email.utils.parseaddr(_decode_header_text(_raw_header(msg, "from")))
    address = _clean(address).strip("<>")
    if not _ADDRESS_RE.fullmatch(address) or len(address) > 254:
        address = ""
    return _clean(name)[:200], address


def _is_automatic(msg: MimeMessage, from_address: str) -> bool:
    """Auto-replies and bounces are never answered: a confirmation could start a mail loop."""
    auto = _raw_header(msg, "auto-submitted").strip().lower()
    precedence = _raw_header(msg, "precedence").strip().lower()
    local = from_address.split("@", 1)[0].lower()
    return (
        (auto != "" and not auto.startswith("no"))
        or _raw_header(msg, "return-path").strip() == "<>"
        or precedence in {"auto_reply", "junk"}
        or bool(_raw_header(msg, "x-autoreply") or _raw_header(msg, "x-autorespond"))
        or local in {"mailer-daemon", "postmaster"}
        or _safe_content_type(msg) == "multipart/report"
    )


def _safe_content_type(part: MimeMessage) -> str:
    try:
        return part.get_content_type()
    except Exception:
        return "application/octet-stream"


class _TextExtractor(HTMLParser):
    """HTML to plain text. Scripts, styles and other non-content are removed, never rendered."""

    SKIP = {"script", "style", "head", "title", "template", "noscript", "svg", "math", "iframe", "object"}
    BLOCK = {
        "p", "div", "br", "li", "tr", "h1", "h2", "h3", "h4", "h5", "h6", "blockquote", "pre",
        "table", "ul", "ol", "hr", "section", "article", "header", "footer", "dt", "dd",
    }  # fmt: skip

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self.skipping = 0
        self.href: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in self.SKIP:
            self.skipping += 1
        elif tag in self.BLOCK:
            self.parts.append("\n")
        elif tag == "a":
            href = dict(attrs).get("href") or ""
            self.href.append(href if href.startswith(("http://", "https://", "mailto:")) else "")
        elif tag == "img" and not self.skipping:
            alt = (dict(attrs).get("alt") or "").strip()
            if alt:
                self.parts.append(f"[{alt}]")

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag not in self.SKIP:  # a self-closed <script/> opens nothing
            self.handle_starttag(tag, attrs)
            if tag == "a":
                self.handle_endtag(tag)

    def handle_endtag(self, tag: str) -> None:
        if tag in self.SKIP:
            self.skipping = max(0, self.skipping - 1)
        elif tag in self.BLOCK:
            self.parts.append("\n")
        elif tag == "a" and self.href:
            href = self.href.pop()
            if href and not self.skipping:
                self.parts.append(f" <{href}>")  # where a link pointed can be evidence

    def handle_data(self, data: str) -> None:
        if not self.skipping:
            self.parts.append(data)


def html_to_text(html: str) -> str:
    """Plain text of an HTML body; scripts and styles never reach the committee's screens."""
    extractor = _TextExtractor()
    try:
        extractor.feed(html)
        extractor.close()
    except Exception:  # whatever was read before the error is kept
        extractor.parts.append("\n")
    return safe_text(_tidy(_CONTROL_RE.sub("", "".join(extractor.parts))))


def _tidy(text: str) -> str:
    lines = [" ".join(line.split()) for line in text.replace("\r\n", "\n").replace("\r", "\n").split("\n")]
    out: list[str] = []
    for line in lines:
        if line or (out and out[-1]):
            out.append(line)
    return "\n".join(out).strip()


def _filename(part: MimeMessage, content_type: str, number: int) -> str:
    try:
        name = part.get_filename() or ""
    except Exception:
        name = _raw_header(part, "content-disposition")
        match = re.search(r'filename\*?="?([^";]+)', name)
        name = match.group(1) if match else ""
    name = _clean(str(name)).replace("\\", "/").rsplit("/", 1)[-1].strip(" .")
    if not name:
        extension = mimetypes.guess_extension(content_type) or ".bin"
        name = f"attachment-{number}{extension}"
    return name[-200:]


def _payload_bytes(part: MimeMessage) -> bytes:
    data = part.get_payload(decode=True)
    if isinstance(data, bytes):
        return data
    payload = part.get_payload()
    return payload.encode("utf-8", "surrogateescape") if isinstance(payload, str) else b""


class _Walker:
    """Collects body text and attachments from every part, whatever the structure."""

    def __init__(self, parsed: ParsedEmail, *, nested: bool = False) -> None:
        self.parsed = parsed
        self.nested = nested  # inside a forwarded message: its parts are kept whole with it
        self.plain: list[str] = []
        self.html: list[str] = []
        self.forwarded: list[str] = []

    def walk(self, part: MimeMessage, depth: int = 0) -> None:
        if depth > MAX_DEPTH:
            self.parsed.problems.append("nesting")
            return
        content_type = _safe_content_type(part)
        try:
            if content_type == "message/rfc822":
                self._attach_message(part, depth)
            elif part.is_multipart():
                children = part.get_payload()
                for child in children if isinstance(children, list) else []:
                    self.walk(child, depth + 1)
            else:
                self._leaf(part, content_type)
        except Exception:  # one unreadable part does not lose the others
            self.parsed.problems.append("part")

    def _attach_message(self, part: MimeMessage, depth: int) -> None:
        """A forwarded message: kept whole as an .eml, and its text used if the email has none."""
        inner = part.get_payload()
        inner = inner[0] if isinstance(inner, list) and inner else inner
        if isinstance(inner, MimeMessage):
            nested = _Walker(self.parsed, nested=True)
            nested.walk(inner, depth + 1)
            self.forwarded.append(nested.text())
        if self.nested:  # a forward inside a forward: kept inside the outer .eml
            return
        data = _message_bytes(inner) if isinstance(inner, MimeMessage) else _payload_bytes(part)
        if not data:  # cannot be written out again: it stays in the kept original
            self.parsed.problems.append("forwarded")
            return
        number = len(self.parsed.attachments) + 1
        name = _filename(part, "message/rfc822", number)
        if not name.lower().endswith(".eml"):
            name += ".eml"
        self.parsed.attachments.append(EmailAttachment(name=name, content_type="message/rfc822", data=data))

    def _leaf(self, part: MimeMessage, content_type: str) -> None:
        try:
            disposition = part.get_content_disposition()
        except Exception:
            disposition = None
        data = _payload_bytes(part)
        if content_type.startswith("multipart/"):  # no usable boundary: the payload is all there is
            self.plain.append(_decode_bytes(data, None))
            return
        if content_type in ("text/plain", "text/html") and disposition != "attachment":
            try:
                charset = part.get_content_charset()
            except Exception:
                charset = None
            text, clean = _decode_part(data, charset)
            if not clean:
                self.parsed.problems.append("charset")
            if _unreadable(text):
                self.plain.append(unreadable_part_placeholder(content_type, len(data)))
                return
            (self.plain if content_type == "text/plain" else self.html).append(text)
            return
        if self.nested:  # an attachment of a forwarded message: kept inside its .eml
            return
        number = len(self.parsed.attachments) + 1
        self.parsed.attachments.append(
            EmailAttachment(name=_filename(part, content_type, number), content_type=content_type, data=data)
        )

    def text(self) -> str:
        if self.plain:
            return _tidy_plain("\n\n".join(self.plain))
        if self.html:
            return html_to_text("\n".join(self.html))
        return "\n\n".join(text for text in self.forwarded if text)


def _message_bytes(inner: MimeMessage) -> bytes:
    """A forwarded message written out again, as leniently as it takes; b"" if it cannot be."""
    for write in (
        lambda: inner.as_bytes(),
        lambda: inner.as_bytes(policy=email.policy.compat32),
        lambda: inner.as_string(policy=email.policy.compat32).encode("utf-8", "surrogateescape"),
    ):
        try:
            return write()
        except Exception:  # noqa: S112 - the next, more lenient way
            continue
    return b""


def _tidy_plain(text: str) -> str:
    text = _clean(text, keep_newlines=True).replace("\r\n", "\n").replace("\r", "\n")
    return text.strip()


def _extract(msg: MimeMessage, parser: str) -> ParsedEmail:
    parsed = ParsedEmail(parser=parser)
    parsed.message_id = normalize_message_id(_raw_header(msg, "message-id"))
    parsed.in_reply_to = _message_ids(_raw_header(msg, "in-reply-to"))[:MAX_REFERENCES]
    parsed.references = _message_ids(_raw_header(msg, "references"))[-MAX_REFERENCES:]
    parsed.subject = _header(msg, "subject")[:500]
    parsed.from_name, parsed.from_address = _sender(msg)
    parsed.automatic = _is_automatic(msg, parsed.from_address)
    parsed.recipients = [_clean(v)[:2000] for name in RECIPIENT_HEADERS for v in _raw_headers(msg, name)][:50]
    parsed.authentication_results = [_clean(v)[:2000] for v in _raw_headers(msg, "authentication-results")][
        :MAX_AUTH_HEADERS
    ]
    try:
        # The parser's defect names (e.g. CloseBoundaryNotFoundDefect) say what was wrong; no content.
        parsed.problems += sorted({type(d).__name__ for d in getattr(msg, "defects", [])})
    except Exception:
        parsed.problems.append("defects")
    walker = _Walker(parsed)
    walker.walk(msg)
    parsed.text = walker.text()
    return parsed


def _extract_raw(raw: bytes) -> ParsedEmail:
    """The last resort: headers by regular expression, the rest as text."""
    parsed = ParsedEmail(parser="raw", problems=["unparsable"])
    head, _sep, body = raw.replace(b"\r\n", b"\n").partition(b"\n\n")
    headers = _decode_bytes(head, None)
    for name, attr in (("message-id", "message_id"), ("subject", "subject")):
        match = re.search(rf"^{name}:[ \t]*(.*)$", headers, re.IGNORECASE | re.MULTILINE)
        if match:
            value = match.group(1)
            setattr(
                parsed,
                attr,
                normalize_message_id(value) if attr == "message_id" else _clean(value)[:500],
            )
    parsed.text = _tidy_plain(_decode_bytes(body if _sep else raw, None))
    for name in (*RECIPIENT_HEADERS, "authentication-results"):
        values = re.findall(rf"^{name}:[ \t]*(.*)$", headers, re.IGNORECASE | re.MULTILINE)
        target = parsed.authentication_results if name == "authentication-results" else parsed.recipients
        target += [_clean(v)[:2000] for v in values]
    return parsed


def email_parse(raw: bytes) -> ParsedEmail:
    """Read what can be read from one message. Never raises; every string is clean Unicode."""
    for name, policy in (("default", email.policy.default), ("compat32", email.policy.compat32)):
        try:
            return _safe(_extract(BytesParser(policy=policy).parsebytes(raw), name))
        except Exception:  # try the next, more lenient way
            log.debug("the %s email parser failed; trying a more lenient one", name)
    try:
        return _safe(_extract_raw(raw))
    except Exception:
        return ParsedEmail(parser="none", problems=["unparsable"])


def _safe(parsed: ParsedEmail) -> ParsedEmail:
    """Whatever a codec produced, nothing that goes to the database or a hash can fail to encode."""
    for name in ("message_id", "subject", "from_name", "from_address", "text"):
        setattr(parsed, name, safe_text(getattr(parsed, name)))
    parsed.recipients = [safe_text(r) for r in parsed.recipients]
    parsed.authentication_results = [safe_text(r) for r in parsed.authentication_results]
    parsed.in_reply_to = [safe_text(i) for i in parsed.in_reply_to]
    parsed.references = [safe_text(i) for i in parsed.references]
    parsed.attachments = [
        EmailAttachment(name=safe_text(a.name), content_type=safe_text(a.content_type), data=a.data)
        for a in parsed.attachments
    ]
    return parsed


def without_identity(raw: bytes) -> bytes:
    """The message with only the headers that say nothing about who sent it, from where."""
    newline = b"\r\n" if b"\r\n" in raw[:4096] else b"\n"
    head, sep, body = raw.partition(newline + newline)
    if not sep:
        head, body = raw, b""
    kept: list[bytes] = []
    keep = False
    for line in head.split(newline):
        if line[:1] in (b" ", b"\t"):  # continuation of the previous header
            if keep:
                kept.append(line)
            continue
        name = line.split(b":", 1)[0].strip().lower().decode("ascii", "replace")
        keep = name in _ANONYMOUS_KEEP_HEADERS
        if keep:
            kept.append(line)
    return newline.join(kept) + newline + newline + body


# --- who sent it: the receiving mail server's Authentication-Results (RFC 8601) ----------------------

PASS, FAIL, NONE, UNCHECKED = "pass", "fail", "none", "unchecked"
_RESULT_RE = re.compile(r"\b(dmarc|spf|dkim)\s*=\s*([a-z]+)", re.IGNORECASE)
_COMMENT_RE = re.compile(r"\([^()]*\)")


@dataclass(frozen=True)
class SenderCheck:
    """What the receiving mail server found about the From line: `verdict` is PASS (DMARC passed,
    or without DMARC, SPF or DKIM passed), FAIL (DMARC failed, or without DMARC, SPF failed and
    DKIM did not pass), NONE (checked, nothing conclusive) or UNCHECKED (no header we believe);
    `header` is the Authentication-Results we believed ("" if none)."""

    verdict: str
    header: str = ""


def authserv_id(header: str) -> str:
    """The first word of an Authentication-Results header: who wrote it."""
    head = _COMMENT_RE.sub(" ", header).split(";", 1)[0].split()
    return head[0].lower() if head else ""


def sender_check(results: list[str], *, trusted_id: str) -> SenderCheck:
    """Read the Authentication-Results our own mail server added. With `trusted_id` (the setting
    COCDESK_MAIL_AUTHSERV_ID), only headers it wrote count: a sender can write any header they
    like. Without it (development), the topmost header counts, the one added last."""
    wanted = trusted_id.strip().lower()
    ours = [h for h in results if authserv_id(h) == wanted] if wanted else results[:1]
    if not ours:
        return SenderCheck(UNCHECKED)
    header = ours[0]
    found: dict[str, set[str]] = {}
    for method, result in _RESULT_RE.findall(_COMMENT_RE.sub(" ", header.split(";", 1)[-1])):
        found.setdefault(method.lower(), set()).add(result.lower())
    dmarc, spf, dkim = (found.get(m, set()) for m in ("dmarc", "spf", "dkim"))
    if "fail" in dmarc:
        verdict = FAIL
    elif "pass" in dmarc or "pass" in spf or "pass" in dkim:
        verdict = PASS
    elif spf & {"fail", "softfail"}:
        verdict = FAIL
    else:
        verdict = NONE
    return SenderCheck(verdict, header)
