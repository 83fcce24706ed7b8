"""Limits that hold (issue 15 §3): counters shared by every process, one bucket per visitor, small bodies."""

from __future__ import annotations

import os
import subprocess
import sys
import uuid
from pathlib import Path

import pytest
from django.conf import settings
from django.core.cache import cache
from django.test import Client as Browser
from django.urls import reverse

from guest import portal_access_views
from kernel.cache import SharedFileCache
from kernel.edge import trusted_client_address

ROOT = Path(__file__).resolve().parents[2]

COUNTER_SCRIPT = """
import sys
import django
django.setup()
from kernel.ratelimit import count_exceeds
key, events, limit = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
refused = sum(count_exceeds(key, limit=limit, window=600) for _ in range(events))
print(refused)
"""


@pytest.fixture(autouse=True)
def _fresh_limits():
    cache.clear()
    yield
    cache.clear()


def test_two_processes_counting_at_once_share_one_window():
    """Two web workers each take 100 guesses against a limit of 150: exactly 50 are refused, none lost."""
    key = f"test:shared:{uuid.uuid4().hex}"
    environment = {**os.environ, "DJANGO_SETTINGS_MODULE": "crm.settings_test"}
    workers = [
        subprocess.Popen(
            [sys.executable, "-c", COUNTER_SCRIPT, key, "100", "150"],
            cwd=ROOT,
            env=environment,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for _ in range(2)
    ]
    refused = []
    for worker in workers:
        out, err = worker.communicate(timeout=120)
        assert worker.returncode == 0, err
        refused.append(int(out.strip()))

    assert sum(refused) == 50


def test_the_embedded_default_is_a_shared_cache_not_process_memory():
    if settings.REDIS_URL:
        assert settings.CACHES["default"]["BACKEND"] == "django.core.cache.backends.redis.RedisCache"
    else:
        assert settings.CACHES["default"]["BACKEND"] == "kernel.cache.SharedFileCache"


def test_a_counter_keeps_its_window_when_counted(tmp_path, time_machine):
    files = SharedFileCache(str(tmp_path), {})
    time_machine.move_to("2026-11-10 10:00Z", tick=False)
    files.add("k", 0, timeout=60)
    time_machine.move_to("2026-11-10 10:00:50Z", tick=False)
    assert files.incr("k") == 1
    time_machine.move_to("2026-11-10 10:01:01Z", tick=False)

    assert files.get("k") is None  # the window opened at 10:00 closed at 10:01, counting did not stretch it
    with pytest.raises(ValueError, match="not found"):
        files.incr("k")


# --- one bucket per visitor behind a proxy -------------------------------------------------------


def _request_with(**headers):
    from django.test import RequestFactory

    return RequestFactory().get("/", headers=headers)


def test_the_trusted_header_names_the_visitor(settings):
    settings.TRUSTED_PROXY_HEADER = "X-Forwarded-For"
    settings.TRUSTED_PROXY_COUNT = 1

    assert trusted_client_address(_request_with(x_forwarded_for="6.6.6.6, 203.0.113.7")) == "203.0.113.7"
    assert trusted_client_address(_request_with(x_forwarded_for="203.0.113.7:5100")) == "203.0.113.7"
    assert trusted_client_address(_request_with(x_forwarded_for="[2001:db8::1]:443")) == "2001:db8::1"
    assert trusted_client_address(_request_with(x_forwarded_for="not-an-address")) is None
    assert trusted_client_address(_request_with()) is None
    settings.TRUSTED_PROXY_COUNT = 2  # two proxies: the first one's entry is the visitor
    assert trusted_client_address(_request_with(x_forwarded_for="6.6.6.6, 203.0.113.7, 10.0.0.2")) == "203.0.113.7"


def test_without_a_trusted_header_a_forwarded_address_is_ignored(settings):
    settings.TRUSTED_PROXY_HEADER = ""
    assert trusted_client_address(_request_with(x_forwarded_for="203.0.113.7")) is None


@pytest.mark.django_db
def test_behind_the_proxy_a_guesser_locks_out_only_themselves(settings):
    """All visitors arrive from the proxy's 10.0.0.2; the lockout follows X-Forwarded-For, not the proxy."""
    settings.TRUSTED_PROXY_HEADER = "X-Forwarded-For"
    guesser = Browser(REMOTE_ADDR="10.0.0.2", HTTP_X_FORWARDED_FOR="198.51.100.66")
    neighbour = Browser(REMOTE_ADDR="10.0.0.2", HTTP_X_FORWARDED_FOR="203.0.113.7")
    url = lambda token: reverse("portal:enter", kwargs={"token": token})  # noqa: E731

    for attempt in range(portal_access_views.GUESS_LIMIT):
        guesser.post(url(f"guess-{attempt}"))

    assert guesser.post(url("guess-again")).status_code == 429
    assert neighbour.post(url("a-typo")).status_code == 200  # "this link no longer works", not locked out


# --- request bodies ------------------------------------------------------------------------------


@pytest.mark.django_db
def test_an_anonymous_10_mb_inquiry_gets_a_friendly_413_unread(studio, client: Browser, monkeypatch):
    def never(*args, **kwargs):  # the form must not even be looked at
        raise AssertionError("the body was read")

    monkeypatch.setattr("guest.inquiry_views.InquiryForm", never)
    body = "message=" + "x" * (10 * 1024 * 1024)
    response = client.post(
        reverse("inquiry:form", kwargs={"slug": studio.slug}),
        data=body,
        content_type="application/x-www-form-urlencoded",
    )

    assert response.status_code == 413
    assert "Too much to send at once" in response.content.decode()
    assert "2.5 MB" in response.content.decode()


@pytest.mark.django_db
def test_the_413_page_speaks_russian(studio, client: Browser):
    response = client.post(
        reverse("inquiry:form", kwargs={"slug": studio.slug}),
        data="x" * (3 * 1024 * 1024),
        content_type="text/plain",
        headers={"accept-language": "ru"},
    )

    assert response.status_code == 413
    assert "Слишком много для одной отправки" in response.content.decode()


@pytest.mark.django_db
def test_only_the_inbound_mail_webhooks_take_large_bodies(client: Browser, settings):
    settings.ANYMAIL = {**settings.ANYMAIL, "WEBHOOK_SECRET": "hook:secret"}
    body = b"x" * (10 * 1024 * 1024)
    auth = {"authorization": "Basic aG9vazpzZWNyZXQ="}  # hook:secret

    inbound = client.post("/hooks/postmark/inbound/", data=body, content_type="application/json", headers=auth)
    tracking = client.post("/hooks/postmark/tracking/", data=body, content_type="application/json", headers=auth)
    huge = client.post("/hooks/postmark/inbound/", data=body * 3, content_type="application/json", headers=auth)

    assert inbound.status_code == 400  # read and judged: not JSON
    assert tracking.status_code == 413
    assert huge.status_code == 413
