"""R13: what the freelancer plans and ticks off in the dashboard is what the client reads in the
portal: the project's status, its milestones and progress, and the deadline, in the client's language.
"""

from datetime import datetime

import pytest
import time_machine
from django.urls import reverse

from projects.models import Milestone, Project
from tests.journeys.crossings import BERLIN, ann_at_the_bakery, open_portal

MONDAY = datetime(2026, 11, 16, 10, 0, tzinfo=BERLIN)
WEDNESDAY = datetime(2026, 11, 18, 16, 0, tzinfo=BERLIN)

TEXT = {
    "en": {
        "status": "In progress",
        "progress": "1 of 2 milestones done",
        "done": "18 November",
        "due": "due 4 December",
        "deadline": "Friday 18 December 2026",
    },
    "ru": {
        "status": "В работе",
        "progress": "Выполнено этапов: 1 из 2",
        "done": "18 ноября",
        "due": "срок 4 декабря",
        "deadline": "пятница, 18 декабря 2026",
    },
}


@pytest.fixture
def ann(studio):
    return ann_at_the_bakery(studio)


def plan_the_project(owner_client, ann) -> Project:
    """The freelancer's side: the project form, two milestones, the status moved to In progress."""
    created = owner_client.post(
        reverse("projects:create"),
        {"client": ann.client.pk, "title": "Bakery website", "currency": "EUR", "deposit_percent": "0",
         "start_on": "2026-11-16", "deadline_on": "2026-12-18", "deliverables": "", "scope": "", "extras_policy": ""},
    )  # fmt: skip
    assert created.status_code == 302, created.context["form"].errors
    project = Project.objects.get(title="Bakery website")
    for order, (title, due) in enumerate((("Menu page", "2026-11-20"), ("Contact form", "2026-12-04")), start=1):
        added = owner_client.post(
            reverse("projects:milestone_add", kwargs={"pk": project.pk}),
            {"title": title, "due_on": due, "order": order},
        )
        assert added.status_code == 302
    for status in ("quoted", "awaiting_deposit", "in_progress"):
        owner_client.post(reverse("projects:set_status", kwargs={"pk": project.pk}), {"status": status})
    project.refresh_from_db()
    assert project.status == "in_progress"
    return project


@pytest.mark.parametrize("language", ["en", "ru"])
def test_the_portal_shows_the_status_milestones_and_deadline_the_freelancer_set(owner_client, ann, language):
    text = TEXT[language]
    ann.client.language = language
    ann.client.save(update_fields=["language"])
    with time_machine.travel(MONDAY, tick=False):
        project = plan_the_project(owner_client, ann)
        portal = open_portal(owner_client, ann)
        before = portal.get(reverse("portal:project", kwargs={"pk": project.pk})).content.decode()
    assert text["progress"] not in before

    menu = Milestone.objects.get(project=project, title="Menu page")
    with time_machine.travel(WEDNESDAY, tick=False):
        ticked = owner_client.post(
            reverse("projects:milestone_toggle", kwargs={"pk": project.pk, "milestone_pk": menu.pk})
        )
        assert ticked.status_code == 302
        home = portal.get(reverse("portal:home")).content.decode()
        page = portal.get(reverse("portal:project", kwargs={"pk": project.pk})).content.decode()

    assert f'<html lang="{language}">' in page
    assert "Bakery website" in home
    assert text["status"] in home
    assert text["status"] in page
    assert text["progress"] in page
    assert "✓ </span>" in page
    assert text["done"] in page
    assert text["due"] in page
    assert text["deadline"] in page
