"""Reports (R16): every figure against a small hand-computed fixture, then the page and its CSVs."""

import csv
import io
from datetime import UTC, date, datetime, time, timedelta
from fractions import Fraction
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.urls import reverse

from clients.pareto import pareto
from comms.sla import due_at
from desk import reports
from desk.report_queries import friday_inputs
from desk.reports import (
    DeadlineOutcome,
    ProjectDeadline,
    ReplyClock,
    deadline_outcome,
    first_response_report,
    percentile,
    repeat_rate,
    survey_stats,
    working_seconds_between,
)
from projects.friday import week_bounds
from projects.friday_query import projects_due_friday_update
from projects.models import DeadlineChange, Project, Survey
from tests.factories import (
    ClientFactory,
    ContactFactory,
    MessageFactory,
    PaymentFactory,
    ProjectFactory,
)

BERLIN = ZoneInfo("Europe/Berlin")
NINE_TO_SIX = {day: (time(9), time(18)) for day in range(5)}
HOUR = 3600
CAL = {"tz": BERLIN, "working_hours": NINE_TO_SIX, "holidays": None}


def at(*args: int) -> datetime:
    return datetime(*args, tzinfo=BERLIN)


# --- working time --------------------------------------------------------------------------------


def test_friday_evening_to_monday_morning_is_two_working_hours():
    # Friday 17:00 → 18:00 is one hour, the weekend is closed, Monday 09:00 → 10:00 one more.
    assert working_seconds_between(at(2026, 10, 9, 17), at(2026, 10, 12, 10), **CAL) == 2 * HOUR


@pytest.mark.parametrize(
    ("start", "end", "hours"),
    [
        (at(2026, 10, 13, 10), at(2026, 10, 13, 12, 30), 2.5),  # within one day
        (at(2026, 10, 13, 7), at(2026, 10, 13, 9, 30), 0.5),  # before opening: counts from 09:00
        (at(2026, 10, 13, 17), at(2026, 10, 13, 20), 1),  # after closing: counts up to 18:00
        (at(2026, 10, 10, 10), at(2026, 10, 11, 15), 0),  # a weekend: nothing
        (at(2026, 10, 13, 12), at(2026, 10, 13, 11), 0),  # end before start
        (at(2026, 10, 13, 9), at(2026, 10, 14, 9), 9),  # a whole day: 9 hours, the closing instant excluded
    ],
)
def test_working_time_counts_only_opening_hours(start, end, hours):
    assert working_seconds_between(start, end, **CAL) == hours * HOUR


def test_public_holidays_are_not_working_time():
    # Good Friday (3 April 2026) and Easter Monday (6 April) are German public holidays.
    thursday_evening, tuesday_morning = at(2026, 4, 2, 17), at(2026, 4, 7, 10)
    assert working_seconds_between(thursday_evening, tuesday_morning, **{**CAL, "holidays": ("DE", None)}) == 2 * HOUR
    assert working_seconds_between(thursday_evening, tuesday_morning, **CAL) == 20 * HOUR


def test_a_dst_weekend_changes_nothing_for_ordinary_hours():
    # Berlin springs forward on Sunday 29 March 2026 and falls back on Sunday 25 October 2026.
    assert working_seconds_between(at(2026, 3, 27, 17), at(2026, 3, 30, 10), **CAL) == 2 * HOUR
    assert working_seconds_between(at(2026, 10, 23, 17), at(2026, 10, 26, 10), **CAL) == 2 * HOUR


@pytest.mark.parametrize("hours", [0.5, 3, 9, 9.5, 23])
@pytest.mark.parametrize(
    "received",
    [at(2026, 3, 27, 16), at(2026, 3, 28, 23), at(2026, 10, 24, 1), at(2026, 10, 25, 2, 30), at(2026, 4, 2, 17, 45)],
)
@pytest.mark.parametrize("calendar", ["weekdays", "night_shift"])
def test_working_time_to_the_sla_due_time_is_the_sla_amount(received, hours, calendar):
    """The inverse of ``comms.sla.due_at`` in business mode, DST nights and holidays included.

    The night shift opens 00:00–06:00 every day, so it spans both DST transitions: working time is
    counted in wall-clock hours on both sides, as the SLA counts it.
    """
    working_hours = NINE_TO_SIX if calendar == "weekdays" else {day: (time(0), time(6)) for day in range(7)}
    calendar_args = {"tz": BERLIN, "working_hours": working_hours, "holidays": ("DE", None)}
    due = due_at(received, mode="business", amount=hours, **calendar_args)
    assert working_seconds_between(received, due, **calendar_args) == hours * HOUR


