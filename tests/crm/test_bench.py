"""`make bench` and `make loadtest` machinery at a tiny scale: seeding, the table's verdicts, the load test's config.

No timings are asserted: speed is the benchmark's business, not the suite's.
"""

import json
from datetime import UTC, datetime

import pytest
import time_machine
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection

from clients.models import Client, Contact, Payment
from comms.models import Message, OutboxEmail, Thread
from devtools.bench_seed import BASE, BUSY_PAYMENTS, BUSY_THREADS, MESSAGES_PER_THREAD, OPEN_SHARE, Plan, counts, seed
from devtools.loadtest import run
from devtools.loadtest.config import LoadConfig, parse_args, parse_duration, report_lines
from devtools.management.commands.bench import (
    FLOOR,
    Measurement,
    measure_pages,
    parse_scales,
    percentile,
    table_lines,
    target_failures,
)
from projects.models import Milestone, PortalLink, Project

NOW = datetime(2026, 3, 4, 10, 0, tzinfo=UTC)
TINY = 0.05  # 2 clients, 8 projects, 100 threads, 1,000 messages, 250 payments


def test_counts_scale_a_busy_freelancer():
    assert counts(1) == BASE
    assert (BASE.clients, BASE.projects, BASE.messages, BASE.payments) == (50, 200, 20_000, 5_000)
    large = counts(100)
    assert (large.clients, large.projects, large.messages, large.payments) == (5_000, 20_000, 2_000_000, 500_000)
    assert large.open_threads == round(OPEN_SHARE * large.messages / 2)


def test_the_plan_is_deterministic():
    def rows(plan: Plan) -> dict:
        return {label: list(generate()) for label, generate in plan.tables()}

    first, second = rows(Plan(TINY, now=NOW)), rows(Plan(TINY, now=NOW))
    assert first == second
    assert len(first["comms.Message"]) == counts(TINY).messages
    assert first != rows(Plan(TINY, now=NOW.replace(day=5)))


@pytest.fixture
def frozen():
    with time_machine.travel(NOW, tick=False):
        yield


@pytest.mark.usefixtures("frozen")
def test_seeding_a_tiny_scale_writes_the_right_proportions(db):
    seeded = seed(TINY, now=NOW)
    tiny = counts(TINY)
    studio = seeded.studio

    assert Client.objects.filter(studio=studio).count() == tiny.clients
    assert Contact.objects.filter(studio=studio).count() == 2 * tiny.clients
    assert Project.objects.filter(studio=studio).count() == 4 * tiny.clients
    assert Milestone.objects.filter(project__studio=studio).count() == tiny.milestones
    assert Thread.objects.filter(studio=studio).count() == tiny.threads
    messages = Message.objects.filter(studio=studio)
    assert messages.count() == MESSAGES_PER_THREAD * tiny.threads
    assert messages.filter(direction="in").count() == messages.count() // 2
    assert messages.open_clocks().count() == round(OPEN_SHARE * messages.count() / 2)
    assert Payment.objects.filter(studio=studio).count() == tiny.payments
    assert OutboxEmail.objects.filter(studio=studio, status="queued").exists()
    assert PortalLink.objects.filter(studio=studio).count() == tiny.clients
    assert seeded.rows["comms.Message"] == messages.count()
    # The busy project and its client keep the same size at every scale.
    busy = Project.objects.get(pk=seeded.busy_project_id)
    assert busy.status == "in_progress"
    assert busy.threads.count() == BUSY_THREADS
    assert Payment.objects.filter(client=busy.client).count() == BUSY_PAYMENTS
    assert Contact.objects.get(pk=seeded.portal_contact_id).client == busy.client
    assert Client.objects.filter(studio=studio, tier=Client.Tier.ANGEL).exists()  # tiers computed
    connection.check_constraints()  # every foreign key points at a row


@pytest.mark.usefixtures("frozen")
def test_every_page_answers_on_seeded_data(db):
    seeded = seed(TINY, now=NOW)

    results = measure_pages(seeded, runs=1)

    assert list(results)[0] == FLOOR
    assert {name: m.error for name, m in results.items() if m.error} == {}
    assert all(m.queries >= 1 and m.runs == 1 for m in results.values())
    assert Message.objects.filter(studio=seeded.studio, message_id__startswith="<bench-hook-").count() == 3


def m(median: float, queries: int = 5) -> Measurement:
    return Measurement(median_ms=median, p95_ms=median * 1.5, queries=queries, runs=100)


def test_target_failures_name_each_missed_target():
    floor = {1.0: m(1, 1), 100.0: m(1, 1)}

    assert target_failures("Inbox", {1.0: m(10), 100.0: m(14)}, floor) == []
    assert target_failures("Inbox", {1.0: m(10), 100.0: m(16)}, floor) == ["100×/1× 1.60 > 1.5"]
    assert target_failures("Inbox", {1.0: m(10, 5), 10.0: m(10, 5), 100.0: m(10, 7)}, floor) == ["queries 5→5→7"]
    assert target_failures("Today", {1.0: m(4), 100.0: m(4)}, floor) == []
    assert target_failures("Today", {1.0: m(6), 100.0: m(6)}, floor) == ["6.0× floor > 5"]
    assert target_failures("Clients", {1.0: m(6), 100.0: m(6)}, floor) == []  # the floor target is Today's
    assert target_failures(FLOOR, floor, floor) == []
    failed = Measurement(0, 0, 0, 0, error="HTTP 500, expected 200")
    assert target_failures("Inbox", {1.0: m(10), 100.0: failed}, floor) == ["100×: HTTP 500, expected 200"]


