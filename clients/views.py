from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from crm.access import studio_required


@studio_required
def index(request: HttpRequest) -> HttpResponse:
    return render(request, "clients/index.html")
