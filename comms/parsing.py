"""Parse one raw RFC 5322 message into plain values. Pure: no ORM, no settings, no clock.

Mail in the wild is often mislabelled: unknown charsets, raw 8-bit headers, broken dates. Every
such case degrades (replacement characters, empty values) instead of failing; only input that
is not an email at all raises ``ParseError``.
"""

from __future__ import annotations

import codecs
import email
import email.charset
import email.policy
import re
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.header import decode_header, make_header
from email.message import EmailMessage, Message
from email.policy import EmailPolicy
from email.utils import collapse_rfc2231_value, getaddresses, parsedate_to_datetime
from html.parser import HTMLParser

from mailparser_reply import EmailReplyParser

# Headers that, when present, prove the bytes are an email and not some other text.
_EMAIL_HEADERS = {
    "from",
    "to",
    "cc",
    "subject",
    "date",
    "message-id",
    "received",
    "return-path",
    "mime-version",
    "content-type",
    "delivered-to",
    "sender",
    "reply-to",
}

# Kept on ParsedEmail.headers for whoever wants to explain a decision later.
HEADERS_OF_INTEREST = (
    "Auto-Submitted",
    "Precedence",
    "List-Id",
    "List-Unsubscribe",
    "Return-Path",
    "X-Autoreply",
    "X-Autorespond",
    "X-Auto-Response-Suppress",
    "X-Priority",
    "Importance",
    "Priority",
    "Reply-To",
    "Delivered-To",
    "X-Original-To",
)

# Read through the email package's header registry (addresses, RFC 2047 words); the rest raw.
_STRUCTURED = {"from", "to", "cc", "subject"}

_BOUNCE_SENDERS = ("mailer-daemon@", "postmaster@")


class _HeadersParsedOnce(EmailPolicy):
    """``email.policy.default``, except that a message's header is parsed once however often it is read.

    The email package parses a header at every read, and finding the body parts and attachments reads
    each part's Content-Type a dozen times. One instance per message (``_reading_policy``).
    """

    parsed_headers: dict | None = None

    def header_fetch_parse(self, name, value):
        if self.parsed_headers is None:
            return super().header_fetch_parse(name, value)
        key = (name, value)
        if key not in self.parsed_headers:
            self.parsed_headers[key] = super().header_fetch_parse(name, value)
        return self.parsed_headers[key]


def _reading_policy() -> EmailPolicy:
    return _HeadersParsedOnce(header_factory=email.policy.default.header_factory, parsed_headers={})


def _message_from_bytes(raw: bytes) -> EmailMessage:
    return email.message_from_bytes(raw, policy=_reading_policy())


class ParseError(ValueError):
    """The bytes are not an email message at all."""


@dataclass(frozen=True)
class ParsedEmail:
    from_email: str
    from_name: str = ""
    to: tuple[str, ...] = ()
    cc: tuple[str, ...] = ()
    subject: str = ""
    text: str = ""
    html: str = ""
    message_id: str = ""
    in_reply_to: str = ""
    references: str = ""
    date: datetime | None = None
    attachments: tuple[dict, ...] = ()
    automatic_reason: str = ""
    priority_flag: bool = False
    headers: dict[str, str] = field(default_factory=dict)

    @property
    def is_automatic(self) -> bool:
        return bool(self.automatic_reason)


