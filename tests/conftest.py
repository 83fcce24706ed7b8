import os

import pytest
from django.test import Client

from crm.i18n import compile_messages
from crm.models import Membership, Studio, User
from tests.factories import MembershipFactory, StudioFactory, UserFactory


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


def pytest_configure(config: pytest.Config) -> None:
    """Compile the translation catalogs that changed, so plain `pytest` (without make) tests them too."""
    compile_messages(stale_only=True)


def pytest_report_header(config: pytest.Config) -> list[str]:
    database = "PostgreSQL (DATABASE_URL)" if os.environ.get("DATABASE_URL", "").startswith("postgres") else "SQLite"
    broker = "Redis (REDIS_URL)" if os.environ.get("REDIS_URL") else "filesystem broker; integration tests skip"
    return [f"rapport: database {database}; {broker}"]
