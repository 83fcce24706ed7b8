"""Picking a call's time (R8): the offered slots, the field that reads one back, moving and cancelling.

Whether a time is free is the service's check, not the form's.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

from django import forms
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from projects.calls import slots_by_day


class SlotField(forms.CharField):
    """A start time as offered on the page: an ISO 8601 instant with its UTC offset."""

    default_error_messages = {
        "required": _("Please pick a time."),
        "invalid": _("Please pick one of the offered times."),
    }

    def to_python(self, value: str | None) -> datetime | None:  # type: ignore[override]
        value = super().to_python(value)
        if not value:
            return None
        try:
            start = datetime.fromisoformat(value)
        except ValueError:
            raise forms.ValidationError(self.error_messages["invalid"], code="invalid") from None
        if start.tzinfo is None:
            raise forms.ValidationError(self.error_messages["invalid"], code="invalid")
        return start


class MoveCallForm(forms.Form):
    start = SlotField(label=_("New time"))


class CancelCallForm(forms.Form):
    reason = forms.CharField(
        label=_("Reason (optional)"),
        max_length=300,
        required=False,
        widget=forms.TextInput(attrs={"class": "form-control form-control-sm"}),
    )


def slot_days(slots: list[datetime], zone: ZoneInfo, *, chosen: str = "") -> list[dict[str, Any]]:
    """Slots grouped by local day for the page, each with the value ``SlotField`` reads back (UTC ISO).

    The day holding ``chosen`` (else the first day) is shown open.
    """
    days = [
        {"day": day, "slots": [{"value": slot.astimezone(UTC).isoformat(), "at": slot} for slot in day_slots]}
        for day, day_slots in slots_by_day(slots, zone)
    ]
    for group in days:
        group["open"] = any(slot["value"] == chosen for slot in group["slots"])
    if days and not any(group["open"] for group in days):
        days[0]["open"] = True
    return days


def chosen_start(request: HttpRequest, form: forms.Form) -> str:
    """The start the visitor picked, to keep it selected on a re-render, unless it was the problem."""
    return "" if form.has_error("start") else request.POST.get("start", "")
