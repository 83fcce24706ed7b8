"""`make bench`'s busy-calendar bench at a tiny size: the document it reads, its figures, constant query counts.

No timings are asserted: speed is the benchmark's business, not the suite's.
"""

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import icalendar
import pytest
import time_machine

from devtools.bench_busy import EVENTS, FEW_BLOCKS, MANY_BLOCKS, _bench, busy_lines, sample_calendar
from projects.busy import busy_intervals
from projects.models import BusyBlock, BusyCalendar

NOW = datetime(2026, 3, 4, 10, 0, tzinfo=UTC)
BERLIN = ZoneInfo("Europe/Berlin")


def test_the_sample_calendar_has_the_mix_and_blocks_time_in_the_window():
    document = sample_calendar(NOW)

    events = list(icalendar.Calendar.from_ical(document).walk("VEVENT"))
    assert len(events) == EVENTS
    assert sum("RRULE" in event for event in events) == 60
    assert all("EXDATE" in event for event in events if "RRULE" in event)
    assert sum(str(event.get("TRANSP", "")) == "TRANSPARENT" for event in events) == 60
    assert sum(event.get("DTSTART").params.get("VALUE") == "DATE" for event in events) == 40
    assert sample_calendar(NOW) == document  # deterministic
    blocks = busy_intervals(document, tz=BERLIN, start=NOW, end=NOW + timedelta(days=14))
    assert len(blocks) > 10


@pytest.fixture
def frozen():
    with time_machine.travel(NOW, tick=False):
        yield


@pytest.mark.usefixtures("frozen")
def test_the_bench_refreshes_every_calendar_with_the_same_queries_and_the_picker_stays_constant(db):
    result = _bench(3, now=NOW, pure_runs=1, slot_runs=1)

    assert result["calendars"] == 3
    assert len(result["queries_per_calendar"]) == 1  # every calendar costs the same queries
    assert result["blocks_per_calendar"] > 10
    assert BusyBlock.objects.filter(calendar__name__startswith="Calendar ").count() == 3 * result["blocks_per_calendar"]
    assert BusyCalendar.objects.filter(last_success_at=NOW).count() == 3
    few, many = result["slots"][FEW_BLOCKS], result["slots"][MANY_BLOCKS]
    assert (few["blocks"], many["blocks"]) == (10, 10_000)
    assert few["queries"] == many["queries"]
    assert result["slots_constant"] is True
    assert few["slots"] > many["slots"]
    lines = busy_lines(result)
    assert any("refresh_calendar × 3" in line for line in lines)
    assert any("1,000 calendars: about" in line for line in lines)  # how the time scales
    assert lines[-1].endswith("PASS")
    assert all(value is not None for value in result.values())
