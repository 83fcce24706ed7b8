"""The public survey page (R16): no login, the token in the link is the key; answered once.

`/survey/<token>/` shows the two ratings and a comment; an unknown token is a 404. The first
valid answer is kept; a second submission (another tab, a double click) changes nothing and
says it was already answered.
"""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods

from projects.models import Survey
from projects.survey_forms import SurveyForm


def _survey(token: str) -> Survey:
    return get_object_or_404(Survey.objects.select_related("studio", "project"), token=token)


def _page(request: HttpRequest, survey: Survey, form: SurveyForm | None) -> HttpResponse:
    return render(
        request,
        "projects/survey.html",
        {
            "studio": survey.studio,
            "project_title": survey.project.title,
            "form": form,
            "answered": form is None,
        },
    )


@require_http_methods(["GET", "POST"])
def answer(request: HttpRequest, token: str) -> HttpResponse:
    survey = _survey(token)
    if survey.answered_at is not None:
        return _page(request, survey, None)
    form = SurveyForm(request.POST if request.method == "POST" else None)
    if request.method == "POST":
        if not form.is_valid():
            return _page(request, survey, form)
        # Claim the answer: of two concurrent submissions only the first is kept.
        kept = Survey.objects.filter(pk=survey.pk, answered_at__isnull=True).update(
            csat=form.cleaned_data["csat"],
            nps=form.cleaned_data["nps"],
            comment=form.cleaned_data["comment"].strip(),
            answered_at=timezone.now(),
        )
        if not kept:
            return _page(request, survey, None)
        return redirect("survey:thanks", token=survey.token)
    return _page(request, survey, form)


@require_GET
def thanks(request: HttpRequest, token: str) -> HttpResponse:
    survey = _survey(token)
    return render(request, "projects/survey_thanks.html", {"survey": survey, "studio": survey.studio})
