from datetime import UTC, date, datetime

import pytest
from django.urls import reverse

from clients.models import Client
from clients.services import client_set_pin, sweep_tier_recompute, tiers_recompute
from tests.factories import ClientFactory, PaymentFactory, StudioFactory


@pytest.fixture
def tokyo(db):
    return StudioFactory(slug="tokyo", timezone="Asia/Tokyo")


@pytest.fixture
def new_york(db):
    return StudioFactory(slug="new-york", timezone="America/New_York")


def test_each_studio_is_recomputed_just_after_its_own_local_midnight(tokyo, new_york):
    # 15:05 UTC on 21 Nov = 00:05 on 22 Nov in Tokyo, 10:05 on 21 Nov in New York.
    tokyo.tiers_computed_on = new_york.tiers_computed_on = date(2026, 11, 21)
    tokyo.save()
    new_york.save()

    assert sweep_tier_recompute(now=datetime(2026, 11, 21, 15, 5, tzinfo=UTC)) == 1

    tokyo.refresh_from_db()
    new_york.refresh_from_db()
    assert tokyo.tiers_computed_on == date(2026, 11, 22)
    assert new_york.tiers_computed_on == date(2026, 11, 21)


def test_the_sweep_run_twice_or_by_two_beats_recomputes_once(tokyo):
    now = datetime(2026, 11, 22, 3, 0, tzinfo=UTC)
    assert sweep_tier_recompute(now=now) == 1
    assert sweep_tier_recompute(now=now) == 0


def test_after_days_of_downtime_the_sweep_catches_up_with_todays_date(tokyo):
    tokyo.tiers_computed_on = date(2026, 11, 18)
    tokyo.save()

    assert sweep_tier_recompute(now=datetime(2026, 11, 22, 3, 0, tzinfo=UTC)) == 1
    tokyo.refresh_from_db()
    assert tokyo.tiers_computed_on == date(2026, 11, 22)


def test_tiers_and_reasons_are_stored_and_pins_survive_recomputes(studio):
    big, medium, small = (ClientFactory(studio=studio, name=name) for name in ("Big", "Medium", "Small"))
    for client, amount in ((big, 700_000), (medium, 200_000), (small, 100_000)):
        PaymentFactory(client=client, amount_minor=amount, paid_on=date(2026, 6, 1))

    tiers_recompute(studio=studio, as_of=date(2026, 11, 22))
    big.refresh_from_db()
    assert big.tier == Client.Tier.ANGEL
    assert big.tier_reason == "One of 2 clients who bring 90 % of the last 12 months' revenue."

    client_set_pin(client=small, pin=Client.Pin.ANGEL)
    client_set_pin(client=big, pin=Client.Pin.REGULAR)
    tiers_recompute(studio=studio, as_of=date(2026, 11, 23))

    tiers = dict(Client.objects.values_list("name", "tier"))
    assert tiers == {"Big": "regular", "Medium": "angel", "Small": "angel"}
    assert Client.objects.get(name="Small").tier_reason == "Pinned as an angel by hand."


def test_payments_in_another_currency_do_not_count_towards_tiers(studio):
    euro, dollar = ClientFactory(studio=studio), ClientFactory(studio=studio)
    PaymentFactory(client=euro, amount_minor=1_000, currency="EUR", paid_on=date(2026, 6, 1))
    PaymentFactory(client=dollar, amount_minor=9_000_000, currency="USD", paid_on=date(2026, 6, 1))

    assert tiers_recompute(studio=studio, as_of=date(2026, 11, 22)) == {euro.pk}


def test_pinning_from_the_page_updates_the_tier_at_once(owner_client, studio):
    client = ClientFactory(studio=studio)
    owner_client.post(reverse("clients:pin", args=[client.pk]), {"tier_pin": "angel"})
    client.refresh_from_db()
    assert (client.tier_pin, client.tier) == ("angel", "angel")