def test_inside_a_spring_forward_gap_working_time_is_wall_clock_time():
    """A calendar open across the gap (00:00–06:00) counts wall-clock hours, as ``kernel.workhours`` does.

    Two working hours from Sunday 00:00 land on 02:00, which does not exist, so the SLA due time is
    03:00 CEST: its wall clock reads three working hours, and three hours are due at the same instant.
    """
    calendar_args = {"tz": BERLIN, "working_hours": {day: (time(0), time(6)) for day in range(7)}, "holidays": None}
    received = at(2026, 3, 28, 23)
    due = due_at(received, mode="business", amount=2, **calendar_args)
    assert due == at(2026, 3, 29, 3)
    assert working_seconds_between(received, due, **calendar_args) == 3 * HOUR
    assert due_at(received, mode="business", amount=3, **calendar_args) == due


# --- percentiles ---------------------------------------------------------------------------------


def test_percentiles_are_nearest_rank():
    assert percentile([4, 1, 3, 2], 50) == 2  # the lower middle value
    assert percentile([4, 1, 3, 2], 90) == 4  # rank ceil(3.6) = 4
    assert percentile(list(range(1, 11)), 90) == 9  # rank 9 exactly
    assert percentile(list(range(1, 12)), 90) == 10  # rank ceil(9.9) = 10
    assert percentile([7], 50) == percentile([7], 90) == 7
    assert percentile([], 50) is None
    with pytest.raises(ValueError, match="percentile"):
        percentile([1], 0)


# --- 1. first response ---------------------------------------------------------------------------


def clock(sent: datetime, replied: datetime | None, *, due: datetime | None = None) -> ReplyClock:
    if due is None and sent.month != 10:
        due = due_at(sent, mode="business", amount=9, **CAL)
    return ReplyClock(sent_at=sent, reply_due_at=due, replied_at=replied)


def test_first_response_median_p90_and_sla_share_per_month():
    now = at(2026, 10, 15, 12)
    clocks = [
        clock(at(2026, 9, 4, 17), at(2026, 9, 7, 10)),  # Fri 17:00 → Mon 10:00: 2 h, due Mon 17:00: on time
        clock(at(2026, 9, 8, 9), at(2026, 9, 8, 13)),  # 4 h, on time
        clock(at(2026, 9, 9, 10), at(2026, 9, 10, 14)),  # 8 h + 5 h = 13 h, due Thu 10:00: late
        clock(at(2026, 9, 15, 10), None),  # still open, due 16 Sep: a breach, no time
        clock(at(2026, 10, 1, 9), at(2026, 10, 1, 9, 30), due=None),  # 0.5 h, no due time: not in the SLA share
        clock(at(2026, 10, 15, 11), None, due=at(2026, 10, 16, 11)),  # open, not yet due: left out
        clock(at(2026, 8, 31, 23, 59), at(2026, 9, 1, 10)),  # August: outside the months asked for
    ]

    report = first_response_report(clocks, months=[date(2026, 9, 1), date(2026, 10, 1)], now=now, **CAL)

    september, october = (row.stats for row in report.months)
    assert (september.answered, september.median_seconds, september.p90_seconds) == (3, 4 * HOUR, 13 * HOUR)
    assert (september.within_sla, september.sla_measured, september.open_breaches) == (2, 4, 1)
    assert september.sla_share == Fraction(1, 2)
    assert (october.answered, october.median_seconds, october.p90_seconds) == (1, 0.5 * HOUR, 0.5 * HOUR)
    assert october.sla_measured == 0
    assert october.sla_share is None
    # Overall: [0.5, 2, 4, 13] hours → median rank 2 = 2 h, p90 rank ceil(3.6) = 4 = 13 h; 2 of 4 on time.
    assert (report.overall.median_seconds, report.overall.p90_seconds) == (2 * HOUR, 13 * HOUR)
    assert report.overall.sla_share == Fraction(1, 2)
    assert report.business_hours
    assert not report.is_empty


