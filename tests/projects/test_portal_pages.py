"""The guest portal's pages (R10–R13): what a client sees and does, and nothing they mustn't."""

from __future__ import annotations

import datetime as dt
import re
from datetime import UTC, date, datetime, timedelta

import pytest
import time_machine
from django.core.cache import cache
from django.test import Client as Browser
from django.urls import URLPattern, URLResolver, get_resolver, reverse

from clients.models import Client, Contact
from comms.conversation import reply_due
from comms.models import Message, OutboxEmail
from guest import call_urls, portal_page_urls, portal_views
from kernel.models import Studio
from projects.models import (
    ActionItem,
    Call,
    ChangeRequest,
    DeadlineChange,
    Installment,
    PortalActivity,
    Project,
    Resource,
    StatusUpdate,
)
from projects.portal_access import SESSION_KEY, issue_link
from tests.factories import (
    ActionItemFactory,
    ClientFactory,
    ContactFactory,
    MessageFactory,
    MilestoneFactory,
    PaymentFactory,
    ProjectFactory,
)

Kind = PortalActivity.Kind
# A Wednesday in winter: Berlin is UTC+1, Tokyo UTC+9.
WEDNESDAY = datetime(2026, 1, 14, 10, 0, tzinfo=UTC)


def log_into_portal(browser: Browser, contact: Contact) -> Browser:
    link, _token = issue_link(contact)
    session = browser.session
    session[SESSION_KEY] = link.pk
    session.save()
    return browser


@pytest.fixture(autouse=True)
def _fresh_rate_limits():
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def customer(studio: Studio) -> Client:
    return ClientFactory(studio=studio, name="Bakery Blum")


@pytest.fixture
def contact(customer: Client) -> Contact:
    return ContactFactory(client=customer, name="Anna Blum", email="anna@blum.example", is_primary=True)


@pytest.fixture
def project(customer: Client) -> Project:
    return ProjectFactory(
        client=customer,
        title="New bakery website",
        status=Project.Status.IN_PROGRESS,
        price_minor=480_000,
        deposit_percent=50,
        scope="Home, menu, about and contact pages.",
        deliverables="Four page designs as Figma files, then the built site.",
        deadline_on=date(2026, 3, 31),
    )


@pytest.fixture
def visitor(contact: Contact) -> Browser:
    return log_into_portal(Browser(), contact)


def page(browser: Browser, name: str, **kwargs) -> str:
    response = browser.get(reverse(f"portal:{name}", kwargs=kwargs))
    assert response.status_code == 200, (name, response.status_code)
    return response.content.decode()


# --- home -------------------------------------------------------------------------------------------


def test_home_lists_the_clients_projects_with_plain_status_and_open_steps(visitor, project, customer, studio):
    ActionItemFactory(project=project, owner="client", text="Send the logo")
    ActionItemFactory(project=project, owner="client", text="Send photos")
    ActionItemFactory(project=project, owner="client", text="Old one", done_at=WEDNESDAY)
    ActionItemFactory(project=project, owner="us", text="Our own to-do")
    MilestoneFactory(project=project, title="Designs", due_on=date(2026, 2, 1))
    ProjectFactory(client=customer, title="Just an idea", status=Project.Status.LEAD)
    ProjectFactory(client=customer, title="Called off", status=Project.Status.CANCELLED)
    ProjectFactory(client=ClientFactory(studio=studio), title="Someone else's shop")

    html = page(visitor, "home")

    assert "Hello, Anna Blum" in html
    assert "New bakery website" in html
    assert "We&#x27;re working on it." in html
    assert "2 next steps for you" in html
    assert "Designs" in html
    assert "31 March 2026" in html
    for hidden in ("Just an idea", "Called off", "Someone else&#x27;s shop", "Someone else's shop"):
        assert hidden not in html


def test_a_contact_of_one_client_never_sees_another_clients_projects(studio, project):
    other = ContactFactory(client=ClientFactory(studio=studio))
    ProjectFactory(client=other.client, title="Their project")

    html = page(log_into_portal(Browser(), other), "home")

    assert "Their project" in html
    assert project.title not in html


