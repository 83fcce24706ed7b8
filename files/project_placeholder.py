"""A stand-in for the project's files page (``files:project``), which the portal work builds.

Today and "Save attachments to a project" link to ``files:project`` by name; until that page is
merged, this one sends the freelancer to the project's page. The integrator keeps the real page and
drops this module and its URL.
"""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect

from kernel.access import get_for_member, studio_required
from projects.models import Project


@studio_required
def project(request: HttpRequest, pk: int) -> HttpResponse:
    return redirect("projects:detail", pk=get_for_member(request, Project, pk=pk).pk)
