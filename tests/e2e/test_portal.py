"""In a real browser: a client uses their portal link, then the freelancer finds it all on Today."""

from pathlib import Path

from django.urls import reverse
from playwright.sync_api import Page, expect

from comms.models import Message
from projects.models import ActionItem, Call, Project
from projects.portal_access import issue_link
from tests.e2e.test_smoke import sign_in
from tests.factories import ActionItemFactory, ClientFactory, ContactFactory, MembershipFactory, ProjectFactory


def test_a_client_accepts_ticks_books_and_writes_and_the_freelancer_sees_it_on_today(
    page: Page, live_server, console_errors: list[str], screenshot_dir: Path
) -> None:
    membership = MembershipFactory(user__email="mira@studio.example", studio__timezone="Europe/Berlin")
    studio = membership.studio
    bakery = ClientFactory(studio=studio, name="Ann's Bakery")
    ann = ContactFactory(client=bakery, name="Ann Baker", email="ann@bakery.example", is_primary=True)
    project = ProjectFactory(
        client=bakery, title="Bakery website", status="quoted", price_minor=320_000,
        scope="Five pages and an online menu.", deliverables="Figma mock-ups, then the built site.",
    )  # fmt: skip
    ActionItemFactory(project=project, owner="client", text="Send the menu photos")
    _link, token = issue_link(ann)

    # A phone-sized screen: the portal is used from the link in an email.
    page.set_viewport_size({"width": 390, "height": 844})
    page.goto(live_server.url + reverse("portal:enter", kwargs={"token": token}))
    page.get_by_role("button", name="Open my projects").click()
    assert token not in page.url
    page.get_by_role("link", name="Bakery website").first.click()

    page.get_by_role("button", name="Tap when done").click()
    expect(page.get_by_role("button", name="Done: tap to undo")).to_be_visible()

    page.get_by_role("link", name="Agreement").click()
    page.get_by_label("Your full name").fill("Ann Baker")
    page.get_by_label("I have read").check()
    page.get_by_role("button", name="I accept").click()
    expect(page.get_by_text("the agreement is accepted")).to_be_visible()
    page.screenshot(path=str(screenshot_dir / "portal-agreement.png"), full_page=True)

    page.get_by_role("link", name="Calls", exact=True).click()
    page.get_by_test_id("book-call").click()
    page.get_by_label("What would you like to talk about?").fill("Colours for the menu page")
    page.locator(".call-slot").first.click()
    page.get_by_role("button", name="Book this call").click()
    expect(page.get_by_text("Your call is booked")).to_be_visible()

    page.get_by_role("link", name="Messages").click()
    page.get_by_label("Your message").fill("Could the menu show prices in euros and pounds?")
    page.get_by_role("button", name="Send").click()
    expect(page.get_by_text("prices in euros and pounds")).to_be_visible()
    page.screenshot(path=str(screenshot_dir / "portal-messages.png"), full_page=True)

    assert Project.objects.get(pk=project.pk).agreement_accepted_name == "Ann Baker"
    assert ActionItem.objects.get(project=project).done_at is not None
    call = Call.objects.get(client=bakery)
    message = Message.objects.get(client=bakery, channel="portal")
    assert message.needs_reply

    page.context.clear_cookies()
    page.set_viewport_size({"width": 1280, "height": 900})
    sign_in(page, live_server.url, "mira@studio.example")
    activity = page.get_by_test_id("client-activity")
    expect(activity).to_contain_text("accepted the agreement")
    expect(activity).to_contain_text("ticked a next step")
    expect(activity).to_contain_text("booked a call")
    expect(activity).to_contain_text("wrote a message")
    expect(page.get_by_test_id("replies-owed")).to_contain_text(message.subject)
    expect(activity).to_contain_text(call.topic)
    page.screenshot(path=str(screenshot_dir / "today-after-portal.png"), full_page=True)
    assert console_errors == [], "console errors (CSP violations included):\n" + "\n".join(console_errors)
