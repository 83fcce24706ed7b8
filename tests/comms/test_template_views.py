"""Template management pages: owners adapt templates; members and other studios cannot."""

import pytest
from django.test import Client as Browser
from django.urls import reverse

from comms.email_templates import BUILTIN
from comms.models import EmailTemplate
from tests.factories import MembershipFactory

LIST_URL = reverse("emailtemplates:list")


def edit_url(key="check_in", language="en") -> str:
    return reverse("emailtemplates:edit", args=[key, language])


def reset_url(key="check_in", language="en") -> str:
    return reverse("emailtemplates:reset", args=[key, language])


def form_data(**overrides) -> dict[str, str]:
    return {
        "name": "My check-in",
        "subject": "How is {{ client_name }}?",
        "body": "Hello {{ contact_first_name }},\r\n\r\nHow are things?\r\n\r\nThanks,\r\n{{ sender_name }}",
        **overrides,
    }


@pytest.fixture
def member_client(member) -> Browser:
    browser = Browser()
    browser.force_login(member)
    return browser


@pytest.fixture
def own_check_in(studio) -> EmailTemplate:
    return EmailTemplate.objects.create(
        studio=studio, key="check_in", language="en", name="Studio check-in", subject="Private subject", body="Hi"
    )


# --- List --------------------------------------------------------------------------------------


def test_the_list_shows_every_built_in_per_language(owner_client):
    response = owner_client.get(LIST_URL)

    assert response.status_code == 200
    html = response.content.decode()
    for (key, language), template in BUILTIN.items():
        assert f'data-testid="template-{key}-{language}"' in html
        assert template.name in html
    assert reverse("emailtemplates:edit", args=["deposit_request", "ru"]) in html


def test_the_list_marks_the_studios_versions(owner_client, own_check_in):
    html = owner_client.get(LIST_URL).content.decode()

    assert "Studio check-in" in html
    assert BUILTIN["check_in", "en"].name not in html
    assert BUILTIN["check_in", "ru"].name in html
    assert reset_url() in html


@pytest.mark.parametrize("rows", [0, 12])
def test_the_list_costs_a_constant_number_of_queries(owner_client, studio, rows, django_assert_max_num_queries):
    for n in range(rows):
        EmailTemplate.objects.create(
            studio=studio, key=f"own-{n}", language="en", name=f"Own {n}", subject="S", body="B"
        )

    with django_assert_max_num_queries(6):
        response = owner_client.get(LIST_URL)
    assert response.status_code == 200


# --- Access ------------------------------------------------------------------------------------


def test_anonymous_visitors_are_sent_to_sign_in(client):
    response = client.get(LIST_URL)

    assert response.status_code == 302
    assert reverse("login") in response["Location"]


def test_a_member_who_is_not_an_owner_cannot_open_or_change_templates(member_client, own_check_in):
    # kernel.access.owner_required answers 404 to non-owners.
    assert member_client.get(LIST_URL).status_code == 404
    assert member_client.get(edit_url()).status_code == 404
    assert member_client.post(edit_url("deposit_request"), form_data()).status_code == 404
    assert member_client.post(reset_url()).status_code == 404
    assert member_client.post(reverse("emailtemplates:new"), form_data(key="x", language="en")).status_code == 404

    assert EmailTemplate.objects.get() == own_check_in


def test_another_studio_never_sees_or_touches_this_studios_templates(charlie_client, studio, own_check_in):
    EmailTemplate.objects.create(studio=studio, key="secret", language="en", name="Secret one", subject="S", body="B")

    assert "Studio check-in" not in charlie_client.get(LIST_URL).content.decode()
    assert "Private subject" not in charlie_client.get(edit_url()).content.decode()
    assert charlie_client.get(edit_url("secret")).status_code == 404
    assert charlie_client.post(reset_url()).status_code == 404
    assert charlie_client.post(reset_url("secret")).status_code == 404

    charlie_client.post(edit_url(), form_data(name="Charlie's"))

    own_check_in.refresh_from_db()
    assert own_check_in.name == "Studio check-in"
    assert EmailTemplate.objects.filter(studio=studio).count() == 2
    assert EmailTemplate.objects.exclude(studio=studio).get().name == "Charlie's"


# --- Edit --------------------------------------------------------------------------------------


def test_the_edit_page_starts_from_the_built_in_with_the_allowed_variables_and_a_preview(owner_client):
    response = owner_client.get(edit_url("deposit_request", "ru"))

    assert response.status_code == 200
    html = response.content.decode()
    assert "предоплата для старта" in html
    assert response.context["form"].initial["body"] == BUILTIN["deposit_request", "ru"].body
    assert "{{ booking_link }}" in html  # the allowed variables are listed
    assert 'data-testid="template-preview"' in html
    assert "Иван Петров" in html  # rendered with Russian sample values
    assert "<strong>Следующие шаги:</strong>" in html


