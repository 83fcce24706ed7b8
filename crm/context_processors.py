from typing import Any

from django.http import HttpRequest
from django.utils import timezone

from crm.heartbeat import scheduler_problems


def studio(request: HttpRequest) -> dict[str, Any]:
    """The studio and, for signed-in members, the scheduler warning shown on every page."""
    current = getattr(request, "studio", None)
    if not current:
        return {"studio": None, "scheduler_problems": []}
    return {"studio": current, "scheduler_problems": scheduler_problems(now=timezone.now())}
