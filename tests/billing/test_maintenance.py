from datetime import UTC, date, datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from billing.maintenance import MAINTENANCE_JOB, maintenance_sweep
from billing.models import Invoice
from billing.services import billing_day, maintenance_due
from kernel.sweeps import load_sweeps, schedule_due_now
from projects.models import MaintenancePlan
from tests.factories import ClientFactory, StudioFactory

LONG_AGO = datetime(2026, 1, 1, tzinfo=UTC)


def plan_for(studio, *, start_on, end_on=None, price=9_900, currency="EUR"):
    plan = MaintenancePlan.objects.create(
        studio=studio, client=ClientFactory(studio=studio), monthly_price_minor=price, currency=currency,
        included="Updates", start_on=start_on, end_on=end_on,
    )  # fmt: skip
    schedule_due_now(studio.pk, MAINTENANCE_JOB, LONG_AGO)  # as saving a plan does, at a time before the ticks
    return plan


def test_the_sweep_is_registered():
    assert MAINTENANCE_JOB in load_sweeps()


@pytest.mark.parametrize(
    ("start", "year", "month", "expected"),
    [
        (date(2026, 1, 31), 2026, 2, date(2026, 2, 28)),
        (date(2026, 1, 31), 2028, 2, date(2028, 2, 29)),
        (date(2026, 1, 31), 2026, 4, date(2026, 4, 30)),
        (date(2026, 1, 15), 2026, 4, date(2026, 4, 15)),
    ],
)
def test_billing_day_is_clamped_to_the_month(start, year, month, expected):
    assert billing_day(start, year, month) == expected


def test_due_on_the_plans_day_within_its_dates():
    plan = MaintenancePlan(start_on=date(2026, 1, 31), end_on=date(2026, 5, 31), monthly_price_minor=1)
    assert maintenance_due(plan, date(2026, 1, 30)) is None
    assert maintenance_due(plan, date(2026, 1, 31)) == "2026-01"
    assert maintenance_due(plan, date(2026, 2, 27)) is None
    assert maintenance_due(plan, date(2026, 2, 28)) == "2026-02"
    assert maintenance_due(plan, date(2026, 3, 31)) == "2026-03"
    assert maintenance_due(plan, date(2026, 6, 30)) is None  # ended


@pytest.mark.django_db
def test_one_issued_invoice_per_plan_and_month_on_its_local_day(studio):
    plan = plan_for(studio, start_on=date(2026, 1, 15))
    before = datetime(2026, 3, 14, 22, 59, tzinfo=UTC)  # 23:59 in Berlin, the 14th
    assert maintenance_sweep(before) == 0
    on_the_day = datetime(2026, 3, 14, 23, 0, tzinfo=UTC)  # midnight in Berlin: the 15th
    assert maintenance_sweep(on_the_day) == 1
    invoice = Invoice.objects.get()
    assert invoice.kind == Invoice.Kind.MAINTENANCE
    assert invoice.status == Invoice.Status.ISSUED
    assert invoice.period == "2026-03"
    assert invoice.maintenance_plan == plan
    assert invoice.client == plan.client
    assert invoice.issue_date == date(2026, 3, 15)
    assert invoice.number == "2026-0001"
    assert invoice.total_minor == 9_900
    assert maintenance_sweep(on_the_day) == 0
    assert maintenance_sweep(datetime(2026, 3, 28, 9, 0, tzinfo=UTC)) == 0
    assert maintenance_sweep(datetime(2026, 4, 15, 9, 0, tzinfo=UTC)) == 1
    assert list(Invoice.objects.order_by("period").values_list("period", flat=True)) == ["2026-03", "2026-04"]


@pytest.mark.django_db
def test_ended_and_future_plans_are_not_invoiced(studio):
    plan_for(studio, start_on=date(2026, 1, 5), end_on=date(2026, 2, 28))
    plan_for(studio, start_on=date(2026, 4, 1))
    assert maintenance_sweep(datetime(2026, 3, 20, 9, 0, tzinfo=UTC)) == 0


@pytest.mark.django_db
def test_a_tick_is_bounded_and_queries_stay_few_per_plan():
    studios = [StudioFactory(timezone=zone) for zone in ("Europe/Berlin", "America/New_York", "Asia/Tokyo")]
    plans = [plan_for(studios[index % 3], start_on=date(2026, 1, 2)) for index in range(30)]
    now = datetime(2026, 3, 10, 12, 0, tzinfo=UTC)
    with CaptureQueriesContext(connection) as first:
        assert maintenance_sweep(now, batch=20) == 20
    per_invoice = (len(first.captured_queries) - 3) / 20
    assert per_invoice <= 8, per_invoice
    with CaptureQueriesContext(connection) as second:
        assert maintenance_sweep(now, batch=20) == 10
    assert maintenance_sweep(now) == 0
    assert Invoice.objects.count() == len(plans)
    numbers = sorted(Invoice.objects.filter(studio=studios[0]).values_list("number", flat=True))
    assert numbers == [f"2026-{seq:04d}" for seq in range(1, 11)]
    assert len(second.captured_queries) <= 3 + 10 * per_invoice + 3
