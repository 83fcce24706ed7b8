"""Celery follows the reliability guidance: late acks, one task at a time, limits inside the visibility
timeout, no ETA tasks (the due time lives in the database) and exactly one beat in the deployment.
"""

import ast
import json
import os
import re
import subprocess
import sys
from datetime import timedelta
from pathlib import Path

import pytest

from crm.celery import app as celery_app

ROOT = Path(__file__).resolve().parents[2]
APP_PACKAGES = ("crm", "kernel", "clients", "comms", "projects", "guest", "desk")

# The Celery app's own configuration (not just the settings module) with a Redis broker, read in a
# fresh process, as a worker or web process would read it. Nothing connects to Redis here.
READ_CONF = """
import json, django
django.setup()
from crm.celery import app
from comms.tasks import DELIVERY_TIME_BUDGET_SECONDS
from django.conf import settings
conf = app.conf
print(json.dumps({
    "broker_url": conf.broker_url, "acks_late": conf.task_acks_late,
    "reject_on_worker_lost": conf.task_reject_on_worker_lost, "prefetch": conf.worker_prefetch_multiplier,
    "soft_limit": conf.task_soft_time_limit, "hard_limit": conf.task_time_limit,
    "transport": conf.broker_transport_options, "connection_timeout": conf.broker_connection_timeout,
    "connection_max_retries": conf.broker_connection_max_retries,
    "result_connect_timeout": conf.redis_socket_connect_timeout,
    "sending_timeout": settings.OUTBOX_SENDING_TIMEOUT, "delivery_budget": DELIVERY_TIME_BUDGET_SECONDS,
}))
"""


@pytest.fixture(scope="module")
def conf() -> dict:
    keep = {key: value for key, value in os.environ.items() if key in {"PATH", "HOME", "LANG", "SYSTEMROOT"}}
    env = {**keep, "RAPPORT_VAR_DIR": str(ROOT / "var"), "DEBUG": "1", "DJANGO_SETTINGS_MODULE": "crm.settings",
           "REDIS_URL": "redis://redis.invalid:6379/0"}  # fmt: skip
    result = subprocess.run(
        [sys.executable, "-c", READ_CONF], cwd=ROOT, env=env, capture_output=True, text=True, check=False
    )
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def test_tasks_are_acknowledged_late_redelivered_when_a_worker_dies_and_taken_one_at_a_time(conf: dict):
    assert conf["broker_url"] == "redis://redis.invalid:6379/0"
    assert conf["acks_late"] is True
    assert conf["reject_on_worker_lost"] is True
    assert conf["prefetch"] == 1


def test_time_limits_are_well_inside_the_visibility_timeout_and_the_outbox_reclaim_waits_longer(conf: dict):
    visibility = conf["transport"]["visibility_timeout"]
    assert conf["delivery_budget"] < conf["soft_limit"] < conf["hard_limit"]
    assert conf["hard_limit"] * 4 <= visibility  # a running task is never handed to a second worker
    # A row still "sending" after the timeout belongs to no live task: Celery killed it before.
    assert conf["sending_timeout"] > conf["hard_limit"]


def test_a_publish_to_a_broker_that_is_down_gives_up_at_once_and_a_worker_waits_for_it(conf: dict):
    transport = conf["transport"]
    assert transport["max_retries"] == 0  # no retry loop inside a web request
    assert transport["socket_connect_timeout"] <= 2
    assert 0 < transport["socket_timeout"] <= 10
    assert conf["connection_timeout"] <= 2
    assert conf["result_connect_timeout"] <= 2
    assert conf["connection_max_retries"] is None  # the worker reconnects however long Redis is down


def test_the_beat_delivers_the_outbox_every_minute_and_runs_the_sweeps():
    schedule = celery_app.conf.beat_schedule

    deliver = schedule["outbox-deliver"]
    assert deliver["task"] == "comms.tasks.deliver_outbox"
    assert deliver["schedule"].minute == set(range(60))
    assert deliver["options"]["expires"] < timedelta(minutes=1).total_seconds()  # missed ticks don't pile up
    assert schedule["sweeps"]["task"] == "kernel.tasks.sweep"


def scheduled_later_calls() -> list[str]:
    """Every call in the app's code that asks Celery to run a task later (``eta=`` or ``countdown=``)."""
    found = []
    for package in APP_PACKAGES:
        for path in (ROOT / package).rglob("*.py"):
            for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
                if isinstance(node, ast.Call) and {kw.arg for kw in node.keywords} & {"eta", "countdown"}:
                    found.append(f"{path.relative_to(ROOT)}:{node.lineno}")
    return found


def test_no_task_is_scheduled_for_later_the_due_time_lives_in_the_database():
    assert scheduled_later_calls() == []


def test_exactly_one_beat_process_in_docker_compose_and_the_procfile():
    compose = (ROOT / "docker-compose.yml").read_text()
    procfile = (ROOT / "Procfile").read_text()

    compose_commands = re.findall(r"^\s*command:\s*(.+)$", compose, flags=re.MULTILINE)
    compose_beats = [command for command in compose_commands if re.search(r"\bbeat\b", command)]
    assert len(compose_beats) == 1, compose_commands
    assert re.search(r"^  beat:\n(?:    .*\n|\s*\n)*?    deploy:\n      replicas: 1$", compose, flags=re.MULTILINE)
    process_lines = [line for line in procfile.splitlines() if line.strip() and not line.startswith("#")]
    procfile_beats = [line for line in process_lines if re.search(r"\bcelery\b.*\bbeat\b", line)]
    assert len(procfile_beats) == 1, process_lines
    # No worker runs an embedded beat (celery worker -B / --beat) on the side.
    for command in [*compose_commands, *process_lines]:
        assert not re.search(r"\bworker\b.*(?:\s-B\b|--beat\b)", command), command
