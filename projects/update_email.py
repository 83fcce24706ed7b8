"""The Friday update as an email: who receives it and what the template gets (R2).

Shared by the update page (projects.update_views) and the automatic send (projects.reminders).
"""

from __future__ import annotations

from datetime import date
from typing import Any

from clients.models import Contact
from kernel.dates import long_date
from projects.models import Project, Resource, StatusUpdate

TEMPLATE = "friday-update"  # templates/emails/friday-update-*
EDITABLE_FIELDS = ["summary", "done_this_week", "next_up", "blockers", "client_next_steps"]


def week_label(key: str, *, language: str | None = None) -> str:
    """``2026-W47`` → ``Monday 16 November``: the Monday of that ISO week (in ``language``, else the active one)."""
    year, week = key.split("-W")
    return long_date(date.fromisocalendar(int(year), int(week), 1), with_year=False, language=language)


def client_contacts(project: Project) -> list[Contact]:
    """The client's contacts, the primary one first (or the first by name when none is marked)."""
    return list(
        Contact.objects.for_studio(project.studio)
        .filter(client_id=project.client_id)
        .order_by("-is_primary", "name", "pk")
    )


def split_recipients(contacts: list[Contact]) -> tuple[list[str], list[str]]:
    """``(to, cc)``: the primary contact's address, then everyone else's, each address once."""
    seen: set[str] = set()
    addresses = []
    for contact in contacts:
        if contact.email.strip().lower() not in seen:
            seen.add(contact.email.strip().lower())
            addresses.append(contact.email)
    return addresses[:1], addresses[1:]


def email_context(
    *, project: Project, week: str, fields: dict[str, str], resources: list[Resource], contacts: list[Contact]
) -> dict[str, Any]:
    """The email's context: plain strings and lists only, never model instances; dates in the client's language."""
    first_name = contacts[0].name.split()[0] if contacts and contacts[0].name.split() else ""
    return {
        "project_title": project.title,
        "client_name": project.client.name,
        "week_label": week_label(week, language=project.client.language),
        "first_name": first_name,
        **{name: fields.get(name, "").strip() for name in EDITABLE_FIELDS},
        "resources": [{"title": resource.title, "url": resource.web_url} for resource in resources],
    }


def saved_update_context(project: Project, update: StatusUpdate, contacts: list[Contact]) -> dict[str, Any]:
    return email_context(
        project=project,
        week=update.week,
        fields={name: getattr(update, name) for name in EDITABLE_FIELDS},
        resources=list(update.resources.order_by("kind", "title", "pk")),
        contacts=contacts,
    )
