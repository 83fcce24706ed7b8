"""What `make loadtest` runs and the report it prints: plain Python, no locust and no Django needed.

``devtools.loadtest.run`` parses the options, hands them to the locustfile through the environment
(``RAPPORT_LOADTEST_CONFIG``), and turns the summary the locustfile writes at the end into the
report: throughput, p95 per endpoint and overall, errors.
"""

from __future__ import annotations

import argparse
import json
import re
from dataclasses import asdict, dataclass, field

ENV_CONFIG = "RAPPORT_LOADTEST_CONFIG"
ENV_FIXTURE = "RAPPORT_LOADTEST_FIXTURE"
ENV_SUMMARY = "RAPPORT_LOADTEST_SUMMARY"
# Locust user classes (see locustfile.py) and their share of the simulated users.
DEFAULT_WEIGHTS = {"freelancer": 3, "portal": 3, "webhook": 2}
SETUP_PREFIX = "setup: "  # requests made once per simulated user (the login), reported apart


@dataclass(frozen=True)
class LoadConfig:
    users: int = 12
    spawn_rate: float = 4.0
    run_time: str = "60s"
    max_requests: int = 3_000
    workers: int = 3
    wait_min: float = 0.2
    wait_max: float = 1.0
    weights: dict[str, int] = field(default_factory=lambda: dict(DEFAULT_WEIGHTS))

    @property
    def run_seconds(self) -> int:
        return parse_duration(self.run_time)

    def to_json(self) -> str:
        return json.dumps(asdict(self))

    @classmethod
    def from_json(cls, text: str) -> LoadConfig:
        return cls(**json.loads(text))


def parse_duration(text: str) -> int:
    """Seconds in a locust-style duration: "90", "90s", "2m", "1m30s", "1h"."""
    text = text.strip().lower()
    if text.isdigit():
        return int(text)
    parts = re.fullmatch(r"(?:(\d+)h)?(?:(\d+)m)?(?:(\d+)s)?", text)
    if not text or parts is None:
        raise ValueError(f"not a duration: {text!r} (e.g. 60s, 2m, 1m30s)")
    hours, minutes, seconds = (int(part or 0) for part in parts.groups())
    return hours * 3600 + minutes * 60 + seconds


def parse_weights(text: str) -> dict[str, int]:
    """ "freelancer=3,portal=3,webhook=2" → a dict; every user class needs a weight ≥ 0, one above 0."""
    weights = dict(DEFAULT_WEIGHTS)
    for item in filter(None, (part.strip() for part in text.split(","))):
        name, _equals, value = item.partition("=")
        if name not in weights or not value.isdigit():
            raise ValueError(f"weights: {item!r}; expected e.g. freelancer=3,portal=3,webhook=2")
        weights[name] = int(value)
    if not any(weights.values()):
        raise ValueError("weights: at least one user class needs a weight above 0")
    return weights


def parse_args(argv: list[str] | None = None) -> LoadConfig:
    defaults = LoadConfig()
    parser = argparse.ArgumentParser(
        prog="make loadtest",
        description="Locust against gunicorn + PostgreSQL + Redis on loopback, on a throwaway database seeded at 1×.",
    )
    parser.add_argument("--users", type=int, default=defaults.users, help="Simulated users (default %(default)s).")
    parser.add_argument("--spawn-rate", type=float, default=defaults.spawn_rate, help="Users started per second.")
    parser.add_argument("--run-time", default=defaults.run_time, help="Stop after this long (default %(default)s).")
    parser.add_argument(
        "--max-requests",
        type=int,
        default=defaults.max_requests,
        help="…or after this many requests (default %(default)s).",
    )
    parser.add_argument("--workers", type=int, default=defaults.workers, help="gunicorn workers (default %(default)s).")
    parser.add_argument(
        "--weights",
        default=",".join(f"{name}={weight}" for name, weight in DEFAULT_WEIGHTS.items()),
        help="Share of each kind of user (default %(default)s).",
    )
    args = parser.parse_args(argv)
    try:
        parse_duration(args.run_time)
        weights = parse_weights(args.weights)
    except ValueError as exc:
        parser.error(str(exc))
    for name in ("users", "max_requests", "workers"):
        if getattr(args, name) < 1:
            parser.error(f"--{name.replace('_', '-')} must be at least 1")
    return LoadConfig(
        users=args.users,
        spawn_rate=args.spawn_rate,
        run_time=args.run_time,
        max_requests=args.max_requests,
        workers=args.workers,
        weights=weights,
    )


WEBHOOK_ENTRY = "Inbound webhook"


def report_lines(summary: dict, *, webhook_filed: int | None = None) -> tuple[list[str], int]:
    """The report of a locust summary (as ``locustfile.write_summary`` leaves it) and its error count.

    Errors are failed requests, exceptions in the simulated users and webhook posts answered 200
    but not filed as messages (``webhook_filed``, counted in the database afterwards: mail for an
    unknown address is answered 200 too); the load test passes only with none and at least one request.
    """
    entries = [entry for entry in summary["entries"] if not entry["name"].startswith(SETUP_PREFIX)]
    setup = [entry for entry in summary["entries"] if entry["name"].startswith(SETUP_PREFIX)]
    lines = [
        f"{'endpoint':<48}{'requests':>9}{'failures':>9}{'req/s':>8}{'median ms':>11}{'p95 ms':>8}",
    ]
    for entry in [*entries, *setup, {**summary["total"], "name": "all (setup included)"}]:
        lines.append(
            f"{entry['name']:<48}{entry['requests']:>9}{entry['failures']:>9}{entry['rps']:>8.1f}"
            f"{entry['median_ms']:>11.0f}{entry['p95_ms']:>8.0f}"
        )
    errors = summary["total"]["failures"] + summary.get("exceptions", 0)
    notes = [f"  {e['occurrences']}× {e['method']} {e['name']}: {e['error']}" for e in summary.get("errors", [])]
    notes += [f"  exception in a simulated user: {message}" for message in summary.get("exception_messages", [])]
    if webhook_filed is not None:
        posted = sum(e["requests"] - e["failures"] for e in entries if e["name"].startswith(WEBHOOK_ENTRY))
        notes.append(f"webhook posts filed as messages: {webhook_filed} of {posted}")
        errors += max(0, posted - webhook_filed)  # in-flight posts at the stop may be filed, unanswered
    if not summary["total"]["requests"]:
        notes.append("no request was made")
        errors = max(errors, 1)
    lines.append(
        f"throughput {summary['total']['rps']:.1f} req/s over {summary['duration_s']:.1f} s; "
        f"p95 {summary['total']['p95_ms']:.0f} ms overall; errors: {errors}"
    )
    return lines + notes, errors