def parse_email(raw: bytes) -> ParsedEmail:
    """Parse raw message bytes. Raises ``ParseError`` when there are no email headers at all."""
    if not isinstance(raw, bytes | bytearray | memoryview):
        raise ParseError(f"expected bytes, got {type(raw).__name__}")
    raw = bytes(raw)
    if not raw.strip():
        raise ParseError("empty message")
    message = _message_from_bytes(raw)
    raw_headers = _raw_headers(message)
    if not _EMAIL_HEADERS & raw_headers.keys():
        raise ParseError("no email headers found")

    fallback_charset = _first_charset(message)

    def header(name: str) -> str:
        return _header_text(message, raw_headers, name, fallback_charset)

    from_name, from_email = _first_address(header("From"))
    text_part, html_part = _body_parts(message)
    text = _decode_part(text_part) if text_part is not None else ""
    if text_part is not None and _is_flowed(text_part):
        text = unflow(_normalize_newlines(text), delsp=_param(text_part, "delsp") == "yes")
    html = _decode_part(html_part) if html_part is not None else ""
    if not text.strip() and html:
        text = html_to_text(html)

    headers = {name: value for name in HEADERS_OF_INTEREST if (value := header(name))}
    return ParsedEmail(
        from_email=from_email,
        from_name=from_name,
        to=_addresses(header("To")),
        cc=_addresses(header("Cc")),
        subject=_one_line(header("Subject")),
        text=_normalize_newlines(text),
        html=html,
        message_id=_one_line(header("Message-ID")),
        in_reply_to=_one_line(header("In-Reply-To")),
        references=_one_line(header("References")),
        date=_date(header("Date")),
        attachments=tuple(_attachments(message, skip=(text_part, html_part))),
        automatic_reason=automatic_reason(message.get_content_type(), from_email, headers),
        priority_flag=is_priority_flagged(headers),
        headers=headers,
    )


def automatic_reason(content_type: str, from_email: str, headers: dict[str, str]) -> str:
    """Why this mail was not written by a person ('' if it was): bounce, auto-reply, list, bulk…"""

    def value(name: str) -> str:
        return headers.get(name, "").strip().lower()

    if content_type == "multipart/report" or from_email.startswith(_BOUNCE_SENDERS):
        return "bounce"
    auto_submitted = value("Auto-Submitted")
    if auto_submitted and auto_submitted.split(";")[0].strip() != "no":
        return "auto-reply" if auto_submitted.startswith("auto-replied") else "auto-generated"
    if "X-Autoreply" in headers or "X-Autorespond" in headers:
        return "auto-reply"
    suppress = {token.strip() for token in value("X-Auto-Response-Suppress").split(",")}
    if suppress & {"all", "oof", "autoreply"}:
        return "auto-reply"
    precedence = value("Precedence")
    if precedence in {"bulk", "junk"}:
        return "bulk"
    if precedence == "list":
        return "list"
    if precedence == "auto_reply":
        return "auto-reply"
    if "List-Id" in headers or "List-Unsubscribe" in headers:
        return "list"
    if value("Return-Path") == "<>":
        return "auto-generated"
    return ""


def is_priority_flagged(headers: dict[str, str]) -> bool:
    """The sender marked the mail important: X-Priority 1–2, Importance: high or Priority: urgent."""
    x_priority = headers.get("X-Priority", "").strip()
    return (
        x_priority[:1] in {"1", "2"}
        or headers.get("Importance", "").strip().lower() == "high"
        or headers.get("Priority", "").strip().lower() == "urgent"
    )


# --- headers -------------------------------------------------------------------------------------


def _raw_headers(message: Message) -> dict[str, str]:
    """Lower-cased name → first raw value, exactly as in the message (no parsing that could fail)."""
    found: dict[str, str] = {}
    for name, value in message.raw_items():
        found.setdefault(name.lower(), str(value))
    return found


def _header_text(message: Message, raw_headers: dict[str, str], name: str, fallback_charset: str) -> str:
    """A header as text: RFC 2047 decoded; raw 8-bit bytes guessed as UTF-8, then the body charset."""
    raw = raw_headers.get(name.lower())
    if raw is None:
        return ""
    if name.lower() not in _STRUCTURED:
        value = _decode_words(raw) if "=?" in raw else raw  # parsing every header is slow; these need no more
    else:
        try:
            value = str(message[name])
        except Exception:  # a malformed header must not lose the message
            value = _decode_words(raw)
    return _fix_8bit(value, fallback_charset)


def _decode_words(value: str) -> str:
    try:
        return str(make_header(decode_header(value)))
    except Exception:
        return value


def _fix_8bit(value: str, fallback_charset: str) -> str:
    """Undo the surrogate escapes the parser leaves for undeclared 8-bit header bytes."""
    if not any("\udc80" <= char <= "\udcff" for char in value):
        return value
    data = value.encode("utf-8", "surrogateescape")
    for charset in ("utf-8", fallback_charset):
        try:
            return data.decode(charset)
        except (UnicodeDecodeError, LookupError):
            continue
    return data.decode("utf-8", "replace")


def _one_line(value: str) -> str:
    return " ".join(value.split())


