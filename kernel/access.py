"""Access written once: every dashboard view reaches data through these helpers.

A row of another studio is a 404, never a 403: its existence is not revealed.
"""

from collections.abc import Callable
from functools import wraps
from typing import Any, TypeVar

from django.contrib.auth.decorators import login_required
from django.db.models import Model, QuerySet
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme

from kernel.models import Membership, Studio

M = TypeVar("M", bound=Model)
View = Callable[..., HttpResponse]


def studio_required(view: View) -> View:
    """Login required, and the user must belong to a studio (else: create one).

    The view runs in the studio's time zone: every time on the freelancer's pages is shown, and
    every form's date-time read, in it.
    """

    @login_required
    @wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if not request.studio:
            return redirect("studio_create")
        with timezone.override(request.studio.zoneinfo):
            return view(request, *args, **kwargs)

    return wrapper


def owner_required(view: View) -> View:
    """Like `studio_required`, and the user must be an owner of the studio."""

    @studio_required
    @wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if not is_owner(request):
            raise Http404
        return view(request, *args, **kwargs)

    return wrapper


def is_owner(request: HttpRequest) -> bool:
    return Membership.objects.filter(studio=request.studio, user=request.user, role=Membership.Role.OWNER).exists()


def scoped(request: HttpRequest, queryset: QuerySet[M] | type[M]) -> QuerySet[M]:
    """The rows of `queryset` (or a model) that belong to the request's studio."""
    if isinstance(queryset, type):
        queryset = queryset._default_manager.all()
    studio: Studio | None = request.studio
    if studio is None:
        return queryset.none()
    return queryset.filter(studio=studio)


def get_for_member(request: HttpRequest, queryset: QuerySet[M] | type[M], **lookup: Any) -> M:
    """One row of the request's studio, or 404."""
    return get_object_or_404(scoped(request, queryset), **lookup)


MAX_ID = 2**63 - 1  # the largest id a database column holds: past it a lookup overflows


def query_pk(request: HttpRequest, name: str) -> int | None:
    """The id in ``?name=``: None when absent, 404 when it is not an id (junk never reaches a query)."""
    value = request.GET.get(name, "").strip()
    if not value:
        return None
    if not (value.isascii() and value.isdigit()) or int(value) > MAX_ID:
        raise Http404(f"“{name}” is not an id.")
    return int(value)


def safe_next(request: HttpRequest, default: str) -> str:
    """The ``next`` URL of the request when it stays on this site, else ``default`` (no open redirects)."""
    target = request.POST.get("next") or request.GET.get("next") or ""
    if target and url_has_allowed_host_and_scheme(target, {request.get_host()}, require_https=request.is_secure()):
        return target
    return default
