from collections.abc import Callable

from django.http import HttpRequest, HttpResponse
from django.middleware import csrf as django_csrf
from django.utils.functional import SimpleLazyObject

from kernel.models import Studio

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


class CsrfViewMiddleware(django_csrf.CsrfViewMiddleware):
    """Django's CSRF check, letting a page reached by a secret link post its own form.

    Pages whose URL carries a secret (the portal's link, a survey) send ``Referrer-Policy:
    no-referrer`` so the secret never leaks in a Referer; browsers then send ``Origin: null`` with
    that page's own form POSTs, which Django refuses. On those paths only, a null Origin is let
    through to the CSRF token check, which still needs the cookie and the form field to match, so
    another site can still not post there on a visitor's behalf.
    """

    NULL_ORIGIN_PATHS = ("/portal/enter/", "/portal/link-expired/", "/portal/request-link/", "/survey/")

    def _origin_verified(self, request: HttpRequest) -> bool:
        if request.META.get("HTTP_ORIGIN") == "null" and request.path_info.startswith(self.NULL_ORIGIN_PATHS):
            return True
        return super()._origin_verified(request)
