"""Signals about facts that several apps share, sent by the app that owns each fact.

Every signal here is sent *after* the write it reports, inside the writer's transaction, and its
receivers only refresh what they keep a copy of, so sending one twice is harmless. The receivers are
connected in each receiving app's ``AppConfig.ready``. The full list, with every sender and receiver,
is in docs/architecture.md.

``interaction_recorded``: someone and a client heard from each other (R14). Sent by the app that owns
the interaction: comms for every message filed under a client that counts (mail in, a personal mail
out, a portal message, a logged call or meeting; not what Rapport writes on its own, nor
auto-replies), projects for a booked call. Keyword arguments: ``studio`` (``kernel.models.Studio``),
``client_id`` (int) and ``at`` (an aware datetime: when it happened). ``clients`` receives it and moves
the client's stored last contact (``Client.last_interaction_at``) and its cadence clock; an older
interaction than the stored one changes nothing.

``studio_calendar_changed``: a studio's settings that place its days were saved (time zone, working
hours, holidays, cadences). Sent by ``kernel.services.studio_settings_save`` with ``studio``,
``changed`` (a frozenset of the changed field names) and ``now``. ``clients`` recomputes the stay-in-touch
clocks when a cadence or the time zone changed; ``projects`` recomputes the Friday cover when the time
zone (and so the week's bounds) changed.
"""

from django.dispatch import Signal

interaction_recorded = Signal()
studio_calendar_changed = Signal()
