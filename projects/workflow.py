"""The project status machine: which status may follow which, and why not when it may not.

Pure logic: no ORM, no clock. `projects.services.project_set_status` applies it.
Entering In progress needs the deposit: received (in the project's currency) at least the
deposit due, unless nothing is due or someone gives a reason to start anyway.
"""

from __future__ import annotations

from django.utils.translation import gettext as _

from kernel.money import format_money
from projects.models import Project

Status = Project.Status

TRANSITIONS: dict[Status, frozenset[Status]] = {
    Status.LEAD: frozenset({Status.QUOTED, Status.CANCELLED, Status.ON_HOLD}),
    Status.QUOTED: frozenset({Status.AWAITING_DEPOSIT, Status.LEAD, Status.CANCELLED, Status.ON_HOLD}),
    Status.AWAITING_DEPOSIT: frozenset({Status.IN_PROGRESS, Status.QUOTED, Status.CANCELLED, Status.ON_HOLD}),
    Status.IN_PROGRESS: frozenset({Status.IN_REVIEW, Status.WAITING_ON_CLIENT, Status.ON_HOLD, Status.CANCELLED}),
    Status.IN_REVIEW: frozenset(
        {Status.IN_PROGRESS, Status.WAITING_ON_CLIENT, Status.LAUNCHED, Status.ON_HOLD, Status.CANCELLED}
    ),
    Status.WAITING_ON_CLIENT: frozenset({Status.IN_PROGRESS, Status.IN_REVIEW, Status.ON_HOLD, Status.CANCELLED}),
    # Back to In progress is a post-launch fix.
    Status.LAUNCHED: frozenset({Status.COMPLETED, Status.IN_PROGRESS}),
    # Finished for good: more work is a new project.
    Status.COMPLETED: frozenset(),
    # Where it was paused from isn't stored, so any sensible restart point is allowed.
    Status.ON_HOLD: frozenset(
        {Status.LEAD, Status.QUOTED, Status.AWAITING_DEPOSIT, Status.IN_PROGRESS, Status.CANCELLED}
    ),
    # A cancelled project can be revived as a lead.
    Status.CANCELLED: frozenset({Status.LEAD}),
}


def status_label(status: str) -> str:
    """The human name of a status ("In progress"); an unknown value is shown as given."""
    try:
        return str(Status(status).label)
    except ValueError:
        return status


def _join_or(labels: list[str]) -> str:
    if len(labels) <= 1:
        return "".join(labels)
    return _("%(items)s or %(last)s") % {"items": ", ".join(labels[:-1]), "last": labels[-1]}


def allowed_targets(current: str) -> list[Status]:
    """The statuses `current` may move to, in the order of `Project.Status` (for menus)."""
    if current not in Status.values:
        return []
    allowed = TRANSITIONS[Status(current)]
    return [status for status in Status if status in allowed]


def transition_problem(
    current: str,
    target: str,
    *,
    deposit_due_minor: int,
    deposit_received_minor: int,
    override_reason: str,
    currency: str,
) -> str | None:
    """None when a project may move from `current` to `target`, else why not, in plain words.

    The move must be in `TRANSITIONS`. Entering In progress (from anywhere) also needs
    `deposit_received_minor >= deposit_due_minor`, unless the deposit due is 0 or
    `override_reason` is not blank. Amounts are minor units of `currency`.
    """
    if current not in Status.values:
        return _("“%(status)s” isn't a project status.") % {"status": current}
    if target not in Status.values:
        return _("“%(status)s” isn't a project status.") % {"status": target}
    labels = {"current": status_label(current), "target": status_label(target)}
    if current == target:
        return _("It is already %(current)s.") % labels
    if current == Status.COMPLETED:
        return _("A project that is %(current)s can't go back to %(target)s: start a new project instead.") % labels
    if target not in TRANSITIONS[Status(current)]:
        options = _join_or([status_label(status) for status in allowed_targets(current)])
        return _(
            "A project that is %(current)s can't go straight to %(target)s. From %(current)s it can go to %(options)s."
        ) % {**labels, "options": options}
    if (
        target == Status.IN_PROGRESS
        and deposit_due_minor > 0
        and deposit_received_minor < deposit_due_minor
        and not override_reason.strip()
    ):
        return _(
            "The deposit of %(due)s hasn't been received (%(received)s so far). "
            "Record the payment, or start anyway with a reason."
        ) % {
            "due": format_money(deposit_due_minor, currency),
            "received": format_money(deposit_received_minor, currency),
        }
    return None
