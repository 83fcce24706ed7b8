"""A client's page lists their projects and starts a new one for them; the navigation reaches every list."""

from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import translation

from kernel.models import Studio
from tests.factories import ClientFactory, ProjectFactory


def test_the_client_page_lists_the_clients_projects_with_their_status(owner_client: Client, studio: Studio):
    customer = ClientFactory(studio=studio, name="Harbor & Pine")
    ProjectFactory(client=customer, title="Portfolio relaunch", status="in_progress")
    ProjectFactory(client=customer, title="Print catalogue", status="awaiting_deposit")
    ProjectFactory(client__studio=studio, title="Someone else's shop")

    page = owner_client.get(reverse("clients:detail", args=[customer.pk])).content.decode()

    assert page.count('data-testid="client-project"') == 2
    assert "Portfolio relaunch" in page
    assert "Awaiting deposit" in page
    assert "Someone else&#x27;s shop" not in page
    assert f'href="{reverse("projects:create")}?client={customer.pk}"' in page


def test_a_client_without_projects_is_offered_the_first(owner_client: Client, studio: Studio):
    customer = ClientFactory(studio=studio)

    page = owner_client.get(reverse("clients:detail", args=[customer.pk])).content.decode()

    assert "No project with this client yet." in page
    assert f"?client={customer.pk}" in page


def test_new_project_from_the_client_page_opens_with_the_client_chosen(owner_client: Client, studio: Studio):
    customer = ClientFactory(studio=studio, name="Kite Legal")

    response = owner_client.get(reverse("projects:create"), {"client": customer.pk})

    assert response.context["form"]["client"].value() == customer.pk
    assert (
        f'<option value="{customer.pk}" selected data-difficulty="{customer.difficulty}">' in response.content.decode()
    )


def test_the_client_page_costs_the_same_queries_with_1_or_10_projects(
    owner_client: Client, studio: Studio, django_assert_num_queries
):
    customer = ClientFactory(studio=studio)
    ProjectFactory(client=customer)
    url = reverse("clients:detail", args=[customer.pk])
    owner_client.get(url)  # the session's first read
    with CaptureQueriesContext(connection) as one:
        owner_client.get(url)

    ProjectFactory.create_batch(9, client=customer)

    with django_assert_num_queries(len(one)):
        page = owner_client.get(url).content.decode()
    assert page.count('data-testid="client-project"') == 10


def test_the_navigation_reaches_revenue_stay_in_touch_and_friday_updates(owner_client: Client):
    page = owner_client.get(reverse("today")).content.decode()
    nav = page[page.index('id="main-nav"') : page.index("</nav>")]

    for url in (reverse("clients:revenue"), reverse("clients:touchpoints"), reverse("projects:friday")):
        assert f'href="{url}"' in nav
        assert owner_client.get(url).status_code == 200


def test_the_current_page_is_the_only_active_link(owner_client: Client):
    page = owner_client.get(reverse("clients:revenue")).content.decode()

    assert page.count("nav-link active") == 1
    assert f'nav-link active" href="{reverse("clients:revenue")}"' in page


def test_the_new_links_read_in_russian(owner_client: Client):
    with translation.override("en"):  # the middleware leaves Russian active: keep it from the next tests
        page = owner_client.get(reverse("today"), HTTP_ACCEPT_LANGUAGE="ru").content.decode()

    for label in ("Выручка", "Пятничные отчёты"):
        assert label in page
