"""In a real browser on a 390 px phone: a moved date's notice goes to the client in one click from the project page."""

from datetime import timedelta

from django.utils import timezone
from playwright.sync_api import Browser, expect

from comms.models import OutboxEmail
from projects.models import DeadlineChange
from tests.e2e.test_smoke import sign_in
from tests.factories import ClientFactory, ContactFactory, MembershipFactory, ProjectFactory


def test_a_moved_date_is_sent_to_the_client_from_a_phone(browser: Browser, live_server) -> None:
    membership = MembershipFactory(user__email="mira@studio.example", studio__timezone="Europe/Berlin")
    blum = ClientFactory(studio=membership.studio, name="Blum Bakery", language="ru")
    ContactFactory(client=blum, name="Anna Blum", email="anna@blum.example", is_primary=True)
    today = timezone.now().date()
    project = ProjectFactory(client=blum, title="Bakery website", deadline_on=today + timedelta(days=30))
    context = browser.new_context(locale="en-GB", viewport={"width": 390, "height": 844})
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))

    sign_in(page, live_server.url, "mira@studio.example")
    page.goto(f"{live_server.url}/projects/{project.pk}/")
    page.get_by_role("link", name="Move a date").click()
    page.get_by_label("New date").fill((today + timedelta(days=44)).isoformat())
    page.get_by_label("Why it moves").fill("The photos arrive two weeks later.")
    page.get_by_role("button", name="Move the date").click()

    draft = page.get_by_test_id("client-draft")
    expect(draft).to_contain_text("Not sent yet")
    page.get_by_test_id("send-to-client").click()
    expect(page.locator("#id_to")).to_have_value("anna@blum.example")
    expect(page.get_by_label("Message")).to_contain_text("Мы переносим срок сдачи проекта")
    page.get_by_role("button", name="Send", exact=True).click()

    expect(page.get_by_test_id("client-draft")).to_contain_text("In the outbox")
    email = OutboxEmail.objects.get(project=project)
    assert email.to == ["anna@blum.example"]
    assert email.subject == DeadlineChange.objects.get(project=project).notice_subject
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    assert errors == []
    context.close()
