"""comms.parsing.attachment_parts: each attachment's bytes, in the order of the stored metadata."""

from email.message import EmailMessage

import pytest

from comms.parsing import ParseError, attachment_parts, parse_email

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00\x00\x00\rIHDR" + b"\x00" * 64
PDF = b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n1 0 obj\n<<>>\nendobj\n%%EOF\n"


def mail_with_attachments() -> bytes:
    mail = EmailMessage()
    mail["From"] = "Ann <ann@bakery.example>"
    mail["To"] = "studio@northlight.example"
    mail["Subject"] = "Logo and brief"
    mail.set_content("Here are the logo and the brief.\n")
    mail.add_alternative("<p>Here are the logo and the brief.</p>", subtype="html")
    mail.add_attachment(PNG, maintype="image", subtype="png", filename="логотип.png")
    mail.add_attachment(PDF, maintype="application", subtype="pdf", filename="brief.pdf")
    forwarded = EmailMessage()
    forwarded["From"] = "bob@example.com"
    forwarded["Subject"] = "Earlier"
    forwarded.set_content("Earlier mail\n")
    mail.add_attachment(forwarded, filename="earlier.eml")
    mail.add_attachment("name,price\nbread,3\n", subtype="csv", filename="prices.csv")
    return mail.as_bytes()


def test_parts_match_the_stored_metadata_one_for_one():
    raw = mail_with_attachments()
    metadata = parse_email(raw).attachments
    parts = attachment_parts(raw)

    assert [part.name for part in parts] == [entry["name"] for entry in metadata]
    assert [part.content_type for part in parts] == [entry["content_type"] for entry in metadata]
    assert [part.name for part in parts] == ["логотип.png", "brief.pdf", "earlier.eml", "prices.csv"]
    assert parts[0].data == PNG
    assert parts[1].data == PDF
    assert b"Subject: Earlier" in parts[2].data
    assert parts[3].data.replace(b"\r\n", b"\n") == b"name,price\nbread,3\n"
    assert [len(part.data) for part in parts[:2]] == [entry["size"] for entry in metadata[:2]]


def test_the_body_is_not_an_attachment():
    mail = EmailMessage()
    mail["From"] = "ann@bakery.example"
    mail["Subject"] = "Just text"
    mail.set_content("No files here.\n")
    assert attachment_parts(mail.as_bytes()) == []


@pytest.mark.parametrize("raw", [b"", b"   ", b"not an email at all"])
def test_bytes_that_are_no_email_are_refused(raw):
    with pytest.raises(ParseError):
        attachment_parts(raw)
