"""Today: the freelancer's first page, gathered from every app (``desk.today``), and its live counts."""

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.http import require_GET

from desk.first_steps import setup_steps
from desk.today import counted_sections, live_sections, section_counts, today_board
from kernel.access import studio_required


@studio_required
def today(request: HttpRequest) -> HttpResponse:
    studio = request.studio
    steps = setup_steps(studio)
    now = timezone.now()
    board = today_board(studio, now)
    return render(
        request,
        "crm/today.html",
        {
            "setup_steps": steps,
            "setup_done": all(step.done for step in steps),
            # A studio with no client yet has nothing on its board: the steps are the page.
            "first_steps": not next(step for step in steps if step.key == "client").done,
            "local_now": studio.local_now(now),
            "board": board,
        },
    )


@require_GET
@studio_required
def today_counts(request: HttpRequest) -> HttpResponse:
    """What Today polls every minute: its counts and countdowns, swapped in out of band (a few queries)."""
    now = timezone.now()
    counts = section_counts(request.studio, now=now)
    live = live_sections(request.studio, now=now, counts=counts)
    return render(
        request,
        "crm/_today_live.html",
        {
            "busy": [entry for entry in live if entry.count],
            "clear": [entry for entry in live if not entry.count],
            "counted": counted_sections(counts),
        },
    )
