"""comms.parsing: charsets, addresses, attachments, automatic mail, priority. No database."""

import base64
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from comms.parsing import ParseError, decode_bytes, html_to_text, latest_reply, parse_email

EML = Path(__file__).parent / "eml"


def parse(name: str):
    return parse_email((EML / name).read_bytes())


def test_windows_1251_body_and_encoded_headers():
    email = parse("ru_windows1251.eml")

    assert email.from_email == "ann@client.example"  # lower-cased
    assert email.from_name == "Анна Петрова"
    assert email.subject == "Правки по макету"
    assert "Посмотрите, пожалуйста, правки по главной странице." in email.text
    assert email.message_id == "<ru-1251@client.example>"
    assert email.date == datetime(2026, 11, 30, 8, 15, tzinfo=UTC)


def test_koi8_r_quoted_printable_body_and_koi8_r_subject():
    raw = (EML / "ru_koi8r.eml").read_bytes()
    assert b"=?koi8-r?B?" in raw  # the fixture really is RFC 2047 KOI8-R

    email = parse_email(raw)

    assert email.subject == "Срочно: сайт не открывается"
    assert email.from_name == "Иван"
    assert "Сайт не работает с утра, ошибка 500." in email.text


def test_iso_8859_7_greek_base64_body_and_q_encoded_subject():
    email = parse("el_iso88597.eml")

    assert email.subject == "Τιμολόγιο Νοεμβρίου"
    assert email.from_name == "Μαρία"
    assert "Στείλτε μου το τιμολόγιο για τον Νοέμβριο." in email.text


def test_utf_8_body_q_encoded_subject_cc_and_encoded_attachment_names():
    raw = (EML / "utf8_attachments.eml").read_bytes()
    assert b"=?utf-8?Q?" in raw

    email = parse_email(raw)

    assert email.subject == "Rechnung für Café Müller"
    assert email.from_name == "Jürgen Groß"
    assert email.text.strip() == "Hallo! Anbei die Rechnung für Café Müller — danke 🙂"
    assert email.to == ("hello@northlight.example",)
    assert email.cc == ("ann@client.example", "boss@client.example")
    assert email.attachments == (
        {"name": "Счёт №7.pdf", "size": 13, "content_type": "application/pdf"},  # RFC 2047 in the filename
        {"name": "λογότυπο.png", "size": 8, "content_type": "image/png"},  # RFC 2231 filename*
    )


def test_raw_8bit_utf8_headers_are_decoded():
    email = parse("raw_8bit_headers.eml")

    assert email.subject == "Вопрос по сайту"
    assert email.from_name == "Анна"
    assert email.text.strip() == "Текст письма."


def test_unknown_charset_falls_back_to_utf8():
    assert parse("unknown_charset.eml").text.strip() == "Привет, это UTF-8 под чужой меткой."


def test_mislabelled_utf8_does_not_crash_and_keeps_what_decodes():
    text = parse("wrong_utf8_label.eml").text

    assert "windows-1251" in text
    assert "\ufffd" in text


@pytest.mark.parametrize(
    ("data", "charset", "expected"),
    [
        ("Привет".encode("cp1251"), "windows-1251", "Привет"),
        ("Привет".encode("cp1251"), "cp-1251", "Привет"),  # a misspelling codecs does not know
        ("Привет".encode("koi8-r"), "KOI8-R", "Привет"),
        ("Γειά".encode("iso-8859-7"), "iso-8859-7", "Γειά"),
        ("Grüße".encode(), "us-ascii", "Grüße"),  # labelled ASCII, really UTF-8
        ("Grüße".encode("latin-1"), None, "Grüße"),  # undeclared and not UTF-8: cp1252
    ],
)
def test_decode_bytes(data, charset, expected):
    assert decode_bytes(data, charset) == expected


def test_html_only_mail_gets_plain_text_without_script_or_style():
    email = parse("html_only.eml")

    assert email.html.startswith("<html>")
    assert "Hello, the new logo is attached." in email.text
    assert "steal()" not in email.text
    assert "background" not in email.text


def test_alternative_keeps_both_versions():
    email = parse("alternative.eml")

    assert email.text.strip() == "Plain version of the note."
    assert "<strong>version</strong>" in email.html
    assert email.attachments == ()


def test_reply_headers_and_priority_flag():
    email = parse("reply_quoted.eml")

    assert email.in_reply_to == "<staging@northlight.example>"
    assert email.references == "<start@northlight.example> <staging@northlight.example>"
    assert email.priority_flag is True
    assert email.automatic_reason == ""
    assert "\r" not in email.text


@pytest.mark.parametrize(
    ("name", "reason"),
    [
        ("auto_reply.eml", "auto-reply"),
        ("bounce_dsn.eml", "bounce"),
        ("list_mail.eml", "list"),
        ("ru_windows1251.eml", ""),
    ],
)
def test_automatic_mail_fixtures(name, reason):
    assert parse(name).automatic_reason == reason


def test_a_bounce_lists_its_report_parts_as_attachments_without_descending_into_them():
    email = parse("bounce_dsn.eml")

    assert email.from_email == "mailer-daemon@mx.northlight.example"
    assert "could not be delivered" in email.text
    assert [part["content_type"] for part in email.attachments] == ["message/delivery-status", "message/rfc822"]


def minimal(*headers: str, body: str = "Hello") -> bytes:
    return (
        "\n".join(["From: Ann <ann@client.example>", "To: hello@northlight.example", *headers]) + f"\n\n{body}\n"
    ).encode()


