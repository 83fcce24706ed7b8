"""The Reports page (R16) and one CSV download per report.

The figures come from the pure functions of ``desk.reports`` fed by ``desk.report_queries``; this
module only adds labels, charts and CSV columns. The page runs a constant number of queries
(ten for the six reports, plus the request's own), whatever the studio's size. Periods are the
studio's local months, ISO weeks and quarters, ending with the current one.
"""

from __future__ import annotations

import csv
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from fractions import Fraction
from functools import cached_property
from typing import Any

from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.http import content_disposition_header
from django.utils.translation import gettext as _

from clients.pareto import chart_geometry, format_money_whole
from clients.revenue_views import csv_cell, percent_two_decimals, revenue_figures
from clients.tiering import window_start
from desk import report_queries as queries
from desk import reports
from kernel.access import studio_required
from kernel.models import Studio

BLUE, LIGHT_BLUE, GREEN, AMBER, RED, GREY = "#0d6efd", "#9ec5fe", "#198754", "#ffc107", "#dc3545", "#adb5bd"


@dataclass(frozen=True)
class Period:
    """The studio's "now" and the local periods every report covers."""

    now: datetime
    studio: Studio

    @cached_property
    def today(self) -> date:
        return self.studio.local_now(self.now).date()

    @cached_property
    def months(self) -> list[date]:
        return reports.last_months(self.today)

    @property
    def since(self) -> datetime:
        """A lower bound for the first month's instants (a day early: local midnight can be in a DST gap)."""
        first = self.months[0]
        return datetime(first.year, first.month, 1, tzinfo=self.studio.zoneinfo) - timedelta(days=1)


def _month(day: date) -> str:
    return date_format(day, "M Y")


def _hours(seconds: float | None) -> float | None:
    return None if seconds is None else seconds / 3600


def _hour_tick(value: int) -> str:
    return f"{value} h"


def _percent_tick(value: int) -> str:
    return f"{value} %"


# --- one builder per report: the figures (for CSV) and what the page shows -------------------------


def response_report(period: Period) -> reports.ResponseReport:
    studio = period.studio
    return reports.first_response_report(
        queries.reply_clocks(studio, since=period.since),
        months=period.months,
        now=period.now,
        tz=studio.zoneinfo,
        working_hours=studio.working_hours,
        holidays=studio.holiday_spec,
    )


def response_charts(report: reports.ResponseReport) -> dict[str, reports.BarChart]:
    labels = [_month(row.month) for row in report.months]
    median = _("Median")
    p90 = _("90th percentile")
    times = reports.bar_chart(
        labels,
        [
            reports.Series(
                label=median,
                colour=BLUE,
                values=tuple(_hours(row.stats.median_seconds) for row in report.months),
                tooltips=tuple(
                    f"{_month(row.month)} · {median}: {reports.hours_label(row.stats.median_seconds)}"
                    for row in report.months
                ),
            ),
            reports.Series(
                label=p90,
                colour=LIGHT_BLUE,
                values=tuple(_hours(row.stats.p90_seconds) for row in report.months),
                tooltips=tuple(
                    f"{_month(row.month)} · {p90}: {reports.hours_label(row.stats.p90_seconds)}"
                    for row in report.months
                ),
            ),
        ],
        tick_label=_hour_tick,
    )
    sla = reports.bar_chart(
        labels,
        [
            reports.Series(
                label=_("Answered within the SLA"),
                colour=GREEN,
                values=tuple(reports.percent_value(row.stats.sla_share) for row in report.months),
                tooltips=tuple(
                    _("%(month)s: %(percent)s within the SLA (%(within)s of %(measured)s client emails)")
                    % {
                        "month": _month(row.month),
                        "percent": reports.percent_label(row.stats.sla_share),
                        "within": row.stats.within_sla,
                        "measured": row.stats.sla_measured,
                    }
                    for row in report.months
                ),
            )
        ],
        tick_label=_percent_tick,
        maximum=100,
    )
    return {"times": times, "sla": sla}


