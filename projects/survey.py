"""The post-project satisfaction survey (R16): invitation, one-click rating, answers, follow-up, figures.

The invitation carries ten links, one per rating 1–10. A link only opens a page that asks to
confirm (mail scanners follow links); the confirmation POST keeps the rating, and the latest one
wins until the full survey is answered, after which nothing changes. A rating below the studio's
``survey_follow_up_below`` opens one follow-up per survey: an inbound message in the Inbox with
its own reply clock. It stays open even if the client later raises the rating (a promise is a
promise); later ratings and answers only bring its text up to date.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import datetime
from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models import DateTimeField, F, QuerySet, Value
from django.db.models.functions import Coalesce
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext as _

from clients.models import Contact
from comms.conversation import record_message
from comms.models import Message
from kernel.links import absolute_url
from kernel.models import Studio
from projects.models import PortalActivity, Project, Survey, new_survey_token
from projects.portal_access import hash_token
from projects.portal_activity import record as record_activity

MAX_QUESTIONS = 10
ANSWER_MAX_LENGTH = 2000
COMMENT_MAX_LENGTH = 5000
RATING_SCORES = range(1, 11)
NPS_SCORES = range(0, 11)
PROMOTERS = range(9, 11)
DETRACTORS = range(0, 7)


def answer_field(index: int) -> str:
    """The form field that holds the answer to the survey's question number ``index`` (from 0)."""
    return f"answer_{index}"


# --- Invitation --------------------------------------------------------------------------------------


def survey_for_invitation(project: Project, *, studio: Studio, contact: Contact) -> Survey:
    """The project's survey, created (once) in the client's language with the studio's questions frozen.

    A survey not invited yet takes the current contact, language and questions; once invited it is
    left as it is, so editing the studio's questions later never changes what this client was asked.
    """
    fields = {
        "contact": contact,
        "language": project.client.language or settings.LANGUAGE_CODE,
        "questions": studio.survey_question_list[:MAX_QUESTIONS],
    }
    survey, created = Survey.objects.get_or_create(project=project, defaults={"studio": studio, **fields})
    if not created and survey.invited_at is None:
        for name, value in fields.items():
            setattr(survey, name, value)
        survey.save(update_fields=list(fields))
    return survey


def issue_token(survey: Survey) -> str:
    """A new token for ``survey``'s links (older ones stop working); only its SHA-256 is stored."""
    token = new_survey_token()
    survey.token_hash = hash_token(token)
    Survey.objects.filter(pk=survey.pk).update(token_hash=survey.token_hash)
    return token


def find_survey(token: str) -> QuerySet[Survey]:
    """The survey a link's token opens (empty for an unknown one)."""
    if not token or len(token) > 100:
        return Survey.objects.none()
    return Survey.objects.filter(token_hash=hash_token(token))


def invitation_context(survey: Survey, *, token: str, first_name: str) -> dict[str, Any]:
    """The invitation email's context: plain strings, one rating link per score 1–10."""
    return {
        "first_name": first_name,
        "project_title": survey.project.title,
        "survey_url": absolute_url("survey:answer", token=token),
        "rating_links": [
            {"score": str(score), "url": absolute_url("survey:rate", token=token, score=score)}
            for score in RATING_SCORES
        ],
    }


# --- Ratings and answers -----------------------------------------------------------------------------


def is_low(survey: Survey) -> bool:
    return survey.csat is not None and survey.csat < survey.studio.survey_follow_up_below


def record_rating(survey: Survey, score: int, *, now: datetime) -> bool:
    """Keep a confirmed one-click rating; the latest wins until the full survey is answered.

    Returns False (and changes nothing) once the survey is answered. A low rating opens the
    follow-up; the first rating is noted for the freelancer as client activity.
    """
    if score not in RATING_SCORES:
        raise ValueError(f"A rating is 1 to 10, not {score!r}.")
    open_survey = Survey.objects.filter(pk=survey.pk, answered_at__isnull=True)
    first = open_survey.filter(rated_at__isnull=True).update(csat=score, rated_at=now)
    if not first and not open_survey.update(csat=score, rated_at=now):
        return False
    survey.csat, survey.rated_at = score, now
    if is_low(survey) or survey.follow_up_id is not None:
        open_follow_up(survey, now=now)
    if first:
        with translation.override(settings.LANGUAGE_CODE):
            summary = _("Rated %(project)s %(score)s/10") % {"project": survey.project.title, "score": score}
        _note_activity(survey, summary=summary)
    return True


