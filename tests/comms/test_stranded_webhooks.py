"""Nothing stranded (issue 15 §6): a webhook body stored "received" when the database dropped is filed later."""

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.test import Client
from django.urls import reverse

from comms import webhooks
from comms.models import Message, WebhookPayload
from kernel.sweeps import run_sweeps
from tests.comms.test_webhooks import PAYLOADS, alice, auth, hooks, post_postmark  # noqa: F401  fixtures

NOW = datetime(2026, 11, 10, 10, 0, tzinfo=ZoneInfo("UTC"))
SWEEP = "stranded-webhook-payloads"


def database_dropped(monkeypatch) -> None:
    """Filing fails, and so does recording the failure: the stored body is left "received"."""
    from comms import inbound

    def down(*args, **kwargs):
        raise ConnectionError("server closed the connection unexpectedly")

    monkeypatch.setattr(inbound, "receive", down)
    monkeypatch.setattr(webhooks, "payload_fail", down)


def post_while_the_database_drops(monkeypatch) -> WebhookPayload:
    with monkeypatch.context() as patch:
        database_dropped(patch)
        with time_machine.travel(NOW, tick=False):
            response = post_postmark(
                Client(raise_request_exception=False), (PAYLOADS / "postmark_inbound.json").read_text(), **auth()
            )
    assert response.status_code == 500  # the ESP may retry; if it gives up, the sweep still files it
    payload = WebhookPayload.objects.get()
    assert payload.status == WebhookPayload.Status.RECEIVED
    return payload


def sweep_at(moment: datetime) -> int | str:
    with time_machine.travel(moment, tick=False):
        return run_sweeps(moment, names=[SWEEP])[SWEEP]


def test_a_stranded_payload_is_filed_a_few_minutes_later_once(hooks, alice, monkeypatch):  # noqa: F811
    payload = post_while_the_database_drops(monkeypatch)

    assert sweep_at(NOW + timedelta(minutes=2)) == 0  # maybe still being processed: left alone
    assert sweep_at(NOW + timedelta(minutes=11)) == 1
    assert sweep_at(NOW + timedelta(minutes=16)) == 0

    payload.refresh_from_db()
    assert payload.status == WebhookPayload.Status.PROCESSED
    assert payload.studio == hooks
    assert Message.objects.get().subject == "Invoice for the launch"


def test_a_stranded_payload_filed_by_an_esp_retry_too_is_filed_once(client, hooks, alice, monkeypatch):  # noqa: F811
    post_while_the_database_drops(monkeypatch)
    with time_machine.travel(NOW + timedelta(minutes=1), tick=False):
        assert post_postmark(client, (PAYLOADS / "postmark_inbound.json").read_text(), **auth()).status_code == 200

    assert sweep_at(NOW + timedelta(minutes=11)) == 1

    assert Message.objects.count() == 1
    assert set(WebhookPayload.objects.values_list("status", flat=True)) == {WebhookPayload.Status.PROCESSED}


def test_a_stranded_payload_that_fails_again_is_failed_with_the_reason_for_the_freelancer(
    hooks,  # noqa: F811
    alice,  # noqa: F811
    owner,
    monkeypatch,
):
    payload = post_while_the_database_drops(monkeypatch)
    from comms import inbound

    def still_broken(*args, **kwargs):
        raise RuntimeError("disk full")

    monkeypatch.setattr(inbound, "receive", still_broken)
    assert sweep_at(NOW + timedelta(minutes=11)) == 1

    payload.refresh_from_db()
    assert payload.status == WebhookPayload.Status.FAILED
    assert "disk full" in payload.error
    assert payload.studio == hooks
    freelancer = Client()
    freelancer.force_login(owner)
    page = freelancer.get(reverse("mailsources:index")).content.decode()
    assert "Webhook mail that could not be filed" in page
    assert "disk full" in page
    assert f"#{payload.pk}" in page


@pytest.mark.django_db
def test_another_studios_failed_payloads_are_not_shown(hooks, other_studio, charlie):  # noqa: F811
    WebhookPayload.objects.create(
        esp="postmark", kind="inbound", body=b"{}", status="failed", error="secret reason", studio=hooks
    )
    freelancer = Client()
    freelancer.force_login(charlie)

    assert "secret reason" not in freelancer.get(reverse("mailsources:index")).content.decode()
