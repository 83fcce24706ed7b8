from datetime import time

import pytest
from django.conf import settings
from django.core import mail
from django.test import Client
from django.urls import reverse

from comms.models import OutboxEmail
from kernel.models import Membership, Studio, User
from tests.factories import MembershipFactory, StudioFactory

SIGNUP = {
    "name": "Ada Weaver",
    "email": "Ada@Weaver.example",
    "password": "a-long-and-unusual-passphrase",
    "studio_name": "Weaver Design",
    "timezone": "Europe/Athens",
}


def settings_post(studio: Studio, **changes: str) -> dict[str, str]:
    data = {
        "name": studio.name,
        "timezone": studio.timezone,
        "holiday_country": "",
        "holiday_subdivision": "",
        "sla_mode": "business",
        "sla_hours": "9",
        "urgent_sla_mode": "calendar",
        "urgent_sla_hours": "4",
        "friday_update_hour": "10",
        "digest_hour": "8",
        "sender_name": "",
        "sender_email": "",
        "payment_options": "",
        "contact_card": "",
        "currency": "EUR",
        "difficulty_markups_text": "0, 10, 20, 30",
        "angel_cadence_days": "90",
        "regular_cadence_days": "180",
        "yearly_card_month": "12",
        "past_clients_per_week": "3",
        "reply_warning_percent": "75",
        "cool_off_hours": "3",
        "deposit_reminder_days": "3,7,14",
        "survey_after_days": "14",
        "survey_questions": "",
        "survey_follow_up_below": "7",
        "portal_link_days": "90",
        "call_durations": "15",
        "call_buffer_minutes": "15",
        "call_min_notice_hours": "4",
        "call_max_per_day": "3",
        "call_days_ahead": "14",
        "call_location": "",
    }
    for key in ("mon", "tue", "wed", "thu", "fri"):
        data[f"{key}_open"], data[f"{key}_close"] = "09:00", "18:00"
    data.update(changes)
    return data


@pytest.mark.django_db
def test_signup_creates_the_user_and_their_studio_and_opens_today(client: Client):
    response = client.post(reverse("signup"), SIGNUP)

    assert response.status_code == 302
    assert response.url == reverse("today")
    user = User.objects.get(email="ada@weaver.example")
    studio = Studio.objects.get(memberships__user=user)
    assert studio.name == "Weaver Design"
    assert studio.slug == "weaver-design"
    assert studio.timezone == "Europe/Athens"
    assert Membership.objects.get(user=user).role == Membership.Role.OWNER
    assert client.get(reverse("today")).status_code == 200


@pytest.mark.django_db
def test_signup_with_an_unknown_timezone_re_renders_with_a_clear_error(client: Client):
    response = client.post(reverse("signup"), {**SIGNUP, "timezone": "Mars/Olympus_Mons"})

    assert response.status_code == 200
    assert "is not a time zone we know" in response.content.decode()
    assert response.context["form"].data["studio_name"] == "Weaver Design"  # nothing the user typed is lost
    assert not User.objects.exists()


@pytest.mark.django_db
def test_signup_refuses_a_weak_password_and_a_taken_email(client: Client):
    MembershipFactory(user__email="ada@weaver.example")

    response = client.post(reverse("signup"), {**SIGNUP, "password": "12345678"})

    errors = response.context["form"].errors
    assert "password" in errors
    assert "already exists" in errors["email"][0]


@pytest.mark.django_db
def test_a_member_without_a_studio_is_asked_to_create_one(client: Client):
    user = User.objects.create_user(email="alone@example.com", password="x-long-password-1")
    client.force_login(user)

    assert client.get(reverse("today")).url == reverse("studio_create")
    response = client.post(reverse("studio_create"), {"name": "Solo", "timezone": "Asia/Tokyo"})
    assert response.url == reverse("today")
    assert Studio.objects.get(memberships__user=user).timezone == "Asia/Tokyo"


def test_anonymous_visitors_are_sent_to_sign_in(client: Client, db):
    response = client.get(reverse("today"))
    assert response.status_code == 302
    assert response.url.startswith(reverse("login"))


def test_the_owner_saves_working_hours_and_holidays(owner_client: Client, studio: Studio):
    response = owner_client.post(
        reverse("settings"),
        settings_post(
            studio,
            holiday_country="DE",
            holiday_subdivision="by",
            sat_open="10:00",
            sat_close="13:00",
            fri_open="09:00",
            fri_close="15:00",
        ),
    )

    assert response.status_code == 302
    studio.refresh_from_db()
    assert studio.working_hours[5] == (time(10), time(13))
    assert studio.working_hours[4] == (time(9), time(15))
    assert 6 not in studio.working_hours
    assert studio.holiday_spec == ("DE", "BY")


def test_the_owner_sets_markups_currency_and_cadences(owner_client: Client, studio: Studio):
    owner_client.post(
        reverse("settings"),
        settings_post(studio, currency="usd", difficulty_markups_text="0, 5%, 15, 40", angel_cadence_days="60"),
    )

    studio.refresh_from_db()
    assert studio.currency == "USD"
    assert studio.difficulty_markups == [0, 5, 15, 40]
    assert studio.markup_percent(3) == 40
    assert studio.angel_cadence_days == 60


def test_the_owner_sets_the_reminder_settings(owner_client: Client, studio: Studio):
    owner_client.post(
        reverse("settings"),
        settings_post(
            studio, reply_warning_percent="60", deposit_reminder_days="14, 3,7, 3", client_action_reminders="on"
        ),
    )

    studio.refresh_from_db()
    assert studio.reply_warning_percent == 60
    assert studio.deposit_reminder_days == "3,7,14"
    assert studio.client_action_reminders