def test_a_russian_client_gets_russian_pages(visitor, customer, project):
    customer.language = "ru"
    customer.save()

    response = visitor.get(reverse("portal:home"))

    assert '<html lang="ru">' in response.content.decode()
    assert response["Content-Language"] == "ru"
    for name, kwargs in [
        ("project", {"pk": project.pk}),
        ("agreement", {"pk": project.pk}),
        ("payments", {"pk": project.pk}),
    ]:
        assert '<html lang="ru">' in page(visitor, name, **kwargs)
    assert "31 марта 2026" in page(visitor, "home")  # dates in the client's language


# --- project page -----------------------------------------------------------------------------------


def test_project_page_shows_progress_deadline_history_updates_steps_and_resources(visitor, project, studio):
    MilestoneFactory(project=project, title="Mood board", due_on=date(2026, 1, 20), done_at=WEDNESDAY)
    MilestoneFactory(project=project, title="Designs", due_on=date(2026, 2, 10))
    DeadlineChange.objects.create(
        project=project,
        old_date=date(2026, 3, 15),
        new_date=date(2026, 3, 31),
        reason="The menu photos arrive two weeks later than planned.",
    )
    for week, day in (("2026-W01", 2), ("2026-W02", 9), ("2026-W03", 16), ("2025-W52", 1)):
        StatusUpdate.objects.create(
            project=project, week=week, summary=f"Summary of {week}", sent_at=datetime(2026, 1, day, 10, tzinfo=UTC)
        )
    ActionItemFactory(project=project, owner="client", text="Send the logo as SVG", due_on=date(2026, 1, 30))
    faq = Resource.objects.create(
        studio=studio, kind=Resource.Kind.FAQ, title="How do I review a design?", answer="Comment in Figma."
    )
    video = Resource.objects.create(
        studio=studio, kind=Resource.Kind.SCREENCAST, title="Editing your menu", url="https://video.example/menu"
    )
    faq.projects.add(project)
    video.projects.add(project)

    html = page(visitor, "project", pk=project.pk)

    assert "We&#x27;re working on it." in html
    assert 'value="1" max="2"' in html
    assert "1 of 2 milestones done" in html
    assert "Mood board" in html
    assert "Designs" in html
    assert "15 March 2026 → 31 March 2026" in html
    assert "The menu photos arrive two weeks later than planned." in html
    assert "Summary of 2026-W03" in html
    assert "Summary of 2026-W01" in html
    assert "Summary of 2025-W52" not in html  # the newest three only
    assert "Send the logo as SVG" in html
    assert "Four page designs as Figma files" in html
    assert "How do I review a design?" in html
    assert "Comment in Figma." in html
    assert 'href="https://video.example/menu"' in html


def test_ticking_a_next_step_marks_it_done_and_tells_the_freelancer_once(visitor, project):
    step = ActionItemFactory(project=project, owner="client", text="Send the logo")
    url = reverse("portal:step_toggle", kwargs={"pk": project.pk, "item_pk": step.pk})

    with time_machine.travel(WEDNESDAY, tick=False):
        response = visitor.post(url, {"done": "1"})
        visitor.post(url, {"done": "1"})  # a double tap

    assert response.status_code == 302
    assert response.url == reverse("portal:project", kwargs={"pk": project.pk}) + "#steps"
    step.refresh_from_db()
    assert step.done_at == WEDNESDAY
    activity = PortalActivity.objects.get()
    assert activity.kind == Kind.STEP_DONE
    assert activity.summary == "Send the logo"
    assert activity.project == project
    assert activity.url == reverse("projects:detail", kwargs={"pk": project.pk})

    visitor.post(url, {"done": "0"})

    step.refresh_from_db()
    assert step.done_at is None
    assert list(PortalActivity.objects.order_by("pk").values_list("kind", flat=True)) == [
        Kind.STEP_DONE,
        Kind.STEP_REOPENED,
    ]


def test_ticking_with_htmx_returns_just_the_step(visitor, project):
    step = ActionItemFactory(project=project, owner="client", text="Send the logo")

    response = visitor.post(
        reverse("portal:step_toggle", kwargs={"pk": project.pk, "item_pk": step.pk}),
        {"done": "1"},
        headers={"HX-Request": "true"},
    )

    html = response.content.decode()
    assert response.status_code == 200
    assert html.startswith("<li")
    assert f'id="step-{step.pk}"' in html
    assert 'aria-pressed="true"' in html