def test_the_table_has_a_row_per_database_and_page_and_flags_failures():
    results = {
        "sqlite": {
            1.0: {FLOOR: m(1, 1), "Today": m(3), "Inbox": m(10)},
            10.0: {FLOOR: m(1, 1), "Today": m(3), "Inbox": m(20)},
        },
        "postgres": {1.0: {FLOOR: m(1, 1), "Today": m(8), "Inbox": m(10)}},
    }

    lines = table_lines(results)

    rows = {tuple(line.split()[:2]): line for line in lines if line.startswith(("sqlite", "postgres"))}
    assert len(rows) == 6
    assert rows[("sqlite", "Today")].endswith("ok")
    assert "FAIL: 10×/1× 2.00 > 1.5" in rows[("sqlite", "Inbox")]
    assert "FAIL: 8.0× floor > 5" in rows[("postgres", "Today")]
    assert rows[("sqlite", "floor")].endswith("-")
    assert "1×/10×" in lines[1]
    assert "×floor 1×" in lines[1]
    assert lines[-1].endswith("2 rows FAIL.")
    assert table_lines({"sqlite": {1.0: {FLOOR: m(1, 1), "Today": m(2)}}})[-1].endswith("All met.")


def test_scales_and_percentiles_parse():
    assert parse_scales("100,1, 10") == [1.0, 10.0, 100.0]
    with pytest.raises(CommandError):
        parse_scales("1,-1")
    assert percentile([float(n) for n in range(1, 101)], 95) == 95.0
    assert percentile([7.0], 95) == 7.0


def test_the_load_test_seeds_only_its_own_throwaway_database(db, tmp_path):
    with pytest.raises(CommandError, match="Refusing to seed"):
        call_command("loadtest", "--prepare", str(tmp_path / "fixture.json"))
    assert not (tmp_path / "fixture.json").exists()


def test_the_loadtest_config_parses():
    assert parse_args([]) == LoadConfig()
    config = parse_args(["--users", "4", "--run-time", "1m30s", "--max-requests", "500", "--weights", "webhook=0"])
    assert (config.users, config.run_seconds, config.max_requests) == (4, 90, 500)
    assert config.weights == {"freelancer": 3, "portal": 3, "webhook": 0}
    assert LoadConfig.from_json(config.to_json()) == config
    assert [parse_duration(text) for text in ("45", "45s", "2m", "1h")] == [45, 45, 120, 3600]
    for wrong in (["--run-time", "soon"], ["--weights", "bots=2"], ["--users", "0"]):
        with pytest.raises(SystemExit):
            parse_args(wrong)


def test_the_locustfile_compiles():
    path = run.LOCUSTFILE
    compile(path.read_text(), str(path), "exec")  # importing it would start gevent's monkey-patching


def test_the_load_test_runs_the_projects_manage_py_and_wsgi_app():
    assert (run.ROOT / "manage.py").is_file()
    assert (run.ROOT / "crm" / "wsgi.py").is_file()


def test_the_load_test_needs_postgres_and_redis():
    with pytest.raises(run.CannotRun, match="DATABASE_URL .*REDIS_URL"):
        run.check_environment({})
    with pytest.raises(run.CannotRun, match="REDIS_URL"):
        run.check_environment({"DATABASE_URL": "postgres://u@127.0.0.1/rapport"})
    assert run.throwaway_name("postgres://u@127.0.0.1:5432/rapport", 42) == "rapport_loadtest_42"
    assert run.with_database("postgres://u@127.0.0.1:5432/rapport", "x_loadtest_1").endswith(":5432/x_loadtest_1")


def summary(failures: int = 0, exceptions: int = 0) -> dict:
    def entry(name: str, requests: int, failed: int = 0) -> dict:
        return {"method": "GET", "name": name, "requests": requests, "failures": failed, "rps": 10.0}

    stats = {"median_ms": 40, "p95_ms": 120}
    return {
        "duration_s": 30.0,
        "entries": [{**entry("Today /", 300, failures), **stats}, {**entry("setup: login", 4), **stats}],
        "total": {**entry("Aggregated", 304, failures), **stats, "rps": 10.1},
        "errors": [{"method": "GET", "name": "Today /", "error": "HTTP 500", "occurrences": failures}]
        if failures
        else [],
        "exceptions": exceptions,
    }


def test_the_load_report_counts_errors():
    lines, errors = report_lines(summary())
    assert errors == 0
    assert lines[1].startswith("Today /")
    assert lines[1].endswith("120")
    assert lines[2].startswith("setup: login")
    assert lines[-1].startswith("throughput 10.1 req/s")
    assert lines[-1].endswith("errors: 0")

    lines, errors = report_lines(summary(failures=3, exceptions=1))
    assert errors == 4
    assert any("3× GET Today /: HTTP 500" in line for line in lines)
    assert report_lines({**summary(), "total": {**summary()["total"], "requests": 0}})[1] == 1


def test_webhook_posts_not_filed_count_as_errors():
    posts = {"method": "POST", "name": "Inbound webhook POST", "requests": 50, "failures": 0, "rps": 2.0}
    stats = {**summary(), "entries": [*summary()["entries"], {**posts, "median_ms": 90, "p95_ms": 200}]}

    lines, errors = report_lines(stats, webhook_filed=50)
    assert errors == 0
    assert lines[-1] == "webhook posts filed as messages: 50 of 50"
    lines, errors = report_lines(stats, webhook_filed=48)
    assert errors == 2
    assert lines[-2].endswith("errors: 2")
    assert json.loads(json.dumps(summary()))  # what the locustfile writes is plain JSON
