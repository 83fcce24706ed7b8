"""The Friday rule counts mail sent by ``now`` only (``sent_at <= now``), in the pure rule and the query alike."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from kernel.models import Studio
from projects.friday import updates_due
from projects.friday_query import projects_due_friday_update
from tests.factories import ClientFactory, ContactFactory, MessageFactory, ProjectFactory

BERLIN = ZoneInfo("Europe/Berlin")
ALICE = "alice@acme.example"
WEDNESDAY_NOON = datetime(2026, 11, 18, 12, 0, tzinfo=BERLIN)  # 2026-W47
PROJECTS = [(1, [ALICE], date(2026, 1, 1), None)]


@pytest.mark.parametrize(
    ("sent_at", "covers"),
    [
        pytest.param(WEDNESDAY_NOON - timedelta(hours=1), True, id="an hour before now"),
        pytest.param(WEDNESDAY_NOON, True, id="exactly now"),
        pytest.param(WEDNESDAY_NOON + timedelta(microseconds=1), False, id="a microsecond after now"),
        pytest.param(WEDNESDAY_NOON + timedelta(days=1), False, id="later this week"),
    ],
)
def test_mail_stamped_later_than_now_does_not_cover_the_week(sent_at: datetime, covers: bool) -> None:
    for moment in (sent_at, sent_at.astimezone(UTC)):
        key, due = updates_due(now=WEDNESDAY_NOON, tz=BERLIN, projects=PROJECTS, outbound=[(moment, [ALICE])])
        assert key == "2026-W47"
        assert due == (set() if covers else {1})


@pytest.mark.parametrize(
    "offset",
    [timedelta(hours=-1), timedelta(0), timedelta(microseconds=1), timedelta(hours=30)],
    ids=["before", "at", "just after", "next day"],
)
def test_the_query_agrees_with_the_rule_about_mail_after_now(studio: Studio, offset: timedelta) -> None:
    """Without an explicit ``outbound`` the query reads the Message table; it must answer as the rule does."""
    studio.timezone = "Europe/Berlin"
    studio.save(update_fields=["timezone"])
    contact = ContactFactory(client=ClientFactory(studio=studio), email=ALICE)
    project = ProjectFactory(client=contact.client)
    type(project).objects.filter(pk=project.pk).update(active_from=date(2026, 1, 1))
    sent_at = WEDNESDAY_NOON + offset
    MessageFactory(thread__client=contact.client, direction="out", to=[ALICE], sent_at=sent_at)
    now = WEDNESDAY_NOON.astimezone(UTC)

    _, expected = updates_due(
        now=now, tz=BERLIN, projects=[(project.pk, [ALICE], date(2026, 1, 1), None)], outbound=[(sent_at, [ALICE])]
    )
    key, due = projects_due_friday_update(studio=studio, now=now)

    assert key == "2026-W47"
    assert {p.pk for p in due} == expected
    assert expected == (set() if offset <= timedelta(0) else {project.pk})
