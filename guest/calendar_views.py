"""The client's dates as a calendar file: ``/portal/calendar.ics``.

A portal visitor downloads the deadlines and milestones of their projects and their calls; their
calendar app imports it. Only what the portal shows them (``projects.ics_feed.client_feed``); times
are UTC and the calendar names the client's zone, so their app shows their own local times.
"""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.utils import timezone
from django.views.decorators.http import require_safe

from projects import ics_feed
from projects.portal_access import PortalVisitor, portal_required, visitor_projects, with_no_store


@portal_required
@require_safe
def portal_calendar(request: HttpRequest) -> HttpResponse:
    visitor: PortalVisitor = request.portal
    now = timezone.now()
    rows = ics_feed.client_feed(visitor.studio, visitor.client, visitor_projects(visitor), now=now)
    response = HttpResponse(ics_feed.feed_calendar(rows, now=now), content_type=ics_feed.CONTENT_TYPE)
    response["Content-Disposition"] = 'attachment; filename="project-dates.ics"'
    return with_no_store(response)
