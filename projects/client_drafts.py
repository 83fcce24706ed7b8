"""The drafts projects write for a client, opened in Compose (``comms.drafts``) and shown as sent or not.

Two kinds: a moved date's notice (R12) and the maintenance offer drafted at launch (R7).
Compose addresses them to the client's contacts (the primary one in To, the others in Cc) and keeps
them in the client's language; the project page reads what became of each with ``project_drafts``.
Queuing the maintenance offer closes our "send the maintenance offer" step; an undo leaves it closed,
as the project page then shows the offer as not sent, with its button.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from django.urls import reverse

from comms import drafts
from comms.models import OutboxEmail
from kernel.i18n import supported_language
from kernel.models import Studio
from projects.models import DeadlineChange, Project
from projects.services import maintenance_offer_sent, maintenance_offer_subject
from projects.update_email import client_contacts, split_recipients

DEADLINE_NOTICE = "deadline-notice"
MAINTENANCE_OFFER = "maintenance-offer"


def _client_draft(
    project: Project,
    *,
    subject: str,
    body: str,
    back_url: str,
    on_queued: Callable[[OutboxEmail], None] | None = None,
) -> drafts.ClientDraft:
    to, cc = split_recipients(client_contacts(project))
    return drafts.ClientDraft(
        client=project.client,
        project=project,
        subject=subject,
        body=body,
        to=to,
        cc=cc,
        language=supported_language(project.client.language),
        back_url=back_url,
        on_queued=on_queued,
    )


def deadline_notice_draft(studio: Studio, pk: int) -> drafts.ClientDraft | None:
    change = (
        DeadlineChange.objects.filter(project__studio=studio, pk=pk)
        .select_related("project__client", "project__studio")
        .first()
    )
    if change is None or not change.notice_text.strip():
        return None
    back_url = reverse("projects:detail", args=[change.project_id]) + f"#change-{change.pk}"
    return _client_draft(change.project, subject=change.notice_subject, body=change.notice_text, back_url=back_url)


def maintenance_offer_draft(studio: Studio, pk: int) -> drafts.ClientDraft | None:
    project = Project.objects.filter(studio=studio, pk=pk).select_related("client", "studio").first()
    if project is None or not project.maintenance_offer_draft.strip():
        return None
    back_url = reverse("projects:detail", args=[project.pk]) + "#maintenance"
    return _client_draft(
        project,
        subject=maintenance_offer_subject(project=project),
        body=project.maintenance_offer_draft,
        back_url=back_url,
        on_queued=lambda email: maintenance_offer_sent(project=project, now=email.created_at),
    )


def register() -> None:
    drafts.register(DEADLINE_NOTICE, deadline_notice_draft)
    drafts.register(MAINTENANCE_OFFER, maintenance_offer_draft)


@dataclass(frozen=True)
class SentState:
    """What the project page says about one draft: its Compose link and the email that carries it, if any."""

    reference: str
    email: OutboxEmail | None

    @property
    def compose_url(self) -> str:
        return f"{reverse('comms:compose')}?draft={self.reference}"

    @property
    def state(self) -> str:
        """sent, queued (in the outbox, not gone yet), stuck (failed or needs attention) or unsent."""
        if self.email is None:
            return "unsent"
        if self.email.status == OutboxEmail.Status.SENT:
            return "sent"
        if self.email.status in (OutboxEmail.Status.QUEUED, OutboxEmail.Status.SENDING):
            return "queued"
        return "stuck"


def project_drafts(studio: Studio, project: Project, changes: list[DeadlineChange]) -> dict[str, SentState]:
    """The project's client drafts by reference ("deadline-notice:12", "maintenance-offer:3"): one query."""
    references = [drafts.ref(DEADLINE_NOTICE, change.pk) for change in changes if change.notice_text]
    if project.maintenance_offer_draft.strip():
        references.append(drafts.ref(MAINTENANCE_OFFER, project.pk))
    if not references:
        return {}
    emails = drafts.draft_emails(studio, project=project, references=references)
    return {reference: SentState(reference, email) for reference, email in emails.items()}
