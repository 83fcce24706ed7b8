from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone

from desk import search
from kernel.access import studio_required


@studio_required
def search_page(request: HttpRequest) -> HttpResponse:
    query = search.normalize(request.GET.get("q"))
    with timezone.override(request.studio.zoneinfo):
        return render(
            request,
            "crm/search.html",
            {
                "query": query,
                "results": search.search(studio=request.studio, query=query),
                "min_length": search.MIN_LENGTH,
                "window": search.MESSAGE_WINDOW,
            },
        )
