"""Secrets stay secret (issue 15 §2): no raw portal or survey token in the database or in any log line."""

from __future__ import annotations

import io
import logging
import re
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core import mail
from django.core.management import call_command
from django.test import Client as Browser
from django.urls import reverse

from comms.models import OutboxEmail
from comms.outbox import SEALED_MASK, deliver_due
from guest import portal_access_views
from kernel.logmask import GunicornLogger, mask_secrets
from projects import portal_links
from projects.models import Survey
from tests.factories import ClientFactory, ContactFactory, ProjectFactory

NOW = datetime(2026, 11, 10, 10, 0, tzinfo=ZoneInfo("Europe/Berlin"))  # a Tuesday, working time
TOKEN_IN_LINK = re.compile(r"/portal/enter/([^/]+)/")


@pytest.fixture(autouse=True)
def _fresh_limits():
    from django.core.cache import cache

    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def zoe(studio):
    acme = ClientFactory(studio=studio, name="Acme")
    return ContactFactory(client=acme, name="Zoe Baker", email="zoe@acme.example", is_primary=True)


def dump() -> str:
    out = io.StringIO()
    call_command("dumpdata", "--all", stdout=out)
    return out.getvalue()


@pytest.mark.django_db
def test_a_sent_and_opened_portal_link_leaves_no_token_in_the_database_or_the_logs(zoe, owner, caplog):
    caplog.set_level(logging.INFO)
    owner_browser = Browser()
    owner_browser.force_login(owner)
    with time_machine.travel(NOW, tick=False):
        queued = portal_links.send_link(zoe, by=owner)
        preview = owner_browser.get(reverse("comms:outbox_email", args=[queued.pk])).content.decode()
        deliver_due()
    (sent,) = mail.outbox
    (token,) = TOKEN_IN_LINK.findall(sent.body)
    assert token in sent.alternatives[0][0]
    assert token not in preview  # the freelancer's preview shows it masked
    assert SEALED_MASK in preview

    # The client opens it; a guesser on the same address then trips the limit with the real link.
    visitor = Browser()
    with time_machine.travel(NOW, tick=False):
        assert visitor.get(reverse("portal:enter", kwargs={"token": token})).status_code == 200
        assert visitor.post(reverse("portal:enter", kwargs={"token": token})).status_code == 302
        for attempt in range(portal_access_views.GUESS_LIMIT):
            visitor.post(reverse("portal:enter", kwargs={"token": f"guess-{attempt}"}))
        assert visitor.post(reverse("portal:enter", kwargs={"token": token})).status_code == 429

    row = OutboxEmail.objects.get()
    assert (row.status, row.sealed) == (OutboxEmail.Status.SENT, "")  # the sealed copy is wiped once sent
    assert token not in dump()
    lines = [record.getMessage() for record in caplog.records]
    assert any("Too Many Requests: /portal/enter/********/" in line for line in lines)
    assert not any(token in line for line in lines)
    assert not any("guess-" in line for line in lines)


@pytest.mark.django_db
def test_a_survey_token_is_sealed_in_its_invitation_and_masked_in_the_logs(studio, zoe, caplog):
    from projects.reminders import survey_invite

    caplog.set_level(logging.INFO)
    project = ProjectFactory(client=zoe.client, title="Bakery")
    with time_machine.travel(NOW, tick=False):
        survey_invite(project, studio=studio, contact=zoe, now=NOW)
        invitation = OutboxEmail.objects.get()
        deliver_due()
    (token,) = set(re.findall(r"/survey/([^/]+)/", mail.outbox[0].body))
    assert token not in invitation.text + invitation.html

    client = Browser()
    assert client.get(reverse("survey:rate", args=[token, 7])).status_code == 200
    assert client.post(reverse("survey:rate", args=[token, 7]), {"csat": 7}).status_code == 302
    assert client.get(f"/survey/{token}/rate/11/").status_code == 404  # logged as "Not Found: /survey/…"

    assert OutboxEmail.objects.get().sealed == ""
    assert Survey.objects.get().csat == 7
    assert token not in dump()  # the survey keeps only the token's hash
    lines = [record.getMessage() for record in caplog.records]
    assert any("/survey/********/rate/11/" in line for line in lines)
    assert not any(token in line for line in lines)


def test_every_secret_path_is_masked():
    assert mask_secrets('"GET /portal/enter/abc-DEF_1/ HTTP/1.1" 302') == '"GET /portal/enter/********/ HTTP/1.1" 302'
    assert mask_secrets("/survey/tok/rate/3/ and /survey/tok/thanks/") == (
        "/survey/********/rate/3/ and /survey/********/thanks/"
    )
    assert mask_secrets("/accounts/reset/MQ/c3b-123abc/") == "/accounts/reset/MQ/********/"
    assert mask_secrets("/accounts/reset/MQ/set-password/") == "/accounts/reset/MQ/set-password/"
    assert mask_secrets("/invitations/s3cr3t/") == "/invitations/********/"
    assert mask_secrets("/portal/projects/4/") == "/portal/projects/4/"


@pytest.mark.django_db
def test_a_password_reset_link_rests_sealed_and_leaves_working(owner, settings):
    settings.EMAIL_BACKEND = "comms.backends.OutboxBackend"
    with time_machine.travel(NOW, tick=False):
        Browser().post(reverse("password_reset"), {"email": owner.email})
        row = OutboxEmail.objects.get(kind="account")
        deliver_due()
    (sent,) = mail.outbox
    link = re.search(r"https?://[^/\s]+(/accounts/reset/[^/\s]+/([^/\s]+)/)", sent.body)
    path, token = link.group(1), link.group(2)

    row.refresh_from_db()
    assert "/accounts/reset/" in row.text
    assert token not in row.text + row.html + row.subject
    assert token not in dump()
    with time_machine.travel(NOW, tick=False):
        opened = Browser().get(path)
    assert opened.status_code == 302
    assert opened.url.endswith("/set-password/")


def test_gunicorns_access_log_masks_the_token():
    from gunicorn.config import Config

    config = Config()
    config.set("accesslog", "-")
    logger = GunicornLogger(config)
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    logger.access_log.addHandler(handler)
    try:
        logger.access_log.info(
            '%(h)s "%(r)s" %(s)s', {"h": "203.0.113.7", "r": "GET /portal/enter/s3cr3t/ HTTP/1.1", "s": "200"}
        )
    finally:
        logger.access_log.removeHandler(handler)

    assert stream.getvalue().strip() == '203.0.113.7 "GET /portal/enter/********/ HTTP/1.1" 200'
