"""``{% calendar_feed_section %}``: the "Your calendar feed" section of the Calls page (one query).

A tag, so the Calls page's views stay as they are: the section reads the member's active feed itself.
"""

from __future__ import annotations

from typing import Any

from django import template

from projects import ics_feed

register = template.Library()


@register.inclusion_tag("projects/_calendar_feed_section.html", takes_context=True)
def calendar_feed_section(context: template.Context) -> dict[str, Any]:
    request = context["request"]
    feed = ics_feed.active_feeds(request.studio, request.user).first()
    return {"feed": feed, "csrf_token": context.get("csrf_token")}
