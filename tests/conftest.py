import os
from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.conf import settings
from django.core.cache import cache
from django.test import Client
from django.utils import translation

from kernel.i18n import compile_messages
from kernel.models import Membership, Studio, User
from tests.clock_shift import SHIFT_ENV, shift_days
from tests.factories import MembershipFactory, StudioFactory, UserFactory


@pytest.fixture(autouse=True)
def default_language():
    """Each test starts in English: the locale middleware leaves a request's language active in the thread."""
    translation.activate(settings.LANGUAGE_CODE)
    yield
    translation.activate(settings.LANGUAGE_CODE)


@pytest.fixture(autouse=True)
def _project_files_in_tmp(settings, tmp_path_factory):
    """Each test keeps uploaded files in its own temporary folder, never under var/."""
    location = tmp_path_factory.mktemp("files")
    settings.STORAGES = {
        **settings.STORAGES,
        "files": {"BACKEND": "django.core.files.storage.FileSystemStorage", "OPTIONS": {"location": str(location)}},
    }


@pytest.fixture(scope="session", autouse=True)
def _fresh_shared_cache():
    """The cache outlives a run (files under var/, or Redis): each run starts from empty counters."""
    cache.clear()


@pytest.fixture
def studio(db) -> Studio:
    return StudioFactory(name="Northlight", slug="northlight", timezone="Europe/Berlin")


@pytest.fixture
def owner(studio: Studio) -> User:
    return MembershipFactory(studio=studio, user__email="owner@northlight.example").user


@pytest.fixture
def other_studio(db) -> Studio:
    return StudioFactory(name="Elsewhere", slug="elsewhere", timezone="America/New_York")


@pytest.fixture
def charlie(other_studio: Studio) -> User:
    """A member of another studio: should have no access to `studio`'s data."""
    return MembershipFactory(studio=other_studio, user__email="charlie@elsewhere.example").user


@pytest.fixture
def member(studio: Studio) -> User:
    return MembershipFactory(
        studio=studio, user=UserFactory(email="member@northlight.example"), role=Membership.Role.MEMBER
    ).user


@pytest.fixture
def owner_client(owner: User) -> Client:
    browser = Client()
    browser.force_login(owner)
    return browser


@pytest.fixture
def charlie_client(charlie: User) -> Client:
    browser = Client()
    browser.force_login(charlie)
    return browser


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--clock-shift-days",
        type=int,
        default=shift_days(),
        help=(
            "Run the whole session with the wall clock moved N days ahead (time-machine, ticking), to prove that "
            "no test depends on today's date. Also read from RAPPORT_CLOCK_SHIFT_DAYS. Tests that need a date "
            "freeze it themselves."
        ),
    )


_session_travel: time_machine.travel | None = None


def pytest_configure(config: pytest.Config) -> None:
    """Compile the translation catalogs that changed, so plain `pytest` (without make) tests them too.

    With --clock-shift-days N, start travelling before any test module is imported.
    """
    global _session_travel
    compile_messages(stale_only=True)
    if days := config.getoption("--clock-shift-days"):
        os.environ[SHIFT_ENV] = str(days)  # child processes (tests.clock_shift.python_module) shift by as much
        _session_travel = time_machine.travel(datetime.now(UTC) + timedelta(days=days), tick=True)
        _session_travel.start()


def pytest_unconfigure(config: pytest.Config) -> None:
    global _session_travel
    if _session_travel is not None:
        _session_travel.stop()
        _session_travel = None


def pytest_report_header(config: pytest.Config) -> list[str]:
    database = "PostgreSQL (DATABASE_URL)" if os.environ.get("DATABASE_URL", "").startswith("postgres") else "SQLite"
    broker = "Redis (REDIS_URL)" if os.environ.get("REDIS_URL") else "filesystem broker; integration tests skip"
    header = [f"rapport: database {database}; {broker}"]
    if days := config.getoption("--clock-shift-days"):
        header.append(f"rapport: the clock runs {days} days ahead of today")
    return header