def record_answers(survey: Survey, cleaned: Mapping[str, Any], *, now: datetime) -> bool:
    """Keep the full survey (the form's cleaned data) once; returns False if it was already answered.

    Answers are stored in the order of the frozen questions, stripped; an unanswered one is "".
    """
    answers = [str(cleaned.get(answer_field(index)) or "").strip() for index in range(len(survey.questions))]
    comment = str(cleaned.get("comment") or "").strip()
    claimed = Survey.objects.filter(pk=survey.pk, answered_at__isnull=True).update(
        csat=cleaned["csat"],
        nps=cleaned["nps"],
        answers=answers,
        comment=comment,
        answered_at=now,
        rated_at=Coalesce(F("rated_at"), Value(now, output_field=DateTimeField())),
    )
    if not claimed:
        return False
    survey.refresh_from_db(fields=["csat", "nps", "answers", "comment", "answered_at", "rated_at", "follow_up"])
    if is_low(survey) or survey.follow_up_id is not None:
        open_follow_up(survey, now=now)
    with translation.override(settings.LANGUAGE_CODE):
        summary = _("%(project)s: rated %(score)s/10, would recommend %(nps)s/10") % {
            "project": survey.project.title,
            "score": survey.csat,
            "nps": survey.nps,
        }
    _note_activity(survey, summary=summary)
    return True


def _note_activity(survey: Survey, *, summary: str) -> None:
    project = survey.project
    if survey.follow_up_id is not None:
        url = reverse("comms:message", kwargs={"pk": survey.follow_up_id})
    else:
        url = reverse("projects:detail", args=[project.pk])
    record_activity(
        None,
        kind=PortalActivity.Kind.SURVEY_ANSWERED,
        summary=summary,
        project=project,
        url=url,
        client=project.client,
        contact=survey.contact,
        studio=survey.studio,
    )


# --- The follow-up on a low rating -------------------------------------------------------------------


def follow_up_subject(survey: Survey) -> str:
    return _("Survey: %(project)s rated %(score)s/10") % {"project": survey.project.title, "score": survey.csat}


def follow_up_text(survey: Survey) -> str:
    """The score, the recommendation, the answers and the comment, as plain text for the Inbox."""
    lines = [_("Rating: %(score)s/10") % {"score": survey.csat}]
    if survey.nps is not None:
        lines.append(_("Would recommend: %(score)s/10") % {"score": survey.nps})
    for question, answer in zip(survey.questions, survey.answers, strict=False):
        if answer:
            lines += ["", question, answer]
    if survey.comment:
        lines += ["", _("Comment:"), survey.comment]
    if survey.answered_at is None:
        lines += ["", _("The client has not answered the rest of the survey yet.")]
    return "\n".join(lines)


def open_follow_up(survey: Survey, *, now: datetime) -> Message:
    """Open the survey's follow-up once: an inbound message from the contact, owed a reply under the SLA.

    Called again (a new rating, the full answers), it only brings the message's subject and text up
    to date; the reply clock it started is left alone. Written in the studio's (default) language:
    it is for the freelancer, not the client.
    """
    project, contact = survey.project, survey.contact
    with translation.override(settings.LANGUAGE_CODE), transaction.atomic():
        follow_up_id = Survey.objects.select_for_update().values_list("follow_up_id", flat=True).get(pk=survey.pk)
        subject, text = follow_up_subject(survey), follow_up_text(survey)
        if follow_up_id is not None:
            Message.objects.filter(pk=follow_up_id).update(subject=subject, text=text, text_new=text)
            survey.follow_up_id = follow_up_id
            return Message.objects.get(pk=follow_up_id)
        message = record_message(
            survey.studio,
            direction=Message.Direction.INBOUND,
            client=project.client,
            sent_at=now,
            subject=subject,
            from_email=contact.email if contact else "",
            from_name=contact.name if contact else "",
            text=text,
            channel=Message.Channel.SURVEY,
            project=project,
        )
        Survey.objects.filter(pk=survey.pk).update(follow_up=message)
        survey.follow_up = message
        return message


# --- Figures for the reports (R16) -------------------------------------------------------------------


def csat_summary(scores: Iterable[int | None]) -> dict[str, float | int | None]:
    """How many ratings and their mean (None without ratings); missing (None) scores are skipped."""
    values = [score for score in scores if score is not None]
    return {"count": len(values), "average": sum(values) / len(values) if values else None}


def nps(scores: Iterable[int | None]) -> float | None:
    """Net Promoter Score: % promoters (9–10) minus % detractors (0–6), from -100 to 100; None without scores."""
    values = [score for score in scores if score is not None]
    if not values:
        return None
    promoters = sum(score in PROMOTERS for score in values)
    detractors = sum(score in DETRACTORS for score in values)
    return 100 * (promoters - detractors) / len(values)
