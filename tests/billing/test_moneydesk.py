"""The money on the desk: Today's and the digest's overdue invoices, "Send to client", invoice links."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from billing.models import Invoice, InvoiceLine
from comms.models import OutboxEmail
from desk.digest import digest_sections
from desk.today import section_counts
from tests.factories import ClientFactory, ContactFactory, ProjectFactory

BERLIN = ZoneInfo("Europe/Berlin")
NOW = datetime(2026, 11, 25, 10, 0, tzinfo=BERLIN)
TODAY = date(2026, 11, 25)


@pytest.fixture(autouse=True)
def frozen(monkeypatch):
    monkeypatch.setattr("comms.outbox.kick_delivery", lambda: None)
    with time_machine.travel(NOW, tick=False):
        yield


def invoice(studio, *, number="2026-0001", due_on=TODAY - timedelta(days=5), client=None, project=None, **fields):
    client = client or ClientFactory(studio=studio, name=f"Client {number}")
    made = Invoice.objects.create(
        studio=studio, client=client, project=project, number=number, status=fields.pop("status", "issued"),
        issue_date=TODAY - timedelta(days=30), issued_at=NOW - timedelta(days=30), due_on=due_on,
        subtotal_minor=10_000, total_minor=10_000, **fields,
    )  # fmt: skip
    InvoiceLine.objects.create(invoice=made, description="Work", unit_price_minor=10_000)
    return made


def test_overdue_invoices_are_counted_in_the_one_query_of_counts(studio, other_studio):
    invoice(studio, number="A-1")
    invoice(studio, number="A-2", paid_minor=4_000)
    invoice(studio, number="A-3", due_on=TODAY)  # due today: not overdue yet
    invoice(studio, number="A-4", status="paid", paid_minor=10_000)
    invoice(studio, number="A-5", status="cancelled")
    invoice(studio, number="", status="draft")
    invoice(other_studio, number="B-1")
    with CaptureQueriesContext(connection) as queries:
        counts = section_counts(studio, now=NOW)
    assert (counts["invoices"], counts["invoices_alarm"]) == (2, 2)
    assert len(queries) == 1


def test_today_shows_client_number_balance_days_overdue_and_link(owner_client, studio):
    acme = ClientFactory(studio=studio, name="Acme")
    late = invoice(studio, number="2026-0007", client=acme, paid_minor=4_000)

    page = owner_client.get(reverse("today")).content.decode()

    section = page[page.index('data-testid="invoices"') :]
    section = section[: section.index("</section>")]
    assert "Overdue invoices" in section
    assert "Acme: 2026-0007" in section
    assert "€60.00 · 5 days overdue" in section
    assert reverse("billing:detail", kwargs={"pk": late.pk}) in section
    assert reverse("billing:index") + "?overdue=1" in section


def test_today_keeps_a_constant_number_of_queries_with_overdue_invoices(
    owner_client, studio, django_assert_max_num_queries
):
    for index in range(2):
        invoice(studio, number=f"N-{index}")
    owner_client.get(reverse("today"))
    with CaptureQueriesContext(connection) as few:
        owner_client.get(reverse("today"))
    for index in range(2, 14):
        invoice(studio, number=f"N-{index}")
    with django_assert_max_num_queries(len(few)):
        page = owner_client.get(reverse("today")).content.decode()
    assert page.count(": N-") == 8


def test_the_digest_has_the_overdue_invoices(studio):
    invoice(studio, number="2026-0009")
    titles = {entry["title"]: entry for entry in digest_sections(studio, today=TODAY, now=NOW)}
    [line] = titles["Overdue invoices"]["items"]
    assert line["title"] == "Client 2026-0009: 2026-0009"
    assert "5 days overdue" in line["detail"]


def test_send_to_client_queues_the_invoice_and_the_page_shows_the_email(owner_client, studio, other_studio):
    sent = invoice(studio, due_on=TODAY + timedelta(days=10))
    ContactFactory(client=sent.client, name="Jane Roe", email="jane@acme.example", is_primary=True)

    response = owner_client.post(reverse("billing:send", kwargs={"pk": sent.pk}))
    assert response.status_code == 302
    email = OutboxEmail.objects.get(idempotency_key=f"invoice:{sent.pk}")
    assert email.to == ["jane@acme.example"]
    page = owner_client.get(reverse("billing:detail", kwargs={"pk": sent.pk})).content.decode()
    section = page[page.index('data-testid="invoice-emails"') :]
    assert email.subject in section
    assert "jane@acme.example" in section

    foreign = invoice(other_studio, number="X-1")
    assert owner_client.post(reverse("billing:send", kwargs={"pk": foreign.pk})).status_code == 404


def test_the_emails_log_names_the_recipient_in_russian_as_komu(owner_client, studio):
    # The bare "to" is the date range's "по" in Russian ("с 1 мая по 1 июня"): "по jane@…" read as nonsense.
    sent = invoice(studio, due_on=TODAY + timedelta(days=10))
    ContactFactory(client=sent.client, email="jane@acme.example", is_primary=True)
    owner_client.post(reverse("billing:send", kwargs={"pk": sent.pk}))
    page = owner_client.get(reverse("billing:detail", kwargs={"pk": sent.pk}), HTTP_ACCEPT_LANGUAGE="ru")
    section = page.content.decode()[page.content.decode().index('data-testid="invoice-emails"') :]
    assert "кому: jane@acme.example" in section


def test_a_draft_is_issued_and_sent_in_one_click(owner_client, studio):
    draft = invoice(studio, number="", status="draft", due_on=None)
    ContactFactory(client=draft.client, email="jane@acme.example", is_primary=True)

    owner_client.post(reverse("billing:issue_send", kwargs={"pk": draft.pk}))

    draft.refresh_from_db()
    assert draft.status == Invoice.Status.ISSUED
    assert draft.number
    assert OutboxEmail.objects.filter(idempotency_key=f"invoice:{draft.pk}").exists()


def test_the_project_page_and_the_dossier_lead_to_their_invoices(owner_client, studio):
    acme = ClientFactory(studio=studio, name="Acme")
    site = ProjectFactory(client=acme, title="Site")
    mine = invoice(studio, number="P-1", client=acme, project=site)
    invoice(studio, number="P-2", client=acme)
    invoice(studio, number="Q-1")

    project_page = owner_client.get(reverse("projects:detail", kwargs={"pk": site.pk})).content.decode()
    assert f"{reverse('billing:index')}?project={site.pk}" in project_page
    listed = owner_client.get(reverse("billing:index"), {"project": site.pk}).content.decode()
    assert ("P-1" in listed, "P-2" in listed, "Q-1" in listed) == (True, False, False)

    dossier = owner_client.get(reverse("clients:detail", kwargs={"pk": acme.pk})).content.decode()
    section = dossier[dossier.index('data-testid="client-invoices"') :]
    assert section.count('data-testid="client-invoice"') == 2
    assert reverse("billing:detail", kwargs={"pk": mine.pk}) in section
    assert "Overdue" in section
    listed = owner_client.get(reverse("billing:index"), {"client": acme.pk}).content.decode()
    assert ("P-1" in listed, "P-2" in listed, "Q-1" in listed) == (True, True, False)
