"""What each outbox ``kind`` is called on the freelancer's pages: words, never the internal key."""

from __future__ import annotations

from django.utils.functional import Promise
from django.utils.translation import pgettext_lazy

KIND_LABELS: dict[str, Promise] = {
    "email": pgettext_lazy("outbox kind", "Email"),
    "reply": pgettext_lazy("outbox kind", "Reply"),
    "acknowledgment": pgettext_lazy("outbox kind", "Acknowledgment"),
    "agreement-signed": pgettext_lazy("outbox kind", "Signed agreement"),
    "agreement-signed-copy": pgettext_lazy("outbox kind", "Signed agreement (your copy)"),
    "account": pgettext_lazy("outbox kind", "Account email"),
    "action-item-reminder": pgettext_lazy("outbox kind", "Next-step reminder"),
    "anniversary": pgettext_lazy("outbox kind", "Anniversary"),
    "call-cancelled": pgettext_lazy("outbox kind", "Call cancelled"),
    "call-invite": pgettext_lazy("outbox kind", "Call invitation"),
    "call-notice": pgettext_lazy("outbox kind", "Call notice"),
    "call-proposal": pgettext_lazy("outbox kind", "Call proposal"),
    "clock-breach": pgettext_lazy("outbox kind", "Reply overdue"),
    "clock-warning": pgettext_lazy("outbox kind", "Reply due soon"),
    "commitment-breach": pgettext_lazy("outbox kind", "Promise overdue"),
    "commitment-warning": pgettext_lazy("outbox kind", "Promise due soon"),
    "deadline-reminder": pgettext_lazy("outbox kind", "Deadline reminder"),
    "deposit-reminder": pgettext_lazy("outbox kind", "Deposit reminder"),
    "deposit-paid": pgettext_lazy("outbox kind", "Deposit paid"),
    "deliverable-review": pgettext_lazy("outbox kind", "Deliverable for approval"),
    "digest": pgettext_lazy("outbox kind", "Daily digest"),
    "friday-reminder": pgettext_lazy("outbox kind", "Friday reminder"),
    "friday-update": pgettext_lazy("outbox kind", "Friday update"),
    "friday-update-auto": pgettext_lazy("outbox kind", "Friday update, sent automatically"),
    "invoice": pgettext_lazy("outbox kind", "Invoice"),
    "invoice-reminder": pgettext_lazy("outbox kind", "Invoice reminder"),
    "inquiry-ack": pgettext_lazy("outbox kind", "Inquiry acknowledgment"),
    "inquiry-new-lead": pgettext_lazy("outbox kind", "New lead"),
    "member-invite": pgettext_lazy("outbox kind", "Invitation to the studio"),
    "past-clients": pgettext_lazy("outbox kind", "Past clients to call"),
    "portal-link": pgettext_lazy("outbox kind", "Portal link"),
    "proposal-sent": pgettext_lazy("outbox kind", "Proposal"),
    "portal-link-requested": pgettext_lazy("outbox kind", "Portal link requested"),
    "survey": pgettext_lazy("outbox kind", "Survey invitation"),
    "work-started": pgettext_lazy("outbox kind", "Work started"),
    "touchpoints-due": pgettext_lazy("outbox kind", "Touchpoints due"),
    "yearly-card": pgettext_lazy("outbox kind", "Yearly card"),
}


def kind_label(kind: str) -> str:
    """The kind in words; an unknown kind reads as its key with spaces ("new-thing" → "New thing")."""
    label = KIND_LABELS.get(kind)
    if label is not None:
        return str(label)
    return kind.replace("-", " ").replace("_", " ").capitalize()