def test_months_are_local_and_a_studio_without_working_hours_measures_elapsed_time():
    # 30 Sep 22:30 UTC is 1 October 00:30 in Berlin.
    sent = datetime(2026, 9, 30, 22, 30, tzinfo=UTC)
    clocks = [ReplyClock(sent_at=sent, reply_due_at=None, replied_at=sent + timedelta(hours=30))]
    report = first_response_report(
        clocks,
        months=[date(2026, 9, 1), date(2026, 10, 1)],
        now=at(2026, 10, 15, 12),
        tz=BERLIN,
        working_hours={},
        holidays=None,
    )
    assert [row.stats.answered for row in report.months] == [0, 1]
    assert report.months[1].stats.median_seconds == 30 * HOUR
    assert not report.business_hours


def test_hours_label():
    assert reports.hours_label(2 * HOUR) == "2.0 h"
    assert reports.hours_label(None) == "—"


# --- 2. Friday updates ---------------------------------------------------------------------------


def test_friday_updates_due_and_sent_per_week_follow_the_friday_rule():
    now = at(2026, 10, 14, 12)  # Wednesday of 2026-W42
    weeks = reports.last_weeks(now, BERLIN, count=3)
    assert [week.key for week in weeks] == ["2026-W40", "2026-W41", "2026-W42"]
    projects = [
        (1, ["a@x.example"], date(2026, 9, 1), None),
        (2, ["B@y.example"], date(2026, 10, 6), None),  # starts after W40's Friday
        (3, ["c@z.example"], date(2026, 9, 1), date(2026, 10, 1)),  # ended before W40's Friday
    ]
    outbound = [
        (at(2026, 10, 2, 18), ["A@X.example"]),  # W40 Friday evening: covers project 1
        (at(2026, 10, 10, 10), ["b@y.example"]),  # W41 Saturday: too late for W41
        (at(2026, 10, 12, 0), ["b@y.example"]),  # W42 Monday 00:00: covers project 2
    ]

    report = reports.friday_report(weeks=weeks, tz=BERLIN, projects=projects, outbound=outbound)

    assert [(week.key, week.due, week.sent) for week in report.weeks] == [
        ("2026-W40", 1, 1),
        ("2026-W41", 2, 0),
        ("2026-W42", 2, 1),
    ]
    assert [week.is_current for week in report.weeks] == [False, False, True]
    assert (report.due, report.sent, report.sent_share) == (5, 2, Fraction(2, 5))


def test_last_weeks_and_months_and_quarters_end_with_the_current_one():
    assert reports.last_months(date(2026, 2, 10), count=3) == [date(2025, 12, 1), date(2026, 1, 1), date(2026, 2, 1)]
    assert reports.last_quarters(date(2026, 2, 10), count=2) == [date(2025, 10, 1), date(2026, 1, 1)]
    # Sunday 4 January 2026, 23:30 in Berlin, is still ISO week 2026-W01.
    weeks = reports.last_weeks(datetime(2026, 1, 4, 22, 30, tzinfo=UTC), BERLIN, count=2)
    assert [week.key for week in weeks] == ["2025-W52", "2026-W01"]


# --- 3. deadlines --------------------------------------------------------------------------------

TODAY = date(2026, 10, 15)


def deadline(deadline_on, *, launched=None, completed=None, moves=()) -> ProjectDeadline:
    return ProjectDeadline(
        project_id=1, title="Site", deadline_on=deadline_on, launched_on=launched, completed_on=completed, moves=moves
    )


