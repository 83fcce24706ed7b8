"""R3: an email that asks the client to act ends with a bold Next steps block, and the client's
action items show in the portal, where the client ticks them off for the freelancer to see.
"""

from datetime import date, datetime, timedelta

import pytest
import time_machine
from django.core import mail
from django.urls import reverse

from comms.models import OutboxEmail
from projects.models import ActionItem
from tests.factories import ProjectFactory
from tests.journeys.crossings import BERLIN, ann_at_the_bakery, compose_form, open_portal, worker_runs

WEDNESDAY = datetime(2026, 11, 18, 11, 0, tzinfo=BERLIN)
TEXT = {
    "en": {
        "ask": "Hello Ann,\n\nthank you for the menu. Could you send the photos of the cakes for the new page?\n\n"
        "Best,\nMia",
        "steps": "Next steps:\n- Ann: send the cake photos by Friday 27 November",
        "sign_off": "\n\nBest,",
        "item": "Send the cake photos",
        "by": "by 27 November",
    },
    "ru": {
        "ask": "Здравствуйте, Анна!\n\nСпасибо за меню. Пришлите, пожалуйста, фото тортов для новой страницы.\n\n"
        "С уважением,\nМия",
        "steps": "Следующие шаги:\n- Анна: прислать фото тортов до пятницы 27 ноября",
        "sign_off": "\n\nС уважением,",
        "item": "Прислать фото тортов",
        "by": "срок: 27 ноября",
    },
}


@pytest.fixture
def ann(studio):
    return ann_at_the_bakery(studio)


@pytest.fixture
def website(ann):
    return ProjectFactory(client=ann.client, title="Bakery website", active_from=date(2026, 10, 1))


def coach_codes(owner_client, body: str) -> str:
    panel = owner_client.post(reverse("comms:coach"), {"subject": "Cake photos", "body": body, "requires_action": "on"})
    return panel.content.decode()


@pytest.mark.parametrize("language", ["en", "ru"])
@time_machine.travel(WEDNESDAY, tick=False)
def test_an_action_email_needs_next_steps_and_the_clients_steps_reach_the_portal(owner_client, ann, website, language):
    text = TEXT[language]
    ann.client.language = language
    ann.client.save(update_fields=["language"])
    assert 'data-code="no_next_steps"' in coach_codes(owner_client, text["ask"])
    with_steps = text["ask"].replace(text["sign_off"], f"\n\n{text['steps']}{text['sign_off']}")
    assert 'data-code="no_next_steps"' not in coach_codes(owner_client, with_steps)

    url = reverse("comms:compose") + f"?client={ann.client.pk}"
    form = compose_form(owner_client, url)
    form |= {"subject": "Cake photos", "body": with_steps, "requires_action": "on", "project": str(website.pk)}
    assert owner_client.post(url, form).status_code == 302
    with time_machine.travel(WEDNESDAY + timedelta(minutes=1), tick=False):
        assert worker_runs() == 1
    [sent] = [email for email in mail.outbox if email.to == ["ann@bakery.example"]]
    html = sent.alternatives[0][0]
    heading, line = text["steps"].split("\n")
    assert f"<strong>{heading}</strong>" in html
    assert f"<strong>{line}</strong>" in html
    assert OutboxEmail.objects.get(kind="email").project == website

    added = owner_client.post(
        reverse("projects:action_add", kwargs={"pk": website.pk}),
        {"owner": "client", "text": text["item"], "due_on": "2026-11-27"},
    )
    assert added.status_code == 302
    step = ActionItem.objects.get(project=website)

    portal = open_portal(owner_client, ann)
    page = portal.get(reverse("portal:project", kwargs={"pk": website.pk})).content.decode()
    assert text["item"] in page
    assert text["by"] in page
    toggled = portal.post(reverse("portal:step_toggle", kwargs={"pk": website.pk, "item_pk": step.pk}), {"done": "1"})
    assert toggled.status_code == 302

    step.refresh_from_db()
    assert step.done_at == WEDNESDAY
    detail = owner_client.get(reverse("projects:detail", kwargs={"pk": website.pk})).content.decode()
    assert text["item"] in detail