def _first_address(value: str) -> tuple[str, str]:
    pairs = _address_pairs(value)
    return pairs[0] if pairs else ("", "")


def _addresses(value: str) -> tuple[str, ...]:
    return tuple(address for _, address in _address_pairs(value))


def _address_pairs(value: str) -> list[tuple[str, str]]:
    """(display name, lower-cased address) pairs; entries without an @ are dropped."""
    if not value:
        return []
    pairs = []
    for name, address in getaddresses([value]):
        address = address.strip().strip("<>").lower()
        if "@" in address:
            pairs.append((_one_line(name), address))
    return pairs


def _date(value: str) -> datetime | None:
    if not value:
        return None
    try:
        parsed = parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError, OverflowError):
        return None
    if parsed.tzinfo is None:  # "-0000": the sender did not know its zone; RFC 5322 says treat as UTC
        parsed = parsed.replace(tzinfo=UTC)
    return parsed


# --- bodies --------------------------------------------------------------------------------------


def _body_parts(message: EmailMessage) -> tuple[Message | None, Message | None]:
    """The text/plain and text/html parts a mail client would show (either may be missing)."""
    try:
        text_part = message.get_body(preferencelist=("plain",))
        html_part = message.get_body(preferencelist=("html",))
    except Exception:  # fall back to a plain walk
        text_part = html_part = None
        for part in message.walk():
            if part.get_content_disposition() == "attachment":
                continue
            if text_part is None and part.get_content_type() == "text/plain":
                text_part = part
            elif html_part is None and part.get_content_type() == "text/html":
                html_part = part
    if text_part is None and html_part is None and message.get_content_maintype() == "text":
        text_part = message  # a single part of another text type (text/enriched, text/x-…)
    return text_part, html_part


def _decode_part(part: Message) -> str:
    """A text part's content in its declared charset; unknown or wrong charsets never crash."""
    try:
        payload = part.get_payload(decode=True)
    except Exception:
        payload = None
    if payload is None:
        payload = str(part.get_payload()).encode("utf-8", "surrogateescape")
    return decode_bytes(payload, part.get_content_charset())


def _param(part: Message, name: str) -> str:
    value = part.get_param(name, "", header="content-type")
    if isinstance(value, tuple):  # RFC 2231 form
        value = collapse_rfc2231_value(value)
    return str(value).strip().strip('"').lower()


def _is_flowed(part: Message) -> bool:
    return part.get_content_type() == "text/plain" and _param(part, "format") == "flowed"


_SIGNATURE_SEPARATOR = "-- "


def unflow(text: str, *, delsp: bool = False) -> str:
    """Decode RFC 3676 ``format=flowed`` text (``\n`` line ends) into its paragraphs.

    A line ending in a space is soft: it joins the next line of the same quote depth. With
    ``delsp`` (``DelSp=yes``) that one trailing space was added by the sender and is removed;
    without it the space stays, as it separates the words. Quote marks are counted and put back
    as ``">"`` per depth and a space; a space-stuffed line loses its first space; the signature
    separator ``"-- "`` is never soft.
    """
    if not text:
        return text
    out: list[str] = []
    paragraph: list[str] = []
    paragraph_depth = 0

    def close() -> None:
        if paragraph:
            out.append((">" * paragraph_depth + " " if paragraph_depth else "") + "".join(paragraph))
            paragraph.clear()

    lines = text.split("\n")
    trailing_newline = lines and lines[-1] == ""
    if trailing_newline:
        lines.pop()
    for line in lines:
        depth = len(line) - len(line.lstrip(">"))
        content = line[depth:]
        if content.startswith(" "):
            content = content[1:]  # space-stuffed (or the space after the quote marks)
        if paragraph and depth != paragraph_depth:
            close()  # a soft line followed by another quote depth ends where it is (RFC 3676 4.5)
        paragraph_depth = depth
        soft = content.endswith(" ") and content != _SIGNATURE_SEPARATOR
        if soft and delsp:
            content = content[:-1]
        paragraph.append(content)
        if not soft:
            close()
    close()
    return "\n".join(out) + ("\n" if trailing_newline else "")


