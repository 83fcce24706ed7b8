from datetime import UTC, date, datetime

import pytest
import time_machine
from django.test import Client as Browser
from django.urls import reverse

from clients.models import Payment
from projects.models import ActionItem, ChangeRequest, DeadlineChange, Milestone, Project, Resource
from tests.factories import ActionItemFactory, ClientFactory, MilestoneFactory, ProjectFactory

NOW = datetime(2026, 11, 18, 10, 0, tzinfo=UTC)  # a Wednesday


pytestmark = pytest.mark.usefixtures("frozen")


@pytest.fixture
def frozen():
    with time_machine.travel(NOW, tick=False):
        yield


@pytest.fixture
def acme(studio):
    return ClientFactory(studio=studio, name="Acme Bakery", difficulty=2)


@pytest.fixture
def site(acme) -> Project:
    return ProjectFactory(
        client=acme, title="Bakery site", start_on=date(2026, 11, 1), deadline_on=date(2026, 12, 18),
        price_minor=400_000, deposit_percent=50, status=Project.Status.AWAITING_DEPOSIT,
    )  # fmt: skip


def project_post(client, **changes) -> dict:
    data = {"client": client.pk, "title": "Shop", "currency": "EUR", "deposit_percent": "50",
            "start_on": "2026-11-01", "deadline_on": "2026-12-01", "price": "4000", "quote_low": "3500",
            "quote_high": "4500", "deliverables": "Home + 4 pages", "scope": "", "extras_policy": "x"}  # fmt: skip
    data.update(changes)
    return data


def test_a_new_project_is_saved_in_minor_units(owner_client: Browser, acme):
    response = owner_client.post(reverse("projects:create"), project_post(acme))

    project = Project.objects.get()
    assert response.url == reverse("projects:detail", args=[project.pk])
    assert (project.price_minor, project.quote_low_minor, project.quote_high_minor) == (400_000, 350_000, 450_000)
    assert project.deposit_due_minor == 200_000
    assert project.studio == acme.studio


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        ({"deadline_on": "2026-10-01"}, "deadline_on", "before the start"),
        ({"deposit_amount": "5000"}, "deposit_amount", "larger than the price"),
        ({"quote_low": "5000"}, "quote_high", "below the lower end"),
        ({"deposit_percent": "120"}, "deposit_percent", "more than 100"),
        ({"currency": "EURO"}, "currency", "Three letters"),
    ],
)
def test_inconsistent_projects_are_refused_with_the_reason(owner_client: Browser, acme, changes, field, message):
    response = owner_client.post(reverse("projects:create"), project_post(acme, **changes))

    assert message in " ".join(response.context["form"].errors[field])
    assert not Project.objects.exists()


def test_a_project_cannot_be_created_for_another_studios_client(owner_client: Browser, other_studio):
    foreign = ClientFactory(studio=other_studio)
    response = owner_client.post(reverse("projects:create"), project_post(foreign))
    assert "client" in response.context["form"].errors


def test_starting_without_the_deposit_is_refused_with_the_reason(owner_client: Browser, site):
    response = owner_client.post(reverse("projects:set_status", args=[site.pk]), {"status": "in_progress"}, follow=True)

    site.refresh_from_db()
    assert site.status == Project.Status.AWAITING_DEPOSIT
    assert "deposit" in response.content.decode()


def test_starting_with_an_override_reason_is_recorded_and_shown(owner_client: Browser, site, owner):
    response = owner_client.post(
        reverse("projects:set_status", args=[site.pk]),
        {"status": "in_progress", "override_reason": "Long-standing client, pays on invoice"},
        follow=True,
    )

    site.refresh_from_db()
    assert site.status == Project.Status.IN_PROGRESS
    assert site.deposit_override_by == owner
    assert "Long-standing client, pays on invoice" in response.content.decode()


def test_a_linked_deposit_payment_lets_the_project_start(owner_client: Browser, site):
    Payment.objects.create(studio=site.studio, client=site.client, project=site, amount_minor=200_000,
                           currency="EUR", paid_on=date(2026, 11, 10))  # fmt: skip

    owner_client.post(reverse("projects:set_status", args=[site.pk]), {"status": "in_progress"})

    site.refresh_from_db()
    assert site.status == Project.Status.IN_PROGRESS


