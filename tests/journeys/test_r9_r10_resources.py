"""R9/R10: a screencast and an FAQ answer from the studio's library, attached to a project, reach
that project's client in the portal; what is not attached stays out of it.
"""

from datetime import date, datetime

import pytest
import time_machine
from django.urls import reverse

from projects.models import Resource
from tests.factories import ProjectFactory
from tests.journeys.crossings import BERLIN, ann_at_the_bakery, open_portal

WEDNESDAY = datetime(2026, 11, 18, 11, 0, tzinfo=BERLIN)


@pytest.fixture
def ann(studio):
    return ann_at_the_bakery(studio)


def add_to_library(owner_client, **fields) -> Resource:
    response = owner_client.post(reverse("projects:resources"), {"url": "", "answer": "", **fields})
    assert response.status_code == 302, response.context["form"].errors
    return Resource.objects.get(title=fields["title"])


@time_machine.travel(WEDNESDAY, tick=False)
def test_library_resources_attached_to_a_project_show_in_its_portal(owner_client, ann):
    website = ProjectFactory(client=ann.client, title="Bakery website", active_from=date(2026, 10, 1))
    screencast = add_to_library(
        owner_client, kind="screencast", title="How to edit your menu", url="https://videos.example/menu-editing"
    )
    faq = add_to_library(
        owner_client, kind="faq", title="Why does the site look old on my phone?",
        answer="Your phone keeps a copy: pull down on the page to reload it.",
    )  # fmt: skip
    add_to_library(owner_client, kind="document", title="Shop owner's handbook", url="https://docs.example/shop")
    refused = owner_client.post(reverse("projects:resources"), {"kind": "faq", "title": "Empty", "answer": ""})
    assert "An FAQ entry needs its answer." in refused.content.decode()

    for resource in (screencast, faq):
        attached = owner_client.post(
            reverse("projects:resource_attach", kwargs={"pk": website.pk}), {"resource": resource.pk}
        )
        assert attached.status_code == 302

    portal = open_portal(owner_client, ann)
    page = portal.get(reverse("portal:project", kwargs={"pk": website.pk})).content.decode()
    assert "Worth watching and reading" in page
    assert 'href="https://videos.example/menu-editing"' in page
    assert "How to edit your menu" in page
    assert "Why does the site look old on my phone?" in page
    assert "pull down on the page to reload it" in page
    assert "Shop owner&#x27;s handbook" not in page
    assert "Shop owner's handbook" not in page
