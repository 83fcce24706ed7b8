"""Reports (R16): response times, Friday updates, deadlines kept, satisfaction, repeat clients.

Pure functions only: no ORM, no clock, no settings. The database side (``desk.report_queries``)
hands in plain rows; the page (``desk.report_views``) turns the results into charts and CSV.
Every period is the studio's local calendar: months and ISO weeks in ``tz``.

Definitions
    **Percentiles** are *nearest-rank*: the p-th percentile of n sorted values is the value at
    rank ``ceil(p × n / 100)`` (1-based). It is always one of the measured values; the median
    (p = 50) of an even count is the lower of the two middle values.

    **First response time** of an inbound message with a reply clock (``needs_reply``) is the
    working time of the studio's calendar between ``sent_at`` and ``replied_at`` (a reply or an
    acknowledgment stops the clock), see ``working_seconds_between``. A message counts in the
    local month it was received. Messages still open have no response time.

    **Share within the SLA** of a month = clocks answered by their due time (``replied_at <=
    reply_due_at``) / clocks measured, where measured = answered clocks with a due time plus
    clocks still open after their due time (breaches). Open clocks not yet due are left out.

    **Friday updates** (R2): per local ISO week, *due* = the projects active on that week's Friday
    and *sent* = those of them whose client was covered (written to from Monday 00:00 to Saturday
    00:00), exactly as ``projects.friday.updates_due`` decides.

    **Deadlines kept** (R12), see ``deadline_outcome``.

    **CSAT** is the mean of the 1–10 ratings; **NPS** = % promoters (9–10) − % detractors (0–6)
    of the 0–10 recommendation scores (``projects.survey``). A survey counts in the local quarter
    of its first rating.

    **Repeat-client rate**, see ``repeat_rate``.
"""

from __future__ import annotations

import math
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta, tzinfo
from enum import StrEnum
from fractions import Fraction
from zoneinfo import ZoneInfo

from babel.numbers import format_decimal
from django.utils.translation import gettext

from clients.pareto import nice_step, percent_floor
from kernel.dates import as_utc, babel_locale, local_date
from kernel.workhours import HolidaySpec, WorkingHours, opening_hours_on, validate_working_hours, wall_clock
from projects.friday import WeekBounds, is_active_on, updates_due, week_bounds
from projects.survey import DETRACTORS, PROMOTERS, csat_summary, nps

MONTHS = 12
WEEKS = 12
QUARTERS = 4
_ONE_DAY = timedelta(days=1)

# --- calendar ------------------------------------------------------------------------------------


def month_start(day: date) -> date:
    return day.replace(day=1)


