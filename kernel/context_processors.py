from typing import Any

from django.http import HttpRequest
from django.utils import timezone

from kernel.heartbeat import scheduler_problems


def studio(request: HttpRequest) -> dict[str, Any]:
    """The studio and, for signed-in members, the scheduler warning shown on every page.

    ``portal`` is the guest-portal visitor (a `projects.portal_access.PortalVisitor`) on portal pages.
    A member who also holds a portal session still sees only their studio on studio pages.
    """
    current = getattr(request, "studio", None)
    portal = getattr(request, "portal", None)
    if not current:
        return {"studio": None, "scheduler_problems": [], "portal": portal}
    return {"studio": current, "scheduler_problems": scheduler_problems(now=timezone.now()), "portal": portal}
