"""Template management pages: the studio's owners adapt the built-in emails or write their own.

Every query is scoped to the request's studio; a page costs the same few queries however many
templates there are.
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from comms.coach import Finding, has_next_steps, review
from comms.email_templates import (
    ALLOWED_VARIABLES,
    BUILTIN,
    RenderedEmail,
    TemplateProblem,
    available_templates,
    sample_variables,
    text_to_html,
)
from comms.email_templates import (
    render as render_template,
)
from comms.models import EmailTemplate
from comms.template_forms import EmailTemplateForm, NewEmailTemplateForm
from kernel.access import owner_required, scoped

LANGUAGE_LABELS = dict(EmailTemplate.Language.choices)


@owner_required
def template_list(request: HttpRequest) -> HttpResponse:
    choices = available_templates(request.studio)
    languages = [
        (code, label, [choice for choice in choices if choice.language == code])
        for code, label in EmailTemplate.Language.choices
    ]
    return render(request, "comms/email_template_list.html", {"languages": languages})


@owner_required
def template_edit(request: HttpRequest, key: str, language: str) -> HttpResponse:
    if language not in LANGUAGE_LABELS:
        raise Http404
    row = scoped(request, EmailTemplate).filter(key=key, language=language).first()
    builtin = BUILTIN.get((key, language))
    source: Any = row or builtin
    if source is None:
        raise Http404
    initial = {"name": source.name, "subject": source.subject, "body": source.body}
    form = EmailTemplateForm(request.POST or None, initial=initial)
    if request.method == "POST":
        if not form.is_valid():
            messages.error(request, _("Please correct the errors below; nothing was saved."))
        elif "preview" not in request.POST:
            EmailTemplate.objects.update_or_create(
                studio=request.studio, key=key, language=language, defaults=form.cleaned_data
            )
            messages.success(request, _("Template “%(name)s” saved.") % form.cleaned_data)
            return redirect("emailtemplates:list")
    preview: dict[str, Any] = {}
    if not form.is_bound or form.is_valid():
        shown = form.cleaned_data if form.is_bound else initial
        requires_action = builtin.requires_action if builtin else has_next_steps(shown["body"])
        preview = _sample_preview(shown["subject"], shown["body"], language, requires_action)
    context = {
        "form": form,
        "title": source.name,
        "key": key,
        "language": language,
        "language_label": LANGUAGE_LABELS[language],
        "is_builtin": builtin is not None,
        "is_customized": row is not None,
        "allowed_variables": ALLOWED_VARIABLES.items(),
        **preview,
    }
    return render(request, "comms/email_template_form.html", context)


@owner_required
def template_new(request: HttpRequest) -> HttpResponse:
    form = NewEmailTemplateForm(request.POST or None, studio=request.studio)
    preview: dict[str, Any] = {}
    if request.method == "POST":
        if not form.is_valid():
            messages.error(request, _("Please correct the errors below; nothing was saved."))
        elif "preview" in request.POST:
            data = form.cleaned_data
            preview = _sample_preview(data["subject"], data["body"], data["language"], has_next_steps(data["body"]))
        else:
            EmailTemplate.objects.create(studio=request.studio, **form.cleaned_data)
            messages.success(request, _("Template “%(name)s” created.") % form.cleaned_data)
            return redirect("emailtemplates:list")
    return render(
        request,
        "comms/email_template_form.html",
        {
            "form": form,
            "title": _("New template"),
            "is_new": True,
            "allowed_variables": ALLOWED_VARIABLES.items(),
            **preview,
        },
    )


@owner_required
@require_POST
def template_reset(request: HttpRequest, key: str, language: str) -> HttpResponse:
    """Delete the studio's version: a built-in comes back, a template of the studio's own is gone."""
    deleted, _by_model = scoped(request, EmailTemplate).filter(key=key, language=language).delete()
    if not deleted:
        raise Http404
    if (key, language) in BUILTIN:
        messages.success(request, _("The built-in template is back."))
    else:
        messages.success(request, _("Template deleted."))
    return redirect("emailtemplates:list")


def _sample_preview(subject: str, body: str, language: str, requires_action: bool) -> dict[str, Any]:
    """The template rendered with sample values, as HTML for the page, and the coach's findings on it."""
    try:
        rendered: RenderedEmail = render_template(subject, body, sample_variables(language))
    except TemplateProblem:
        return {}
    findings: list[Finding] = review(rendered.subject, rendered.text, requires_action)
    # text_to_html escapes every character of the text: the result is safe to insert as is.
    preview_html: SafeString = mark_safe(text_to_html(rendered.text, next_steps_class="p-2 bg-body-secondary rounded"))  # noqa: S308
    return {"preview": rendered, "preview_html": preview_html, "findings": findings}
