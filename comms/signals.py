"""Facts the comms app owns that other apps react to (DESIGN: "facts across apps are events").

``message_recorded``: a message was filed in a thread (``comms.conversation``), in or out. Sent with
``message`` (the ``Message``, its ``studio``, ``direction``, ``sent_at`` and recipients set). The projects
app receives it for outbound mail and marks the clients it reached as covered for the week
(``projects.covered_week``, R2). Sent inside the filing transaction.
"""

from django.dispatch import Signal

message_recorded = Signal()
