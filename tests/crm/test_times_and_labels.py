"""Issue 14 §7: times in the reader's zone, cancelled is not failed, outbox kinds in words, no rule labels."""

from datetime import UTC, date, datetime

import pytest
from django.conf import settings
from django.test import Client as Browser
from django.urls import reverse

from comms.kinds import KIND_LABELS, kind_label
from comms.models import MailboxEmail, OutboxEmail
from projects.models import Project
from projects.portal_access import SESSION_KEY, issue_link
from tests.factories import ClientFactory, ContactFactory, OutboxEmailFactory, ProjectFactory

ACCEPTED = datetime(2026, 1, 14, 10, 0, tzinfo=UTC)  # 11:00 in Berlin, 19:00 in Tokyo


@pytest.fixture
def accepted(studio) -> Project:
    client = ClientFactory(studio=studio, name="Bakery Blum", timezone="Asia/Tokyo")
    ContactFactory(client=client, name="Anna Blum", email="anna@blum.example", is_primary=True)
    return ProjectFactory(
        client=client, title="New site", status=Project.Status.IN_PROGRESS, price_minor=480_000,
        scope="Four pages.", deadline_on=date(2026, 3, 31), agreement_accepted_at=ACCEPTED,
        agreement_accepted_name="Anna Blum", agreement_accepted_email="anna@blum.example",
    )  # fmt: skip


def test_the_agreement_acceptance_shows_in_the_studios_zone_to_the_freelancer(owner_client, accepted):
    html = owner_client.get(reverse("projects:detail", args=[accepted.pk])).content.decode()

    assert "Accepted by Anna Blum (anna@blum.example) on 14 Jan 2026, 11:00." in html


def test_the_agreement_acceptance_shows_in_the_clients_zone_in_the_portal(accepted):
    link, _token = issue_link(accepted.client.contacts.get())
    visitor = Browser()
    session = visitor.session
    session[SESSION_KEY] = link.pk
    session.save()

    html = visitor.get(reverse("portal:agreement", args=[accepted.pk])).content.decode()

    assert "19:00" in html
    assert "11:00" not in html


@pytest.fixture
def kept(studio) -> MailboxEmail:
    email = MailboxEmail.objects.create(studio=studio, from_email="a@x.example", to="b@y.example", subject="Kept")
    MailboxEmail.objects.filter(pk=email.pk).update(captured_at=ACCEPTED)
    return email


def test_the_dev_mailbox_shows_times_in_the_studios_zone(owner_client, kept, settings):
    settings.OUTBOX_DELIVERY_BACKEND = "comms.mailbox.MailboxBackend"

    listing = owner_client.get(reverse("comms:outbox"), {"tab": "mailbox"}).content.decode()
    one = owner_client.get(reverse("comms:mailbox_email", args=[kept.pk])).content.decode()

    assert "14 Jan 2026, 11:00" in listing
    assert "14 Jan 2026, 11:00:00" in one


def test_cancelled_emails_have_their_own_tab_and_are_never_called_failed(owner_client, studio):
    OutboxEmailFactory(studio=studio, subject="Undone", status=OutboxEmail.Status.CANCELLED)
    OutboxEmailFactory(studio=studio, subject="Broken", status=OutboxEmail.Status.FAILED, last_error="SMTP down")

    cancelled = owner_client.get(reverse("comms:outbox"), {"tab": "cancelled"}).content.decode()
    failed = owner_client.get(reverse("comms:outbox"), {"tab": "failed"}).content.decode()

    assert "Undone" in cancelled
    assert "Broken" not in cancelled
    assert '<span class="badge text-bg-secondary">Cancelled</span>' in cancelled
    assert ">Failed</span>" not in cancelled.split("<tbody>")[1]
    assert "Broken" in failed
    assert "Undone" not in failed
    assert 'data-testid="count-failed">1<' in failed
    assert 'data-testid="count-cancelled">1<' in failed


def test_outbox_kinds_read_as_words_in_english_and_russian(owner_client, studio):
    email = OutboxEmailFactory(studio=studio, kind="clock-warning", subject="Due soon")
    OutboxEmailFactory(studio=studio, kind="digest", subject="Digest")

    english = owner_client.get(reverse("comms:outbox")).content.decode()
    detail = owner_client.get(reverse("comms:outbox_email", args=[email.pk])).content.decode()
    owner_client.cookies[settings.LANGUAGE_COOKIE_NAME] = "ru"
    russian = owner_client.get(reverse("comms:outbox")).content.decode()

    assert 'data-testid="outbox-kind">Reply due soon<' in english
    assert 'data-testid="outbox-kind">Daily digest<' in english
    assert "clock-warning" not in english
    assert "clock-warning" not in detail
    assert 'data-testid="outbox-kind">Reply due soon<' in detail
    assert 'data-testid="outbox-kind">Скоро срок ответа<' in russian
    assert 'data-testid="outbox-kind">Ежедневная сводка<' in russian


def test_every_kind_the_app_sends_has_words_and_an_unknown_one_reads_plainly():
    from pathlib import Path

    templates = Path(settings.BASE_DIR) / "templates" / "emails"
    sent = {path.name.removesuffix("-subject.txt") for path in templates.glob("*-subject.txt")}
    assert sent | {"email", "reply", "acknowledgment", "account", "friday-update-auto"} <= set(KIND_LABELS)
    assert kind_label("brand-new-thing") == "Brand new thing"


def test_settings_show_no_internal_rule_labels_in_either_language(owner_client):
    english = owner_client.get(reverse("settings")).content.decode()
    owner_client.cookies[settings.LANGUAGE_COOKIE_NAME] = "ru"
    russian = owner_client.get(reverse("settings")).content.decode()

    for html in (english, russian):
        assert "(R1)" not in html
    assert "Reply time" in english
    assert "Время ответа" in russian