def friday_report(period: Period) -> reports.FridayReport:
    studio = period.studio
    weeks = reports.last_weeks(period.now, studio.zoneinfo)
    projects, outbound = queries.friday_inputs(studio, weeks=weeks)
    return reports.friday_report(weeks=weeks, tz=studio.zoneinfo, projects=projects, outbound=outbound)


def _week(week: reports.FridayWeek) -> str:
    return date_format(week.monday, "j M")


def friday_chart(report: reports.FridayReport) -> reports.BarChart:
    labels = [_week(week) for week in report.weeks]
    return reports.bar_chart(
        labels,
        [
            reports.Series(
                label=_("Due"),
                colour=GREY,
                values=tuple(float(week.due) for week in report.weeks),
                tooltips=tuple(
                    _("Week of %(monday)s: %(count)s projects active on Friday")
                    % {"monday": _week(week), "count": week.due}
                    for week in report.weeks
                ),
            ),
            reports.Series(
                label=_("Client heard from you"),
                colour=GREEN,
                values=tuple(float(week.sent) for week in report.weeks),
                tooltips=tuple(
                    _("Week of %(monday)s: %(count)s projects whose client heard from you")
                    % {"monday": _week(week), "count": week.sent}
                    for week in report.weeks
                ),
            ),
        ],
        tick_label=str,
    )


def deadlines_report(period: Period) -> reports.DeadlineReport:
    rows = queries.deadline_projects(period.studio, since=period.months[0])
    return reports.deadlines_report(rows, months=period.months, today=period.today)


def deadlines_chart(report: reports.DeadlineReport) -> reports.BarChart:
    labels = [_month(row.month) for row in report.months]
    series = []
    for outcome, label, colour in (
        (reports.DeadlineOutcome.KEPT, _("Kept"), GREEN),
        (reports.DeadlineOutcome.MOVED, _("Moved"), AMBER),
        (reports.DeadlineOutcome.LATE, _("Late"), RED),
    ):
        counts = [getattr(row, outcome.value) for row in report.months]
        series.append(
            reports.Series(
                label=label,
                colour=colour,
                values=tuple(float(count) for count in counts),
                tooltips=tuple(
                    f"{_month(row.month)} · {label}: {count}" for row, count in zip(report.months, counts, strict=True)
                ),
            )
        )
    return reports.bar_chart(labels, series, tick_label=str, stacked=True)


def satisfaction_report(period: Period) -> reports.SatisfactionReport:
    return reports.satisfaction_report(
        queries.survey_rows(period.studio),
        quarters=reports.last_quarters(period.today),
        tz=period.studio.zoneinfo,
    )


def satisfaction_charts(report: reports.SatisfactionReport) -> dict[str, reports.BarChart]:
    overall = report.overall
    csat = reports.bar_chart(
        [str(score) for score, _count in overall.distribution],
        [
            reports.Series(
                label=_("Ratings"),
                colour=BLUE,
                values=tuple(float(count) for _score, count in overall.distribution),
                tooltips=tuple(
                    _("Rated %(score)s/10: %(count)s") % {"score": score, "count": count}
                    for score, count in overall.distribution
                ),
            )
        ],
        tick_label=str,
        width=480,
    )
    groups = [
        (_("Detractors (0–6)"), overall.detractors, RED),
        (_("Passives (7–8)"), overall.passives, GREY),
        (_("Promoters (9–10)"), overall.promoters, GREEN),
    ]
    nps = reports.bar_chart(
        [label for label, _count, _colour in groups],
        [
            reports.Series(
                label=label,
                colour=colour,
                values=tuple(float(count) if position == index else None for position in range(len(groups))),
                tooltips=tuple(f"{label}: {count}" for _ in groups),
            )
            for index, (label, count, colour) in enumerate(groups)
        ],
        tick_label=str,
        stacked=True,
        legend=False,
        width=480,
    )
    return {"csat": csat, "nps": nps}


