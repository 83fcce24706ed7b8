from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from kernel.dates import long_date, short_date
from kernel.models import Studio
from projects.drafts import status_update_get_or_draft
from projects.models import ActionItem, Project, Resource, StatusUpdate
from tests.factories import ActionItemFactory, ClientFactory, MilestoneFactory, ProjectFactory

BERLIN = ZoneInfo("Europe/Berlin")
# 2026-W47: Monday 2026-11-16 .. Sunday 2026-11-22; local Saturday 00:00 is 2026-11-21 00:00 Berlin.
FRIDAY_NOON = datetime(2026, 11, 20, 12, 0, tzinfo=BERLIN)
SUNDAY_NOON = datetime(2026, 11, 22, 12, 0, tzinfo=BERLIN)
DECEMBER_4 = date(2026, 12, 4)


def berlin(month: int, day: int, hour: int = 0, minute: int = 0) -> datetime:
    return datetime(2026, month, day, hour, minute, tzinfo=BERLIN)


@pytest.fixture
def project(studio: Studio) -> Project:
    return ProjectFactory(client=ClientFactory(studio=studio), title="Bakery website", deadline_on=DECEMBER_4)


def test_dates_read_in_plain_english() -> None:
    assert short_date(date(2026, 11, 24)) == "Tue 24 Nov"
    assert long_date(DECEMBER_4, with_year=False) == "Friday 4 December"
    assert long_date(DECEMBER_4) == "Friday 4 December 2026"


def test_done_this_week_lists_milestones_done_within_the_local_week_only(project: Project) -> None:
    MilestoneFactory(project=project, title="Sitemap agreed", done_at=berlin(11, 15, 23, 59), order=1)  # Sunday before
    MilestoneFactory(
        project=project, title="Home page design approved", done_at=berlin(11, 16), order=2
    )  # Monday 00:00
    MilestoneFactory(project=project, title="Copy received", done_at=berlin(11, 20, 23, 59), order=3)  # Friday 23:59
    MilestoneFactory(project=project, title="Photos picked", done_at=berlin(11, 21), order=4)  # Saturday 00:00
    MilestoneFactory(project=project, title="Launch", due_on=DECEMBER_4, order=5)

    update = status_update_get_or_draft(project=project, now=SUNDAY_NOON.astimezone(UTC))

    assert update.week == "2026-W47"
    assert update.done_this_week == "• Home page design approved\n• Copy received"
    assert update.next_up == "• Launch (due Fri 4 Dec)"


def test_next_up_is_the_next_two_open_milestones_with_their_due_dates(project: Project) -> None:
    MilestoneFactory(project=project, title="Done already", done_at=berlin(11, 2), due_on=date(2026, 11, 2), order=1)
    MilestoneFactory(project=project, title="Launch", due_on=DECEMBER_4, order=9)
    MilestoneFactory(project=project, title="Inner pages", due_on=date(2026, 11, 27), order=2)
    MilestoneFactory(project=project, title="Content upload", order=3)

    update = status_update_get_or_draft(project=project, now=FRIDAY_NOON)

    assert update.next_up == "• Inner pages (due Fri 27 Nov)\n• Content upload"
    assert update.done_this_week == ""
    assert update.summary == "On track for launch on Friday 4 December."


def test_client_next_steps_are_the_clients_open_items_with_due_dates(project: Project) -> None:
    ActionItemFactory(project=project, text="Send the logo files", due_on=date(2026, 11, 24))
    ActionItemFactory(project=project, text="Pick a hosting plan")
    ActionItemFactory(project=project, text="Write the about page", due_on=date(2026, 11, 20))  # today: not overdue
    ActionItemFactory(project=project, text="Sign the contract", done_at=berlin(11, 3))
    ActionItemFactory(project=project, text="Set up staging", owner=ActionItem.Owner.US, due_on=date(2026, 11, 23))

    update = status_update_get_or_draft(project=project, now=FRIDAY_NOON)

    assert update.client_next_steps == (
        "• Write the about page (by Fri 20 Nov)\n• Send the logo files (by Tue 24 Nov)\n• Pick a hosting plan"
    )
    assert update.blockers == ""