@pytest.mark.parametrize(
    ("header", "reason"),
    [
        ("Auto-Submitted: auto-generated", "auto-generated"),
        ("Auto-Submitted: auto-replied; owner-email=x@y", "auto-reply"),
        ("Auto-Submitted: no", ""),
        ("X-Autoreply: yes", "auto-reply"),
        ("X-Autorespond: yes", "auto-reply"),
        ("X-Auto-Response-Suppress: All", "auto-reply"),
        ("X-Auto-Response-Suppress: DR, OOF", "auto-reply"),
        ("X-Auto-Response-Suppress: DR", ""),
        ("Precedence: bulk", "bulk"),
        ("Precedence: junk", "bulk"),
        ("Precedence: list", "list"),
        ("Precedence: auto_reply", "auto-reply"),
        ("List-Id: <news.client.example>", "list"),
        ("List-Unsubscribe: <mailto:leave@client.example>", "list"),
        ("Return-Path: <>", "auto-generated"),
        ("Return-Path: <ann@client.example>", ""),
    ],
)
def test_automatic_reason_from_headers(header, reason):
    assert parse_email(minimal(header)).automatic_reason == reason


def test_postmaster_is_a_bounce():
    raw = minimal().replace(b"Ann <ann@client.example>", b"Postmaster@client.example")
    assert parse_email(raw).automatic_reason == "bounce"


@pytest.mark.parametrize(
    ("header", "flagged"),
    [
        ("X-Priority: 1 (Highest)", True),
        ("X-Priority: 2", True),
        ("X-Priority: 3 (Normal)", False),
        ("Importance: High", True),
        ("Importance: normal", False),
        ("Priority: urgent", True),
        ("Priority: normal", False),
    ],
)
def test_priority_flag(header, flagged):
    assert parse_email(minimal(header)).priority_flag is flagged


@pytest.mark.parametrize(
    "raw",
    [b"", b"   \n\n", b"just some words, not an email\n", b"\x00\x01\x02\xff\xfe", "Привет".encode()],
)
def test_not_an_email_raises_parse_error(raw):
    with pytest.raises(ParseError):
        parse_email(raw)


def test_not_bytes_raises_parse_error():
    with pytest.raises(ParseError):
        parse_email("From: a@b.example\n\nhi")  # type: ignore[arg-type]


def test_memoryview_from_the_database_is_accepted():
    assert parse_email(memoryview(minimal())).from_email == "ann@client.example"


def test_broken_headers_degrade_instead_of_failing():
    raw = b"From: <<<broken\nTo: ;;;\nDate: the day after tomorrow\nSubject: =?x-nope?B?####?=\n\nbody\n"

    email = parse_email(raw)

    assert email.from_email == ""
    assert email.to == ()
    assert email.date is None
    assert email.text.strip() == "body"


def test_a_date_without_zone_is_read_as_utc_and_others_keep_their_offset():
    assert parse_email(minimal("Date: Mon, 30 Nov 2026 09:00:00 -0000")).date == datetime(2026, 11, 30, 9, tzinfo=UTC)
    date = parse_email(minimal("Date: Mon, 30 Nov 2026 09:00:00 +0300")).date
    assert date.utcoffset() == timedelta(hours=3)


def test_inline_images_in_related_html_are_attachments():
    png = base64.b64encode(b"\x89PNG").decode()
    raw = (
        "From: ann@client.example\nTo: hello@northlight.example\nSubject: Mock-up\nMIME-Version: 1.0\n"
        'Content-Type: multipart/related; boundary="R"\n\n'
        '--R\nContent-Type: text/html; charset=utf-8\n\n<p>See <img src="cid:pic"></p>\n'
        "--R\nContent-Type: image/png\nContent-ID: <pic>\nContent-Transfer-Encoding: base64\n\n" + png + "\n--R--\n"
    ).encode()

    email = parse_email(raw)

    assert email.text == "See"
    assert email.attachments == ({"name": "", "size": 4, "content_type": "image/png"},)


def test_html_to_text_keeps_blocks_on_lines():
    html = "<div>One</div><p>Two <b>bold</b>&nbsp;&amp; more</p><ul><li>a</li><li>b</li></ul><script>x()</script>"
    assert html_to_text(html) == "One\n\nTwo bold & more\n\na\n\nb"


@pytest.mark.parametrize(
    ("text", "new"),
    [
        (
            "Hi,\n\nthe menu is broken.\n\nBob\n\nOn Mon, 30 Nov 2026 at 10:00, Anna <a@x.example> wrote:\n> link\n",
            "Hi,\n\nthe menu is broken.\n\nBob",
        ),
        ("Сайт не работает.\n\n30.11.2026, 10:00, Анна <a@studio.example> пишет:\n> Вот ссылка\n", "Сайт не работает."),
        ("Ответ\n\nОт: Анна <a@x.example>\nОтправлено: 30 ноября\nКому: Боб\nТема: Re: x\n\nстарое", "Ответ"),
        ("Απάντηση\n\nΣτις Δευ 30 Νοε 2026, η Άννα έγραψε:\n> παλιό", "Απάντηση"),
        ("Reply here\n\nFrom: Anna <a@x>\nSent: Monday\nTo: Bob\nSubject: Re: x\n\nOld text", "Reply here"),
        ("Answer\n> quoted\n> more\n", "Answer"),
        ("Line one\n> quoted\nmy answer\n> quoted two", "Line one\n> quoted\nmy answer"),
        ("> only quoted\n> nothing new", "> only quoted\n> nothing new"),  # nothing new: keep it all
        ("", ""),
    ],
)
def test_latest_reply_collapses_quoted_history(text, new):
    assert latest_reply(text) == new
