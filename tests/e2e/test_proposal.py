"""In a real browser, phone-sized: a client opens a proposal, ticks an add-on, sees the total change, accepts."""

from datetime import date
from pathlib import Path

from django.urls import reverse
from playwright.sync_api import Page, expect

from billing import proposals
from billing.models import Agreement, Invoice, Proposal
from billing.proposals import ItemSpec
from comms.models import OutboxEmail
from projects.models import Project
from projects.portal_access import issue_link
from tests.e2e.test_smoke import sign_in
from tests.factories import ClientFactory, ContactFactory, MembershipFactory, ProjectFactory

PHONE = {"width": 390, "height": 844}


def no_sideways_scroll(page: Page) -> None:
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]


def test_a_client_ticks_an_addon_sees_the_total_change_and_accepts(
    page: Page, live_server, console_errors: list[str], screenshot_dir: Path
) -> None:
    membership = MembershipFactory(user__email="mira@studio.example", studio__timezone="Europe/Berlin")
    studio = membership.studio
    bakery = ClientFactory(studio=studio, name="Ann's Bakery")
    ann = ContactFactory(client=bakery, name="Ann Baker", email="ann@bakery.example", is_primary=True)
    project = ProjectFactory(client=bakery, title="Bakery website", status="quoted", quote_high_minor=300_000)
    proposal = proposals.proposal_create(project=project, now=studio.local_now())
    proposals.proposal_update(
        proposal=proposal, title="Bakery website", intro="Five pages and an online menu.",
        valid_until=date(2099, 1, 1), deposit_percent=50, markup_percent=0,
        agreement_text="{client} pays {studio} {total}, of which {deposit} before work starts.",
        items=[
            ItemSpec(title="Design and build", quantity=1, unit_price_minor=300_000, kind="package"),
            ItemSpec(title="Online ordering", quantity=1, unit_price_minor=80_000, optional=True, selected=False),
        ],
    )  # fmt: skip
    proposals.proposal_send(proposal=proposal, now=studio.local_now())
    _link, token = issue_link(ann, landing=reverse("portal:proposal", kwargs={"pk": proposal.pk}))

    page.set_viewport_size(PHONE)
    page.goto(live_server.url + reverse("portal:enter", kwargs={"token": token}))
    page.get_by_role("button", name="Open my projects").click()
    expect(page.get_by_role("heading", name="Bakery website")).to_be_visible()
    total = page.get_by_test_id("total")
    expect(total).to_have_text("€3,000.00")
    no_sideways_scroll(page)

    page.get_by_label("Online ordering").check()
    expect(total).to_have_text("€3,800.00")
    expect(page.get_by_test_id("deposit")).to_have_text("€1,900.00")
    expect(page.get_by_test_id("agreement-text")).to_contain_text("€3,800.00, of which €1,900.00")
    page.get_by_label("Your full name").fill("Ann Baker")
    page.get_by_label("I agree").check()
    page.screenshot(path=str(screenshot_dir / "portal-proposal.png"), full_page=True)
    page.get_by_test_id("accept").click()
    expect(page.get_by_test_id("proposal-accepted")).to_be_visible()
    no_sideways_scroll(page)

    proposal.refresh_from_db()
    assert (proposal.status, proposal.accepted_total_minor) == (Proposal.Status.ACCEPTED, 380_000)
    agreement = Agreement.objects.get(project=project)
    assert agreement.text == f"Ann's Bakery pays {studio.name} €3,800.00, of which €1,900.00 before work starts."
    assert Invoice.objects.get(proposal=proposal).total_minor == 190_000
    assert Project.objects.get(pk=project.pk).status == Project.Status.AWAITING_DEPOSIT
    assert OutboxEmail.objects.filter(kind="invoice", to=["ann@bakery.example"]).exists()

    page.get_by_role("link", name="Your signed agreement").click()
    expect(page.get_by_test_id("audit-trail")).to_contain_text(agreement.text_sha256)
    no_sideways_scroll(page)

    page.context.clear_cookies()
    sign_in(page, live_server.url, "mira@studio.example")
    expect(page.get_by_test_id("client-activity")).to_contain_text("accepted a proposal")
    page.goto(live_server.url + reverse("billing:proposal", kwargs={"pk": proposal.pk}))
    expect(page.get_by_test_id("proposal-total")).to_have_text("€3,800.00")
    no_sideways_scroll(page)
    page.goto(live_server.url + reverse("billing:proposals", kwargs={"project_pk": project.pk}))
    expect(page.get_by_test_id("countersign")).to_be_visible()
    no_sideways_scroll(page)
    page.get_by_test_id("countersign").click()
    expect(page.get_by_text("Countersigned: both sides get the PDF.")).to_be_visible()
    assert console_errors == [], "console errors (CSP violations included):\n" + "\n".join(console_errors)