def test_the_clients_steps_only_our_own_to_dos_stay_out_of_reach(visitor, project):
    ours = ActionItemFactory(project=project, owner="us", text="Invoice")

    response = visitor.post(reverse("portal:step_toggle", kwargs={"pk": project.pk, "item_pk": ours.pk}), {"done": "1"})

    assert response.status_code == 404
    ours.refresh_from_db()
    assert ours.done_at is None


# --- agreement --------------------------------------------------------------------------------------


def test_agreement_shows_scope_price_deposit_and_extras(visitor, project):
    html = page(visitor, "agreement", pk=project.pk)

    assert "Home, menu, about and contact pages." in html
    assert "€4,800.00" in html
    assert "€2,400.00" in html
    assert "50 % of the price" in html
    assert "Anything outside the scope above is extra work" in html
    assert "I accept" in html


def test_without_a_price_the_quote_range_shows(visitor, project):
    project.price_minor = None
    project.quote_low_minor, project.quote_high_minor = 300_000, 450_000
    project.save()

    html = page(visitor, "agreement", pk=project.pk)

    assert "€3,000–€4,500" in html


def test_accepting_needs_a_typed_name_and_the_box_and_keeps_what_was_typed(visitor, project):
    response = visitor.post(reverse("portal:accept", kwargs={"pk": project.pk}), {"full_name": "Anna B."})

    html = response.content.decode()
    assert response.status_code == 200
    assert "Tick the box to confirm" in html
    assert 'value="Anna B."' in html
    project.refresh_from_db()
    assert project.agreement_accepted_at is None
    assert not PortalActivity.objects.exists()


def test_accepting_records_who_when_and_from_where_once(visitor, project, contact):
    url = reverse("portal:accept", kwargs={"pk": project.pk})
    with time_machine.travel(WEDNESDAY, tick=False):
        response = visitor.post(url, {"full_name": " Anna Blum ", "confirm": "on"}, REMOTE_ADDR="203.0.113.9")

    assert response.status_code == 302
    project.refresh_from_db()
    assert project.agreement_accepted_at == WEDNESDAY
    assert project.agreement_accepted_name == "Anna Blum"
    assert project.agreement_accepted_email == contact.email
    assert project.agreement_accepted_ip == "203.0.113.9"
    activity = PortalActivity.objects.get()
    assert activity.kind == Kind.AGREEMENT_ACCEPTED
    assert activity.url == reverse("projects:detail", kwargs={"pk": project.pk})

    again = visitor.post(url, {"full_name": "Someone Else", "confirm": "on"}, follow=True)

    assert again.status_code == 200
    html = again.content.decode()
    assert "Accepted by Anna Blum" in html
    assert "I accept" not in html
    project.refresh_from_db()
    assert project.agreement_accepted_name == "Anna Blum"
    assert PortalActivity.objects.count() == 1


@pytest.mark.parametrize(("decision", "status", "kind"), [
    ("approve", ChangeRequest.Status.APPROVED, Kind.CHANGE_APPROVED),
    ("decline", ChangeRequest.Status.DECLINED, Kind.CHANGE_DECLINED),
])  # fmt: skip
def test_deciding_a_change_request_records_who_and_tells_the_freelancer(visitor, project, decision, status, kind):
    change = ChangeRequest.objects.create(project=project, title="A blog", price_minor=60_000)
    assert "A blog" in page(visitor, "agreement", pk=project.pk)
    url = reverse("portal:change_decide", kwargs={"pk": project.pk, "change_pk": change.pk})

    with time_machine.travel(WEDNESDAY, tick=False):
        visitor.post(url, {"decision": decision})
        second = visitor.post(url, {"decision": "decline" if decision == "approve" else "approve"}, follow=True)

    change.refresh_from_db()
    assert change.status == status
    assert change.decided_at == WEDNESDAY
    assert change.decided_by_name == "Anna Blum"
    activity = PortalActivity.objects.get()
    assert activity.kind == kind
    assert "A blog" in activity.summary
    assert "€600.00" in activity.summary
    assert "already decided" in second.content.decode()