def test_inverted_working_hours_re_render_the_form_with_a_clear_error(owner_client: Client, studio: Studio):
    before = studio.working_hours

    response = owner_client.post(reverse("settings"), settings_post(studio, tue_open="18:00", tue_close="09:00"))

    assert response.status_code == 200
    assert "Tuesday closes at 09:00, before it opens at 18:00." in response.content.decode()
    studio.refresh_from_db()
    assert studio.working_hours == before


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        ({"wed_open": "09:00", "wed_close": ""}, "wed_open", "or neither for a day off"),
        ({"timezone": "Europe/Atlantis"}, "timezone", "is not a time zone we know"),
        ({"holiday_country": "DE", "holiday_subdivision": "XX"}, "holiday_subdivision", "is not a region"),
        ({"holiday_subdivision": "BY"}, "holiday_subdivision", "Choose the country first"),
        ({"sla_hours": "0"}, "sla_hours", "greater than zero"),
        ({"difficulty_markups_text": "0, 10, lots"}, "difficulty_markups_text", "four whole percentages"),
        ({"currency": "euro"}, "currency", "Three letters"),
        ({"angel_cadence_days": "0"}, "angel_cadence_days", "greater than or equal to 1"),
        ({"deposit_reminder_days": "3, soon"}, "deposit_reminder_days", "whole days from 1 to 365"),
        ({"deposit_reminder_days": "0"}, "deposit_reminder_days", "whole days from 1 to 365"),
        ({"reply_warning_percent": "100"}, "reply_warning_percent", "less than or equal to 99"),
    ],
)
def test_invalid_settings_are_refused_with_the_reason(owner_client, studio, changes, field, message):
    response = owner_client.post(reverse("settings"), settings_post(studio, **changes))

    assert response.status_code == 200
    assert message in " ".join(response.context["form"].errors[field])


def test_a_studio_needs_working_hours_on_at_least_one_day(owner_client, studio):
    closed = {f"{day}_{end}": "" for day in ("mon", "tue", "wed", "thu", "fri") for end in ("open", "close")}
    response = owner_client.post(reverse("settings"), settings_post(studio, **closed))

    assert "at least one day" in " ".join(response.context["form"].non_field_errors())


def test_members_who_are_not_owners_cannot_change_settings(client: Client, studio: Studio, member: User):
    client.force_login(member)

    response = client.post(reverse("settings"), settings_post(studio, name="Taken over"), follow=True)

    assert "Only the studio&#x27;s owners" in response.content.decode()
    studio.refresh_from_db()
    assert studio.name == "Northlight"


def test_the_owner_invites_a_person_who_is_not_a_member_until_they_accept(owner_client, studio):
    response = owner_client.post(reverse("member_add"), {"email": "New.Person@Example.com"})

    assert response.status_code == 302
    assert not User.objects.filter(email="new.person@example.com").exists()
    invite = OutboxEmail.objects.get(kind="member-invite")
    assert (invite.studio, invite.to) == (studio, ["new.person@example.com"])
    assert "Northlight" in invite.subject
    assert "/invitations/" in invite.text


def test_the_last_owner_cannot_be_removed(owner_client, studio, owner):
    membership = Membership.objects.get(studio=studio, user=owner)

    response = owner_client.post(reverse("member_remove", args=[membership.pk]), follow=True)

    assert "at least one owner" in response.content.decode()
    assert Membership.objects.filter(pk=membership.pk).exists()


def test_password_reset_sends_a_link_that_sets_a_new_password(client: Client, owner: User):
    client.post(reverse("password_reset"), {"email": owner.email})

    assert len(mail.outbox) == 1
    link = next(line for line in mail.outbox[0].body.splitlines() if "/accounts/reset/" in line)
    assert link.startswith(f"{settings.SITE_URL}/accounts/reset/")  # the address the app is served from
    confirm = client.get(link.removeprefix(settings.SITE_URL), follow=True)
    response = client.post(
        confirm.redirect_chain[-1][0],
        {"new_password1": "brand-new-passphrase-42", "new_password2": "brand-new-passphrase-42"},
    )
    assert response.status_code == 302
    owner.refresh_from_db()
    assert owner.check_password("brand-new-passphrase-42")


def test_the_studio_slug_stays_unique(db):
    from kernel.services import studio_create

    first = studio_create(name="Pixel & Co", timezone="UTC", owner=User.objects.create_user("a@example.com"))
    second = studio_create(name="Pixel & Co", timezone="UTC", owner=User.objects.create_user("b@example.com"))
    assert first.slug == "pixel-co"
    assert second.slug.startswith("pixel-co-")


def test_one_business_day_is_the_length_of_the_most_common_working_day(db):
    studio = StudioFactory(
        working_hours_json={"0": ["09:00", "18:00"], "1": ["09:00", "18:00"], "4": ["09:00", "13:00"]}
    )
    assert studio.one_business_day_hours() == 9


def test_a_sender_name_with_a_comma_makes_a_valid_from_header(db):
    studio = StudioFactory(sender_name="Smith, Jane", sender_email="jane@smith.example")
    assert studio.from_email == '"Smith, Jane" <jane@smith.example>'


@pytest.mark.django_db
def test_settings_keep_call_lengths_tidy_and_refuse_an_eleventh_survey_question(owner_client: Client, studio: Studio):
    questions = "\n".join(f"Question {n}?" for n in range(11))
    response = owner_client.post(reverse("settings"), settings_post(studio, survey_questions=questions))
    assert response.status_code == 200
    assert "At most 10 questions" in response.content.decode()

    response = owner_client.post(reverse("settings"), settings_post(studio, call_durations="30, 15,30"))
    assert response.status_code == 302
    studio.refresh_from_db()
    assert studio.call_durations == "15,30"
    assert studio.call_duration_choices == [15, 30]