def repeat_report(period: Period) -> tuple[reports.RepeatReport, dict[int, tuple[str, int]]]:
    won = queries.won_projects_per_client(period.studio)
    return reports.repeat_rate({client_id: count for client_id, (_name, count) in won.items()}), won


def _projects_label(bucket: int) -> str:
    return f"{bucket}+" if bucket == reports.REPEAT_BUCKETS[-1] else str(bucket)


def repeat_chart(report: reports.RepeatReport) -> reports.BarChart:
    return reports.bar_chart(
        [_projects_label(bucket) for bucket, _count in report.distribution],
        [
            reports.Series(
                label=_("Clients"),
                colour=BLUE,
                values=tuple(float(count) for _bucket, count in report.distribution),
                tooltips=tuple(
                    _("%(count)s clients with %(projects)s won projects")
                    % {"count": count, "projects": _projects_label(bucket)}
                    for bucket, count in report.distribution
                ),
            )
        ],
        tick_label=str,
        width=480,
    )


def revenue_context(period: Period) -> dict[str, Any]:
    """The Revenue page's figures (``clients.revenue_views``), for its Pareto chart."""
    studio, as_of = period.studio, period.today
    chart, summary, rows = revenue_figures(studio, as_of)
    return {
        "as_of": as_of,
        "since": window_start(as_of),
        "chart": chart,
        "summary": summary,
        "has_rows": bool(rows),
        "total_label": format_money_whole(summary.total_net, studio.currency),
        "geometry": chart_geometry(chart, currency=studio.currency) if chart.has_chart else None,
    }


# --- the page ------------------------------------------------------------------------------------


@studio_required
def reports_page(request: HttpRequest) -> HttpResponse:
    period = Period(now=timezone.now(), studio=request.studio)
    response = response_report(period)
    friday = friday_report(period)
    deadlines = deadlines_report(period)
    satisfaction = satisfaction_report(period)
    repeat, _won = repeat_report(period)
    return render(
        request,
        "crm/reports.html",
        {
            "first_month": period.months[0],
            "response": response,
            "response_charts": response_charts(response) if not response.is_empty else None,
            "median_label": reports.hours_label(response.overall.median_seconds),
            "p90_label": reports.hours_label(response.overall.p90_seconds),
            "sla_label": reports.percent_label(response.overall.sla_share),
            "friday": friday,
            "friday_chart": friday_chart(friday) if not friday.is_empty else None,
            "friday_label": reports.percent_label(friday.sent_share),
            "deadlines": deadlines,
            "deadlines_chart": deadlines_chart(deadlines) if not deadlines.is_empty else None,
            "kept_label": reports.percent_label(deadlines.kept_share),
            "satisfaction": satisfaction,
            "satisfaction_charts": satisfaction_charts(satisfaction) if not satisfaction.is_empty else None,
            "csat_label": _average_label(satisfaction.overall.average),
            "nps_label": _nps_label(satisfaction.overall.nps),
            "quarters": [
                (reports.quarter_label(quarter), stats, _average_label(stats.average), _nps_label(stats.nps))
                for quarter, stats in satisfaction.quarters
            ],
            "repeat": repeat,
            "repeat_chart": repeat_chart(repeat) if not repeat.is_empty else None,
            "repeat_label": reports.percent_label(repeat.share),
            "revenue": revenue_context(period),
        },
    )


def _average_label(average: float | None) -> str:
    return "—" if average is None else f"{average:.1f}"


def _nps_label(score: float | None) -> str:
    return "—" if score is None else f"{score:+.0f}"


# --- CSV -----------------------------------------------------------------------------------------


def _decimal_hours(seconds: float | None) -> str:
    return "" if seconds is None else f"{seconds / 3600:.2f}"


def _csv_percent(fraction: Fraction | None) -> str:
    return "" if fraction is None else percent_two_decimals(fraction)


