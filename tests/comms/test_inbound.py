"""comms.inbound.receive: raw kept first, direction, clocks, automatic mail, failures and replay."""

from datetime import datetime, timedelta
from hashlib import sha256
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from comms import conversation
from comms.inbound import InboundError, receive, replay
from comms.models import Message, RawEmail, Thread
from tests.factories import ClientFactory, ContactFactory, MessageFactory

EML = Path(__file__).parent / "eml"
BERLIN = ZoneInfo("Europe/Berlin")
MONDAY_10 = datetime(2026, 11, 30, 10, 0, tzinfo=BERLIN)


def eml(name: str) -> bytes:
    return (EML / name).read_bytes()


def mail(*, sender="Ann <ann@client.example>", to="hello@northlight.example", subject="Logo", body="Hi", extra=""):
    message_id = sha256(f"{sender}|{to}|{subject}|{body}".encode()).hexdigest()[:16]
    return (
        f"From: {sender}\nTo: {to}\nSubject: {subject}\nMessage-ID: <{message_id}@x.example>\n"
        f"{extra}Content-Type: text/plain; charset=utf-8\n\n{body}\n"
    ).encode()


@pytest.fixture
def ann(studio):
    client = ClientFactory(studio=studio, name="Ann's Bakery")
    ContactFactory(client=client, email="ann@client.example")
    return client


def test_mail_from_a_client_starts_the_clock(studio, ann):
    message = receive(studio, eml("ru_windows1251.eml"), received_at=MONDAY_10)

    assert message.direction == Message.Direction.INBOUND
    assert message.client == ann
    assert message.from_email == "ann@client.example"
    assert message.from_name == "Анна Петрова"
    assert message.subject == "Правки по макету"
    assert "правки по главной странице" in message.text
    assert message.sent_at == MONDAY_10
    assert message.message_id == "<ru-1251@client.example>"
    assert message.needs_reply is True
    assert message.reply_due_at == datetime(2026, 12, 1, 10, 0, tzinfo=BERLIN)  # 9 working hours later
    assert message.is_urgent is False
    raw = RawEmail.objects.get()
    assert message.raw_email == raw
    assert raw.status == RawEmail.Status.PARSED
    assert raw.source == RawEmail.Source.PIPE
    assert bytes(raw.raw) == eml("ru_windows1251.eml")


def test_urgent_mail_uses_the_urgent_policy(studio, ann):
    message = receive(studio, mail(subject="Срочно: сайт не работает"), received_at=MONDAY_10)

    assert message.is_urgent is True
    assert message.reply_due_at == MONDAY_10 + timedelta(hours=4)


def test_a_priority_flag_makes_mail_urgent(studio, ann):
    assert receive(studio, mail(extra="X-Priority: 1\n"), received_at=MONDAY_10).is_urgent is True


def test_quoted_history_is_collapsed_and_the_full_text_kept(studio, ann):
    message = receive(studio, eml("reply_quoted.eml"), received_at=MONDAY_10)

    assert message.text_new == "Hi,\n\nthe contact form is broken, could you look at it today?\n\nAnn"
    assert "> Here is the staging link." in message.text
    assert message.in_reply_to == "<staging@northlight.example>"


def test_html_mail_is_sanitized_for_display(studio, ann):
    message = receive(studio, eml("html_only.eml"), received_at=MONDAY_10)

    assert "<b>new logo</b>" in message.safe_html
    for bad in ("<script", "steal()", "onload", "onclick", "javascript:", "<iframe", "tracker.example", "<form"):
        assert bad not in message.safe_html
    assert "[Our logo]" in message.safe_html
    assert "Hello, the new logo is attached." in message.text


def test_attachments_and_recipients_are_stored(studio, ann):
    message = receive(studio, eml("utf8_attachments.eml"), received_at=MONDAY_10)

    assert message.to == ["hello@northlight.example"]
    assert message.cc == ["ann@client.example", "boss@client.example"]
    assert [attachment["name"] for attachment in message.attachments] == ["Счёт №7.pdf", "λογότυπο.png"]