def test_a_decision_must_be_approve_or_decline(visitor, project):
    change = ChangeRequest.objects.create(project=project, title="A blog", price_minor=60_000)

    visitor.post(reverse("portal:change_decide", kwargs={"pk": project.pk, "change_pk": change.pk}), {"decision": "x"})

    change.refresh_from_db()
    assert change.status == ChangeRequest.Status.PROPOSED


# --- payments ---------------------------------------------------------------------------------------


def test_payments_show_deposit_installments_payments_and_how_to_pay(visitor, project, studio, customer):
    studio.payment_options = "Bank: DE00 1234\n<script>alert(1)</script>"
    studio.save()
    PaymentFactory(client=customer, project=project, amount_minor=100_000, paid_on=date(2026, 1, 5))
    Installment.objects.create(project=project, amount_minor=120_000, due_on=date(2026, 1, 10))
    done = MilestoneFactory(project=project, title="Launch", done_at=datetime(2026, 1, 12, 12, tzinfo=UTC))
    Installment.objects.create(project=project, amount_minor=60_000, after_milestone=done, days_after_milestone=14)

    with time_machine.travel(WEDNESDAY, tick=False):
        html = page(visitor, "payments", pk=project.pk)

    assert "€2,400.00" in html  # the deposit
    assert "€1,000.00 received so far." in html
    assert "€3,800.00" in html  # still to pay
    assert "€1,200.00" in html
    assert "overdue" in html
    assert "due 26 January 2026" in html
    assert "Bank: DE00 1234" in html
    assert "<script>alert(1)</script>" not in html
    assert "&lt;script&gt;" in html


# --- contact card -----------------------------------------------------------------------------------


def test_contact_card_shows_working_hours_in_the_clients_time(visitor, customer, studio):
    studio.contact_card = "Studio Northlight\nCall us: +49 30 1234"
    studio.save()
    customer.timezone = "Asia/Tokyo"
    customer.save()

    with time_machine.travel(WEDNESDAY, tick=False):
        html = page(visitor, "contact")

    assert "Call us: +49 30 1234" in html
    assert "your time" in html
    assert "Asia/Tokyo" in html
    assert "Europe/Berlin" in html
    assert "17:00–Tue 02:00" in html  # Monday 09:00–18:00 in Berlin
    assert "09:00–18:00 Europe/Berlin" in html
    assert reverse("portal:messages") in html
    assert reverse("portal:call_book") in html


def test_contact_card_without_a_client_zone_shows_the_studios_hours_and_holidays(visitor, studio):
    studio.holiday_country = "DE"
    studio.save()

    with time_machine.travel(datetime(2025, 12, 31, 10, tzinfo=UTC), tick=False):
        html = page(visitor, "contact")

    assert "09:00–18:00" in html
    assert "your time" not in html
    assert "closed (public holiday)" in html  # Thursday 1 January


# --- messages ---------------------------------------------------------------------------------------


def test_messages_show_the_conversation_both_ways_but_no_notes_or_auto_replies(visitor, customer, studio):
    start = datetime(2026, 1, 12, 9, tzinfo=UTC)
    MessageFactory(thread__client=customer, text="Could we add a menu?", sent_at=start)
    MessageFactory(thread__client=customer, direction="out", text="Yes, we can.", sent_at=start + timedelta(hours=1))
    MessageFactory(thread__client=customer, channel="note", text="Client seems stressed", sent_at=start)
    MessageFactory(thread__client=customer, is_automatic=True, text="I'm on holiday", sent_at=start)
    MessageFactory(thread__client=ClientFactory(studio=studio), text="Other client's mail", sent_at=start)

    html = page(visitor, "messages")

    assert html.index("Could we add a menu?") < html.index("Yes, we can.")
    for hidden in ("Client seems stressed", "on holiday", "Other client"):
        assert hidden not in html


def test_writing_a_message_starts_a_reply_clock_like_email(visitor, customer, studio, contact):
    with time_machine.travel(WEDNESDAY, tick=False):
        response = visitor.post(reverse("portal:messages"), {"subject": "", "text": "Can we talk about colours?"})

    assert response.status_code == 302
    message = Message.objects.get()
    assert message.direction == Message.Direction.INBOUND
    assert message.client == customer
    assert message.from_email == contact.email
    assert message.from_name == contact.name
    assert message.to == [studio.sender_email]
    assert message.text == "Can we talk about colours?"
    assert message.channel == Message.Channel.PORTAL
    assert message.needs_reply is True
    assert message.reply_due_at == reply_due(studio, WEDNESDAY, urgent=False)
    activity = PortalActivity.objects.get()
    assert activity.kind == Kind.MESSAGE
    assert activity.url == reverse("comms:message", kwargs={"pk": message.pk})
    assert "Can we talk about colours?" in visitor.get(reverse("portal:messages")).content.decode()


