"""The load test's simulated users; run by ``devtools/loadtest/run.py`` (``make loadtest``), not on its own.

Three kinds, weighted by the config: the freelancer (signs in through the login form, then reloads
Today), a client in the portal (a portal session made beforehand, reloading a project page) and
the ESP (posting inbound mail to the webhook, each message with its own Message-ID). The run
stops at ``--run-time`` or after ``max_requests``, whichever comes first; at the end the
statistics are written as JSON for ``devtools.loadtest.config.report_lines``.
"""

from __future__ import annotations

import itertools
import json
import os
import re
import sys
import uuid
from pathlib import Path

import gevent
from locust import HttpUser, between, events, task

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
from devtools.loadtest.config import ENV_CONFIG, ENV_FIXTURE, ENV_SUMMARY, SETUP_PREFIX, LoadConfig

CONFIG = LoadConfig.from_json(os.environ[ENV_CONFIG]) if ENV_CONFIG in os.environ else LoadConfig()
FIXTURE = json.loads(Path(os.environ[ENV_FIXTURE]).read_text()) if ENV_FIXTURE in os.environ else {}
RUN = uuid.uuid4().hex[:8]  # Message-IDs differ from one run to the next
CSRF = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')

_requests = itertools.count(1)
_portal_sessions = itertools.cycle(FIXTURE.get("portal") or [{}])
_messages = itertools.count()


def wait() -> object:
    return between(CONFIG.wait_min, CONFIG.wait_max)


def expect(response, status: int = 200) -> None:
    """Anything but ``status`` fails the request (a redirect to the login page included)."""
    if response.status_code != status:
        response.failure(f"HTTP {response.status_code}, expected {status}")


class Freelancer(HttpUser):
    weight = CONFIG.weights["freelancer"]
    wait_time = wait()

    def on_start(self) -> None:
        page = self.client.get("/accounts/login/", name=f"{SETUP_PREFIX}login form")
        token = CSRF.search(page.text)
        with self.client.post(
            "/accounts/login/",
            data={
                "username": FIXTURE["email"],
                "password": FIXTURE["password"],
                "csrfmiddlewaretoken": token.group(1) if token else "",
            },
            headers={"Referer": f"{self.host}/accounts/login/"},
            name=f"{SETUP_PREFIX}login",
            allow_redirects=False,
            catch_response=True,
        ) as response:
            expect(response, 302)

    @task
    def today(self) -> None:
        with self.client.get("/", name="Today /", allow_redirects=False, catch_response=True) as response:
            expect(response)


class PortalClient(HttpUser):
    weight = CONFIG.weights["portal"]
    wait_time = wait()

    def on_start(self) -> None:
        visit = next(_portal_sessions)
        self.client.cookies.set(FIXTURE.get("session_cookie", "sessionid"), visit.get("session", ""))
        self.path = f"/portal/projects/{visit.get('project', 0)}/"

    @task
    def project(self) -> None:
        with self.client.get(
            self.path, name="Portal project /portal/projects/<pk>/", allow_redirects=False, catch_response=True
        ) as response:
            expect(response)


class Esp(HttpUser):
    weight = CONFIG.weights["webhook"]
    wait_time = wait()

    @task
    def inbound(self) -> None:
        hook = FIXTURE["webhook"]
        body = hook["body"].replace("__N__", f"{RUN}-{next(_messages)}")
        with self.client.post(
            hook["path"],
            data=body.encode(),
            headers={"Content-Type": "application/json", "Authorization": hook["authorization"]},
            name="Inbound webhook POST /hooks/postmark/inbound/",
            catch_response=True,
        ) as response:
            expect(response)


_environment = None


@events.init.add_listener
def remember_environment(environment, **kwargs) -> None:
    global _environment
    _environment = environment


@events.request.add_listener
def stop_after_max_requests(**kwargs) -> None:
    if next(_requests) == CONFIG.max_requests and _environment is not None and _environment.runner is not None:
        gevent.spawn(_environment.runner.quit)  # not from inside a user's own greenlet


@events.quitting.add_listener
def write_summary(environment, **kwargs) -> None:
    path = os.environ.get(ENV_SUMMARY)
    if not path:
        return
    stats = environment.stats

    def entry(stat) -> dict:
        return {
            "method": stat.method or "",
            "name": stat.name,
            "requests": stat.num_requests,
            "failures": stat.num_failures,
            "rps": stat.total_rps,
            "median_ms": stat.median_response_time or 0,
            "p95_ms": stat.get_response_time_percentile(0.95) or 0,
        }

    total = stats.total
    runner = environment.runner
    summary = {
        "duration_s": max(0.0, (total.last_request_timestamp or total.start_time) - total.start_time),
        "entries": [entry(stat) for stat in sorted(stats.entries.values(), key=lambda s: s.name)],
        "total": entry(total),
        "errors": [
            {"method": e.method, "name": e.name, "error": str(e.error), "occurrences": e.occurrences}
            for e in stats.errors.values()
        ],
        "exceptions": sum(item["count"] for item in runner.exceptions.values()) if runner else 0,
        "exception_messages": [item["msg"] for item in runner.exceptions.values()] if runner else [],
    }
    Path(path).write_text(json.dumps(summary))
