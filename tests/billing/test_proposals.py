"""billing.proposals: sums, the agreement text, sending, accepting (and signing), versions, R11's end."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
import time_machine

from billing import proposals
from billing.models import Agreement, Invoice, Proposal, ProposalItem
from billing.proposals import ItemSpec, Signature
from billing.services import invoice_record_payment
from comms.models import OutboxEmail
from projects.models import PortalLink, Project
from tests.factories import ClientFactory, ContactFactory, MembershipFactory, ProjectFactory

NOW = datetime(2026, 11, 20, 10, 0, tzinfo=UTC)  # a Friday, 11:00 in Berlin
SIGNER = Signature(name="Jane Roe", email="jane@acme.example", ip="203.0.113.7", user_agent="Firefox " * 100)


@pytest.fixture(autouse=True)
def frozen_clock():
    with time_machine.travel(NOW, tick=False) as traveller:
        yield traveller


@pytest.fixture(autouse=True)
def _no_broker(monkeypatch):
    monkeypatch.setattr("comms.outbox.kick_delivery", lambda: None)


@pytest.fixture
def project(studio):
    MembershipFactory(studio=studio, user__email="owner@studio.example")
    client = ClientFactory(studio=studio, name="Acme", difficulty=2)
    ContactFactory(client=client, name="Jane Roe", email="jane@acme.example", is_primary=True)
    return ProjectFactory(
        client=client, status=Project.Status.QUOTED, title="Website", quote_low_minor=400_000,
        quote_high_minor=500_000, deposit_percent=30, scope="Five pages.",
    )  # fmt: skip


def sent_proposal(project, *, addons=((50_000, False), (20_000, True)), markup=0, tax_bp=0) -> Proposal:
    proposal = proposals.proposal_create(project=project, now=NOW)
    items = [ItemSpec(title="Design and build", quantity=1, unit_price_minor=100_000, tax_rate_bp=tax_bp,
                      kind=ProposalItem.Kind.PACKAGE)]  # fmt: skip
    items += [
        ItemSpec(
            title=f"Add-on {index}",
            quantity=1,
            unit_price_minor=price,
            tax_rate_bp=tax_bp,
            optional=True,
            selected=selected,
        )  # fmt: skip
        for index, (price, selected) in enumerate(addons)
    ]
    proposal = proposals.proposal_update(
        proposal=proposal, title="Website", intro="", valid_until=date(2026, 12, 20), deposit_percent=50,
        markup_percent=markup, agreement_text="{client} pays {total}, deposit {deposit}, to {studio}.", items=items,
    )  # fmt: skip
    proposals.proposal_send(proposal=proposal, now=NOW)
    proposal.refresh_from_db()
    return proposal


def addon_ids(proposal) -> list[int]:
    return list(proposal.items.filter(optional=True).order_by("order").values_list("pk", flat=True))


# --- sums and text -------------------------------------------------------------------------------


def test_sums_follow_the_ticked_addons_and_the_markup_with_the_deposit_taxed_like_its_invoice():
    items = [
        ProposalItem(pk=1, quantity=2, unit_price_minor=10_000, tax_rate_bp=1_900),
        ProposalItem(pk=2, quantity=1, unit_price_minor=5_000, tax_rate_bp=1_900, optional=True, selected=False),
    ]
    plain = proposals.proposal_totals(items, markup_percent=0, deposit_percent=50, default_rate_bp=0)
    assert (plain.subtotal_minor, plain.tax_minor, plain.total_minor) == (20_000, 3_800, 23_800)
    assert (plain.deposit_net_minor, plain.deposit_minor) == (10_000, 11_900)
    ticked = proposals.proposal_totals(items, markup_percent=10, deposit_percent=50, default_rate_bp=0, chosen_ids=[2])
    assert ticked.subtotal_minor == 27_500  # (20 000 + 5 000) × 1.10
    assert ticked.total_minor == 27_500 + 5_225


def test_the_agreement_fills_only_the_fixed_placeholders():
    values = dict.fromkeys(proposals.PLACEHOLDERS, "X")
    values["client"] = "Acme"
    text = "{client} {project.pk} {client.__class__} {{literal}} {unknown}"
    assert proposals.render_agreement(text, values) == "Acme {project.pk} {client.__class__} {literal} {unknown}"
    assert proposals.render_agreement("unbalanced { brace", values) == "unbalanced { brace"
    assert proposals.unknown_placeholders("{client} {studio.owner}") == ["studio.owner"]


def test_a_new_proposal_starts_from_the_quote_with_the_markup_only_suggested(project):
    proposal = proposals.proposal_create(project=project, now=NOW)
    item = proposal.items.get()
    assert (item.unit_price_minor, item.kind) == (500_000, ProposalItem.Kind.PACKAGE)
    assert (proposal.deposit_percent, proposal.markup_percent, proposal.valid_until) == (30, 0, date(2026, 12, 20))
    assert proposals.suggested_markup(project) == project.studio.markup_percent(2) > 0
    assert "{client}" in proposal.agreement_text  # the default template, in English


def test_the_russian_client_gets_the_russian_default_agreement(project):
    project.client.language = "ru"
    project.client.save()
    assert "соглашение" in proposals.proposal_create(project=project, now=NOW).agreement_text


@pytest.mark.parametrize(("language", "expected"), [("en", "20 December 2026"), ("ru", "20 декабря 2026")])
def test_the_validity_date_reads_like_every_other_date_in_the_clients_language(project, language, expected):
    # Django's DATE_FORMAT wrote "Dec. 20, 2026" into an otherwise British-style agreement.
    proposal = sent_proposal(project)
    totals = proposals.totals_for(proposal, list(proposal.items.all()))
    assert proposals.agreement_values(proposal, totals, language=language)["valid_until"] == expected


def test_an_unknown_placeholder_is_refused_with_its_name(project):
    proposal = proposals.proposal_create(project=project, now=NOW)
    with pytest.raises(proposals.ProposalError, match="client.studio"):
        proposals.proposal_update(
            proposal=proposal, title="W", intro="", valid_until=None, deposit_percent=50, markup_percent=0,
            agreement_text="{client.studio}", items=[],
        )  # fmt: skip


# --- sending --------------------------------------------------------------------------------------


def test_sending_emails_a_portal_link_that_opens_the_proposal_once(project):
    proposal = sent_proposal(project)
    assert (proposal.status, proposal.sent_at) == (Proposal.Status.SENT, NOW)
    email = OutboxEmail.objects.get(kind="proposal-sent")
    assert email.to == ["jane@acme.example"]
    link = PortalLink.objects.get()
    assert link.landing == f"/portal/proposals/{proposal.pk}/"
    proposals.proposal_send(proposal=proposal, now=NOW)
    assert OutboxEmail.objects.filter(kind="proposal-sent").count() == 1


@pytest.mark.parametrize(
    ("language", "expected"),
    [("en", "works until 18 February 2027."), ("ru", "действует до 18 февраля 2027.")],
)
def test_the_proposal_email_writes_the_links_end_date_with_one_period(project, language, expected):
    project.client.language = language
    project.client.save()
    sent_proposal(project)

    email = OutboxEmail.objects.get(kind="proposal-sent")
    assert expected in email.text
    assert ".." not in email.text


def test_a_withdrawn_proposal_cannot_be_sent_or_accepted(project):
    proposal = sent_proposal(project)
    proposals.proposal_withdraw(proposal=proposal)
    with pytest.raises(proposals.ProposalError):
        proposals.proposal_send(proposal=proposal, now=NOW)
    with pytest.raises(proposals.ProposalError):
        proposals.proposal_accept(proposal=proposal, chosen_ids=[], shown_total_minor=0, signature=SIGNER, now=NOW)


# --- accepting ------------------------------------------------------------------------------------


def test_accepting_signs_the_exact_text_issues_the_deposit_and_emails_both_sides(project):
    proposal = sent_proposal(project)
    first, _second = addon_ids(proposal)
    # ticked: the package and add-on 0; add-on 1 (ticked by default) unticked
    accepted = proposals.proposal_accept(
        proposal=proposal, chosen_ids=[first], shown_total_minor=150_000, signature=SIGNER, now=NOW
    )
    assert accepted.created
    proposal.refresh_from_db()
    assert (proposal.status, proposal.accepted_total_minor, proposal.accepted_at) == ("accepted", 150_000, NOW)
    assert list(proposal.items.filter(optional=True).order_by("order").values_list("selected", flat=True)) == [
        True,
        False,
    ]
    agreement = accepted.agreement
    assert agreement.text == "Acme pays €1,500.00, deposit €750.00, to " + project.studio.name + "."
    assert agreement.text_sha256 == proposals.text_sha256(agreement.text)
    assert (agreement.signed_name, agreement.signed_email, agreement.signed_ip, agreement.version) == (
        "Jane Roe", "jane@acme.example", "203.0.113.7", 1,
    )  # fmt: skip
    assert len(agreement.signed_user_agent) == proposals.USER_AGENT_MAX
    invoice = accepted.invoice
    assert (invoice.kind, invoice.status, invoice.total_minor) == ("deposit", "issued", 75_000)
    project.refresh_from_db()
    assert (project.agreement_accepted_name, project.agreement_accepted_at) == ("Jane Roe", NOW)
    assert (project.price_minor, project.deposit_due_minor, project.status) == (150_000, 75_000, "awaiting_deposit")
    kinds = sorted(OutboxEmail.objects.values_list("kind", flat=True))
    assert kinds == ["agreement-signed", "agreement-signed-copy", "invoice", "proposal-sent"]


def test_a_tampered_or_stale_total_is_refused_and_nothing_is_recorded(project):
    proposal = sent_proposal(project)
    with pytest.raises(proposals.TotalChanged):
        proposals.proposal_accept(proposal=proposal, chosen_ids=addon_ids(proposal), shown_total_minor=1,
                                  signature=SIGNER, now=NOW)  # fmt: skip
    proposal.refresh_from_db()
    assert proposal.status == "sent"
    assert not Agreement.objects.exists()
    assert not Invoice.objects.exists()


def test_an_addon_of_another_proposal_is_ignored(project):
    proposal = sent_proposal(project)
    other = sent_proposal(project)
    accepted = proposals.proposal_accept(proposal=proposal, chosen_ids=addon_ids(other), shown_total_minor=100_000,
                                         signature=SIGNER, now=NOW)  # fmt: skip
    assert accepted.proposal.accepted_total_minor == 100_000


def test_accepting_twice_records_one_agreement_and_one_invoice(project):
    proposal = sent_proposal(project)
    ids = addon_ids(proposal)[1:]
    first = proposals.proposal_accept(proposal=proposal, chosen_ids=ids, shown_total_minor=120_000, signature=SIGNER,
                                      now=NOW)  # fmt: skip
    again = proposals.proposal_accept(proposal=proposal, chosen_ids=ids, shown_total_minor=120_000, signature=SIGNER,
                                      now=NOW)  # fmt: skip
    assert not again.created
    assert (again.agreement, again.invoice) == (first.agreement, first.invoice)
    assert (Agreement.objects.count(), Invoice.objects.count()) == (1, 1)


def test_an_expired_proposal_cannot_be_accepted(project, frozen_clock):
    proposal = sent_proposal(project)
    later = datetime(2026, 12, 21, 10, 0, tzinfo=UTC)
    with pytest.raises(proposals.ProposalExpired):
        proposals.proposal_accept(proposal=proposal, chosen_ids=[], shown_total_minor=120_000, signature=SIGNER,
                                  now=later)  # fmt: skip
    assert proposals.expired(proposal, later)
    assert not proposals.expired(proposal, NOW)


def test_every_choice_of_addons_has_its_sums(project):
    proposal = sent_proposal(project)
    first, second = addon_ids(proposal)
    choices = proposals.every_choice(proposal, list(proposal.items.all()))
    assert set(choices) == {"", str(first), str(second), f"{first},{second}"}
    assert choices[f"{first},{second}"]["total_minor"] == 170_000
    assert choices[""]["total"] == "€1,000.00"


# --- versions and countersigning ------------------------------------------------------------------


def test_countersigning_sends_the_pdf_again_and_a_new_version_needs_a_new_signature(project, owner):
    proposal = sent_proposal(project)
    agreement = proposals.proposal_accept(proposal=proposal, chosen_ids=[], shown_total_minor=100_000,
                                          signature=SIGNER, now=NOW).agreement  # fmt: skip
    proposals.agreement_countersign(agreement=agreement, by=owner, now=NOW)
    agreement.refresh_from_db()
    assert (agreement.countersigned_by, agreement.countersigned_at) == (owner, NOW)
    assert OutboxEmail.objects.filter(kind="agreement-signed").count() == 2
    with pytest.raises(proposals.ProposalError):
        proposals.agreement_countersign(agreement=agreement, by=owner, now=NOW)

    signed_text = agreement.text
    new = proposals.agreement_revise(agreement=agreement, text="New terms.", now=NOW)
    agreement.refresh_from_db()
    assert agreement.text == signed_text  # the signed version never changes
    assert (new.version, new.signed_at, new.text_sha256) == (2, None, proposals.text_sha256("New terms."))
    with pytest.raises(proposals.ProposalError):
        proposals.agreement_revise(agreement=new, text="Again.", now=NOW)  # not signed yet
    signed, created = proposals.agreement_sign(agreement=new, signature=SIGNER, now=NOW)
    assert created
    assert signed.signed_name == "Jane Roe"
    assert proposals.agreement_sign(agreement=new, signature=SIGNER, now=NOW)[1] is False


# --- R11: the paid deposit starts the work and both sides are told ---------------------------------


@pytest.mark.parametrize("starts_by_itself", [True, False])
def test_proposal_to_paid_deposit_starts_work_and_tells_both_sides(project, starts_by_itself):
    project.studio.start_work_on_deposit = starts_by_itself
    project.studio.save()
    proposal = sent_proposal(project)
    accepted = proposals.proposal_accept(proposal=proposal, chosen_ids=[], shown_total_minor=100_000,
                                         signature=SIGNER, now=NOW)  # fmt: skip

    invoice_record_payment(invoice=accepted.invoice, amount_minor=50_000, paid_on=NOW.date(), method="bank",
                           now=NOW)  # fmt: skip

    project.refresh_from_db()
    accepted.invoice.refresh_from_db()
    assert accepted.invoice.status == Invoice.Status.PAID
    to_studio = OutboxEmail.objects.get(kind="deposit-paid")
    assert to_studio.to == ["owner@studio.example"]
    if starts_by_itself:
        assert project.status == Project.Status.IN_PROGRESS
        assert OutboxEmail.objects.get(kind="work-started").to == ["jane@acme.example"]
        assert "Work has started" in to_studio.text
    else:
        assert project.status == Project.Status.AWAITING_DEPOSIT
        assert not OutboxEmail.objects.filter(kind="work-started").exists()
        assert "Start work from the project page" in to_studio.text