@pytest.mark.parametrize(
    ("project", "expected"),
    [
        (deadline(date(2026, 9, 30), launched=date(2026, 9, 30)), (DeadlineOutcome.KEPT, date(2026, 9, 30))),
        (deadline(date(2026, 9, 30), launched=date(2026, 9, 2)), (DeadlineOutcome.KEPT, date(2026, 9, 2))),
        (deadline(date(2026, 9, 30), completed=date(2026, 9, 20)), (DeadlineOutcome.KEPT, date(2026, 9, 20))),
        (deadline(date(2026, 9, 30), launched=date(2026, 10, 1)), (DeadlineOutcome.LATE, date(2026, 9, 30))),
        (deadline(date(2026, 10, 14)), (DeadlineOutcome.LATE, date(2026, 10, 14))),  # overdue, not launched
        (deadline(date(2026, 10, 15)), None),  # due today: not decided yet
        (deadline(None, launched=date(2026, 9, 1)), None),  # no deadline: not measured
        (
            deadline(date(2026, 10, 30), moves=((date(2026, 10, 1), date(2026, 10, 30)),)),
            (DeadlineOutcome.MOVED, date(2026, 10, 30)),  # postponed: moved, even before the new date
        ),
        (
            deadline(date(2026, 9, 20), launched=date(2026, 9, 25), moves=((date(2026, 9, 30), date(2026, 9, 20)),)),
            (DeadlineOutcome.LATE, date(2026, 9, 20)),  # brought forward only: judged by the new date
        ),
        (
            deadline(date(2026, 9, 30), launched=date(2026, 9, 29), moves=((None, date(2026, 9, 30)),)),
            (DeadlineOutcome.KEPT, date(2026, 9, 29)),  # a first deadline set later is not a move
        ),
    ],
)
def test_deadline_outcomes(project, expected):
    assert deadline_outcome(project, today=TODAY) == expected


def test_original_deadline_and_postponements():
    project = deadline(
        date(2026, 11, 20),
        moves=(
            (None, date(2026, 10, 1)),
            (date(2026, 10, 1), date(2026, 10, 20)),
            (date(2026, 10, 20), date(2026, 11, 20)),
        ),
    )
    assert project.original_deadline == date(2026, 10, 1)
    assert project.postponements == 2


def test_deadlines_per_month_and_the_kept_share():
    projects = [
        ProjectDeadline(1, "A", date(2026, 9, 30), date(2026, 9, 28), None),  # kept, September
        ProjectDeadline(2, "B", date(2026, 9, 10), date(2026, 9, 12), None),  # late, September
        ProjectDeadline(3, "C", date(2026, 10, 31), None, None, ((date(2026, 10, 5), date(2026, 10, 31)),)),  # moved
        ProjectDeadline(4, "D", date(2026, 11, 30), date(2026, 10, 2), None),  # launched early: October, kept
        ProjectDeadline(5, "E", date(2026, 8, 31), date(2026, 8, 30), None),  # August: not asked for
        ProjectDeadline(6, "F", date(2026, 10, 20), None, None),  # not due yet: left out
    ]
    report = reports.deadlines_report(projects, months=[date(2026, 9, 1), date(2026, 10, 1)], today=TODAY)
    assert [(row.kept, row.moved, row.late) for row in report.months] == [(1, 0, 1), (1, 1, 0)]
    assert [result.project.project_id for result in report.results] == [1, 2, 3, 4]
    assert (report.kept, report.total, report.kept_share) == (2, 4, Fraction(1, 2))


# --- 4. satisfaction -----------------------------------------------------------------------------


def test_csat_average_and_nps():
    stats = survey_stats([(10, 10), (9, 9), (7, 8), (3, 2), (6, None), (None, None)])
    assert (stats.responses, stats.average) == (5, 7.0)  # (10 + 9 + 7 + 3 + 6) / 5
    # NPS over 4 answers: promoters 10, 9; passive 8; detractor 2 → (2 − 1) / 4 = +25.
    assert (stats.nps_responses, stats.promoters, stats.passives, stats.detractors) == (4, 2, 1, 1)
    assert stats.nps == 25
    assert dict(stats.distribution) == {1: 0, 2: 0, 3: 1, 4: 0, 5: 0, 6: 1, 7: 1, 8: 0, 9: 1, 10: 1}
    empty = survey_stats([])
    assert (empty.responses, empty.average, empty.nps) == (0, None, None)