def test_an_empty_message_is_refused_and_the_subject_kept(visitor):
    response = visitor.post(reverse("portal:messages"), {"subject": "Colours", "text": "   "})

    assert response.status_code == 200
    assert 'value="Colours"' in response.content.decode()
    assert not Message.objects.exists()


def test_writing_too_often_is_slowed_down_with_a_clear_message(visitor, monkeypatch):
    monkeypatch.setattr(portal_views, "MESSAGE_LIMIT", 2)
    for number in range(2):
        assert visitor.post(reverse("portal:messages"), {"text": f"Note {number}"}).status_code == 302

    response = visitor.post(reverse("portal:messages"), {"text": "One more"})

    assert response.status_code == 429
    html = response.content.decode()
    assert "sent a lot of messages" in html
    assert "One more" in html  # nothing typed is lost
    assert Message.objects.count() == 2


# --- nothing internal -------------------------------------------------------------------------------


def test_nothing_internal_ever_renders_on_a_portal_page(visitor, project, customer, contact, studio, other_studio):
    studio.difficulty_markups = [0, 10, 20, 30]
    studio.save()
    customer.notes = "SENTINEL-NOTES"
    customer.difficulty = 3
    customer.tier = Client.Tier.ANGEL
    customer.tier_reason = "SENTINEL-TIER"
    customer.save()
    project.quote_low_minor, project.quote_high_minor = 9_191_900, 9_292_900
    project.deposit_override_reason = "SENTINEL-OVERRIDE"
    project.maintenance_offer_draft = "SENTINEL-MAINTENANCE"
    project.save()
    DeadlineChange.objects.create(
        project=project,
        old_date=date(2026, 3, 1),
        new_date=date(2026, 3, 31),
        reason="Photos late",
        notice_subject="SENTINEL-NOTICE-SUBJECT",
        notice_text="SENTINEL-NOTICE",
    )
    StatusUpdate.objects.create(project=project, week="2026-W03", summary="SENTINEL-DRAFT")
    ActionItemFactory(project=project, owner="us", text="SENTINEL-OURS")
    PaymentFactory(client=customer, project=project, amount_minor=50_000, note="SENTINEL-PAYNOTE")
    PaymentFactory(client=customer, amount_minor=7_777_777, note="SENTINEL-REVENUE")
    ProjectFactory(client=customer, title="SENTINEL-LEAD", status=Project.Status.LEAD)
    ProjectFactory(client=customer, title="SENTINEL-CANCELLED", status=Project.Status.CANCELLED)
    ProjectFactory(client=ClientFactory(studio=studio), title="SENTINEL-OTHER-CLIENT")
    ProjectFactory(client=ClientFactory(studio=other_studio), title="SENTINEL-OTHER-STUDIO")
    MessageFactory(thread__client=customer, channel="note", text="SENTINEL-LOGGED-NOTE")
    MessageFactory(thread__client=ClientFactory(studio=studio), text="SENTINEL-OTHER-MAIL")
    OutboxEmail.objects.create(
        studio=studio, client=customer, subject="SENTINEL-OUTBOX", from_email="a@b.example", to=[contact.email]
    )
    step = ActionItemFactory(project=project, owner="client", text="Send photos")

    pages = [
        page(visitor, "home"),
        page(visitor, "project", pk=project.pk),
        page(visitor, "agreement", pk=project.pk),
        page(visitor, "payments", pk=project.pk),
        page(visitor, "contact"),
        page(visitor, "messages"),
        visitor.post(
            reverse("portal:step_toggle", kwargs={"pk": project.pk, "item_pk": step.pk}),
            {"done": "1"},
            headers={"HX-Request": "true"},
        ).content.decode(),
    ]

    for html in pages:
        assert "SENTINEL" not in html
        assert "91,919" not in html
        assert "92,929" not in html
        assert "77,777" not in html  # other revenue
        lowered = html.lower()
        for word in ("markup", "difficulty", "angel", "internal"):
            assert word not in lowered


