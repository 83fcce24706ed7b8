"""Facts the clients app owns that other apps react to (DESIGN: "facts across apps are events").

``payment_recorded``: sent by ``clients.services.payment_record`` once a payment (or refund) is
saved, with ``payment`` (the ``Payment``), ``by`` (the user who recorded it, or None) and ``now``.
Receivers run in the recording transaction: the projects app starts work when a deposit is complete.
"""

from django.dispatch import Signal

payment_recorded = Signal()
