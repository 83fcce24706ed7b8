"""The stored cadence clock follows the studio's calendar (``kernel.signals.studio_calendar_changed``)."""

from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

import pytest

from clients.models import Client
from kernel.signals import studio_calendar_changed
from tests.factories import ClientFactory

WEDNESDAY = datetime(2026, 11, 25, 10, 0, tzinfo=ZoneInfo("Europe/Berlin"))


@pytest.mark.parametrize(
    ("changed", "moves"),
    [({"regular_cadence_days"}, True), ({"timezone"}, True), ({"mon_open", "friday_update_hour"}, False)],
    ids=["cadence", "time-zone", "other-settings"],
)
def test_a_new_cadence_or_time_zone_moves_the_stored_clocks(studio, changed, moves):
    client = ClientFactory(studio=studio, last_interaction_at=datetime(2026, 6, 1, 12, tzinfo=UTC))
    before = Client.objects.values_list("next_touch_on", flat=True).get(pk=client.pk)
    studio.regular_cadence_days = 30
    studio.save(update_fields=["regular_cadence_days"])

    studio_calendar_changed.send(sender=None, studio=studio, changed=frozenset(changed), now=WEDNESDAY)

    after = Client.objects.values_list("next_touch_on", flat=True).get(pk=client.pk)
    assert after == (date(2026, 7, 1) if moves else before)