def test_saving_creates_the_studios_version(owner_client, studio):
    response = owner_client.post(edit_url(), form_data())

    assert response.status_code == 302
    assert response["Location"] == LIST_URL
    row = EmailTemplate.objects.get(studio=studio)
    assert (row.key, row.language, row.name, row.subject) == (
        "check_in",
        "en",
        "My check-in",
        "How is {{ client_name }}?",
    )
    assert row.body == "Hello {{ contact_first_name }},\n\nHow are things?\n\nThanks,\n{{ sender_name }}"


def test_saving_again_updates_the_same_row(owner_client, own_check_in):
    owner_client.post(edit_url(), form_data(name="Renamed"))

    own_check_in.refresh_from_db()
    assert own_check_in.name == "Renamed"
    assert EmailTemplate.objects.count() == 1


def test_an_unknown_placeholder_is_refused_by_name_and_nothing_is_saved(owner_client):
    response = owner_client.post(edit_url(), form_data(body="Your password: {{ client.password }}"))

    assert response.status_code == 200
    html = response.content.decode()
    assert "Unknown placeholder {{ client.password }}" in html
    assert "nothing was saved" in html
    assert response.context["form"].errors["body"]
    assert EmailTemplate.objects.count() == 0


@pytest.mark.parametrize(
    ("field", "value"),
    [("subject", "{{ x|upper }}"), ("body", "{% load static %}"), ("body", "{{ client.__class__ }}")],
)
def test_template_syntax_is_refused_in_either_field(owner_client, field, value):
    response = owner_client.post(edit_url(), form_data(**{field: value}))

    assert response.status_code == 200
    assert response.context["form"].errors[field]
    assert not EmailTemplate.objects.exists()


def test_preview_renders_the_draft_with_sample_values_and_saves_nothing(owner_client):
    body = (
        "Hello {{ contact_first_name }} <b>!</b>\n\n"
        "Next steps:\n1. Book: {{ booking_link }}\n\n"
        "Thanks,\n{{ sender_name }}"
    )
    response = owner_client.post(edit_url("call_proposal"), form_data(body=body, preview="1"))

    assert response.status_code == 200
    html = response.content.decode()
    assert "Hello Anna &lt;b&gt;!&lt;/b&gt;" in html
    assert "<strong>Next steps:</strong>" in html
    assert '<a href="https://rapport.example/p/sample/call">' in html
    assert response.context["findings"] == []
    assert not EmailTemplate.objects.exists()


def test_preview_shows_the_coach_findings(owner_client):
    response = owner_client.post(edit_url("call_proposal"), form_data(body="Just BOOK IT NOW!!!", preview="1"))

    codes = [finding.code for finding in response.context["findings"]]
    assert codes == ["no_greeting", "no_thanks", "no_next_steps", "heat"]
    assert 'data-testid="coach-findings"' in response.content.decode()


def test_an_unknown_key_or_language_is_404(owner_client):
    assert owner_client.get(edit_url("no_such_template")).status_code == 404
    assert owner_client.get(edit_url("check_in", "de")).status_code == 404


# --- Reset and new -----------------------------------------------------------------------------


def test_reset_brings_the_built_in_back(owner_client, own_check_in):
    response = owner_client.post(reset_url(), follow=True)

    assert not EmailTemplate.objects.exists()
    assert "The built-in template is back." in response.content.decode()
    assert owner_client.get(edit_url()).context["form"].initial["name"] == BUILTIN["check_in", "en"].name


def test_reset_needs_post(owner_client, own_check_in):
    assert owner_client.get(reset_url()).status_code == 405
    assert EmailTemplate.objects.exists()


def test_a_new_template_of_the_studios_own(owner_client, studio):
    data = form_data(key="invoice_reminder", language="ru", name="Напоминание о счёте")
    response = owner_client.post(reverse("emailtemplates:new"), data)

    assert response.status_code == 302
    row = EmailTemplate.objects.get(studio=studio)
    assert (row.key, row.language) == ("invoice_reminder", "ru")
    assert "Напоминание о счёте" in owner_client.get(LIST_URL).content.decode()

    owner_client.post(reset_url("invoice_reminder", "ru"))
    assert not EmailTemplate.objects.exists()


def test_a_new_template_cannot_take_an_existing_key(owner_client, own_check_in):
    for key in ("check_in", "deposit_request"):
        response = owner_client.post(reverse("emailtemplates:new"), form_data(key=key, language="en"))
        assert response.status_code == 200
        assert response.context["form"].errors["key"]
    assert EmailTemplate.objects.count() == 1


def test_a_new_template_refuses_unknown_placeholders(owner_client):
    response = owner_client.post(
        reverse("emailtemplates:new"), form_data(key="x", language="en", subject="{{ studio.owner.email }}")
    )

    assert "Unknown placeholder {{ studio.owner.email }}" in response.content.decode()
    assert not EmailTemplate.objects.exists()


def test_a_second_owner_edits_the_same_studio_templates(studio, own_check_in):
    second = MembershipFactory(studio=studio, user__email="second@northlight.example").user
    browser = Browser()
    browser.force_login(second)

    assert "Studio check-in" in browser.get(LIST_URL).content.decode()
