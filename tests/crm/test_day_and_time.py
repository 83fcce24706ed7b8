"""`|day_and_time` writes what `|date:"D j M, H:i"` writes, in both languages and in the current time zone."""

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest
from django.template import Context, Template
from django.utils import timezone, translation

# Every month and every weekday, at late hours that are another day in Berlin or in Los Angeles.
TIMES = [datetime(2026, month, 10, 23, month, tzinfo=UTC) for month in range(1, 13)] + [
    datetime(2026, 12, day, 3, 59, tzinfo=UTC) for day in range(1, 8)
]


@pytest.mark.parametrize("language", ["en", "ru"])
@pytest.mark.parametrize("zone", ["UTC", "Europe/Berlin", "America/Los_Angeles"])
def test_it_writes_what_the_date_filter_writes(language, zone):
    template = Template(
        '{% load rapport %}{% for at in times %}{{ at|date:"D j M, H:i" }}|{{ at|day_and_time }}\n{% endfor %}'
    )

    with translation.override(language), timezone.override(ZoneInfo(zone)):
        lines = template.render(Context({"times": TIMES})).splitlines()

    assert len({line.split(" ")[0] for line in lines}) == 7
    assert len({line.split(" ")[2] for line in lines}) == 12
    for line in lines:
        expected, written = line.split("|")
        assert written == expected


def test_nothing_for_no_date():
    assert Template("{% load rapport %}[{{ at|day_and_time }}]").render(Context({"at": None})) == "[]"