def test_satisfaction_counts_in_the_local_quarter_of_the_first_rating():
    rows = [
        (datetime(2026, 9, 30, 23, 30, tzinfo=UTC), 8, 9),  # 1 October in Berlin: Q4
        (datetime(2026, 9, 30, 12, 0, tzinfo=UTC), 4, None),  # Q3
    ]
    report = reports.satisfaction_report(rows, quarters=[date(2026, 7, 1), date(2026, 10, 1)], tz=BERLIN)
    assert [(reports.quarter_label(q), stats.responses) for q, stats in report.quarters] == [
        ("2026 Q3", 1),
        ("2026 Q4", 1),
    ]
    assert (report.overall.average, report.overall.nps) == (6.0, 100)


# --- 5. repeat clients ---------------------------------------------------------------------------


def test_repeat_rate():
    report = repeat_rate({1: 1, 2: 2, 3: 5, 4: 0})
    assert (report.clients, report.repeat, report.share) == (3, 2, Fraction(2, 3))
    assert report.distribution == ((1, 1), (2, 1), (3, 0), (4, 1))  # the last bucket is "4 or more"
    assert repeat_rate({}).share is None


# --- 6. Pareto shares (clients.pareto, reused) --------------------------------------------------


def test_pareto_shares_of_the_reused_chart():
    chart = pareto({1: 60_000, 2: 30_000, 3: 10_000}, {1: "A", 2: "B", 3: "C"})
    assert [entry.share for entry in chart.entries] == [Fraction(3, 5), Fraction(3, 10), Fraction(1, 10)]
    assert [entry.cumulative_share for entry in chart.entries] == [Fraction(3, 5), Fraction(9, 10), 1]
    assert [entry.is_angel for entry in chart.entries] == [True, True, False]


# --- charts --------------------------------------------------------------------------------------


def test_bar_chart_geometry():
    series = [
        reports.Series("a", "#000", (2.0, 0.0), ("a1", "a2")),
        reports.Series("b", "#fff", (4.0, None), ("b1", "b2")),
    ]
    chart = reports.bar_chart(["one", "two"], series, tick_label=str, width=260, height=138)
    # Plot 200 × 100 from (52, 10); the axis runs to 4 in steps of 1; zero and missing draw nothing.
    assert [tick.text for tick in chart.ticks] == ["0", "1", "2", "3", "4"]
    assert [(rect.tooltip, rect.h) for rect in chart.rects] == [("a1", 50.0), ("b1", 100.0)]
    assert [label.text for label in chart.categories] == ["one", "two"]
    stacked = reports.bar_chart(["one", "two"], series, tick_label=str, stacked=True, width=260, height=138)
    assert stacked.rects[1].y + stacked.rects[1].h == stacked.rects[0].y  # b sits on a
    assert (
        reports.bar_chart(["x"], [reports.Series("p", "#000", (50.0,), ("p",))], tick_label=str, maximum=100)
        .ticks[-1]
        .text
        == "100"
    )


# --- the page ------------------------------------------------------------------------------------

NOW = datetime(2026, 10, 15, 10, 0, tzinfo=UTC)  # Thursday 12:00 in Berlin, 2026-W42


@pytest.fixture
def frozen():
    with time_machine.travel(NOW, tick=False):
        yield


def fill(studio, count: int, *, prefix: str = "") -> None:
    """``count`` clients, each with a bit of everything the reports measure."""
    for index in range(count):
        customer = ClientFactory(studio=studio, name=f"{prefix}Client {index}")
        ContactFactory(client=customer, email=f"{prefix}c{index}@example.com")
        sent = at(2026, 9, 8, 9) + timedelta(days=index % 20)
        MessageFactory(
            thread__client=customer,
            needs_reply=True,
            sent_at=sent,
            reply_due_at=sent + timedelta(days=1),
            replied_at=sent + timedelta(hours=3),
        )
        MessageFactory(
            thread__client=customer,
            direction="out",
            to=[f"{prefix}c{index}@example.com"],
            sent_at=at(2026, 10, 13, 11),
        )
        for status in ("in_progress", "completed"):
            project = ProjectFactory(
                client=customer,
                status=status,
                active_from=date(2026, 8, 3),
                active_until=None if status == "in_progress" else date(2026, 9, 20),
                deadline_on=date(2026, 9, 25 if status == "completed" else 30),
                completed_on=date(2026, 9, 20) if status == "completed" else None,
            )
            DeadlineChange.objects.create(
                project=project, old_date=date(2026, 9, 1), new_date=project.deadline_on, reason="Content late"
            )
        Survey.objects.create(studio=studio, project=project, csat=9, nps=10, rated_at=NOW - timedelta(days=3))
        PaymentFactory(client=customer, amount_minor=100_000 * (index + 1), paid_on=date(2026, 9, 1))


