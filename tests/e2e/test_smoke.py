"""Smoke tests in a real browser: sign up, sign in and out, and a settings form error."""

import re
from pathlib import Path

from playwright.sync_api import Page, expect

from kernel.models import Studio
from tests.factories import MembershipFactory

PASSWORD = "correct-horse-battery"  # UserFactory's
BOOTSTRAP_CSS = "/static/vendor/bootstrap/bootstrap.min.css"


def sign_in(page: Page, base_url: str, email: str, password: str = PASSWORD) -> None:
    page.goto(f"{base_url}/accounts/login/")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Sign in", exact=True).click()


def test_a_newcomer_signs_up_and_lands_on_today(
    page: Page, live_server, console_errors: list[str], screenshot_dir: Path
) -> None:
    with page.expect_response(lambda response: response.url.endswith(BOOTSTRAP_CSS)) as css:
        response = page.goto(f"{live_server.url}/signup/")
    # The page is under the strict CSP, so "no console errors" below also means "no CSP violations".
    assert "script-src 'self'" in response.headers.get("content-security-policy", "")
    assert css.value.status == 200, f"{BOOTSTRAP_CSS} answered {css.value.status}"
    # Bootstrap's styles are applied, not merely fetched: a bare <nav> would be display: block.
    expect(page.get_by_role("navigation", name="Main")).to_have_css("display", "flex")

    page.get_by_label("Your name").fill("Ada Lovelace")
    page.get_by_label("Email").fill("ada@analytical.example")
    page.get_by_label("Password").fill("quiet-lantern-orbit-42")
    page.get_by_label("Studio name").fill("Analytical Engines")
    page.get_by_label("Time zone").select_option("Europe/Berlin")
    page.get_by_role("button", name="Create my studio").click()

    expect(page).to_have_url(f"{live_server.url}/")
    expect(page.get_by_role("heading", name="Today", level=1)).to_be_visible()
    expect(page.get_by_role("navigation", name="Main")).to_contain_text("Analytical Engines")
    expect(page.get_by_text("Europe/Berlin")).to_be_visible()

    # For humans looking at a run; nothing asserts on the pixels.
    page.screenshot(path=screenshot_dir / "today.png", full_page=True)
    assert console_errors == [], "console errors (CSP violations included):\n" + "\n".join(console_errors)


def test_a_member_signs_in_with_email_and_password(page: Page, live_server, console_errors: list[str]) -> None:
    membership = MembershipFactory(user__email="grace@cobol.example", studio__name="Compiler Works")

    sign_in(page, live_server.url, "grace@cobol.example")

    expect(page.get_by_role("heading", name="Today", level=1)).to_be_visible()
    expect(page.get_by_role("navigation", name="Main")).to_contain_text(membership.studio.name)

    page.get_by_role("button", name="Sign out").click()

    expect(page).to_have_url(re.compile(r"/accounts/login/$"))
    expect(page.get_by_role("heading", name="Sign in to Rapport")).to_be_visible()
    assert console_errors == [], "console errors (CSP violations included):\n" + "\n".join(console_errors)


def test_the_settings_form_shows_errors_without_losing_input(
    page: Page, live_server, console_errors: list[str]
) -> None:
    studio = MembershipFactory(user__email="owner@northlight.example", studio__name="Northlight").studio
    sign_in(page, live_server.url, "owner@northlight.example")
    expect(page.get_by_role("heading", name="Today", level=1)).to_be_visible()

    page.goto(f"{live_server.url}/settings/")
    page.get_by_label("Studio name").fill("Northlight Design")
    page.get_by_label("Tuesday opens").fill("18:00")
    page.locator("#id_tue_close").fill("09:00")
    page.get_by_role("button", name="Save settings").click()

    expect(page.get_by_text("closes at 09:00, before it opens at 18:00")).to_be_visible()
    expect(page.get_by_text("nothing was saved")).to_be_visible()
    expect(page.get_by_label("Studio name")).to_have_value("Northlight Design")
    expect(page.get_by_label("Tuesday opens")).to_have_value("18:00")
    expect(page.locator("#id_tue_close")).to_have_value("09:00")
    studio.refresh_from_db()
    assert studio.name == "Northlight"
    assert Studio.objects.filter(name="Northlight Design").count() == 0
    assert console_errors == [], "console errors (CSP violations included):\n" + "\n".join(console_errors)
