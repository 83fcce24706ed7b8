"""A new studio's Today guides its first steps; each step of the checklist ticks only once it was done."""

from datetime import UTC, datetime

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import translation

from comms.models import RawEmail
from desk.first_steps import setup_steps
from kernel.models import Studio
from projects.portal_access import issue_link
from tests.crm.test_signup_and_settings import settings_post
from tests.factories import ClientFactory, ContactFactory, ProjectFactory


def done(studio: Studio) -> set[str]:
    studio.refresh_from_db()
    return {step.key for step in setup_steps(studio) if step.done}


def test_a_brand_new_studio_sees_its_first_steps_linked_to_the_right_pages(db, client: Client):
    client.post(
        reverse("signup"),
        {"name": "Ada", "email": "ada@engines.example", "password": "quiet-lantern-orbit-42",
         "studio_name": "Engines", "timezone": "Europe/Berlin"},
    )  # fmt: skip

    page = client.get(reverse("today")).content.decode()

    assert 'data-testid="first-steps"' in page
    assert "Nothing needs you right now." not in page
    for url in (reverse("settings"), reverse("clients:create"), reverse("projects:create"),
                reverse("mailsources:index"), reverse("clients:index")):  # fmt: skip
        assert f'href="{url}"' in page
    # Signup filled in default working hours and took the sender address: only the address was the user's doing.
    studio = Studio.objects.get(name="Engines")
    assert studio.working_hours
    assert done(studio) == {"sender"}
    assert page.count("data-done") == 1


def test_working_hours_tick_once_the_owner_saved_the_settings_even_unchanged(owner_client: Client, studio: Studio):
    assert "hours" not in done(studio)

    owner_client.post(reverse("settings"), settings_post(studio))

    assert "hours" in done(studio)


def test_a_settings_form_with_errors_ticks_nothing(owner_client: Client, studio: Studio):
    owner_client.post(reverse("settings"), settings_post(studio, tue_open="18:00", tue_close="09:00"))

    assert "hours" not in done(studio)


@pytest.mark.parametrize(
    ("key", "make"),
    [
        ("holidays", lambda studio: Studio.objects.filter(pk=studio.pk).update(holiday_country="DE")),
        ("payment", lambda studio: Studio.objects.filter(pk=studio.pk).update(payment_options="Bank transfer")),
        ("client", lambda studio: ClientFactory(studio=studio)),
        ("project", lambda studio: ProjectFactory(client__studio=studio)),
        ("mail", lambda studio: RawEmail.objects.create(
            studio=studio, raw=b"Subject: hi\r\n\r\nhello", received_at=datetime(2026, 3, 2, 9, tzinfo=UTC))),
        ("portal", lambda studio: issue_link(ContactFactory(client=ClientFactory(studio=studio)))),
    ],
)  # fmt: skip
def test_each_step_ticks_on_its_own_evidence_and_in_its_own_studio_only(studio, other_studio, key, make):
    before = done(studio)
    assert key not in before

    make(other_studio)
    assert done(studio) == before

    make(studio)
    assert key in done(studio)


def test_once_there_is_a_client_the_rest_of_the_checklist_moves_to_the_side(owner_client: Client, studio: Studio):
    ClientFactory(studio=studio)

    page = owner_client.get(reverse("today")).content.decode()

    assert 'data-testid="first-steps"' not in page
    assert 'data-testid="setup-checklist"' in page
    assert 'data-step="client" data-done' in page


def test_the_checklist_disappears_once_every_step_is_done(owner_client: Client, studio: Studio):
    owner_client.post(
        reverse("settings"),
        settings_post(studio, holiday_country="DE", payment_options="Bank transfer", sender_email="me@x.example"),
    )
    contact = ContactFactory(client=ClientFactory(studio=studio))
    ProjectFactory(studio=studio, client=contact.client)
    RawEmail.objects.create(studio=studio, raw=b"Subject: hi", received_at=datetime(2026, 3, 2, tzinfo=UTC))
    issue_link(contact)

    page = owner_client.get(reverse("today")).content.decode()

    assert "Set up your studio" not in page
    assert 'data-testid="first-steps"' not in page


def test_the_first_steps_read_in_russian(owner_client: Client, studio: Studio):
    with translation.override("en"):  # the middleware leaves Russian active: keep it from the next tests
        page = owner_client.get(reverse("today"), HTTP_ACCEPT_LANGUAGE="ru").content.decode()

    assert "Добро пожаловать: первые шаги" in page
    assert "Подключите почту" in page