@pytest.mark.parametrize(
    ("fixture", "reason"),
    [("auto_reply.eml", "auto-reply"), ("bounce_dsn.eml", "bounce"), ("list_mail.eml", "list")],
)
def test_automatic_mail_is_kept_but_starts_no_clock(studio, ann, fixture, reason):
    ContactFactory(client=ann, email="news@client.example")

    message = receive(studio, eml(fixture), received_at=MONDAY_10)

    assert message.is_automatic is True
    assert message.automatic_reason == reason
    assert message.needs_reply is False
    assert message.reply_due_at is None
    assert not Message.objects.open_clocks().exists()


def test_an_unknown_sender_is_unmatched_without_a_clock(studio, ann):
    message = receive(studio, mail(sender="stranger@elsewhere.example"), received_at=MONDAY_10)

    assert message.client is None
    assert message.thread.client is None
    assert message.needs_reply is False
    assert message.reply_due_at is None


def test_mail_of_another_studios_client_is_unmatched(studio, other_studio):
    ContactFactory(client=ClientFactory(studio=other_studio), email="ann@client.example")

    assert receive(studio, mail(), received_at=MONDAY_10).client is None


def test_the_freelancers_bcc_copy_is_outbound_and_stops_the_clock(studio, owner, ann):
    question = receive(studio, mail(subject="Logo"), received_at=MONDAY_10)
    assert question.is_open

    copy = receive(
        studio,
        mail(sender="Northlight <Hello@Northlight.example>", to="Ann <ann@client.example>", subject="Re: Logo"),
        received_at=MONDAY_10 + timedelta(hours=2),
    )

    assert copy.direction == Message.Direction.OUTBOUND
    assert copy.client == ann
    assert copy.needs_reply is False
    assert copy.thread == question.thread
    question.refresh_from_db()
    assert question.replied_at == MONDAY_10 + timedelta(hours=2)
    assert question.replied_by == copy


def test_a_members_own_address_counts_as_the_studios(studio, member, ann):
    receive(studio, mail(), received_at=MONDAY_10)

    copy = receive(
        studio,
        mail(
            sender="member@northlight.example",
            to="someone@else.example",
            subject="Re: Logo",
            extra="Cc: ann@client.example\n",
        ),
        received_at=MONDAY_10 + timedelta(hours=1),
    )

    assert copy.direction == Message.Direction.OUTBOUND
    assert copy.client == ann
    assert not Message.objects.open_clocks().exists()


def test_a_duplicate_delivery_returns_the_first_message(studio, ann):
    first = receive(studio, eml("ru_koi8r.eml"), received_at=MONDAY_10)

    again = receive(studio, eml("ru_koi8r.eml"), received_at=MONDAY_10 + timedelta(minutes=5))

    assert again.pk == first.pk
    assert Message.objects.count() == 1
    assert again.raw_email_id == first.raw_email_id
    second_raw = RawEmail.objects.exclude(pk=first.raw_email_id).get()
    assert second_raw.status == RawEmail.Status.PARSED
    assert f"#{first.pk}" in second_raw.error


def test_mail_already_logged_without_raw_bytes_gets_them(studio, ann):
    logged = conversation.record_message(
        studio,
        direction=Message.Direction.INBOUND,
        client=ann,
        sent_at=MONDAY_10,
        message_id="<ru-koi8@client.example>",
    )

    message = receive(studio, eml("ru_koi8r.eml"), received_at=MONDAY_10)

    assert message.pk == logged.pk
    logged.refresh_from_db()
    assert logged.raw_email == RawEmail.objects.get()


def test_not_an_email_keeps_the_raw_bytes_marked_failed(studio):
    with pytest.raises(InboundError) as failure:
        receive(studio, b"this is not an email at all", received_at=MONDAY_10)

    raw = RawEmail.objects.get()
    assert failure.value.raw_email_id == raw.pk
    assert raw.status == RawEmail.Status.FAILED
    assert "Not an email" in raw.error
    assert bytes(raw.raw) == b"this is not an email at all"
    assert not Message.objects.exists()


def test_a_failure_after_writing_rolls_back_the_message_but_keeps_the_raw(studio, ann, monkeypatch):
    real = conversation.record_message

    def record_then_crash(*args, **kwargs):
        real(*args, **kwargs)
        raise RuntimeError("disk on fire")

    monkeypatch.setattr(conversation, "record_message", record_then_crash)

    with pytest.raises(InboundError):
        receive(studio, mail(), received_at=MONDAY_10)

    assert not Message.objects.exists()
    assert not Thread.objects.exists()
    raw = RawEmail.objects.get()
    assert raw.status == RawEmail.Status.FAILED
    assert raw.error == "RuntimeError: disk on fire"


