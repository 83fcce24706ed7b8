"""The shared cache counters: fixed windows, several limits per event, fail-open when the cache is down."""

import logging

import pytest
from django.core.cache import cache

from kernel.ratelimit import address_key, any_exceeded, count_exceeds


@pytest.fixture(autouse=True)
def clean_cache():
    cache.clear()
    yield
    cache.clear()


def test_a_limit_lets_n_events_through_and_refuses_the_next():
    assert [count_exceeds("k", limit=2, window=60) for _ in range(3)] == [False, False, True]


def test_any_exceeded_stops_at_the_first_limit_reached():
    limits = (("ip", 1, 60), ("address", 5, 60))
    assert any_exceeded(*limits, what="Test") is False
    assert any_exceeded(*limits, what="Test") is True
    assert cache.get("address") == 1  # the second counter was not charged for the refused event


def test_with_the_cache_down_events_pass_and_the_outage_is_logged(monkeypatch, caplog):
    def unreachable(*args, **kwargs):
        raise ConnectionError("Connection refused")

    monkeypatch.setattr(cache, "add", unreachable)
    caplog.set_level(logging.WARNING, logger="rapport.ratelimit")

    assert any_exceeded(("ip", 0, 60), what="Portal message") is False
    assert "Portal message rate limits are off" in caplog.text


def test_addresses_become_case_blind_hashes():
    assert address_key(" Ann@Bakery.example ") == address_key("ann@bakery.example")
    assert "@" not in address_key("ann@bakery.example")
