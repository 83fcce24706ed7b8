"""In a real browser: from a client's page, "New project" opens the form with the client and its markup hint."""

from pathlib import Path

from playwright.sync_api import Page, expect

from desk.demo import DEMO_EMAIL, DEMO_PASSWORD, demo_seed
from tests.e2e.test_smoke import sign_in


def test_a_new_project_starts_from_the_clients_page(
    page: Page, live_server, console_errors: list[str], screenshot_dir: Path
) -> None:
    demo_seed()
    sign_in(page, live_server.url, DEMO_EMAIL, DEMO_PASSWORD)
    nav = page.get_by_role("navigation", name="Main")
    for name in ("Friday updates", "Stay in touch", "Revenue"):
        expect(nav.get_by_role("link", name=name, exact=True)).to_be_visible()
    page.screenshot(path=screenshot_dir / "desktop-today.png")

    page.get_by_role("link", name="Clients", exact=True).click()
    page.get_by_role("link", name="Kite Legal").click()
    projects = page.get_by_test_id("client-projects")
    expect(projects.get_by_test_id("client-project")).to_have_count(1)
    expect(projects).to_contain_text("Client intake forms")
    expect(projects).to_contain_text("Waiting on client")
    page.screenshot(path=screenshot_dir / "desktop-client-projects.png", full_page=True)

    projects.get_by_role("link", name="New project").click()
    expect(page.locator("#id_client option:checked")).to_have_text("Kite Legal")
    expect(page.locator("[data-markup-hint]")).to_contain_text("Kite Legal's difficulty (3 of 3) suggests adding")
    page.locator("#id_client").select_option(label="Brightside Dental")
    expect(page.locator("[data-markup-hint]")).to_contain_text("Brightside Dental's difficulty (2 of 3)")
    page.screenshot(path=screenshot_dir / "desktop-new-project.png")
    assert console_errors == [], "console errors (CSP violations included):\n" + "\n".join(console_errors)