def test_moving_the_deadline_needs_a_reason_and_keeps_history(owner_client: Browser, site):
    refused = owner_client.post(reverse("projects:move_date", args=[site.pk]), {"new_date": "2027-01-15", "reason": ""})
    assert "reason" in refused.context["form"].errors
    assert not DeadlineChange.objects.exists()

    owner_client.post(
        reverse("projects:move_date", args=[site.pk]),
        {"new_date": "2027-01-15", "reason": "The shop platform's API changed under us."},
    )

    site.refresh_from_db()
    change = DeadlineChange.objects.get()
    assert site.deadline_on == date(2027, 1, 15)
    assert (change.old_date, change.new_date) == (date(2026, 12, 18), date(2027, 1, 15))
    assert change.notice_text


def test_the_edit_form_does_not_move_a_set_deadline_silently(owner_client: Browser, site, acme):
    owner_client.post(reverse("projects:edit", args=[site.pk]), project_post(acme, deadline_on="2027-03-01"))

    site.refresh_from_db()
    assert site.deadline_on == date(2026, 12, 18)


def test_a_milestone_outside_the_project_dates_is_refused(owner_client: Browser, site):
    response = owner_client.post(
        reverse("projects:milestone_add", args=[site.pk]), {"title": "Launch", "due_on": "2027-02-01", "order": "1"},
        follow=True,
    )  # fmt: skip
    assert "after the project" in response.content.decode()
    assert not Milestone.objects.exists()


def test_milestones_and_next_steps_are_added_and_ticked(owner_client: Browser, site):
    owner_client.post(reverse("projects:milestone_add", args=[site.pk]),
                      {"title": "Home page design", "due_on": "2026-11-20", "order": "1"})  # fmt: skip
    owner_client.post(reverse("projects:action_add", args=[site.pk]),
                      {"owner": "client", "text": "Send the logo files", "due_on": "2026-11-19"})  # fmt: skip
    milestone, item = Milestone.objects.get(), ActionItem.objects.get()

    owner_client.post(reverse("projects:milestone_toggle", args=[site.pk, milestone.pk]))
    owner_client.post(reverse("projects:action_toggle", args=[site.pk, item.pk]))

    milestone.refresh_from_db()
    item.refresh_from_db()
    assert milestone.done_at
    assert item.done_at


def test_change_requests_are_proposed_with_a_price(owner_client: Browser, site):
    owner_client.post(reverse("projects:change_request_add", args=[site.pk]),
                      {"title": "Blog section", "price": "800", "description": "Outside the agreed scope"})  # fmt: skip
    assert ChangeRequest.objects.get().price_minor == 80_000


def test_the_library_refuses_an_faq_without_its_answer(owner_client: Browser, studio):
    response = owner_client.post(reverse("projects:resources"), {"kind": "faq", "title": "How do I add a product?"})
    assert "answer" in response.context["form"].errors
    owner_client.post(reverse("projects:resources"), {"kind": "faq", "title": "How do I add a product?",
                                                      "answer": "Products → New."})  # fmt: skip
    assert Resource.objects.get().studio == studio


def test_the_list_filters_by_status_and_deadline(owner_client: Browser, acme, site):
    late = ProjectFactory(
        client=acme, title="Late one", status=Project.Status.IN_PROGRESS, deadline_on=date(2026, 11, 10)
    )
    ProjectFactory(client=acme, title="Soon", status=Project.Status.IN_REVIEW, deadline_on=date(2026, 11, 22))

    def titles(query: str) -> list[str]:
        return [project.title for project in owner_client.get(reverse("projects:index") + query).context["page"]]

    assert titles("?deadline=overdue") == ["Late one"]
    assert titles("?deadline=week") == ["Soon"]
    assert titles("?status=active") == ["Late one", "Soon"]
    assert titles("?status=awaiting_deposit") == ["Bakery site"]
    assert late.title in owner_client.get(reverse("projects:index")).content.decode()


@pytest.mark.parametrize("count", [5, 500])
def test_the_project_list_uses_the_same_queries_at_5_and_500_projects(owner_client, studio, acme, count,
                                                                     django_assert_max_num_queries):  # fmt: skip
    Project.objects.bulk_create(
        Project(studio=studio, client=acme, title=f"P{n:03d}", status=Project.Status.AWAITING_DEPOSIT, price_minor=1000,
                deposit_percent=50) for n in range(count)
    )  # fmt: skip
    with django_assert_max_num_queries(10):
        assert owner_client.get(reverse("projects:index")).status_code == 200