# --- constant queries -------------------------------------------------------------------------------


def fill(project: Project, studio: Studio, size: int) -> None:
    for number in range(size):
        MilestoneFactory(project=project, due_on=date(2026, 2, 1) + timedelta(days=number))
        ActionItemFactory(project=project, owner="client")
        ChangeRequest.objects.create(project=project, title=f"Change {number}", price_minor=1000)
        StatusUpdate.objects.create(project=project, week=f"2025-W{number + 10}", sent_at=WEDNESDAY)
        DeadlineChange.objects.create(project=project, new_date=date(2026, 3, 1), reason=f"Reason {number}")
        Installment.objects.create(project=project, amount_minor=100, due_on=date(2026, 4, 1))
        PaymentFactory(client=project.client, project=project, amount_minor=100)
        Resource.objects.create(studio=studio, kind="faq", title=f"Q {number}", answer="A").projects.add(project)
        MessageFactory(thread__client=project.client, text=f"Mail {number}")


@pytest.mark.parametrize("size", [1, 10])
@pytest.mark.parametrize(("name", "with_pk", "most"), [
    ("home", False, 3),
    ("project", True, 9),  # 9: the files section reads its files in one query
    ("agreement", True, 4),
    ("payments", True, 6),  # 6: the project's invoices, one query
    ("contact", False, 2),
    ("messages", False, 3),
])  # fmt: skip
def test_pages_take_a_fixed_number_of_queries(
    visitor, project, customer, studio, django_assert_max_num_queries, size, name, with_pk, most
):
    fill(project, studio, size)
    for _number in range(size):
        fill(ProjectFactory(client=customer), studio, 1)
    kwargs = {"pk": project.pk} if with_pk else {}
    page(visitor, name, **kwargs)  # the first visit notes "last seen"

    with django_assert_max_num_queries(most):
        page(visitor, name, **kwargs)


# --- every portal URL, with somebody else's ids -----------------------------------------------------


def portal_patterns() -> list[tuple[str, URLPattern]]:
    """The portal's pages and calls (not the public access pages), as they are wired at runtime."""
    wired = {id(pattern) for pattern in [*portal_page_urls.urlpatterns, *call_urls.urlpatterns]}
    _prefix, resolver = get_resolver().namespace_dict["portal"]
    found: list[tuple[str, URLPattern]] = []

    def walk(patterns):
        for entry in patterns:
            if isinstance(entry, URLResolver):
                walk(entry.url_patterns)
            elif id(entry) in wired:
                found.append((entry.name, entry))

    walk(resolver.url_patterns)
    return found


def test_the_sweep_sees_every_page():
    names = {name for name, _pattern in portal_patterns()}
    assert {
        "home", "project", "step_toggle", "agreement", "accept", "change_decide", "payments", "contact", "messages",
    } <= names  # fmt: skip


POST_DATA = {
    "done": "1",
    "decision": "approve",
    "full_name": "Intruder",
    "confirm": "on",
    "text": "hello",
    "topic": "hello",
    "reason": "because",
}


def snapshot() -> tuple:
    return (
        list(ActionItem.objects.order_by("pk").values_list("pk", "done_at")),
        list(ChangeRequest.objects.order_by("pk").values_list("pk", "status", "decided_at")),
        list(Project.objects.order_by("pk").values_list("pk", "agreement_accepted_at", "agreement_accepted_name")),
        list(Call.objects.order_by("pk").values_list("pk", "status", "starts_at", "sequence")),
        PortalActivity.objects.count(),
        Message.objects.count(),
        OutboxEmail.objects.count(),
    )


