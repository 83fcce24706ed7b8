"""In a real browser: client mail arrives, the freelancer replies, the coach catches the heat."""

from email.message import EmailMessage

from django.utils import timezone
from playwright.sync_api import Page, expect

from comms.inbound import receive
from comms.models import OutboxEmail
from tests.e2e.test_smoke import sign_in
from tests.factories import ClientFactory, ContactFactory, MembershipFactory


def client_mail(subject: str, body: str) -> bytes:
    email = EmailMessage()
    email["From"], email["To"], email["Subject"] = "Ann Baker <ann@bakery.example>", "hello@studio.example", subject
    email["Message-ID"] = "<e2e-1@bakery.example>"
    email.set_content(body)
    return email.as_bytes()


def test_a_heated_reply_is_coached_and_cooled_off(page: Page, live_server, console_errors: list[str]) -> None:
    membership = MembershipFactory(user__email="mira@studio.example", studio__timezone="Europe/Berlin")
    studio = membership.studio
    ann = ClientFactory(studio=studio, name="Ann's Bakery")
    ContactFactory(client=ann, name="Ann Baker", email="ann@bakery.example", is_primary=True)
    receive(studio, client_mail("Logo colours", "Hi, which blue did we pick?\n\nAnn"), received_at=timezone.now())

    sign_in(page, live_server.url, "mira@studio.example")
    page.get_by_role("link", name="Inbox").click()
    expect(page.get_by_text("Logo colours")).to_be_visible()
    page.get_by_role("link", name="Logo colours").click()
    expect(page.get_by_text("which blue did we pick?")).to_be_visible()

    page.get_by_role("link", name="Reply").first.click()
    message = page.get_by_label("Message")
    message.fill("YOU NEVER read what I send!!! It was in the repo.")
    message.press("End")
    message.type(" ")
    coach = page.get_by_test_id("coach-findings")
    expect(coach).to_contain_text("heated")
    expect(coach).to_contain_text("repo")

    page.get_by_role("button", name="Send", exact=True).click()
    expect(page.get_by_test_id("cool-off-prompt")).to_be_visible()
    page.get_by_role("button", name="Cool off 3 hours").click()

    queued = OutboxEmail.objects.get(studio=studio, kind="reply")
    assert queued.confirm_before_sending
    assert queued.send_after >= timezone.now()
    page.get_by_role("link", name="Outbox").click()
    expect(page.get_by_text("Cooling off").first).to_be_visible()
    assert console_errors == [], "console errors (CSP violations included):\n" + "\n".join(console_errors)
