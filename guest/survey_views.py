"""The public survey pages (R16): no login, the token in the link is the key.

- `/survey/<token>/rate/<score>/`: a rating link from the invitation. GET only shows the score
  pre-selected with a "Confirm my rating" button (mail scanners follow links; GET changes
  nothing); the POST keeps the rating and opens the full survey.
- `/survey/<token>/`: the full survey (rating, recommendation, the studio's questions, comment),
  answered once; afterwards every page says it was answered and changes nothing.

An unknown token or a score outside 1–10 is a 404. Pages render in the survey's language and are
never cached or indexed.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from django.conf import settings
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone, translation
from django.views.decorators.http import require_GET, require_http_methods

from guest.survey_forms import RatingForm, SurveyForm
from projects.models import Survey
from projects.portal_access import with_no_store
from projects.survey import RATING_SCORES, find_survey, record_answers, record_rating


def survey_page(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """Find the survey by token (404 if unknown), render in its language, never cache or index."""

    @wraps(view)
    def wrapper(request: HttpRequest, token: str, **kwargs: Any) -> HttpResponse:
        survey = get_object_or_404(find_survey(token).select_related("studio", "project__client", "contact"))
        survey.url_token = token  # for the page's own links: only the hash is stored
        language = survey.language or settings.LANGUAGE_CODE
        with translation.override(language):
            response = view(request, survey, **kwargs)
        with_no_store(response)
        response.headers["Content-Language"] = language
        return response

    return wrapper


def _context(survey: Survey, **extra: Any) -> dict[str, Any]:
    return {"studio": survey.studio, "project_title": survey.project.title, **extra}


def _answered(request: HttpRequest, survey: Survey) -> HttpResponse:
    return render(request, "projects/survey.html", _context(survey, form=None, answered=True))


@require_http_methods(["GET", "POST"])
@survey_page
def rate(request: HttpRequest, survey: Survey, score: int) -> HttpResponse:
    if score not in RATING_SCORES:
        raise Http404
    if survey.answered_at is not None:
        return _answered(request, survey)
    if request.method == "POST":
        form = RatingForm(request.POST)
        if form.is_valid():
            record_rating(survey, form.cleaned_data["csat"], now=timezone.now())
            return redirect("survey:answer", token=survey.url_token)
    else:
        form = RatingForm(initial={"csat": score})
    return render(request, "projects/survey_rate.html", _context(survey, form=form))


@require_http_methods(["GET", "POST"])
@survey_page
def answer(request: HttpRequest, survey: Survey) -> HttpResponse:
    if survey.answered_at is not None:
        return _answered(request, survey)
    form = SurveyForm(
        request.POST if request.method == "POST" else None,
        questions=survey.questions,
        initial={"csat": survey.csat},
    )
    if request.method == "POST" and form.is_valid():
        if not record_answers(survey, form.cleaned_data, now=timezone.now()):
            return _answered(request, survey)  # another tab was quicker: the first answer is kept
        return redirect("survey:thanks", token=survey.url_token)
    return render(request, "projects/survey.html", _context(survey, form=form, answered=False))


@require_GET
@survey_page
def thanks(request: HttpRequest, survey: Survey) -> HttpResponse:
    return render(request, "projects/survey_thanks.html", _context(survey))
