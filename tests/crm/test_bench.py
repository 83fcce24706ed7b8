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
from django.http import HttpResponse
from django.template import Template
from django.test import Client as DjangoClient
from django.test.utils import instrumented_test_render

from clients.models import Client, Contact, Payment
from comms.models import Message, OutboxEmail, Thread
from devtools.bench_seed import BASE, BUSY_PAYMENTS, BUSY_THREADS, MESSAGES_PER_THREAD, OPEN_SHARE, Plan, counts, seed
from devtools.loadtest import run
from devtools.loadtest.config import LoadConfig, parse_args, parse_duration, report_lines
from devtools.management.commands.bench import (
    DJANGO_TEMPLATE_RENDER,
    FAIL,
    FLOOR,
    HEALTHZ,
    PAGES,
    PASS,
    TARGET_GROWTH,
    Measurement,
    Page,
    PageError,
    as_in_production,
    check_page,
    floor_verdict,
    growth_verdict,
    inbound_lines,
    markdown_lines,
    measure_interleaved,
    measure_pages,
    outbox_lines,
    page_cells,
    parse_scales,
    percentile,
    queries_verdict,
    table_lines,
    unlike_production,
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
def test_every_page_answers_with_its_template_on_seeded_data(db):
    seeded = seed(TINY, now=NOW)

    results = measure_pages(seeded, runs=3)

    assert list(results) == [page.name for page in PAGES]
    assert {name: m.error for name, m in results.items() if m.error} == {}
    assert all(m.queries >= 1 and m.runs == 3 for m in results.values())
    assert {page.name: results[page.name].template for page in PAGES if page.template} == {
        page.name: page.template for page in PAGES if page.template
    }
    # The floor: session, user, studio, the heartbeats base.html shows, its own SELECT 1.
    assert results[FLOOR].queries == 5
    assert results[HEALTHZ].queries == 1
    assert Message.objects.filter(studio=seeded.studio, message_id__startswith="<bench-hook-").count() == 3 + 2


@pytest.mark.usefixtures("frozen")
def test_a_page_that_is_not_what_its_row_says_is_never_timed(db):
    seeded = seed(TINY, now=NOW)
    signed_out = DjangoClient()
    today = Page("Today", "/", "crm/today.html", 3.0)

    with as_in_production():
        with pytest.raises(PageError, match="HTTP 302 to /accounts/login/"):
            check_page(today, lambda: signed_out.get("/"))
        owner = DjangoClient()
        owner.force_login(seeded.user)
        with pytest.raises(PageError, match="rendered crm/today.html.*expected clients/index.html"):
            check_page(Page("Clients", "/clients/", "clients/index.html", 2.0), lambda: owner.get("/"))
        assert check_page(today, lambda: owner.get("/"))[1] == "crm/today.html"


def test_a_page_failing_while_timed_is_reported_not_measured(db):
    answers = iter([200, 200, 200, 500])

    def flaky() -> HttpResponse:
        return HttpResponse(status=next(answers, 200))

    pages = {HEALTHZ: HttpResponse, "Inbound webhook": flaky}
    results = measure_interleaved({1.0: (lambda: None, pages)}, runs=5, block=2)[1.0]

    assert (results[HEALTHZ].runs, results[HEALTHZ].error) == (5, "")
    assert results["Inbound webhook"].error == "while timing: HTTP 500, expected 200"
    assert list(results) == [HEALTHZ, "Inbound webhook"]


def test_pages_are_measured_as_in_production(settings):
    settings.DEBUG = True
    assert "DEBUG on" in unlike_production()

    with as_in_production():
        assert unlike_production() == []
        assert Template._render is DJANGO_TEMPLATE_RENDER  # no signal and context copy per template
    assert Template._render is instrumented_test_render  # the test suite's, back again


def m(median: float, queries: int = 5) -> Measurement:
    return Measurement(median_ms=median, p95_ms=median * 1.5, queries=queries, runs=100)


def test_floor_verdicts_hold_each_page_to_its_multiple():
    assert floor_verdict("Today", 3.0) == PASS
    assert floor_verdict("Today", 3.01) == FAIL
    for page in ("Inbox", "Clients", "Project (busy)"):
        assert (floor_verdict(page, 2.0), floor_verdict(page, 2.01)) == (PASS, FAIL)
    for page in ("Portal home", "Portal project"):
        assert (floor_verdict(page, 1.5), floor_verdict(page, 1.51)) == (PASS, FAIL)
    assert floor_verdict("Inbound webhook", 40) == "-"  # shown, not judged
    assert floor_verdict(FLOOR, 1) == floor_verdict(HEALTHZ, 0.1) == "-"


def test_query_and_growth_verdicts():
    assert queries_verdict("Inbox", [7, 7]) == PASS
    assert queries_verdict("Inbox", [7, 8]) == FAIL
    assert queries_verdict("Inbox", [7, 7, 8]) == FAIL
    assert queries_verdict("Inbox", [7]) == ""  # one scale: nothing to compare
    assert queries_verdict(FLOOR, [5, 6]) == "-"
    assert TARGET_GROWTH == 1.2
    assert (growth_verdict("Today", 1.2), growth_verdict("Today", 1.21)) == (PASS, FAIL)
    assert growth_verdict(HEALTHZ, 3) == "-"


def test_page_cells_judge_every_scale_and_fail_on_errors():
    floor = [m(2), m(2)]
    cells = page_cells("Today", [m(6, 21), m(7, 21)], floor)
    assert [(cell.text, cell.verdict) for cell in cells] == [
        ("21/21", PASS),
        ("6.00", ""),
        ("7.00", ""),
        ("9.00", ""),
        ("10.50", ""),
        ("3.00", PASS),
        ("3.50", FAIL),
        ("1.17", PASS),
    ]
    failed = Measurement(0, 0, 0, 0, error="HTTP 500, expected 200")
    cells = page_cells("Inbox", [m(4, 7), failed], floor)
    assert [cell.verdict for cell in cells if cell.verdict] == [FAIL, PASS, FAIL, FAIL]
    assert [cell.text for cell in page_cells("Inbox", [m(4), m(4)], [m(2), failed])][5:7] == ["2.00", "error"]


def test_the_table_has_a_row_per_database_and_page_and_counts_failed_cells():
    results = {
        "sqlite": {
            1.0: {HEALTHZ: m(0.2, 1), FLOOR: m(2), "Today": m(6, 21), "Inbox": m(3, 7)},
            100.0: {HEALTHZ: m(0.2, 1), FLOOR: m(2), "Today": m(6, 21), "Inbox": m(4.5, 8)},
        },
        "postgres": {
            1.0: {HEALTHZ: m(0.3, 1), FLOOR: m(3), "Today": m(12, 21)},
            100.0: {HEALTHZ: m(0.3, 1), FLOOR: m(3), "Today": m(12, 21)},
        },
    }

    lines = table_lines(results)

    assert all(len(line) <= 150 for line in lines)
    rows = {tuple(line.split()[:2]): line.split() for line in lines if line.startswith(("sqlite", "postgres"))}
    assert len(rows) == 7
    assert rows[("sqlite", "Today")][2:4] == ["21/21", PASS]
    assert rows[("sqlite", "Today")][-5:] == ["3.00", PASS, "1.00", PASS, "30"]  # growth, then × /healthz
    assert rows[("sqlite", "Inbox")][2:4] == ["7/8", FAIL]
    assert rows[("postgres", "Today")][8:12] == ["4.00", FAIL, "4.00", FAIL]
    assert rows[("sqlite", "signed-in")][3:5] == ["5/5", "-"]
    assert "× signed-in floor" in lines[0]
    assert "100×/1×" in lines[1]
    # Inbox: its queries, 2.25 × floor at 100×, growth 1.50; postgres Today: 4 × floor at both scales.
    assert lines[-1] == "verdict: 5 of 12 cells FAIL (sqlite 3 of 8, postgres 2 of 4)."
    healthy = {
        1.0: {HEALTHZ: m(0.2, 1), FLOOR: m(2), "Today": m(5)},
        100.0: {HEALTHZ: m(0.2, 1), FLOOR: m(2), "Today": m(5)},
    }
    assert table_lines({"sqlite": healthy})[-1] == "verdict: all 4 cells PASS (sqlite 0 of 4)."


def test_the_markdown_table_has_the_same_cells():
    results = {"sqlite": {1.0: {HEALTHZ: m(0.2, 1), FLOOR: m(2), "Today": m(8, 21)}}}

    lines = markdown_lines(results)

    assert lines[0].startswith("| database | page | queries 1× | median ms 1× |")
    assert lines[1] == "|---|---|---|---|---|---|---|"
    assert lines[4] == "| sqlite | Today | 21 | 8.00 | 12.00 | 4.00 **FAIL** | 40 |"
    assert lines[-1] == "verdict: 1 of 1 cells FAIL (sqlite 1 of 1)."


def test_the_other_benches_have_verdicts_with_or_without_their_floors():
    inbound = {"messages": 300, "median_ms": 6.0, "p95_ms": 9.0, "per_second": 160}
    assert inbound_lines(inbound)[1].endswith("not measured -")
    assert inbound_lines({**inbound, "floor_median_ms": 2.0, "ratio": 3.0})[1].endswith("3.00 PASS (target ≤ 3)")
    assert inbound_lines({**inbound, "floor_median_ms": 1.5})[1].endswith("4.00 FAIL (target ≤ 3)")
    outbox = {"emails": 500, "emails_per_second": 999.0, "enqueue_per_second": 800.0}
    assert "999 emails/s delivered FAIL (target ≥ 1,000)" in outbox_lines(outbox)[0]
    assert "1,000 emails/s delivered PASS" in outbox_lines({**outbox, "emails_per_second": 1000})[0]
    rounds = {**outbox, "rounds": 5, "slowest_round_per_second": 700.0, "fastest_round_per_second": 1200.0}
    assert "999 emails/s delivered (median of 5 rounds, 700–1,200) FAIL" in outbox_lines(rounds)[0]


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
