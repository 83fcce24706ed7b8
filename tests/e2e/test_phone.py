"""On a 390 px phone, in English and Russian: the demo's lists become stacked rows, nothing scrolls sideways,
and every row's buttons are on screen; the portal fits too. Also the new-project form's markup hint."""

from pathlib import Path

import pytest
from django.conf import settings
from django.urls import reverse
from playwright.sync_api import Locator, Page, expect

from desk.demo import DEMO_EMAIL, DEMO_PASSWORD, demo_seed
from tests.e2e.test_smoke import sign_in
from tests.factories import ClientFactory, MembershipFactory

PHONE = {"width": 390, "height": 844}
# (name, URL name, query, the rows' selector, how many rows at least the demo shows there)
LISTS = [
    ("inbox-owed", "comms:inbox", "?tab=owed", "[data-testid=owed-row]", 3),
    ("inbox-unmatched", "comms:inbox", "?tab=unmatched", "[data-testid=unmatched-row]", 1),
    ("inbox-promised", "comms:inbox", "?tab=promised", "[data-testid=promise-row]", 1),
    ("outbox", "comms:outbox", "?tab=scheduled", "[data-testid=outbox-row]", 1),
    ("friday", "projects:friday", "", "[data-testid=friday-row]", 1),
    ("clients", "clients:index", "", ".table-stack tbody tr", 20),
]


def assert_fits(page: Page) -> None:
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= PHONE["width"], f"{page.url} scrolls sideways: {width} px wide"


def assert_on_screen(control: Locator) -> None:
    control.scroll_into_view_if_needed()
    expect(control).to_be_visible()
    box = control.bounding_box()
    assert box is not None
    assert box["x"] >= 0, f"{control} starts off screen at x={box['x']}"
    assert box["x"] + box["width"] <= PHONE["width"], f"{control} ends off screen at {box['x'] + box['width']}"


@pytest.mark.parametrize("language", ["en", "ru"])
def test_the_demo_lists_stack_on_a_phone_with_every_action_on_screen(
    page: Page, live_server, console_errors: list[str], screenshot_dir: Path, language: str
) -> None:
    demo_seed()
    page.set_viewport_size(PHONE)
    sign_in(page, live_server.url, DEMO_EMAIL, DEMO_PASSWORD)
    expect(page.get_by_role("heading", level=1)).to_be_visible()
    if language == "ru":
        page.get_by_test_id("language-switcher").get_by_role("button", name="Русский").click()
        expect(page.locator("html")).to_have_attribute("lang", "ru")

    assert_fits(page)
    page.screenshot(path=screenshot_dir / f"phone-{language}-today.png", full_page=True)
    # The menu, folded on a phone, opens onto the pages that have no other way in.
    page.locator(".navbar-toggler").click()
    for path in (reverse("clients:revenue"), reverse("clients:touchpoints"), reverse("projects:friday")):
        assert_on_screen(page.locator(f"#main-nav a[href='{path}']"))
    assert_fits(page)

    for name, url_name, query, rows_selector, at_least in LISTS:
        page.goto(live_server.url + reverse(url_name) + query)
        rows = page.locator(rows_selector)
        assert rows.count() >= at_least, f"{name}: {rows.count()} rows"
        assert_fits(page)
        for index in range(rows.count()):
            row = rows.nth(index)
            # A stacked row is one block as wide as the screen, not a table row of cells side by side.
            assert row.evaluate("row => getComputedStyle(row).display") == "block"
            for control in row.locator("a.btn, button, select").all():
                assert_on_screen(control)
        rows.first.scroll_into_view_if_needed()
        page.screenshot(path=screenshot_dir / f"phone-{language}-{name}.png", full_page=rows.count() < 10)

    page.goto(live_server.url + reverse("today"))
    page.screenshot(path=screenshot_dir / f"phone-{language}-today.png", full_page=True)
    assert console_errors == [], "console errors (CSP violations included):\n" + "\n".join(console_errors)


def test_the_demo_portal_fits_a_phone(page: Page, live_server, console_errors: list[str], screenshot_dir: Path):
    studio = demo_seed()
    page.set_viewport_size(PHONE)
    page.goto(live_server.url + studio.demo_portal_url.removeprefix(settings.SITE_URL))
    page.get_by_role("button", name="Open my projects").click()
    assert_fits(page)
    page.get_by_role("link", name="Portfolio relaunch").first.click()
    assert_fits(page)
    page.screenshot(path=screenshot_dir / "phone-portal-project.png", full_page=True)
    for name in ("Agreement", "Payments"):
        page.locator(".portal-project-nav").get_by_role("link", name=name, exact=True).click()
        assert_fits(page)
    for name in ("Calls", "Messages", "Contact"):
        page.get_by_test_id("portal-tabs").get_by_role("link", name=name, exact=True).click()
        assert_fits(page)
    page.screenshot(path=screenshot_dir / "phone-portal-messages.png", full_page=True)
    assert console_errors == [], "console errors (CSP violations included):\n" + "\n".join(console_errors)


def test_a_new_studio_sees_its_first_steps_on_a_phone(
    page: Page, live_server, console_errors: list[str], screenshot_dir: Path
) -> None:
    MembershipFactory(user__email="ada@engines.example", studio__name="Engines")
    page.set_viewport_size(PHONE)
    sign_in(page, live_server.url, "ada@engines.example")

    steps = page.get_by_test_id("first-steps")
    expect(steps).to_be_visible()
    assert_fits(page)
    page.screenshot(path=screenshot_dir / "phone-en-first-steps.png", full_page=True)
    steps.get_by_role("link", name="Add your first client").click()
    expect(page).to_have_url(live_server.url + reverse("clients:create"))
    assert console_errors == [], "console errors (CSP violations included):\n" + "\n".join(console_errors)


def test_the_markup_hint_follows_the_client_picked(page: Page, live_server, console_errors: list[str]) -> None:
    membership = MembershipFactory(user__email="mira@studio.example")
    studio = membership.studio
    studio.difficulty_markups = [0, 10, 25, 50]
    studio.save(update_fields=["difficulty_markups"])
    ClientFactory(studio=studio, name="Easy Bakery", difficulty=0)
    ClientFactory(studio=studio, name="Kite <Legal>", difficulty=3)
    sign_in(page, live_server.url, "mira@studio.example")

    page.goto(live_server.url + reverse("projects:create"))
    hint = page.locator("[data-markup-hint]")
    expect(hint).to_have_text("")

    page.locator("#id_client").select_option(label="Kite <Legal>")
    expect(hint).to_have_text("Kite <Legal>'s difficulty (3 of 3) suggests adding 50 % to your usual price.")

    page.locator("#id_client").select_option(label="Easy Bakery")
    expect(hint).to_have_text("")  # no markup for an easy client
    assert console_errors == [], "console errors (CSP violations included):\n" + "\n".join(console_errors)