def decode_bytes(data: bytes, charset: str | None) -> str:
    """Decode with the declared charset; undeclared, ASCII-labelled or unknown → UTF-8, then cp1252."""
    charset = (charset or "").strip().strip('"').lower()
    known = _codec(charset)
    if known and known not in {"ascii"}:
        try:
            return data.decode(known)
        except UnicodeDecodeError:
            if known != "utf-8":
                return data.decode(known, "replace")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        pass
    if known == "utf-8":  # labelled UTF-8 but is not: keep what decodes
        return data.decode("utf-8", "replace")
    return data.decode("cp1252", "replace")


def _codec(charset: str) -> str:
    """The Python codec for a MIME charset label, forgiving common misspellings ("cp-1251", "x-…")."""
    if not charset:
        return ""
    bare = charset.removeprefix("x-")
    for candidate in (email.charset.ALIASES.get(charset, charset), bare, bare.replace("-", ""), bare.replace("_", "")):
        try:
            return codecs.lookup(candidate).name
        except LookupError:
            continue
    return ""


def _first_charset(message: Message) -> str:
    """The first declared body charset: the best guess for undeclared 8-bit bytes in headers."""
    for part in message.walk():
        charset = _codec((part.get_content_charset() or "").lower())
        if charset and charset not in {"ascii", "utf-8"}:
            return charset
    return "cp1252"


def _normalize_newlines(text: str) -> str:
    return text.replace("\r\n", "\n").replace("\r", "\n")


# --- attachments ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class AttachmentPart:
    """One attachment's bytes, as the sender named and typed it (the name is not made safe here)."""

    name: str
    content_type: str
    data: bytes


def attachment_parts(raw: bytes) -> list[AttachmentPart]:
    """The attachments of a raw message with their bytes, in the order of ``ParsedEmail.attachments``.

    The stored metadata (``Message.attachments``) and these parts come from the same walk, so the
    n-th entry of one is the n-th of the other. Raises ``ParseError`` when the bytes are no email.
    """
    if not isinstance(raw, bytes | bytearray | memoryview):
        raise ParseError(f"expected bytes, got {type(raw).__name__}")
    raw = bytes(raw)
    if not raw.strip():
        raise ParseError("empty message")
    message = _message_from_bytes(raw)
    if not _EMAIL_HEADERS & _raw_headers(message).keys():
        raise ParseError("no email headers found")
    text_part, html_part = _body_parts(message)
    return [
        AttachmentPart(name=_filename(part), content_type=part.get_content_type(), data=_payload(part))
        for part in _attachment_leaves(message, skip=(text_part, html_part))
    ]


def _attachments(message: Message, *, skip: tuple[Message | None, ...]) -> list[dict]:
    return [
        {"name": _filename(part), "size": _size(part), "content_type": part.get_content_type()}
        for part in _attachment_leaves(message, skip=skip)
    ]


def _attachment_leaves(message: Message, *, skip: tuple[Message | None, ...]):
    """The parts that are files, not the body: what ``_attachments`` and ``attachment_parts`` both walk."""
    for part in _leaf_parts(message):
        if any(part is body for body in skip) or part is message:
            continue
        name = _filename(part)
        disposition = part.get_content_disposition()
        if not name and disposition != "attachment" and part.get_content_maintype() == "text":
            continue  # an extra inline text part (signature, footer): part of the body, not a file
        yield part


def _payload(part: Message) -> bytes:
    """A part's decoded bytes; an attached message (message/rfc822) as the message itself."""
    try:
        payload = part.get_payload(decode=True)
        if payload is not None:
            return payload
        inner = part.get_payload()
        if isinstance(inner, list) and len(inner) == 1 and isinstance(inner[0], Message):
            return inner[0].as_bytes()
        return part.as_bytes()
    except Exception:
        return b""


def _leaf_parts(message: Message):
    """Every non-multipart part; an attached message (message/rfc822) counts as one part."""
    if message.get_content_maintype() == "multipart" and message.is_multipart():
        for part in message.get_payload():
            if isinstance(part, Message):
                yield from _leaf_parts(part)
    else:
        yield message


def _filename(part: Message) -> str:
    try:
        name = part.get_filename() or ""
    except Exception:
        name = ""
    if "=?" in name:  # RFC 2047 inside a quoted parameter: common, though not in the standard
        name = _decode_words(name)
    return _one_line(_fix_8bit(name, "utf-8"))


