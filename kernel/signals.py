"""Signals the apps send about facts they own, for the apps that keep a copy of them.

``interaction_recorded``: someone and a client heard from each other (R14). Sent by the app that owns
the interaction: comms for every message filed under a client that counts (mail in, a personal mail
out, a portal message, a logged call or meeting; not what Rapport writes on its own, nor
auto-replies), projects for a booked call. Keyword arguments: ``studio`` (``kernel.models.Studio``),
``client_id`` (int) and ``at`` (an aware datetime: when it happened). ``clients`` receives it and moves
the client's stored last contact (``Client.last_interaction_at``) and its cadence clock; an older
interaction than the stored one changes nothing, so sending it twice is harmless.
"""

from django.dispatch import Signal

interaction_recorded = Signal()