def test_the_reports_page_runs_constant_queries(owner_client, studio, frozen, django_assert_max_num_queries):
    fill(studio, 2)
    # The request's own (session, user, studio), ten for the reports, the heartbeat banner.
    with django_assert_max_num_queries(16) as small:
        assert owner_client.get(reverse("reports")).status_code == 200
    fill(studio, 15, prefix="more-")
    with django_assert_max_num_queries(len(small.captured_queries)):
        response = owner_client.get(reverse("reports"))
    assert response.status_code == 200
    assert 'data-testid="chart-response-times"' in response.content.decode()


def test_an_empty_studio_sees_what_each_report_will_show(owner_client, studio, frozen):
    html = owner_client.get(reverse("reports")).content.decode()
    for report in ("response", "friday", "deadlines", "satisfaction", "repeat", "revenue"):
        assert f'data-testid="empty-{report}"' in html
    assert " download>" not in html
    assert "<svg" not in html.split('data-testid="report-response"')[1]


def test_the_page_shows_the_studios_figures_only(owner_client, studio, other_studio, frozen):
    customer = ClientFactory(studio=studio, name="Aurora Bakery")
    ContactFactory(client=customer, email="ann@aurora.example")
    # Friday 2 Oct 17:00 → Monday 5 Oct 10:00 Berlin: 2 working hours, on time.
    sent = at(2026, 10, 2, 17)
    MessageFactory(
        thread__client=customer, needs_reply=True, sent_at=sent, reply_due_at=at(2026, 10, 5, 17),
        replied_at=at(2026, 10, 5, 10),
    )  # fmt: skip
    project = ProjectFactory(
        client=customer, status="completed", active_from=date(2026, 9, 1), active_until=date(2026, 9, 29),
        deadline_on=date(2026, 9, 30), completed_on=date(2026, 9, 29),
    )  # fmt: skip
    ProjectFactory(client=customer, status="in_progress", active_from=date(2026, 10, 1))
    Survey.objects.create(studio=studio, project=project, csat=8, nps=9, rated_at=NOW - timedelta(days=3))
    PaymentFactory(client=customer, amount_minor=500_000, paid_on=date(2026, 9, 1))
    # Another studio's data never shows.
    other = ClientFactory(studio=other_studio, name="Secret Competitor")
    other_project = ProjectFactory(client=other, status="completed", active_from=date(2026, 9, 1))
    Survey.objects.create(studio=other_studio, project=other_project, csat=1, nps=0, rated_at=NOW)
    MessageFactory(
        thread__client=other, needs_reply=True, sent_at=sent, reply_due_at=sent, replied_at=sent + timedelta(days=9)
    )
    PaymentFactory(client=other, amount_minor=9_900_000, paid_on=date(2026, 9, 1))

    html = owner_client.get(reverse("reports")).content.decode()

    assert 'data-testid="response-median">2.0 h<' in html
    assert 'data-testid="response-sla">100.0 %<' in html
    assert 'data-testid="deadlines-kept">100.0 %<' in html
    assert 'data-testid="csat-average">8.0<' in html
    assert 'data-testid="csat-count">1<' in html
    assert 'data-testid="nps">+100<' in html
    assert 'data-testid="repeat-share">100.0 %<' in html
    assert 'data-testid="pareto-chart"' in html
    assert "Aurora Bakery" in html
    assert "Secret Competitor" not in html
    assert " style=" not in html


def test_reports_need_a_signed_in_member(client, db):
    response = client.get(reverse("reports"))
    assert response.status_code == 302
    assert "login" in response.url
    assert client.get(reverse("reports_csv", args=["deadlines"])).status_code == 302


