"""Beat and the worker leave a heartbeat so the UI can warn when one isn't running."""

from dataclasses import dataclass
from datetime import datetime

from django.utils import timezone

from kernel.models import Heartbeat


def heartbeat_record(*, source: str, now: datetime | None = None, detail: str | None = None) -> None:
    """Mark `source` alive at `now`; a heartbeat without `detail` keeps the last one."""
    defaults = {"last_seen_at": now or timezone.now()}
    if detail is not None:
        defaults["detail"] = detail[:200]
    Heartbeat.objects.update_or_create(source=source, defaults=defaults)


@dataclass(frozen=True)
class SchedulerProblem:
    source: str
    label: str
    last_seen_at: datetime | None


def scheduler_problems(*, now: datetime) -> list[SchedulerProblem]:
    """The heartbeats that are missing or stale, in one query."""
    seen = {beat.source: beat for beat in Heartbeat.objects.all()}
    problems = []
    for source, label in Heartbeat.Source.choices:
        beat = seen.get(source)
        if beat is None or beat.is_stale(now):
            problems.append(SchedulerProblem(source, str(label), beat.last_seen_at if beat else None))
    return problems