def test_overdue_client_items_are_blockers_by_local_today(project: Project) -> None:
    ActionItemFactory(project=project, text="Send the logo files", due_on=date(2026, 11, 17))
    ActionItemFactory(project=project, text="Approve the colours", due_on=date(2026, 11, 20))
    # 23:30 UTC on Friday the 20th is already Saturday the 21st in Berlin: Friday's item is overdue.
    now = datetime(2026, 11, 20, 23, 30, tzinfo=UTC)

    update = status_update_get_or_draft(project=project, now=now)

    assert update.blockers == (
        "• Waiting on you: Send the logo files (was due Tue 17 Nov)\n"
        "• Waiting on you: Approve the colours (was due Fri 20 Nov)"
    )
    assert update.client_next_steps == ("• Send the logo files (by Tue 17 Nov)\n• Approve the colours (by Fri 20 Nov)")


def test_an_overdue_milestone_puts_the_deadline_at_risk(project: Project) -> None:
    MilestoneFactory(project=project, title="Home page design", due_on=date(2026, 11, 19), order=1)
    MilestoneFactory(project=project, title="Launch", due_on=DECEMBER_4, order=2)

    update = status_update_get_or_draft(project=project, now=FRIDAY_NOON)

    assert update.summary == (
        "The deadline of Friday 4 December is at risk: Home page design (due Thu 19 Nov) is overdue."
    )


def test_a_milestone_due_today_is_overdue_only_once_the_local_day_is_over(studio: Studio) -> None:
    on_time = ProjectFactory(client=ClientFactory(studio=studio), deadline_on=DECEMBER_4)
    late = ProjectFactory(client=ClientFactory(studio=studio), deadline_on=DECEMBER_4)
    for project in (on_time, late):
        MilestoneFactory(project=project, title="Home page design", due_on=date(2026, 11, 20))

    assert status_update_get_or_draft(project=on_time, now=berlin(11, 20, 23, 59)).summary == (
        "On track for launch on Friday 4 December."
    )
    # Still Friday in UTC, already Saturday in Berlin.
    assert status_update_get_or_draft(project=late, now=datetime(2026, 11, 20, 23, 1, tzinfo=UTC)).summary == (
        "The deadline of Friday 4 December is at risk: Home page design (due Fri 20 Nov) is overdue."
    )


def test_no_deadline_and_every_section_empty(studio: Studio) -> None:
    project = ProjectFactory(client=ClientFactory(studio=studio), deadline_on=None)

    update = status_update_get_or_draft(project=project, now=FRIDAY_NOON)

    assert update.summary == "No deadline set yet."
    assert (update.done_this_week, update.next_up, update.blockers, update.client_next_steps) == ("", "", "", "")
    assert list(update.resources.all()) == []


def test_the_projects_resources_are_attached(studio: Studio, project: Project) -> None:
    guide = Resource.objects.create(studio=studio, kind=Resource.Kind.DOCUMENT, title="How to give feedback")
    video = Resource.objects.create(studio=studio, kind=Resource.Kind.SCREENCAST, title="Editing your pages")
    Resource.objects.create(studio=studio, kind=Resource.Kind.FAQ, title="Unrelated")
    guide.projects.add(project)
    video.projects.add(project)

    update = status_update_get_or_draft(project=project, now=FRIDAY_NOON)

    assert set(update.resources.all()) == {guide, video}


def test_a_second_call_returns_the_same_update_untouched(project: Project) -> None:
    first = status_update_get_or_draft(project=project, now=FRIDAY_NOON)
    first.summary = "Edited by hand."
    first.save()
    MilestoneFactory(project=project, title="Copy received", done_at=berlin(11, 20, 13))

    again = status_update_get_or_draft(project=project, now=FRIDAY_NOON + timedelta(hours=2))

    assert again.pk == first.pk
    assert again.summary == "Edited by hand."
    assert again.done_this_week == ""
    assert StatusUpdate.objects.filter(project=project).count() == 1


def test_the_week_is_the_studios_local_iso_week(project: Project) -> None:
    # Sunday 23:30 UTC is Monday 00:30 in Berlin: a new week, a new draft.
    sunday = status_update_get_or_draft(project=project, now=datetime(2026, 11, 22, 22, 30, tzinfo=UTC))
    monday = status_update_get_or_draft(project=project, now=datetime(2026, 11, 22, 23, 30, tzinfo=UTC))

    assert (sunday.week, monday.week) == ("2026-W47", "2026-W48")
    assert StatusUpdate.objects.filter(project=project).count() == 2
