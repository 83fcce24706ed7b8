from django.core.mail import EmailMultiAlternatives, send_mail
from django.test import Client
from django.urls import reverse

from comms.mailbox import STUDIO_HEADER
from comms.models import MailboxEmail
from comms.outbox import deliver_due


def test_the_default_backend_keeps_emails_for_the_studio_of_the_recipient(settings, studio, owner):
    settings.EMAIL_BACKEND = "comms.mailbox.MailboxBackend"

    send_mail("Reset your password", "Follow the link", "rapport@localhost", [owner.email.upper()])

    email = MailboxEmail.objects.get()
    assert email.studio == studio
    assert email.subject == "Reset your password"
    assert email.text_body == "Follow the link"


def test_the_studio_header_wins_and_html_is_kept(settings, studio, other_studio):
    settings.EMAIL_BACKEND = "comms.mailbox.MailboxBackend"
    message = EmailMultiAlternatives(
        "Friday update", "Plain", "a@x.example", ["client@y.example"], headers={STUDIO_HEADER: str(other_studio.pk)}
    )
    message.attach_alternative("<p><strong>Next steps</strong></p>", "text/html")

    message.send()

    email = MailboxEmail.objects.get()
    assert email.studio == other_studio
    assert email.html_body == "<p><strong>Next steps</strong></p>"


def test_the_outbox_page_shows_an_email_and_its_html_in_a_sandbox(owner_client: Client, studio):
    email = MailboxEmail.objects.create(
        studio=studio,
        from_email="a@x.example",
        to="c@y.example",
        subject="Deposit",
        text_body="Hi",
        html_body="<p>Hi</p>",
    )

    page = owner_client.get(reverse("comms:mailbox_email", args=[email.pk])).content.decode()
    html = owner_client.get(reverse("comms:mailbox_email_html", args=[email.pk]))

    assert "<iframe" in page
    assert "sandbox" in page
    assert html.content == b"<p>Hi</p>"
    assert "sandbox" in html["Content-Security-Policy"]
    assert "script-src 'none'" in html["Content-Security-Policy"]
    assert html["X-Frame-Options"] == "SAMEORIGIN"


def test_plain_text_parts_keep_what_was_typed_and_html_parts_escape_it(studio, mailoutbox, tmp_path, settings):
    from comms.mail import studio_email_send

    (tmp_path / "emails").mkdir()
    for part, body in (
        ("subject.txt", "Hello {{ name }}"),
        ("body.txt", "Dear {{ name }}"),
        ("body.html", "<p>{{ name }}</p>"),
    ):
        (tmp_path / "emails" / f"probe-{part}").write_text(body)
    settings.TEMPLATES = [{**settings.TEMPLATES[0], "DIRS": [tmp_path, *settings.TEMPLATES[0]["DIRS"]]}]

    queued = studio_email_send(studio=studio, to=["a@b.example"], template="probe", context={"name": "O'Brien & <Co>"})
    deliver_due()

    assert (queued.kind, queued.template, queued.status) == ("probe", "probe", "queued")
    email = mailoutbox[0]
    assert email.subject == "Hello O'Brien & <Co>"
    assert email.body == "Dear O'Brien & <Co>"
    assert email.alternatives[0][0] == "<p>O&#x27;Brien &amp; &lt;Co&gt;</p>"
    assert email.extra_headers["X-Rapport-Studio"] == str(studio.pk)