def test_replay_after_a_fix_files_the_message_at_its_original_time(studio, ann, monkeypatch):
    def broken_parser(raw):
        raise UnicodeError("a parser bug")

    monkeypatch.setattr("comms.inbound.parse_email", broken_parser)
    with pytest.raises(InboundError):
        receive(studio, eml("el_iso88597.eml"), received_at=MONDAY_10)
    raw = RawEmail.objects.get()
    assert raw.status == RawEmail.Status.FAILED
    monkeypatch.undo()  # the fix is deployed

    ContactFactory(client=ann, email="maria@client.example")
    message = replay(raw)

    raw.refresh_from_db()
    assert raw.status == RawEmail.Status.PARSED
    assert raw.error == ""
    assert message.raw_email == raw
    assert message.sent_at == MONDAY_10
    assert message.subject == "Τιμολόγιο Νοεμβρίου"
    assert message.needs_reply is True
    assert replay(raw).pk == message.pk  # replaying again changes nothing
    assert Message.objects.count() == 1


def test_received_at_must_be_aware(studio):
    with pytest.raises(ValueError, match="aware"):
        receive(studio, mail(), received_at=datetime(2026, 11, 30, 10, 0))
    assert not RawEmail.objects.exists()


def test_the_source_is_recorded(studio):
    receive(studio, mail(), received_at=MONDAY_10, source=RawEmail.Source.IMAP)

    assert RawEmail.objects.get().source == RawEmail.Source.IMAP


def test_the_bench_mix_is_received_in_full(db):
    from devtools.bench_inbound import _bench

    result = _bench(10)

    assert result["messages"] == 10
    assert result["median_ms"] > 0
    assert result["floor_median_ms"] > 0
    assert result["ratio"] == result["median_ms"] / result["floor_median_ms"]
    assert result["target_ratio"] == 3


def _the_mix(studio, owner, index: int) -> list[bytes]:
    """A client's new mail, a reply in its thread, a stranger's, an auto-reply and the owner's BCC copy."""
    first = mail(sender="c0@client.example", subject=f"Logo {index}", body=f"first {index}")
    first_id = first.split(b"Message-ID: ")[1].split(b"\n")[0].decode()
    return [
        first,
        mail(sender="c0@client.example", subject=f"Re: Logo {index}", body=f"reply {index}",
             extra=f"In-Reply-To: {first_id}\nReferences: {first_id}\n"),
        mail(sender=f"stranger{index}@elsewhere.example", subject=f"Inquiry {index}"),
        mail(sender="c0@client.example", subject=f"Out of office {index}", extra="Auto-Submitted: auto-replied\n"),
        mail(sender=owner.email, to="c0@client.example", subject=f"Re: Logo {index}", body=f"answer {index}"),
    ]  # fmt: skip


def _queries_per_kind(studio, owner, index: int) -> list[int]:
    counts = []
    for raw in _the_mix(studio, owner, index):
        with CaptureQueriesContext(connection) as queries:
            receive(studio, raw, received_at=MONDAY_10 + timedelta(minutes=index))
        counts.append(len(queries))
    return counts


def test_receive_costs_the_same_queries_in_a_small_and_a_large_studio(studio, owner):
    ContactFactory(client=ClientFactory(studio=studio), email="c0@client.example")
    small = _queries_per_kind(studio, owner, 0)
    for number in range(40):
        ContactFactory(client=ClientFactory(studio=studio), email=f"c{number + 1}@client.example")
        MessageFactory(thread__client__studio=studio, subject=f"Logo {number}")
    large = _queries_per_kind(studio, owner, 1)

    # Each includes the raw insert, the atomic blocks (savepoints here: the test runs in a transaction),
    # the studio's own addresses, the contact, the duplicate-and-parent lookup, the thread, the message and
    # the raw marked parsed; then last contact (client mail), other addresses (a stranger), the clocks,
    # promises and Friday cover (the owner's BCC copy).
    assert small == large == [13, 11, 12, 12, 16]