def test_every_portal_url_answers_404_for_somebody_elses_ids(visitor, project, customer, studio, other_studio):
    own_item = ActionItemFactory(project=project, owner="client")
    own_change = ChangeRequest.objects.create(project=project, title="Own", price_minor=100)
    sibling = ProjectFactory(client=customer, title="Our other project")
    neighbour = ProjectFactory(client=ClientFactory(studio=studio), price_minor=100)
    stranger = ProjectFactory(client=ClientFactory(studio=other_studio), price_minor=100)
    hidden_lead = ProjectFactory(client=customer, status=Project.Status.LEAD, price_minor=100)
    foreign_projects = [neighbour, stranger, hidden_lead]
    foreign_items = [ActionItemFactory(project=other, owner="client") for other in (sibling, neighbour, stranger)]
    foreign_changes = [
        ChangeRequest.objects.create(project=other, title="Theirs", price_minor=100)
        for other in (sibling, neighbour, stranger)
    ]
    starts = datetime(2026, 2, 2, 10, tzinfo=UTC)
    foreign_calls = [
        Call.objects.create(
            studio=other.studio,
            client=other.client,
            starts_at=starts,
            ends_at=starts + timedelta(minutes=15),
            topic="x",
        )
        for other in (neighbour, stranger)
    ]
    before = snapshot()

    def candidates(name: str, converters: set[str]) -> list[dict]:
        if name.startswith("call"):
            return [{"pk": call.pk} for call in foreign_calls] + [{"pk": 999_999}]
        if converters == {"pk"}:
            return [{"pk": other.pk} for other in foreign_projects]
        if converters == {"pk", "item_pk"}:
            return [{"pk": project.pk, "item_pk": item.pk} for item in foreign_items] + [
                {"pk": other.pk, "item_pk": own_item.pk} for other in foreign_projects
            ]
        if converters == {"pk", "change_pk"}:
            return [{"pk": project.pk, "change_pk": change.pk} for change in foreign_changes] + [
                {"pk": other.pk, "change_pk": own_change.pk} for other in foreign_projects
            ]
        return [dict.fromkeys(converters, 999_999)]

    tried = 0
    for name, pattern in portal_patterns():
        converters = set(pattern.pattern.converters)
        if not converters:
            continue
        for kwargs in candidates(name, converters):
            url = reverse(f"portal:{name}", kwargs=kwargs)
            got = visitor.get(url)
            posted = visitor.post(url, POST_DATA)
            assert got.status_code in (404, 405), (url, got.status_code)
            assert posted.status_code in (404, 405), (url, posted.status_code)
            assert 404 in (got.status_code, posted.status_code), url
            tried += 1

    assert tried >= 15
    assert snapshot() == before


def test_every_portal_page_sends_strangers_to_the_expired_page(project, customer):
    step = ActionItemFactory(project=project, owner="client")
    change = ChangeRequest.objects.create(project=project, title="Own", price_minor=100)
    ids = {"pk": project.pk, "item_pk": step.pk, "change_pk": change.pk}
    before = snapshot()
    browser = Browser()

    for name, pattern in portal_patterns():
        url = reverse(f"portal:{name}", kwargs={key: ids[key] for key in pattern.pattern.converters})
        for response in (browser.get(url), browser.post(url, POST_DATA)):
            assert response.status_code == 302, url
            assert response.url == reverse("portal:expired"), url

    assert snapshot() == before


def test_a_revoked_link_ends_the_session(visitor, contact, project):
    contact.portal_links.update(revoked_at=dt.datetime.now(tz=UTC))

    response = visitor.get(reverse("portal:project", kwargs={"pk": project.pk}))

    assert response.status_code == 302
    assert response.url == reverse("portal:expired")


def test_portal_pages_are_never_cached(visitor, project):
    response = visitor.get(reverse("portal:project", kwargs={"pk": project.pk}))

    assert "no-store" in response["Cache-Control"]


def test_a_real_browser_passes_the_csrf_check_on_portal_forms(contact, project, settings):
    """Browsers send ``Origin: null`` with form POSTs from a "no-referrer" page, which Django refuses."""
    browser = log_into_portal(Browser(enforce_csrf_checks=True), contact)
    response = browser.get(reverse("portal:messages"))
    html = response.content.decode()
    policy = (re.search(r'<meta name="referrer" content="([^"]+)"', html) or [None, response["Referrer-Policy"]])[1]
    origin = "null" if policy == "no-referrer" else "http://testserver"
    token = browser.cookies[settings.CSRF_COOKIE_NAME].value

    response = browser.post(
        reverse("portal:messages"), {"text": "Hello", "csrfmiddlewaretoken": token}, HTTP_ORIGIN=origin
    )

    assert response.status_code == 302