def add_months(day: date, months: int) -> date:
    """The first day of the month ``months`` after (or before) ``day``'s month."""
    index = day.year * 12 + day.month - 1 + months
    return date(index // 12, index % 12 + 1, 1)


def last_months(today: date, count: int = MONTHS) -> list[date]:
    """The first days of the ``count`` months ending with ``today``'s, oldest first."""
    return [add_months(today, offset) for offset in range(1 - count, 1)]


def last_weeks(now: datetime, tz: ZoneInfo, count: int = WEEKS) -> list[WeekBounds]:
    """The ``count`` local ISO weeks ending with the one containing ``now``, oldest first."""
    current = week_bounds(now, tz).monday
    return [week_bounds(_noon(current - timedelta(weeks=offset), tz), tz) for offset in range(count - 1, -1, -1)]


def quarter_start(day: date) -> date:
    return date(day.year, 3 * ((day.month - 1) // 3) + 1, 1)


def last_quarters(today: date, count: int = QUARTERS) -> list[date]:
    """The first days of the ``count`` quarters ending with ``today``'s, oldest first."""
    return [add_months(quarter_start(today), 3 * offset) for offset in range(1 - count, 1)]


def _noon(day: date, tz: ZoneInfo) -> datetime:
    return datetime(day.year, day.month, day.day, 12, tzinfo=tz)


# --- working time and percentiles ----------------------------------------------------------------


class WorkingClock:
    """Working time between instants on one studio calendar; each local day's hours are looked up once.

    ``seconds_between`` is ``working_seconds_between``; a report measuring thousands of replies
    builds one clock and reuses it. Raises ``ValueError`` for invalid working hours or a calendar
    without any open weekday.
    """

    def __init__(self, *, tz: tzinfo, working_hours: WorkingHours, holidays: HolidaySpec | None) -> None:
        validate_working_hours(working_hours)
        if not working_hours:
            raise ValueError("The working calendar has no open weekday, so it never opens.")
        self.tz, self.working_hours, self.holidays = tz, working_hours, holidays
        self._days: dict[date, tuple[datetime, datetime, bool] | None] = {}

    def _opening_hours(self, day: date) -> tuple[datetime, datetime, bool] | None:
        """``day``'s opening and closing in UTC (``kernel.workhours.opening_hours_on``) or None when closed,
        and whether the UTC offset is the same at both (then wall-clock time is elapsed time)."""
        if day not in self._days:
            hours = opening_hours_on(day, tz=self.tz, working_hours=self.working_hours, holidays=self.holidays)
            self._days[day] = (
                None
                if hours is None
                else (as_utc(hours[0]), as_utc(hours[1]), hours[0].utcoffset() == hours[1].utcoffset())
            )
        return self._days[day]

    def seconds_between(self, start: datetime, end: datetime) -> float:
        start_utc, end_utc = as_utc(start), as_utc(end)
        if end_utc <= start_utc:
            return 0.0
        tz = self.tz
        day, last = start_utc.astimezone(tz).date(), end_utc.astimezone(tz).date()
        total = timedelta(0)
        while day <= last:
            hours = self._opening_hours(day)
            if hours is not None:
                opening, closing, uniform = hours
                begin, stop = max(opening, start_utc), min(closing, end_utc)
                if begin < stop:
                    # Wall-clock time, as kernel.workhours.add_working_time (and so comms.sla.due_at) counts it;
                    # the same as elapsed time unless the interval itself spans a DST change.
                    total += (
                        stop - begin if uniform else wall_clock(stop.astimezone(tz)) - wall_clock(begin.astimezone(tz))
                    )
            day += _ONE_DAY
        return total.total_seconds()


def working_seconds_between(
    start: datetime, end: datetime, *, tz: tzinfo, working_hours: WorkingHours, holidays: HolidaySpec | None
) -> float:
    """Seconds of the studio's working time in ``[start, end)``; 0 when ``end <= start``.

    The same calendar and counting as ``comms.sla.due_at`` in business mode (``kernel.workhours``):
    working time is ``[open, close)`` of a working day (not a holiday) in local time, counted in
    wall-clock time. So ``working_seconds_between(s, due_at(s, amount=h))`` is ``h`` hours (except
    for a due time that ``due_at`` pushed out of a spring-forward gap, in a calendar open across
    it). Friday 17:00 → Monday 10:00 on 09:00–18:00 is 2 hours. Raises ``ValueError`` for naive
    datetimes or a calendar without any open weekday.
    """
    return WorkingClock(tz=tz, working_hours=working_hours, holidays=holidays).seconds_between(start, end)


def percentile(values: Sequence[float], p: int) -> float | None:
    """The nearest-rank ``p``-th percentile (0 < p <= 100) of ``values``; None when empty.

    Sorted ascending, the value at 1-based rank ``ceil(p × n / 100)``: for [1, 2, 3, 4] the
    median is 2 and the 90th percentile 4.
    """
    if not 0 < p <= 100:
        raise ValueError(f"A percentile is above 0 and at most 100, not {p!r}.")
    if not values:
        return None
    ordered = sorted(values)
    rank = max(1, -(-p * len(ordered) // 100))
    return ordered[rank - 1]


def share(part: int, whole: int) -> Fraction | None:
    return Fraction(part, whole) if whole else None


# --- 1. first response ---------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class ReplyClock:
    """One inbound message with a reply clock, as the query hands it in."""

    sent_at: datetime
    reply_due_at: datetime | None
    replied_at: datetime | None


@dataclass(frozen=True, slots=True)
class ResponseStats:
    """First-response figures of one period (a month, or the whole range)."""

    answered: int  # clocks stopped by a reply or an acknowledgment
    median_seconds: float | None
    p90_seconds: float | None
    sla_measured: int  # answered with a due time + open past due
    within_sla: int
    open_breaches: int  # still open after their due time (included in sla_measured)

    @property
    def sla_share(self) -> Fraction | None:
        return share(self.within_sla, self.sla_measured)


@dataclass(frozen=True, slots=True)
class ResponseMonth:
    month: date
    stats: ResponseStats


@dataclass(frozen=True, slots=True)
class ResponseReport:
    months: tuple[ResponseMonth, ...]
    overall: ResponseStats
    business_hours: bool  # False: the studio has no working hours, so times are elapsed time

    @property
    def is_empty(self) -> bool:
        return not self.overall.answered and not self.overall.sla_measured


def response_stats(durations: Sequence[float], *, within: int, measured: int, open_breaches: int) -> ResponseStats:
    return ResponseStats(
        answered=len(durations),
        median_seconds=percentile(durations, 50),
        p90_seconds=percentile(durations, 90),
        sla_measured=measured,
        within_sla=within,
        open_breaches=open_breaches,
    )


def first_response_report(
    clocks: Iterable[ReplyClock],
    *,
    months: Sequence[date],
    now: datetime,
    tz: tzinfo,
    working_hours: WorkingHours,
    holidays: HolidaySpec | None,
) -> ResponseReport:
    """Median and p90 first-response time and the share within the SLA, per local month of receipt.

    ``months`` are first days of months (``last_months``); clocks received outside them are
    ignored. Response times are working time (``working_seconds_between``), or elapsed time when
    ``working_hours`` is empty. See the module docstring for what counts towards the SLA share.
    """
    business = bool(working_hours)
    clock_of = WorkingClock(tz=tz, working_hours=working_hours, holidays=holidays) if business else None
    wanted = set(months)
    durations: defaultdict[date, list[float]] = defaultdict(list)
    within: Counter[date] = Counter()
    measured: Counter[date] = Counter()
    breaches: Counter[date] = Counter()
    now_utc = as_utc(now)
    for clock in clocks:
        month = month_start(local_date(clock.sent_at, tz))
        if month not in wanted:
            continue
        due = as_utc(clock.reply_due_at) if clock.reply_due_at is not None else None
        if clock.replied_at is not None:
            replied = as_utc(clock.replied_at)
            if clock_of is not None:
                seconds = clock_of.seconds_between(clock.sent_at, replied)
            else:
                seconds = max(0.0, (replied - as_utc(clock.sent_at)).total_seconds())
            durations[month].append(seconds)
            if due is not None:
                measured[month] += 1
                within[month] += replied <= due
        elif due is not None and now_utc > due:
            measured[month] += 1
            breaches[month] += 1
    rows = tuple(
        ResponseMonth(
            month=month,
            stats=response_stats(
                durations[month], within=within[month], measured=measured[month], open_breaches=breaches[month]
            ),
        )
        for month in months
    )
    overall = response_stats(
        [seconds for month in months for seconds in durations[month]],
        within=sum(within.values()),
        measured=sum(measured.values()),
        open_breaches=sum(breaches.values()),
    )
    return ResponseReport(months=rows, overall=overall, business_hours=business)


def hours_label(seconds: float | None) -> str:
    """``7200`` → ``"2.0 h"`` (``"2,0 ч"`` in Russian); ``None`` → ``"—"``."""
    if seconds is None:
        return "—"
    hours = seconds / 3600
    locale = babel_locale(None)
    number = format_decimal(hours, format="0.0", locale=locale) if locale else f"{hours:.1f}"
    return gettext("%(hours)s h") % {"hours": number}


# --- 2. Friday updates ---------------------------------------------------------------------------

FridayProject = tuple[int, Sequence[str], date, date | None]


@dataclass(frozen=True, slots=True)
class FridayWeek:
    key: str
    monday: date
    due: int  # projects active on the week's Friday
    sent: int  # of those, the ones whose client was written to that week
    is_current: bool

    @property
    def missed(self) -> int:
        return self.due - self.sent

    @property
    def sent_share(self) -> Fraction | None:
        return share(self.sent, self.due)


@dataclass(frozen=True, slots=True)
class FridayReport:
    weeks: tuple[FridayWeek, ...]

    @property
    def due(self) -> int:
        return sum(week.due for week in self.weeks)

    @property
    def sent(self) -> int:
        return sum(week.sent for week in self.weeks)

    @property
    def sent_share(self) -> Fraction | None:
        return share(self.sent, self.due)

    @property
    def is_empty(self) -> bool:
        return not self.due


def friday_report(
    *,
    weeks: Sequence[WeekBounds],
    tz: ZoneInfo,
    projects: Iterable[FridayProject],
    outbound: Iterable[tuple[datetime, Sequence[str]]],
) -> FridayReport:
    """Friday updates due and sent per week, decided by ``projects.friday.updates_due`` week by week.

    ``projects`` as ``updates_due`` takes them (id, the client's emails, active from, active
    until); ``outbound`` the studio's sent mail over the weeks. The last week is the current one.
    """
    rows = list(projects)
    by_week: defaultdict[str, list[tuple[datetime, Sequence[str]]]] = defaultdict(list)
    for sent_at, recipients in outbound:
        by_week[week_bounds(sent_at, tz).key].append((sent_at, recipients))
    result = []
    for index, bounds in enumerate(weeks):
        active = sum(
            is_active_on(bounds.friday, active_from=active_from, active_until=active_until)
            for _pk, _emails, active_from, active_until in rows
        )
        # Asked as of the week's Saturday 00:00 (still that ISO week): all of its covering mail counts.
        _key, due_ids = updates_due(now=bounds.covered_until, tz=tz, projects=rows, outbound=by_week[bounds.key])
        result.append(
            FridayWeek(
                key=bounds.key,
                monday=bounds.monday,
                due=active,
                sent=active - len(due_ids),
                is_current=index == len(weeks) - 1,
            )
        )
    return FridayReport(weeks=tuple(result))


# --- 3. deadlines --------------------------------------------------------------------------------


class DeadlineOutcome(StrEnum):
    KEPT = "kept"
    MOVED = "moved"
    LATE = "late"


@dataclass(frozen=True, slots=True)
class ProjectDeadline:
    """A project with a deadline, as the query hands it in.

    ``moves`` are the project's own deadline changes (not its milestones'), oldest first, as
    ``(old date or None, new date)``.
    """

    project_id: int
    title: str
    deadline_on: date | None
    launched_on: date | None
    completed_on: date | None
    moves: tuple[tuple[date | None, date], ...] = ()

    @property
    def delivered_on(self) -> date | None:
        """The launch date, or the completion date for a project completed without a launch."""
        dates = [day for day in (self.launched_on, self.completed_on) if day is not None]
        return min(dates) if dates else None

    @property
    def original_deadline(self) -> date | None:
        """The first date promised: the old date of the first real move, else the current deadline.

        A change from no date (``old`` None) only sets the first deadline; it is not a move.
        """
        for old, _new in self.moves:
            if old is not None:
                return old
        return self.deadline_on

    @property
    def postponements(self) -> int:
        """Moves to a later date (bringing a deadline forward breaks no promise)."""
        return sum(1 for old, new in self.moves if old is not None and new > old)


@dataclass(frozen=True, slots=True)
class DeadlineResult:
    project: ProjectDeadline
    outcome: DeadlineOutcome
    month: date  # the month it counts in


def deadline_outcome(project: ProjectDeadline, *, today: date) -> tuple[DeadlineOutcome, date] | None:
    """Whether a started project kept its deadline, and the local date whose month it counts in.

    * **moved**: the deadline was postponed at least once (a ``DeadlineChange`` to a later date),
      whatever happened next: the client was told a new date;
    * **kept**: never postponed, and launched (or completed) on or before the deadline;
    * **late**: never postponed, and launched after the deadline, or not launched while the
      deadline has passed (an overdue project is already late).

    None, and left out, for a project without a deadline, or not delivered, never postponed and
    not yet past its deadline (still to be decided). The date is the final deadline, or the
    delivery when that came first; the caller keeps the results whose month it reports.
    """
    deadline = project.deadline_on
    if deadline is None:
        return None
    delivered = project.delivered_on
    counted_on = min(delivered, deadline) if delivered else deadline
    if project.postponements:
        return DeadlineOutcome.MOVED, counted_on
    if delivered is not None:
        return (DeadlineOutcome.KEPT if delivered <= deadline else DeadlineOutcome.LATE), counted_on
    if deadline < today:
        return DeadlineOutcome.LATE, counted_on
    return None


@dataclass(frozen=True, slots=True)
class DeadlineMonth:
    month: date
    kept: int
    moved: int
    late: int

    @property
    def total(self) -> int:
        return self.kept + self.moved + self.late


@dataclass(frozen=True, slots=True)
class DeadlineReport:
    months: tuple[DeadlineMonth, ...]
    results: tuple[DeadlineResult, ...]  # month, then project id

    @property
    def kept(self) -> int:
        return sum(month.kept for month in self.months)

    @property
    def total(self) -> int:
        return sum(month.total for month in self.months)

    @property
    def kept_share(self) -> Fraction | None:
        return share(self.kept, self.total)

    @property
    def is_empty(self) -> bool:
        return not self.total


def deadlines_report(projects: Iterable[ProjectDeadline], *, months: Sequence[date], today: date) -> DeadlineReport:
    """Projects kept / moved / late per month (see ``deadline_outcome``); other months ignored."""
    wanted = set(months)
    results = []
    for project in projects:
        decided = deadline_outcome(project, today=today)
        if decided is not None and month_start(decided[1]) in wanted:
            results.append(DeadlineResult(project=project, outcome=decided[0], month=month_start(decided[1])))
    results.sort(key=lambda result: (result.month, result.project.project_id))
    counts = Counter((result.month, result.outcome) for result in results)
    return DeadlineReport(
        months=tuple(
            DeadlineMonth(
                month=month,
                kept=counts[month, DeadlineOutcome.KEPT],
                moved=counts[month, DeadlineOutcome.MOVED],
                late=counts[month, DeadlineOutcome.LATE],
            )
            for month in months
        ),
        results=tuple(results),
    )


# --- 4. satisfaction -----------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class SurveyStats:
    responses: int  # CSAT ratings
    average: float | None  # mean CSAT, 1–10
    nps_responses: int
    nps: float | None  # −100 … 100
    promoters: int
    passives: int
    detractors: int
    distribution: tuple[tuple[int, int], ...]  # (CSAT score 1–10, ratings)


def survey_stats(rows: Iterable[tuple[int | None, int | None]]) -> SurveyStats:
    """CSAT average and count and NPS of ``(csat, nps)`` pairs (None: not answered), via ``projects.survey``."""
    pairs = list(rows)
    ratings = [rating for rating, _score in pairs if rating is not None]
    scores = [score for _rating, score in pairs if score is not None]
    summary = csat_summary(ratings)
    by_rating = Counter(ratings)
    promoters = sum(score in PROMOTERS for score in scores)
    detractors = sum(score in DETRACTORS for score in scores)
    return SurveyStats(
        responses=int(summary["count"] or 0),
        average=summary["average"],
        nps_responses=len(scores),
        nps=nps(scores),
        promoters=promoters,
        passives=len(scores) - promoters - detractors,
        detractors=detractors,
        distribution=tuple((rating, by_rating[rating]) for rating in range(1, 11)),
    )


@dataclass(frozen=True, slots=True)
class SatisfactionReport:
    overall: SurveyStats  # every rated survey, all time
    quarters: tuple[tuple[date, SurveyStats], ...]  # the last quarters, oldest first

    @property
    def is_empty(self) -> bool:
        return not self.overall.responses and not self.overall.nps_responses


def satisfaction_report(
    surveys: Iterable[tuple[datetime, int | None, int | None]], *, quarters: Sequence[date], tz: tzinfo
) -> SatisfactionReport:
    """Overall and per-quarter CSAT/NPS of ``(rated at, csat, nps)`` rows, quarters in local time."""
    rows = list(surveys)
    by_quarter: defaultdict[date, list[tuple[int | None, int | None]]] = defaultdict(list)
    for rated_at, rating, score in rows:
        by_quarter[quarter_start(local_date(rated_at, tz))].append((rating, score))
    return SatisfactionReport(
        overall=survey_stats((rating, score) for _at, rating, score in rows),
        quarters=tuple((quarter, survey_stats(by_quarter[quarter])) for quarter in quarters),
    )


def quarter_label(quarter: date) -> str:
    return f"{quarter.year} Q{(quarter.month - 1) // 3 + 1}"


# --- 5. repeat clients ---------------------------------------------------------------------------

REPEAT_BUCKETS = (1, 2, 3, 4)  # the last one means "4 or more"


@dataclass(frozen=True, slots=True)
class RepeatReport:
    clients: int  # clients with at least one won project
    repeat: int  # of those, clients with two or more
    distribution: tuple[tuple[int, int], ...]  # (won projects, clients); the last bucket is "or more"

    @property
    def share(self) -> Fraction | None:
        return share(self.repeat, self.clients)

    @property
    def is_empty(self) -> bool:
        return not self.clients


def repeat_rate(projects_per_client: Mapping[int, int]) -> RepeatReport:
    """The share of clients with a won project who have two or more (all time).

    A *won* project is one past the proposal stage and not cancelled (any status but lead, quoted
    or cancelled); a client who came back after a completed project has two. ``projects_per_client``
    maps client id → number of won projects; clients with none are ignored.
    """
    counts = [count for count in projects_per_client.values() if count > 0]
    last = REPEAT_BUCKETS[-1]
    buckets = Counter(min(count, last) for count in counts)
    return RepeatReport(
        clients=len(counts),
        repeat=sum(count >= 2 for count in counts),
        distribution=tuple((bucket, buckets[bucket]) for bucket in REPEAT_BUCKETS),
    )


# --- bar charts ----------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Series:
    """One colour of bars: a value (or None: nothing to draw) and a tooltip per category."""

    label: str
    colour: str
    values: tuple[float | None, ...]
    tooltips: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class Rect:
    x: float
    y: float
    w: float
    h: float
    fill: str
    tooltip: str


@dataclass(frozen=True, slots=True)
class AxisLabel:
    x: float
    y: float
    text: str


@dataclass(frozen=True, slots=True)
class BarChart:
    """Coordinates of a bar chart in a ``width`` × ``height`` SVG viewBox (see ``bar_chart``)."""

    width: int
    height: int
    left: float
    right: float
    top: float
    bottom: float
    rects: tuple[Rect, ...]
    ticks: tuple[AxisLabel, ...]  # left axis: y and label; x is the labels' right edge
    categories: tuple[AxisLabel, ...]  # under the bars
    legend: tuple[tuple[str, str], ...]  # (label, colour)


CHART_LEFT = 52
CHART_RIGHT = 8
CHART_TOP = 10
CHART_BOTTOM = 28


def _r(value: float) -> float:
    return round(float(value), 1)


def bar_chart(
    categories: Sequence[str],
    series: Sequence[Series],
    *,
    tick_label: Callable[[int], str],
    stacked: bool = False,
    maximum: int | None = None,
    legend: bool = True,
    width: int = 720,
    height: int = 220,
) -> BarChart:
    """Grouped (side by side) or stacked bars, one slot per category, on a shared value axis.

    The axis runs from 0 to ``maximum`` or to the tallest bar rounded up to a round step
    (``clients.pareto.nice_step``); ticks are whole numbers written by ``tick_label``. Zero and
    missing values draw no bar; the tooltips say what each bar is. ``legend=False`` leaves the
    legend out (when the category labels already name the colours).
    """
    left, right = float(CHART_LEFT), float(width - CHART_RIGHT)
    top, bottom = float(CHART_TOP), float(height - CHART_BOTTOM)
    plot_h = bottom - top
    count = len(categories)
    if stacked:
        tallest = max((sum(s.values[i] or 0 for s in series) for i in range(count)), default=0)
    else:
        tallest = max((value or 0 for s in series for value in s.values), default=0)
    if maximum is None:
        step = nice_step(math.ceil(tallest))
        top_value = max(step, math.ceil(tallest / step) * step)
    else:
        top_value, step = maximum, nice_step(maximum)
    ticks = tuple(
        AxisLabel(x=left - 6, y=_r(bottom - plot_h * value / top_value), text=tick_label(value))
        for value in range(0, top_value + 1, step)
    )
    slot = (right - left) / max(count, 1)
    group = slot * 0.7
    bar_w = group if stacked else group / max(len(series), 1)
    rects = []
    for index in range(count):
        x0 = left + index * slot + (slot - group) / 2
        base = bottom
        for position, one in enumerate(series):
            value = one.values[index]
            if not value or value <= 0:
                continue
            h = plot_h * min(value, top_value) / top_value
            x = x0 if stacked else x0 + position * bar_w
            y = base - h
            rects.append(Rect(x=_r(x), y=_r(y), w=_r(bar_w), h=_r(h), fill=one.colour, tooltip=one.tooltips[index]))
            if stacked:
                base = y
    labels = tuple(
        AxisLabel(x=_r(left + (index + 0.5) * slot), y=_r(bottom + 16), text=text)
        for index, text in enumerate(categories)
    )
    return BarChart(
        width=width,
        height=height,
        left=left,
        right=right,
        top=top,
        bottom=bottom,
        rects=tuple(rects),
        ticks=ticks,
        categories=labels,
        legend=tuple((one.label, one.colour) for one in series) if legend else (),
    )


def percent_value(fraction: Fraction | None) -> float | None:
    """A share as a number from 0 to 100 for a chart (None stays None)."""
    return None if fraction is None else float(fraction * 100)


def percent_label(fraction: Fraction | None) -> str:
    """Rounded down, like the revenue page: ``Fraction(2, 3)`` → ``"66.6 %"``; None → ``"—"``."""
    return "—" if fraction is None else percent_floor(fraction)