# --- CSV -----------------------------------------------------------------------------------------


def read_csv(response) -> list[list[str]]:
    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert "attachment" in response["Content-Disposition"]
    return list(csv.reader(io.StringIO(response.content.decode())))


def test_every_report_downloads_as_csv(owner_client, studio, frozen):
    fill(studio, 3)
    response_rows = read_csv(owner_client.get(reverse("reports_csv", args=["response-times"])))
    assert response_rows[0][:4] == ["month", "answered", "median_business_hours", "p90_business_hours"]
    assert len(response_rows) == 13
    assert response_rows[-1][0] == "2026-10"
    september = next(row for row in response_rows if row[0] == "2026-09")
    assert september[1:4] == ["3", "3.00", "3.00"]
    assert september[-1] == "100.00"

    friday_rows = read_csv(owner_client.get(reverse("reports_csv", args=["friday-updates"])))
    assert friday_rows[0] == ["week", "monday", "due", "sent", "missed", "sent_percent", "current_week"]
    assert friday_rows[-1] == ["2026-W42", "2026-10-12", "3", "3", "0", "100.00", "yes"]

    deadline_rows = read_csv(owner_client.get(reverse("reports_csv", args=["deadlines"])))
    assert len(deadline_rows) == 1 + 6
    assert {row[-1] for row in deadline_rows[1:]} == {"moved"}

    satisfaction_rows = read_csv(owner_client.get(reverse("reports_csv", args=["satisfaction"])))
    assert satisfaction_rows[1][:5] == ["all", "3", "9.00", "3", "100.0"]
    assert satisfaction_rows[-1][0] == "2026 Q4"

    repeat_rows = read_csv(owner_client.get(reverse("reports_csv", args=["repeat-clients"])))
    assert [row[2:] for row in repeat_rows[1:]] == [["2", "yes"]] * 3

    assert owner_client.get(reverse("reports_csv", args=["nope"])).status_code == 404


def test_csv_cells_cannot_run_formulas(owner_client, studio, frozen):
    customer = ClientFactory(studio=studio, name='=HYPERLINK("http://evil.example")')
    ProjectFactory(client=customer, status="launched", title="@SUM(A1)", active_from=date(2026, 9, 1),
                   deadline_on=date(2026, 9, 30), launched_on=date(2026, 9, 30))  # fmt: skip
    deadline_rows = read_csv(owner_client.get(reverse("reports_csv", args=["deadlines"])))
    repeat_rows = read_csv(owner_client.get(reverse("reports_csv", args=["repeat-clients"])))
    assert deadline_rows[1][2] == "'@SUM(A1)"
    assert repeat_rows[1][1] == '\'=HYPERLINK("http://evil.example")'


def test_csv_holds_only_the_studios_rows(owner_client, studio, other_studio, frozen):
    fill(other_studio, 2)
    rows = read_csv(owner_client.get(reverse("reports_csv", args=["repeat-clients"])))
    assert rows == [["client_id", "client", "won_projects", "repeat_client"]]


# --- the queries agree with the Friday rule ------------------------------------------------------


def test_the_friday_inputs_give_the_friday_rules_answer_for_the_current_week(studio, frozen):
    fill(studio, 3)
    quiet = ClientFactory(studio=studio, name="Quiet")
    ContactFactory(client=quiet, email="quiet@example.com", other_emails=["also@example.com"])
    ProjectFactory(client=quiet, status="in_progress", active_from=date(2026, 10, 1))
    ProjectFactory(client=quiet, status=Project.Status.LEAD)

    weeks = reports.last_weeks(NOW, BERLIN)
    projects, outbound = friday_inputs(studio, weeks=weeks)
    report = reports.friday_report(weeks=weeks, tz=BERLIN, projects=projects, outbound=outbound)
    key, due = projects_due_friday_update(studio=studio, now=NOW)

    assert key == week_bounds(NOW, BERLIN).key == report.weeks[-1].key
    assert report.weeks[-1].missed == len(due) == 1
    assert report.weeks[-1].due == 4
