from django.contrib import messages
from django.contrib.auth import login
from django.contrib.auth.decorators import login_required
from django.db import connection
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from kernel.forms import SignupForm, StudioCreateForm
from kernel.middleware import SESSION_STUDIO_KEY
from kernel.services import studio_create, user_signup


def signup(request: HttpRequest) -> HttpResponse:
    if request.user.is_authenticated:
        return redirect("today")
    form = SignupForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        user = user_signup(**form.cleaned_data)
        login(request, user, backend="django.contrib.auth.backends.ModelBackend")
        messages.success(
            request,
            _(
                "Welcome to Rapport. Your working hours are Monday to Friday, 09:00–18:00: "
                "change them in Settings if yours differ."
            ),
        )
        return redirect("today")
    return render(request, "registration/signup.html", {"form": form})


@login_required
def create_studio(request: HttpRequest) -> HttpResponse:
    form = StudioCreateForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        studio = studio_create(owner=request.user, **form.cleaned_data)
        request.session[SESSION_STUDIO_KEY] = studio.pk
        messages.success(request, _("Studio created."))
        return redirect("today")
    return render(request, "crm/studio_create.html", {"form": form})


@require_GET
def healthz(request: HttpRequest) -> JsonResponse:
    """For load balancers and compose: the process answers and the database is reachable."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
    return JsonResponse({"status": "ok"})
