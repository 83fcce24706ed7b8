from collections.abc import Callable

from django.http import HttpRequest, HttpResponse
from django.utils.functional import SimpleLazyObject

from crm.models import Studio

SESSION_STUDIO_KEY = "studio_id"


def studio_for(request: HttpRequest) -> Studio | None:
    """The studio this request acts in: the session's choice, else the user's first membership."""
    user = request.user
    if not user.is_authenticated:
        return None
    studios = Studio.objects.filter(memberships__user=user)
    chosen = request.session.get(SESSION_STUDIO_KEY)
    if chosen is not None and (studio := studios.filter(pk=chosen).first()):
        return studio
    return studios.order_by("memberships__created_at").first()


class StudioMiddleware:
    """Sets `request.studio` (lazily: pages that don't need it run no query)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        request.studio = SimpleLazyObject(lambda: studio_for(request))  # type: ignore[attr-defined]
        return self.get_response(request)