def _size(part: Message) -> int:
    try:
        payload = part.get_payload(decode=True)
        if payload is not None:
            return len(payload)
        return len(part.as_bytes())
    except Exception:
        return 0


# --- HTML to text --------------------------------------------------------------------------------

_BLOCK_TAGS = {
    "address",
    "article",
    "blockquote",
    "br",
    "dd",
    "div",
    "dl",
    "dt",
    "footer",
    "h1",
    "h2",
    "h3",
    "h4",
    "h5",
    "h6",
    "header",
    "hr",
    "li",
    "ol",
    "p",
    "pre",
    "section",
    "table",
    "tr",
    "ul",
}
_INVISIBLE_TAGS = {"script", "style", "head", "title", "template", "noscript"}


class _TextExtractor(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.chunks: list[str] = []
        self.hidden = 0

    def handle_starttag(self, tag: str, attrs: list) -> None:
        if tag in _INVISIBLE_TAGS:
            self.hidden += 1
        elif tag in _BLOCK_TAGS:
            self.chunks.append("\n")
        elif tag in {"td", "th"}:
            self.chunks.append(" ")

    def handle_startendtag(self, tag: str, attrs: list) -> None:
        if tag in _BLOCK_TAGS:
            self.chunks.append("\n")

    def handle_endtag(self, tag: str) -> None:
        if tag in _INVISIBLE_TAGS:
            self.hidden = max(0, self.hidden - 1)
        elif tag in _BLOCK_TAGS:
            self.chunks.append("\n")

    def handle_data(self, data: str) -> None:
        if not self.hidden:
            self.chunks.append(re.sub(r"\s+", " ", data))


def html_to_text(html: str) -> str:
    """Readable plain text from an HTML body: tags stripped, blocks on their own lines."""
    extractor = _TextExtractor()
    try:
        extractor.feed(html)
        extractor.close()
    except Exception:  # HTMLParser is lenient, but never lose a message to it
        return re.sub(r"<[^>]*>", " ", html)
    lines = (line.strip() for line in "".join(extractor.chunks).splitlines())
    text = "\n".join(lines)
    return re.sub(r"\n{3,}", "\n\n", text).strip()


# --- quoted history ------------------------------------------------------------------------------

REPLY_LANGUAGES = ["en", "de", "fr", "es", "it", "nl", "pl"]
# How much text the reply parser reads: its regexes are not linear on pathological input.
REPLY_PARSE_LIMIT = 50_000

# mail-parser-reply knows no Russian or Greek: their "wrote" lines and Outlook headers, cut first.
_QUOTE_HEADERS = re.compile(
    r"|".join(
        [
            r"^[^\n]{0,200}(?:пишет|написал|написала|написал\(а\)|έγραψε|εγραψε)\s*:[ \t]*$",
            r"^[ \t>*]*(?:От|Από)[ \t*]*:[^\n]*\n(?:[^\n]*\n){0,2}?[ \t>*]*"
            r"(?:Отправлено|Дата|Кому|Тема|Στάλθηκε|Ημερομηνία|Προς|Θέμα)[ \t*]*:",
            r"^[ \t]*-{2,}[ \t]*(?:Исходное сообщение|Пересылаемое сообщение|Αρχικό μήνυμα|Προωθημένο μήνυμα)",
        ]
    ),
    re.MULTILINE | re.IGNORECASE,
)
_TRAILING_QUOTE = re.compile(r"(?:\n[ \t]*>[^\n]*)+\s*\Z")


def latest_reply(text: str) -> str:
    """The new part of a reply: quoted history (Re: chains, "> " blocks, Outlook headers) removed.

    Falls back to the whole text when nothing new is left (a bare forward, say).
    """
    full = text.strip()
    if not full:
        return ""
    head = full[:REPLY_PARSE_LIMIT]
    if match := _QUOTE_HEADERS.search(head):
        head = head[: match.start()]
    head = _TRAILING_QUOTE.sub("", "\n" + head).strip()
    try:
        reply = EmailReplyParser(languages=REPLY_LANGUAGES).parse_reply(head) or ""
    except Exception:  # the collapsed view is a convenience: never lose a message to it
        reply = head
    return reply.strip() or full
