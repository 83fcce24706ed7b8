"""R17: a difficult client's rating suggests a markup on the quote: the freelancer rates the client,
starts a project from the client's page, sees the suggestion beside the quote and quotes a range.
"""

import html
import re
from datetime import datetime

import pytest
import time_machine
from django.urls import reverse

from projects.models import Project
from tests.factories import ClientFactory
from tests.journeys.crossings import BERLIN, ann_at_the_bakery, form_values

WEDNESDAY = datetime(2026, 11, 18, 11, 0, tzinfo=BERLIN)


def markup_hint(page: str) -> str:
    """The suggestion beside the quote, as the freelancer reads it (the page's script rewrites it on a pick)."""
    return html.unescape(re.search(r"<span data-markup-hint[^>]*>(.*?)</span>", page, re.S).group(1))


@pytest.fixture
def bakery(studio):
    client = ann_at_the_bakery(studio).client
    return client


@time_machine.travel(WEDNESDAY, tick=False)
def test_a_difficulty_rating_suggests_the_markup_on_the_next_quote(owner_client, bakery):
    edit_url = reverse("clients:edit", kwargs={"pk": bakery.pk})
    edit = owner_client.get(edit_url)
    saved = owner_client.post(edit_url, form_values(edit.context["form"]) | {"difficulty": "2"})
    assert saved.status_code == 302

    page = owner_client.get(reverse("clients:detail", kwargs={"pk": bakery.pk})).content.decode()
    assert "suggested markup on quotes: <strong>20 %</strong>" in page
    new_project = re.search(r'href="(/projects/new/\?client=\d+)"', page).group(1)

    form_page = owner_client.get(new_project).content.decode()
    assert markup_hint(form_page) == "Acme Bakery's difficulty (2 of 3) suggests adding 20 % to your usual price."
    data = form_values(owner_client.get(new_project).context["form"])
    created = owner_client.post(
        new_project, data | {"title": "Bakery website", "quote_low": "4800", "quote_high": "5400"}
    )
    assert created.status_code == 302, created.context["form"].errors
    project = Project.objects.get(title="Bakery website")
    assert (project.client, project.quote_low_minor, project.quote_high_minor) == (bakery, 480_000, 540_000)
    detail = owner_client.get(reverse("projects:detail", kwargs={"pk": project.pk})).content.decode()
    assert "€4,800–€5,400" in detail


@time_machine.travel(WEDNESDAY, tick=False)
def test_an_easy_client_gets_no_markup_suggestion(owner_client, bakery):
    form_page = owner_client.get(reverse("projects:create") + f"?client={bakery.pk}").content.decode()
    assert markup_hint(form_page) == ""


@time_machine.travel(WEDNESDAY, tick=False)
def test_the_suggestion_shows_the_clients_name_as_text_never_as_markup(owner_client, studio):
    odd = ClientFactory(studio=studio, name='<img src=x onerror="alert(1)"> & Sons', difficulty=3)
    form_page = owner_client.get(reverse("projects:create") + f"?client={odd.pk}").content.decode()
    assert '<img src=x onerror="alert(1)">' not in form_page
    assert markup_hint(form_page).startswith('<img src=x onerror="alert(1)"> & Sons\'s difficulty (3 of 3)')