@pytest.mark.parametrize("count", [5, 500])
def test_the_project_page_uses_the_same_queries_at_any_size(owner_client, studio, acme, count,
                                                           django_assert_max_num_queries):  # fmt: skip
    project = ProjectFactory(client=acme, status=Project.Status.IN_PROGRESS)
    Milestone.objects.bulk_create(Milestone(project=project, title=f"M{n}", order=n) for n in range(count))
    ActionItem.objects.bulk_create(ActionItem(project=project, text=f"A{n}") for n in range(count))
    Project.objects.bulk_create(Project(studio=studio, client=acme, title=f"P{n}") for n in range(count))
    with django_assert_max_num_queries(20):
        assert owner_client.get(reverse("projects:detail", args=[project.pk])).status_code == 200


@pytest.mark.parametrize(
    ("name", "method", "extra"),
    [
        ("projects:detail", "get", []), ("projects:edit", "get", []), ("projects:edit", "post", []),
        ("projects:set_status", "post", []), ("projects:move_date", "get", []), ("projects:move_date", "post", []),
        ("projects:milestone_add", "post", []), ("projects:action_add", "post", []),
        ("projects:change_request_add", "post", []), ("projects:resource_attach", "post", []),
        ("projects:milestone_toggle", "post", ["milestone"]), ("projects:action_toggle", "post", ["item"]),
    ],
)  # fmt: skip
def test_another_studio_gets_404_on_every_project_url(charlie_client: Browser, site, name, method, extra):
    args = [site.pk]
    if extra == ["milestone"]:
        args.append(MilestoneFactory(project=site).pk)
    if extra == ["item"]:
        args.append(ActionItemFactory(project=site).pk)
    data = {"status": "cancelled", "title": "Hijack", "new_date": "2027-01-01", "reason": "x", "text": "x",
            "price": "1", "owner": "us"}  # fmt: skip
    assert getattr(charlie_client, method)(reverse(name, args=args), data).status_code == 404
    site.refresh_from_db()
    assert site.status == Project.Status.AWAITING_DEPOSIT


def test_a_milestone_of_another_project_is_not_reachable_through_this_one(owner_client: Browser, site, acme):
    other = MilestoneFactory(project=ProjectFactory(client=acme))
    assert owner_client.post(reverse("projects:milestone_toggle", args=[site.pk, other.pk])).status_code == 404


def test_another_studios_resource_cannot_be_attached(owner_client: Browser, site, other_studio):
    foreign = Resource.objects.create(studio=other_studio, kind="faq", title="Theirs", answer="x")
    assert (
        owner_client.post(reverse("projects:resource_attach", args=[site.pk]), {"resource": foreign.pk}).status_code
        == 404
    )


def test_a_deposit_recorded_through_the_payment_form_lets_the_project_start(owner_client: Browser, site):
    form_page = owner_client.get(reverse("clients:payment_add", args=[site.client_id]) + f"?project={site.pk}")
    assert form_page.context["form"]["project"].value() == str(site.pk)

    owner_client.post(
        reverse("clients:payment_add", args=[site.client_id]),
        {"amount": "2000", "currency": "EUR", "paid_on": "2026-11-10", "method": "bank", "project": site.pk},
    )
    owner_client.post(reverse("projects:set_status", args=[site.pk]), {"status": "in_progress"})

    site.refresh_from_db()
    assert Payment.objects.get().project == site
    assert site.status == Project.Status.IN_PROGRESS


def test_a_payment_cannot_be_linked_to_another_clients_project(owner_client: Browser, studio, site):
    other_client = ClientFactory(studio=studio)
    response = owner_client.post(
        reverse("clients:payment_add", args=[other_client.pk]),
        {"amount": "2000", "currency": "EUR", "paid_on": "2026-11-10", "method": "bank", "project": site.pk},
    )
    assert "project" in response.context["form"].errors
    assert not Payment.objects.exists()


def test_the_quote_form_suggests_the_clients_difficulty_markup(owner_client: Browser, acme):
    page = owner_client.get(reverse("projects:create") + f"?client={acme.pk}").content.decode()
    assert "difficulty (2 of 3) suggests adding 20 % to your usual price" in page


def test_a_new_project_without_any_client_says_to_add_one_first(owner_client: Browser):
    html = owner_client.get(reverse("projects:create")).content.decode()
    assert 'data-testid="no-clients"' in html
    assert reverse("clients:create") in html


def test_a_new_project_with_a_client_has_no_such_notice(owner_client: Browser, acme):
    assert 'data-testid="no-clients"' not in owner_client.get(reverse("projects:create")).content.decode()
