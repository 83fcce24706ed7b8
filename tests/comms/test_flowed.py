"""RFC 3676 ``format=flowed`` bodies: soft line breaks join, ``DelSp=yes`` drops the added space."""

from __future__ import annotations

import quopri
from base64 import b64encode

import pytest

from comms.parsing import parse_email, unflow


def flowed_mail(body: str, *, charset: str, delsp: str | None, encoding: str = "8bit", fmt: str = "flowed") -> bytes:
    params = f"; format={fmt}" + (f"; delsp={delsp}" if delsp is not None else "")
    payload = body.replace("\n", "\r\n").encode(charset)
    if encoding == "quoted-printable":
        payload = quopri.encodestring(payload)
    elif encoding == "base64":
        payload = b64encode(payload) + b"\r\n"
    head = (
        "From: Anna <anna@client.example>\r\n"
        "To: studio@northlight.example\r\n"
        "Subject: flowed\r\n"
        "Message-ID: <flowed@client.example>\r\n"
        "MIME-Version: 1.0\r\n"
        f'Content-Type: text/plain; charset="{charset}"{params}\r\n'
        f"Content-Transfer-Encoding: {encoding}\r\n\r\n"
    )
    return head.encode("ascii") + payload


# (charset, the paragraph as the sender wrote it): each is wrapped below inside a word boundary.
SAMPLES = [
    ("utf-8", "Здравствуйте, макет главной страницы готов, посмотрите, пожалуйста, до пятницы."),
    ("koi8-r", "Добрый день, пришлите, пожалуйста, тексты для страницы 'О компании' до среды."),
    ("windows-1251", "Спасибо за правки, новая версия сайта будет готова к понедельнику."),
    ("iso-8859-7", "Καλημέρα σας, το νέο σχέδιο της αρχικής σελίδας είναι έτοιμο για έλεγχο."),
    ("iso-8859-1", "Grüße aus München: die Änderungen für die Startseite sind fertig, schöne Woche."),
    ("utf-8", "Hello Anna, the homepage mock-up is ready for review before Friday's call."),
]


def stuffed(line: str) -> str:
    """Space-stuff a line as RFC 3676 4.4 asks (it starts with a space, ">" or "From ")."""
    return " " + line if line.startswith((" ", ">", "From ")) else line


def wrap_delsp(paragraph: str, width: int) -> list[str]:
    """Soft lines as a DelSp=yes sender makes them: cut anywhere, even inside a word, plus one space."""
    chunks = [paragraph[start : start + width] for start in range(0, len(paragraph), width)]
    return [stuffed(chunk) + " " for chunk in chunks[:-1]] + [stuffed(chunks[-1])]


def wrap_at_spaces(paragraph: str, width: int) -> list[str]:
    """Soft lines as a sender without DelSp makes them: cut after a space, which ends the line."""
    lines: list[str] = []
    current = ""
    for word in paragraph.split(" "):
        if current and len(current) + len(word) > width:
            lines.append(current)
            current = ""
        current += word + " "
    lines.append(current[:-1])
    return [stuffed(line) for line in lines]


@pytest.mark.parametrize(("charset", "paragraph"), SAMPLES)
@pytest.mark.parametrize("encoding", ["8bit", "quoted-printable", "base64"])
def test_delsp_yes_removes_only_the_space_the_sender_added(charset: str, paragraph: str, encoding: str) -> None:
    lines = wrap_delsp(paragraph, 17)
    assert len(lines) >= 3
    assert any(line[-2:-1].isalpha() for line in lines[:-1])  # some soft break falls inside a word
    body = "\n".join([*lines, "", "Anna"]) + "\n"

    parsed = parse_email(flowed_mail(body, charset=charset, delsp="yes", encoding=encoding))

    assert parsed.text == f"{paragraph}\n\nAnna\n"


@pytest.mark.parametrize(("charset", "paragraph"), SAMPLES)
@pytest.mark.parametrize("delsp", [None, "no"])
def test_without_delsp_the_trailing_space_stays_between_the_words(charset: str, paragraph: str, delsp) -> None:
    lines = wrap_at_spaces(paragraph, 24)
    assert len(lines) >= 3
    body = "\n".join([*lines, "", "Anna"]) + "\n"

    parsed = parse_email(flowed_mail(body, charset=charset, delsp=delsp))

    assert parsed.text == f"{paragraph}\n\nAnna\n"


def test_the_parameters_are_read_whatever_their_case() -> None:
    raw = flowed_mail("Hel \nlo there\n", charset="utf-8", delsp="yes").replace(
        b"format=flowed; delsp=yes", b'Format="Flowed"; DelSp="Yes"'
    )
    assert parse_email(raw).text == "Hello there\n"


def test_a_fixed_text_body_keeps_its_trailing_spaces_and_line_breaks() -> None:
    raw = flowed_mail("Line one \nline two\n", charset="utf-8", delsp="yes", fmt="fixed")
    assert parse_email(raw).text == "Line one \nline two\n"


@pytest.mark.parametrize(
    ("flowed", "delsp", "expected"),
    [
        # Quoted paragraphs flow at their own depth; the quote marks come back once per paragraph.
        (
            "> Could you send the \n> texts by Friday?\nYes, I will.\n",
            False,
            "> Could you send the texts by Friday?\nYes, I will.\n",
        ),
        (">> deep quo \n>> te\n> shallow\n", True, ">> deep quote\n> shallow\n"),
        # A soft line followed by another quote depth ends where it is (RFC 3676 4.5).
        ("> soft at the end \nnot quoted\n", False, "> soft at the end \nnot quoted\n"),
        # Space-stuffed lines lose their first space, soft or not.
        ("  indented \n From the start\n", False, " indented From the start\n"),
        # The signature separator is never soft.
        ("Thanks\n-- \nAnna Example\n", True, "Thanks\n-- \nAnna Example\n"),
        # An empty line ends a paragraph; a body without a final newline keeps none.
        ("one \ntwo\n\nthree", False, "one two\n\nthree"),
        ("", False, ""),
    ],
)
def test_unflow_edges(flowed: str, delsp: bool, expected: str) -> None:
    assert unflow(flowed, delsp=delsp) == expected
