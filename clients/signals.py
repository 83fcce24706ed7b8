"""Facts the clients app owns that other apps react to (DESIGN: "facts across apps are events").

``payment_recorded``: sent by ``clients.services.payment_record`` once a payment (or refund) is
saved, with ``payment`` (the ``Payment``), ``by`` (the user who recorded it, or None) and ``now``.
Receivers run in the recording transaction: the projects app starts work when a deposit is complete.

``contacts_changed``: a client's contacts (and so the addresses that reach it) were added, edited,
moved to another client or imported, or a client was created with its first contact. Sent by the
clients services with ``studio``, ``client_ids`` (a frozenset of the clients whose addresses changed)
and ``now``. The projects app recomputes those clients' Friday cover (``Client.covered_week``): mail
already sent this week to a new address now counts for them.
"""

from django.dispatch import Signal

payment_recorded = Signal()
contacts_changed = Signal()
