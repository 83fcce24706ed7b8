"""In a real browser on a 390 px phone: the client uploads a logo and approves a deliverable in the portal,
then the freelancer finds both on Today and on the project's files page, which fit the phone too."""

from pathlib import Path

from django.core.files.base import ContentFile
from django.urls import reverse
from playwright.sync_api import Page, expect

from files.models import ProjectFile
from files.reviews import deliverable_share
from projects.portal_access import issue_link
from tests.e2e.test_phone import PHONE, assert_fits
from tests.e2e.test_smoke import sign_in
from tests.factories import ClientFactory, ContactFactory, MembershipFactory, ProjectFactory
from tests.files.helpers import PNG


def test_the_client_uploads_a_logo_and_approves_a_deliverable_on_a_phone(
    page: Page, live_server, console_errors: list[str], screenshot_dir: Path, tmp_path: Path
) -> None:
    membership = MembershipFactory(user__email="mira@studio.example", studio__timezone="Europe/Berlin")
    bakery = ClientFactory(studio=membership.studio, name="Ann's Bakery")
    ann = ContactFactory(client=bakery, name="Ann Baker", email="ann@bakery.example", is_primary=True)
    project = ProjectFactory(client=bakery, title="Bakery website", status="in_progress")
    deliverable_share(
        project=project, upload=ContentFile(PNG, name="home.png"), now=project.created_at, title="Homepage mock-up"
    )
    logo = tmp_path / "logo.png"
    logo.write_bytes(PNG)
    _link, token = issue_link(ann)

    page.set_viewport_size(PHONE)
    page.goto(live_server.url + reverse("portal:enter", kwargs={"token": token}))
    page.get_by_role("button", name="Open my projects").click()
    page.get_by_role("link", name="Bakery website").first.click()
    files = page.locator("#files")
    expect(files).to_contain_text("Homepage mock-up")
    expect(files).to_contain_text("waiting for your approval")
    assert_fits(page)

    page.get_by_label("Send us texts, logos, photos").set_input_files(str(logo))
    page.locator("#id_note").fill("Our logo for the header")
    page.get_by_test_id("upload-form").get_by_role("button", name="Upload").click()
    expect(page.get_by_text("1 file is uploaded")).to_be_visible()
    page.get_by_role("button", name="Approve").click()
    expect(page.get_by_text("Approved. Thank you!")).to_be_visible()
    assert_fits(page)
    page.screenshot(path=str(screenshot_dir / "portal-files.png"), full_page=True)

    assert ProjectFile.objects.get(side="client").note == "Our logo for the header"
    assert ProjectFile.objects.get(side="studio").review == "approved"

    page.context.clear_cookies()
    sign_in(page, live_server.url, "mira@studio.example")
    page.goto(live_server.url + reverse("today"))
    expect(page.get_by_test_id("client-files")).to_contain_text("logo.png")
    expect(page.get_by_test_id("client-activity")).to_contain_text("approved a deliverable")
    assert_fits(page)
    page.screenshot(path=str(screenshot_dir / "today-files-phone.png"), full_page=True)
    page.goto(live_server.url + reverse("projects:detail", args=[project.pk]))
    page.get_by_test_id("files-link").click()
    expect(page.get_by_test_id("client-file")).to_contain_text("logo.png")
    expect(page.get_by_test_id("timeline-approved")).to_contain_text("Ann Baker approved")
    assert_fits(page)
    page.screenshot(path=str(screenshot_dir / "files-page-phone.png"), full_page=True)
    assert console_errors == [], "console errors (CSP violations included):\n" + "\n".join(console_errors)