def _response_rows(period: Period) -> list[list[Any]]:
    report = response_report(period)
    unit = "business_hours" if report.business_hours else "hours"
    rows: list[list[Any]] = [
        [
            "month",
            "answered",
            f"median_{unit}",
            f"p90_{unit}",
            "sla_measured",
            "within_sla",
            "open_breaches",
            "within_sla_percent",
        ]
    ]
    for row in report.months:
        stats = row.stats
        rows.append(
            [
                row.month.strftime("%Y-%m"),
                stats.answered,
                _decimal_hours(stats.median_seconds),
                _decimal_hours(stats.p90_seconds),
                stats.sla_measured,
                stats.within_sla,
                stats.open_breaches,
                _csv_percent(stats.sla_share),
            ]
        )
    return rows


def _friday_rows(period: Period) -> list[list[Any]]:
    report = friday_report(period)
    rows: list[list[Any]] = [["week", "monday", "due", "sent", "missed", "sent_percent", "current_week"]]
    for week in report.weeks:
        rows.append(
            [
                week.key,
                week.monday.isoformat(),
                week.due,
                week.sent,
                week.missed,
                _csv_percent(week.sent_share),
                "yes" if week.is_current else "no",
            ]
        )
    return rows


def _deadline_rows(period: Period) -> list[list[Any]]:
    report = deadlines_report(period)
    rows: list[list[Any]] = [
        [
            "month",
            "project_id",
            "project",
            "original_deadline",
            "final_deadline",
            "delivered_on",
            "postponements",
            "outcome",
        ]
    ]
    for result in report.results:
        project = result.project
        rows.append(
            [
                result.month.strftime("%Y-%m"),
                project.project_id,
                csv_cell(project.title),
                _iso(project.original_deadline),
                _iso(project.deadline_on),
                _iso(project.delivered_on),
                project.postponements,
                result.outcome.value,
            ]
        )
    return rows


def _iso(day: date | None) -> str:
    return day.isoformat() if day else ""


def _satisfaction_rows(period: Period) -> list[list[Any]]:
    report = satisfaction_report(period)
    header = ["period", "csat_responses", "csat_average", "nps_responses", "nps", "promoters", "passives", "detractors"]
    rows: list[list[Any]] = [header + [f"rated_{score}" for score in range(1, 11)]]
    periods = [("all", report.overall)] + [(reports.quarter_label(q), stats) for q, stats in report.quarters]
    for label, stats in periods:
        rows.append(
            [
                label,
                stats.responses,
                "" if stats.average is None else f"{stats.average:.2f}",
                stats.nps_responses,
                "" if stats.nps is None else f"{stats.nps:.1f}",
                stats.promoters,
                stats.passives,
                stats.detractors,
                *(count for _score, count in stats.distribution),
            ]
        )
    return rows


def _repeat_rows(period: Period) -> list[list[Any]]:
    _report, won = repeat_report(period)
    rows: list[list[Any]] = [["client_id", "client", "won_projects", "repeat_client"]]
    for client_id, (name, count) in sorted(won.items(), key=lambda item: (-item[1][1], item[0])):
        rows.append([client_id, csv_cell(name), count, "yes" if count >= 2 else "no"])
    return rows


CSV_KINDS: dict[str, Callable[[Period], list[list[Any]]]] = {
    "response-times": _response_rows,
    "friday-updates": _friday_rows,
    "deadlines": _deadline_rows,
    "satisfaction": _satisfaction_rows,
    "repeat-clients": _repeat_rows,
}


@studio_required
def reports_csv(request: HttpRequest, kind: str) -> HttpResponse:
    """One report as CSV (``kind`` is a key of ``CSV_KINDS``); the Pareto's is the Revenue page's."""
    build = CSV_KINDS.get(kind)
    if build is None:
        raise Http404
    period = Period(now=timezone.now(), studio=request.studio)
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = content_disposition_header(
        as_attachment=True, filename=f"{kind}-{period.studio.slug}-{period.today.isoformat()}.csv"
    )
    csv.writer(response).writerows(build(period))
    return response
