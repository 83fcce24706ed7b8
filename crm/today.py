"""What the Today page shows, gathered in a fixed number of queries whatever the studio's size."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from comms.compose import with_clocks
from comms.models import Message
from crm.models import Studio
from projects import portal_activity
from projects.calls import calls_on_day
from projects.models import Call, PortalActivity

REPLIES_SHOWN = 8
ACTIVITY_SHOWN = 10


@dataclass
class TodayBoard:
    replies: list[Message] = field(default_factory=list)
    replies_count: int = 0
    replies_breached: int = 0
    calls: list[Call] = field(default_factory=list)
    activity: list[PortalActivity] = field(default_factory=list)


def today_board(studio: Studio, now: datetime) -> TodayBoard:
    """Replies owed (soonest due first, so breached ones lead), today's calls, unseen client activity."""
    due_times = Message.objects.filter(studio=studio).open_clock_due_times()
    replies = (
        Message.objects.filter(studio=studio)
        .open_clocks()
        .select_related("client")
        .order_by("reply_due_at", "pk")[:REPLIES_SHOWN]
    )
    calls = calls_on_day(studio, now.astimezone(studio.zoneinfo).date())
    return TodayBoard(
        replies=with_clocks(replies, now),
        replies_count=len(due_times),
        replies_breached=sum(1 for due in due_times if due is not None and due <= now),
        calls=list(calls),
        activity=list(portal_activity.unseen(studio, limit=ACTIVITY_SHOWN)),
    )
