"""The signed-in floor: what every studio page pays before it does any work of its own.

Session and user loaded, the studio chosen, the context processors run, one query, the base template
with an empty content block. ``make bench`` reports every page as a multiple of it; /healthz, which
touches no session, stands beside it for scale.
"""

from django.contrib.auth.decorators import login_required
from django.db import connection
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import path

from crm.urls import urlpatterns as product_urlpatterns


@login_required
def signed_in_floor(request: HttpRequest) -> HttpResponse:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
    return render(request, "devtools/floor.html", {"studio_name": request.studio.name})


urlpatterns = [*product_urlpatterns, path("bench/floor/", signed_in_floor, name="bench_floor")]
