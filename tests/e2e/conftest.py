"""Headless-Chromium fixtures for the end-to-end tests.

The browser is Debian's Chromium (never a Playwright download): set CHROMIUM_PATH
to use another binary. Where no Chromium can start, every test here is skipped
with the reason, so the rest of the suite still runs.
"""

import os
import re
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, ConsoleMessage, Error, Page, sync_playwright

# Playwright's sync API keeps an asyncio loop running in this thread, so Django would refuse ORM calls here.
os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"

CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]
SCREENSHOT_DIR = Path(__file__).resolve().parents[2] / "var" / "e2e"


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Every test in this folder is an e2e test (select with `-m e2e`, leave out with `-m "not e2e"`)."""
    here = Path(__file__).parent
    for item in items:
        if here in item.path.parents:
            item.add_marker(pytest.mark.e2e)


def chromium_path() -> str:
    """The Chromium binary to drive, or a skip naming what is missing.

    An explicit CHROMIUM_PATH wins and is not second-guessed: if it does not exist, skip.
    """
    explicit = os.environ.get("CHROMIUM_PATH")
    if explicit:
        if not (os.path.isfile(explicit) and os.access(explicit, os.X_OK)):
            pytest.skip(f"CHROMIUM_PATH={explicit} is not an executable file")
        return explicit
    found = shutil.which("chromium") or ("/usr/bin/chromium" if os.access("/usr/bin/chromium", os.X_OK) else None)
    if not found:
        pytest.skip("Chromium not found: install it (apt-get install chromium) or set CHROMIUM_PATH")
    return found


def launch_failure(error: Error) -> str:
    """Playwright's launch error in a line: its summary, what the browser printed on stderr, and its exit."""
    text = str(error)
    lines = [line.strip() for line in text.split("Call log:")[0].splitlines() if line.strip()]
    summary = lines[0] if lines else type(error).__name__
    stderr = [line.split("[err]", 1)[1].strip() for line in lines if "[err]" in line]
    exit_status = re.search(r"process did exit: (exitCode=\S+, signal=\S+)>", text)
    details = stderr[:3] + ([exit_status.group(1)] if exit_status else [])
    return " | ".join([summary, *details])


@pytest.fixture(scope="session")
def browser() -> Iterator[Browser]:
    executable = chromium_path()
    playwright = sync_playwright().start()
    try:
        chromium = playwright.chromium.launch(executable_path=executable, headless=True, args=CHROMIUM_ARGS)
    except Error as error:
        playwright.stop()
        pytest.skip(f"Chromium at {executable} failed to launch: {launch_failure(error)}")
    yield chromium
    chromium.close()
    playwright.stop()


@pytest.fixture
def console_errors() -> list[str]:
    """Console errors and uncaught exceptions of the `page`; a CSP violation shows up here too."""
    return []


@pytest.fixture
def page(browser: Browser, console_errors: list[str]) -> Iterator[Page]:
    context = browser.new_context(locale="en-GB", viewport={"width": 1280, "height": 900})
    new_page = context.new_page()

    def on_console(message: ConsoleMessage) -> None:
        if message.type == "error":
            console_errors.append(f"{new_page.url}: {message.text}")

    new_page.on("console", on_console)
    new_page.on("pageerror", lambda error: console_errors.append(f"{new_page.url}: uncaught {error}"))
    yield new_page
    context.close()


@pytest.fixture
def screenshot_dir() -> Path:
    SCREENSHOT_DIR.mkdir(parents=True, exist_ok=True)
    return SCREENSHOT_DIR
