"""A real Celery worker process consumes from Redis and writes to the test database.

Runs when REDIS_URL is set (CI sets it); with DATABASE_URL too, the database is PostgreSQL.
"""

import os
import subprocess
import uuid
from pathlib import Path
from urllib.parse import quote

import pytest
from django.db import connection

from kernel.models import Heartbeat
from kernel.tasks import ping
from tests.clock_shift import python_module

ROOT = Path(__file__).resolve().parents[2]

pytestmark = [
    pytest.mark.integration,
    pytest.mark.skipif(not os.environ.get("REDIS_URL"), reason="REDIS_URL is not set: no Redis to run a worker on"),
]


def test_database_url() -> str:
    """A URL for the database this test run uses, so a child process writes where the test reads."""
    db = connection.settings_dict
    if db["ENGINE"].endswith("sqlite3"):
        return f"sqlite:///{db['NAME']}"
    credentials = quote(db["USER"] or "", safe="")
    if db["PASSWORD"]:
        credentials += ":" + quote(db["PASSWORD"], safe="")
    host = db["HOST"] or "localhost"
    return f"postgres://{credentials}@{host}:{db['PORT'] or 5432}/{db['NAME']}"


test_database_url.__test__ = False  # a helper, not a test


@pytest.mark.django_db(transaction=True)
def test_a_real_worker_consumes_a_task_from_redis_and_writes_to_the_database(tmp_path: Path):
    queue = f"rapport-test-{uuid.uuid4().hex[:8]}"  # no other worker on this Redis can take our task
    token = uuid.uuid4().hex
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "crm.settings",
        "DEBUG": "0",
        "SECRET_KEY": "integration-test-secret",
        "SITE_URL": "http://127.0.0.1:8000",
        "DATABASE_URL": test_database_url(),
    }
    log = tmp_path / "worker.log"
    with log.open("w") as output:
        worker = subprocess.Popen(
            python_module("celery", "-A", "crm", "worker", "--queues", queue, "--pool", "solo",
             "--without-mingle", "--without-gossip", "--without-heartbeat", "--loglevel", "INFO"),
            cwd=ROOT, env=env, stdout=output, stderr=subprocess.STDOUT,
        )  # fmt: skip
        try:
            result = ping.apply_async(args=[token], queue=queue)
            assert result.get(timeout=90) == token, log.read_text()
        finally:
            worker.terminate()
            worker.wait(timeout=60)

    heartbeat = Heartbeat.objects.get(source=Heartbeat.Source.WORKER)
    assert heartbeat.detail == f"ping {token}"
    assert connection.vendor == ("postgresql" if env["DATABASE_URL"].startswith("postgres") else "sqlite")
