"""The sweep benchmark's seeding at tiny sizes: what is due stays the same while studios and history grow."""

from comms.models import Commitment, Message, OutboxEmail
from devtools.management.commands.bench_sweeps import (
    ALL,
    BENCH_NOW,
    HISTORY_OPEN_CLOCKS,
    SweepBench,
    SweepReport,
    time_sweeps,
)
from kernel.models import Studio


def timed_once():
    return time_sweeps({"here": lambda: None}, BENCH_NOW, runs=1)["here"]


def test_growing_studios_and_history_leaves_what_is_due_unchanged(db):
    bench = SweepBench(BENCH_NOW)
    bench.add_due_studios(2)
    bench.add_history(120)
    small = timed_once()

    bench.add_idle_studios(12)
    bench.add_history(400)
    large = timed_once()

    assert Studio.objects.count() == 14
    assert Message.objects.filter(thread__subject__startswith="t").count() == 520
    assert Message.objects.open_clocks().count() == 2 * (HISTORY_OPEN_CLOCKS + 4)
    assert Commitment.objects.filter(fulfilled_at__isnull=False).count() == 2 * (60 // 50) + 2 * (200 // 50)
    assert small["reply-clocks"].rows == large["reply-clocks"].rows == 2 * 6
    assert small["daily-digest"].rows == large["daily-digest"].rows == 2
    due_per_studio = {"deadlines": 2, "deposits": 1, "surveys": 1, "invoice-reminders": 1, "maintenance-invoices": 1}
    for name, count in due_per_studio.items():
        assert small[name].rows == large[name].rows == 2 * count, name
    assert {name: timing.rows for name, timing in small.items()} == {
        name: timing.rows for name, timing in large.items()
    }
    assert small[ALL].rows == sum(timing.rows for name, timing in small.items() if name != ALL)
    assert not small[ALL].failures
    assert not large[ALL].failures
    # Idle studios past their digest hour already have today's digest; the timed runs were rolled back.
    assert OutboxEmail.objects.filter(kind="digest", studio__slug__startswith="bench-idle-").count() == 8
    assert not OutboxEmail.objects.filter(studio__slug__startswith="bench-due-").exists()
    # The idle studios' work adds no query to any sweep.
    assert {name: timing.first_queries for name, timing in small.items()} == {
        name: timing.first_queries for name, timing in large.items()
    }

    lines = SweepReport(small, large, small_studios=2).lines()
    assert lines[0].startswith("sweep")
    assert any(line.startswith("reply-clocks") for line in lines)
    assert lines[-1].startswith("run_sweeps, large case")
