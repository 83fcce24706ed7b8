"""The setup checklist Today shows a studio until it is running: each step ticks on evidence, not on defaults."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from django.db.models import Exists, OuterRef, QuerySet
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from clients.models import Client
from comms.models import RawEmail
from kernel.links import fixed_url
from kernel.models import Studio
from kernel.queries import StudioQuery
from projects.models import PortalLink, Project


@dataclass(frozen=True)
class Step:
    key: str
    label: str
    hint: str
    url: str
    done: bool


def evidence_query(studio: Studio, now: datetime) -> QuerySet[Studio]:
    """Whether the studio has a client, a project, a received email, a portal link: one row."""
    return Studio.objects.filter(pk=studio.pk).values(
        client=Exists(Client.objects.filter(studio=OuterRef("pk"))),
        project=Exists(Project.objects.filter(studio=OuterRef("pk"))),
        mail=Exists(RawEmail.objects.filter(studio=OuterRef("pk"))),
        portal=Exists(PortalLink.objects.filter(studio=OuterRef("pk"))),
    )


EVIDENCE = StudioQuery(evidence_query)  # the same SQL for every studio: built once per process


def setup_steps(studio: Studio) -> list[Step]:
    """The checklist in the order a new studio meets it, in one query.

    Working hours count as set once an owner saved the settings page (signup fills in Monday to
    Friday 09:00–18:00 on its own); mail counts as connected once a mail source received an email.
    """
    evidence = EVIDENCE.rows(studio, timezone.now(), shape="evidence")[0]
    settings_url = fixed_url("settings")
    return [
        Step(
            "hours",
            str(_("Set your time zone and working hours")),
            str(_("Reply times and quiet hours count only your working time.")),
            settings_url,
            studio.settings_saved_at is not None,
        ),
        Step(
            "holidays",
            str(_("Choose the country whose public holidays you keep")),
            str(_("No reply is due on a public holiday.")),
            settings_url,
            bool(studio.holiday_country),
        ),
        Step(
            "sender",
            str(_("Add the address client emails come from")),
            str(_("Clients see it as the sender of every email.")),
            settings_url,
            bool(studio.sender_email),
        ),
        Step(
            "payment",
            str(_("Tell clients how they can pay you")),
            str(_("Deposit reminders and the portal show it.")),
            settings_url,
            bool(studio.payment_options),
        ),
        Step(
            "client",
            str(_("Add your first client")),
            str(_("Or import them from a CSV file.")),
            fixed_url("clients:create"),
            evidence["client"],
        ),
        Step(
            "project",
            str(_("Start a project")),
            str(_("Its deposit, deadlines and Friday updates follow from it.")),
            fixed_url("projects:create"),
            evidence["project"],
        ),
        Step(
            "mail",
            str(_("Connect your mail")),
            str(_("Forward client mail to your studio's address, or connect an IMAP mailbox.")),
            fixed_url("mailsources:index"),
            evidence["mail"],
        ),
        Step(
            "portal",
            str(_("Invite a client to their portal")),
            str(_("From the client's page: they follow their project and book calls there.")),
            fixed_url("clients:index"),
            evidence["portal"],
        ),
    ]
