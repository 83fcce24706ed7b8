"""`manage.py loadtest --prepare FIXTURE.json`: seed the load test's throwaway database (``devtools/loadtest/run.py``).

Seeds 1× a busy freelancer (``devtools.bench_seed``) into the database DATABASE_URL names, which must
be one the load test created (its name contains ``_loadtest_``: never the dev data), and writes
what the simulated users need: the owner's login, portal sessions (one per client, on one of
their projects) and a webhook body to post with its credentials.
"""

from __future__ import annotations

import base64
import json
from importlib import import_module
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import connection
from django.utils import timezone

from clients.models import Contact
from devtools.bench_seed import BENCH_EMAIL, BENCH_PASSWORD, postmark_inbound, reply_fields, seed
from projects.models import Project
from projects.portal_access import SESSION_KEY, issue_link

THROWAWAY_MARK = "_loadtest_"
PORTAL_SESSIONS = 20


class Command(BaseCommand):
    help = "Seed the load test's throwaway database and write its fixture (run by `make loadtest`)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--prepare", required=True, metavar="FIXTURE.json", help="Where to write the fixture.")
        parser.add_argument("--scale", type=float, default=1.0)

    def handle(self, *args: Any, prepare: str, scale: float, **options: Any) -> None:
        name = str(connection.settings_dict["NAME"])
        if connection.vendor != "postgresql" or THROWAWAY_MARK not in name:
            raise CommandError(
                f"Refusing to seed {connection.vendor} database {name!r}: the load test seeds only the "
                f"PostgreSQL database it creates (named *{THROWAWAY_MARK}*). Run `make loadtest`."
            )
        seeded = seed(scale)
        fixture = {
            "email": BENCH_EMAIL,
            "password": BENCH_PASSWORD,
            "session_cookie": settings.SESSION_COOKIE_NAME,
            "portal": portal_sessions(seeded.studio, count=PORTAL_SESSIONS),
            "webhook": webhook(seeded),
            "rows": sum(seeded.rows.values()),
            "seed_seconds": seeded.seconds,
        }
        Path(prepare).write_text(json.dumps(fixture))
        self.stdout.write(f"seeded {fixture['rows']:,} rows in {seeded.seconds:.1f} s into {name}")


def portal_sessions(studio, *, count: int) -> list[dict]:
    """Portal sessions of the first ``count`` clients' primary contacts, each on a project the portal shows."""
    store = import_module(settings.SESSION_ENGINE).SessionStore
    sessions = []
    contacts = Contact.objects.filter(studio=studio, is_primary=True).select_related("client").order_by("pk")
    for contact in contacts[:count]:
        project = (
            Project.objects.filter(studio=studio, client=contact.client)
            .exclude(status__in=[Project.Status.LEAD, Project.Status.CANCELLED])
            .order_by("pk")
            .first()
        )
        if project is None:
            continue
        link, _token = issue_link(contact)
        session = store()
        session[SESSION_KEY] = link.pk
        session.create()
        sessions.append({"session": session.session_key, "project": project.pk})
    return sessions


def webhook(seeded) -> dict:
    """The body to post (``__N__`` marks where each request's number goes) and its basic auth."""
    secrets = settings.ANYMAIL.get("WEBHOOK_SECRET")
    secret = secrets[0] if isinstance(secrets, list) else secrets
    if not secret:
        raise CommandError("ANYMAIL_WEBHOOK_SECRET is not set: the webhook would refuse every post.")
    fields = reply_fields(seeded.studio, project_id=seeded.busy_project_id)
    return {
        "path": "/hooks/postmark/inbound/",
        "authorization": "Basic " + base64.b64encode(secret.encode()).decode(),
        "body": postmark_inbound(**fields, number="__N__", sent_at=timezone.now()),
    }
