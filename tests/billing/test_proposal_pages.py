"""The proposal pages: the freelancer's (drafting, sending, countersigning, new versions) and the
portal's (ticking add-ons, accepting, signing a new version, the agreement's PDF), each scoped."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime

import pytest
import time_machine
from django.test import Client as Browser
from django.urls import reverse

from billing import proposals
from billing.models import Agreement, Invoice, Proposal, ProposalItem
from billing.proposals import ItemSpec
from projects.models import PortalActivity, Project
from tests.factories import ClientFactory, ContactFactory, ProjectFactory
from tests.files.helpers import log_into_portal

NOW = datetime(2026, 11, 20, 10, 0, tzinfo=UTC)


@pytest.fixture(autouse=True)
def frozen_clock():
    with time_machine.travel(NOW, tick=False) as traveller:
        yield traveller


@pytest.fixture(autouse=True)
def _no_broker(monkeypatch):
    monkeypatch.setattr("comms.outbox.kick_delivery", lambda: None)


@pytest.fixture
def jane(studio):
    client = ClientFactory(studio=studio, name="Acme <Ltd>", difficulty=1)
    return ContactFactory(client=client, name="Jane Roe", email="jane@acme.example", is_primary=True)


@pytest.fixture
def project(jane):
    return ProjectFactory(client=jane.client, status=Project.Status.QUOTED, title="Website", quote_high_minor=100_000)


@pytest.fixture
def proposal(project):
    draft = proposals.proposal_create(project=project, now=NOW)
    items = [
        ItemSpec(title="Design <b>and</b> build", quantity=1, unit_price_minor=100_000, kind="package"),
        ItemSpec(title="Logo", quantity=1, unit_price_minor=30_000, optional=True, selected=False),
    ]
    draft = proposals.proposal_update(
        proposal=draft, title="Website", intro="", valid_until=date(2026, 12, 20), deposit_percent=50,
        markup_percent=0, agreement_text="{client} pays {total} (deposit {deposit}).", items=items,
    )  # fmt: skip
    proposals.proposal_send(proposal=draft, now=NOW)
    draft.refresh_from_db()
    return draft


@pytest.fixture
def portal(jane):
    return log_into_portal(Browser(), jane)


def logo(proposal) -> ProposalItem:
    return proposal.items.get(optional=True)


def accept_data(proposal, *, options=(), total=100_000, **extra):
    return {"full_name": "Jane Roe", "agree": "on", "options": [str(pk) for pk in options], "shown_total": total,
            **extra}  # fmt: skip


def accepted(proposal) -> Agreement:
    signature = proposals.Signature("J", "j@x.io", None, "")
    return proposals.proposal_accept(
        proposal=proposal, chosen_ids=[], shown_total_minor=100_000, signature=signature, now=NOW
    ).agreement


# --- the freelancer -------------------------------------------------------------------------------


def test_the_project_page_links_to_its_proposals(owner_client, project):
    page = owner_client.get(reverse("projects:detail", args=[project.pk])).content.decode()
    assert reverse("billing:proposals", args=[project.pk]) in page


def test_a_new_proposal_from_the_quote_shows_the_suggested_markup_and_applies_it_when_ticked(owner_client, project):
    response = owner_client.post(reverse("billing:proposal_new", args=[project.pk]))
    proposal = Proposal.objects.get()
    assert response.url == reverse("billing:proposal", args=[proposal.pk])
    page = owner_client.get(response.url).content.decode()
    suggested = project.studio.markup_percent(1)
    assert f"suggests a {suggested} % markup" in page
    data = {
        "title": "Website", "intro": "", "valid_until": "2026-12-20", "deposit_percent": "40", "apply_markup": "on",
        "agreement_text": "{client}: {total}", "items-TOTAL_FORMS": "1", "items-INITIAL_FORMS": "0",
        "items-MIN_NUM_FORMS": "0", "items-MAX_NUM_FORMS": "1000", "items-0-kind": "item", "items-0-title": "Build",
        "items-0-quantity": "1", "items-0-unit_price": "1000", "items-0-tax_rate": "0",
    }  # fmt: skip
    owner_client.post(response.url, data)
    proposal.refresh_from_db()
    assert (proposal.markup_percent, proposal.deposit_percent) == (suggested, 40)
    assert proposal.items.get().unit_price_minor == 100_000


def test_an_easy_client_is_not_offered_a_zero_markup(owner_client, project):
    project.client.difficulty = 0
    project.client.save(update_fields=["difficulty"])
    assert project.studio.markup_percent(0) == 0
    response = owner_client.post(reverse("billing:proposal_new", args=[project.pk]))
    page = owner_client.get(response.url).content.decode()
    assert 'data-testid="suggested-markup"' not in page
    assert 'name="apply_markup"' not in page


def test_send_and_withdraw(owner_client, project):
    draft = proposals.proposal_create(project=project, now=NOW)
    owner_client.post(reverse("billing:proposal_send", args=[draft.pk]))
    draft.refresh_from_db()
    assert draft.status == Proposal.Status.SENT
    owner_client.post(reverse("billing:proposal_withdraw", args=[draft.pk]))
    draft.refresh_from_db()
    assert draft.status == Proposal.Status.WITHDRAWN


def test_another_studios_proposal_and_agreement_are_404(charlie_client, proposal):
    agreement = accepted(proposal)
    assert charlie_client.get(reverse("billing:proposals", args=[proposal.project_id])).status_code == 404
    assert charlie_client.get(reverse("billing:proposal", args=[proposal.pk])).status_code == 404
    assert charlie_client.get(reverse("billing:agreement_pdf", args=[agreement.pk])).status_code == 404
    for name in ("proposal_send", "proposal_withdraw"):
        assert charlie_client.post(reverse(f"billing:{name}", args=[proposal.pk])).status_code == 404
    for name in ("agreement_countersign", "agreement_revise"):
        assert charlie_client.post(reverse(f"billing:{name}", args=[agreement.pk])).status_code == 404


def test_countersign_and_a_new_version_from_the_agreements_page(owner_client, owner, proposal):
    agreement = accepted(proposal)
    page = owner_client.get(reverse("billing:proposals", args=[proposal.project_id])).content.decode()
    assert agreement.text_sha256 in page
    assert "Acme &lt;Ltd&gt;" in page
    owner_client.post(reverse("billing:agreement_countersign", args=[agreement.pk]))
    owner_client.post(reverse("billing:agreement_revise", args=[agreement.pk]), {"text": "New terms."})
    agreement.refresh_from_db()
    assert agreement.countersigned_by == owner
    assert list(Agreement.objects.order_by("version").values_list("version", "signed_at")) == [(1, NOW), (2, None)]
    pdf = owner_client.get(reverse("billing:agreement_pdf", args=[agreement.pk]))
    assert pdf["Content-Type"] == "application/pdf"


def test_an_agreement_with_a_cyrillic_title_downloads_under_its_name(owner_client, proposal):
    # Django wrote the raw header as RFC 2047 (=?utf-8?b?...?=), which Chromium ignores: no download.
    Project.objects.filter(pk=proposal.project_id).update(title="Сайт детского сада")
    agreement = accepted(proposal)
    pdf = owner_client.get(reverse("billing:agreement_pdf", args=[agreement.pk]))
    disposition = pdf["Content-Disposition"]
    assert disposition.startswith("attachment; filename*=utf-8''"), disposition
    assert "=?utf-8?" not in disposition


# --- the portal -----------------------------------------------------------------------------------


def test_the_portal_page_shows_items_sums_for_every_choice_and_escapes(portal, proposal, django_assert_max_num_queries):
    with django_assert_max_num_queries(20):
        page = portal.get(reverse("portal:proposal", args=[proposal.pk]))
    html = page.content.decode()
    assert page.status_code == 200
    assert "Design &lt;b&gt;and&lt;/b&gt; build" in html
    assert 'data-testid="total">€1,000.00<' in html
    assert "Valid until 20 December 2026" in html
    assert 'id="proposal-choices"' in html
    assert "js/proposal.js" in html
    agreement = re.search(r'data-testid="agreement-text">(.*?)</div>', html, re.S).group(1)
    assert re.sub(r"<[^>]+>", "", agreement) == "Acme &lt;Ltd&gt; pays €1,000.00 (deposit €500.00)."


def test_accepting_in_the_portal_with_an_addon(portal, proposal):
    response = portal.post(
        reverse("portal:proposal_accept", args=[proposal.pk]),
        accept_data(proposal, options=[logo(proposal).pk], total=130_000),
        HTTP_USER_AGENT="TestBrowser/1.0",
        REMOTE_ADDR="198.51.100.4",
    )
    assert response.status_code == 302
    proposal.refresh_from_db()
    assert (proposal.status, proposal.accepted_total_minor) == ("accepted", 130_000)
    agreement = Agreement.objects.get()
    assert agreement.text == "Acme <Ltd> pays €1,300.00 (deposit €650.00)."
    assert (agreement.signed_ip, agreement.signed_user_agent, agreement.signed_email) == (
        "198.51.100.4", "TestBrowser/1.0", "jane@acme.example",
    )  # fmt: skip
    assert Invoice.objects.get().total_minor == 65_000
    activity = PortalActivity.objects.get(kind=PortalActivity.Kind.PROPOSAL_ACCEPTED)
    assert activity.url == reverse("billing:proposal", args=[proposal.pk])
    page = portal.get(reverse("portal:proposal", args=[proposal.pk])).content.decode()
    assert 'data-testid="proposal-accepted"' in page
    # a second submit (another tab) records nothing new
    portal.post(reverse("portal:proposal_accept", args=[proposal.pk]), accept_data(proposal, total=100_000))
    assert (Agreement.objects.count(), Invoice.objects.count()) == (1, 1)


def test_a_tampered_total_shows_the_real_sums_and_asks_again(portal, proposal):
    response = portal.post(
        reverse("portal:proposal_accept", args=[proposal.pk]),
        accept_data(proposal, options=[logo(proposal).pk], total=1),
    )
    assert response.status_code == 409
    html = response.content.decode()
    assert 'data-testid="total">€1,300.00<' in html
    assert 'name="shown_total" value="130000"' in html
    assert not Agreement.objects.exists()


def test_without_the_name_or_i_agree_nothing_is_signed(portal, proposal):
    response = portal.post(
        reverse("portal:proposal_accept", args=[proposal.pk]), {"full_name": "Jane", "shown_total": 100_000}
    )
    assert response.status_code == 400
    assert not Agreement.objects.exists()


def test_an_expired_proposal_says_so_and_cannot_be_accepted(jane, proposal, frozen_clock):
    frozen_clock.move_to(datetime(2026, 12, 21, 10, 0, tzinfo=UTC))  # valid until 20 December
    portal = log_into_portal(Browser(), jane)
    html = portal.get(reverse("portal:proposal", args=[proposal.pk])).content.decode()
    assert 'data-testid="proposal-expired"' in html
    assert 'data-testid="accept"' not in html
    portal.post(reverse("portal:proposal_accept", args=[proposal.pk]), accept_data(proposal))
    proposal.refresh_from_db()
    assert proposal.status == Proposal.Status.SENT


def test_another_clients_or_a_draft_proposal_is_404_in_the_portal(studio, portal, proposal):
    other = ContactFactory(client=ClientFactory(studio=studio), email="bob@other.example")
    theirs = log_into_portal(Browser(), other)
    assert theirs.get(reverse("portal:proposal", args=[proposal.pk])).status_code == 404
    assert theirs.post(reverse("portal:proposal_accept", args=[proposal.pk]), accept_data(proposal)).status_code == 404
    draft = proposals.proposal_create(project=proposal.project, now=NOW)
    assert portal.get(reverse("portal:proposal", args=[draft.pk])).status_code == 404
    assert Browser().get(reverse("portal:proposal", args=[proposal.pk])).status_code in (302, 403, 404)


def test_the_portal_agreement_pages_show_the_trail_the_pdf_and_a_new_version_to_sign(studio, portal, proposal):
    portal.post(reverse("portal:proposal_accept", args=[proposal.pk]), accept_data(proposal))
    signed = Agreement.objects.get()
    new = proposals.agreement_revise(agreement=signed, text="New terms.", now=NOW)
    overview = portal.get(reverse("portal:agreement", args=[proposal.project_id])).content.decode()
    assert reverse("portal:agreements", args=[proposal.project_id]) in overview
    html = portal.get(reverse("portal:agreements", args=[proposal.project_id])).content.decode()
    assert signed.text_sha256 in html
    assert 'data-testid="new-version"' in html
    assert portal.get(reverse("portal:agreement_pdf", args=[signed.pk]))["Content-Type"] == "application/pdf"
    assert portal.get(reverse("portal:agreement_pdf", args=[new.pk])).status_code == 404  # not signed yet
    portal.post(reverse("portal:agreement_sign", args=[new.pk]), {"full_name": "Jane Roe", "agree": "on"})
    new.refresh_from_db()
    assert new.signed_name == "Jane Roe"
    assert PortalActivity.objects.filter(kind=PortalActivity.Kind.AGREEMENT_SIGNED).count() == 1
    other = log_into_portal(Browser(), ContactFactory(client=ClientFactory(studio=studio), email="bob@o.example"))
    assert other.get(reverse("portal:agreements", args=[proposal.project_id])).status_code == 404
    assert other.get(reverse("portal:agreement_pdf", args=[signed.pk])).status_code == 404
    assert (
        other.post(reverse("portal:agreement_sign", args=[new.pk]), {"full_name": "B", "agree": "on"}).status_code
        == 404
    )


def test_a_russian_client_reads_the_proposal_in_russian(jane, proposal):
    jane.client.language = "ru"
    jane.client.save()
    html = log_into_portal(Browser(), jane).get(reverse("portal:proposal", args=[proposal.pk])).content.decode()
    assert "Принять предложение" in html
    assert "Действительно до 20 декабря 2026" in html
