"""R4: the coach flags a long email that covers several topics and proposes one email per topic;
each proposed part, sent from Compose, is an email the coach no longer flags.
"""

import html
import re
from datetime import datetime, timedelta

import pytest
import time_machine
from django.core import mail
from django.urls import reverse

from tests.journeys.crossings import BERLIN, ann_at_the_bakery, compose_form, worker_runs

WEDNESDAY = datetime(2026, 11, 18, 11, 0, tzinfo=BERLIN)

HOSTING = (
    "The new server is ready and the site moves there on Monday night. You will not notice anything, "
    "but the shop will be offline for about ten minutes around midnight while the addresses switch over. "
    "I will check every page afterwards and write to you when all is well. The old contract ends in January, "
    "so there is nothing to cancel on your side."
)
INVOICE = (
    "Also, the second invoice for the design phase is attached. It covers the menu, the gallery and the "
    "contact page as agreed in October. Payment is due within fourteen days, by bank transfer or by card "
    "through the link in the invoice. If your accountant needs a different address on it, tell me and I will "
    "send a corrected copy the same day."
)
PHOTOS = (
    "By the way, the photographer can come on Thursday the 3rd or Friday the 4th, in the morning, for about two "
    "hours. She needs the kitchen and the counter tidy and the cakes of the week on display. Please tell me "
    "which day suits you better and whether any of your staff would like to be in the pictures, so that she "
    "can bring the release forms."
)
LONG = f"Hello Ann,\n\nthank you for the call yesterday.\n\n{HOSTING}\n\n{INVOICE}\n\n{PHOTOS}\n\nBest wishes,\nMia"


@pytest.fixture
def ann(studio):
    return ann_at_the_bakery(studio)


@time_machine.travel(WEDNESDAY, tick=False)
def test_a_long_email_on_three_topics_is_split_and_each_part_goes_alone(owner_client, ann):
    url = reverse("comms:compose") + f"?client={ann.client.pk}"
    form = compose_form(owner_client, url) | {"subject": "News", "body": LONG}

    panel = owner_client.post(reverse("comms:coach"), {"subject": "News", "body": LONG}).content.decode()
    assert 'data-code="too_long"' in panel
    assert 'data-code="several_topics"' in panel
    assert 'data-testid="coach-split"' in panel
    parts = [html.unescape(part) for part in re.findall(r'<div class="pre-wrap[^"]*">(.*?)</div>', panel, re.S)]
    assert len(parts) == 3
    assert "\n\nThe new server is ready" in parts[0]
    assert "\n\nThe second invoice for the design phase" in parts[1]
    assert "\n\nThe photographer can come" in parts[2]
    assert all(part.startswith("Hello Ann,") and part.endswith("Mia") for part in parts)

    for number, (subject, part) in enumerate(zip(["Hosting", "Invoice", "Photos"], parts, strict=True)):
        panel = owner_client.post(reverse("comms:coach"), {"subject": subject, "body": part}).content.decode()
        assert 'data-code="several_topics"' not in panel
        assert 'data-code="too_long"' not in panel
        sent = owner_client.post(url, form | {"subject": subject, "body": part, "token": f"split-{number}"})
        assert sent.status_code == 302
    with time_machine.travel(WEDNESDAY + timedelta(minutes=1), tick=False):
        assert worker_runs() == 3
    assert sorted(email.subject for email in mail.outbox) == ["Hosting", "Invoice", "Photos"]
