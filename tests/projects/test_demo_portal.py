"""`make run` prints a portal link for the demo's client; seeding twice adds no second call or change."""

from io import StringIO

from django.core.management import call_command

from desk.demo import DEMO_STUDIO_SLUG
from kernel.models import Studio
from projects.models import Call, ChangeRequest, PortalLink


def test_seed_demo_prints_a_working_portal_link_and_stays_idempotent(db, settings, client):
    settings.DEBUG = True
    call_command("seed_demo", stdout=StringIO())
    out = StringIO()
    call_command("seed_demo", stdout=out)

    studio = Studio.objects.get(slug=DEMO_STUDIO_SLUG)
    assert Call.objects.filter(studio=studio).count() == 1
    assert ChangeRequest.objects.filter(project__studio=studio).count() == 1
    assert PortalLink.objects.filter(studio=studio).count() == 2  # a fresh link per run, the older still valid
    url = next(line for line in out.getvalue().splitlines() if "/portal/enter/" in line).split()[-1]
    path = url.removeprefix(settings.SITE_URL)
    response = client.post(path)
    assert response.status_code == 302
    assert "/portal/enter/" not in response.url
