"""The demo studio `make run` loads: idempotent, so it can run on every start."""

from datetime import time

from django.db import transaction

from billing.demo import demo_billing_seed
from clients.demo import demo_clients_seed
from comms.demo import demo_comms_seed
from kernel.models import Membership, Studio, User
from kernel.sweeps import schedules_reset
from projects.demo import demo_portal_seed, demo_projects_seed

DEMO_EMAIL = "demo@rapport.local"
DEMO_PASSWORD = "rapport-demo-2026"  # noqa: S105 - a documented demo login, refused outside DEBUG
DEMO_STUDIO_SLUG = "demo"


@transaction.atomic
def demo_seed() -> Studio:
    """Create or refresh the demo studio and its owner. Running it again changes nothing else.

    Sets ``studio.demo_portal_url``: a fresh portal link for the demo's client (links add up; each expires).
    """
    studio, _ = Studio.objects.update_or_create(
        slug=DEMO_STUDIO_SLUG,
        defaults={
            "name": "Northlight Studio",
            "timezone": "Europe/Berlin",
            "holiday_country": "DE",
            "holiday_subdivision": "BE",
            "sender_name": "Mira Lindqvist",
            "sender_email": "mira@northlight.example",
            "payment_options": "Bank transfer (IBAN DE00 0000 0000 0000 0000 00), card or PayPal via the invoice link.",
            "contact_card": "Mira Lindqvist — mira@northlight.example — Mon–Fri 09:00–18:00 (Berlin). "
            "Calls: book a slot in your portal.",
        },
    )
    if not studio.working_hours:
        studio.working_hours = {day: (time(9), time(18)) for day in range(5)}
        studio.save(update_fields=["working_hours_json"])
    if studio.settings_saved_at is None:  # the demo's hours were chosen, not left at signup's defaults
        studio.settings_saved_at = studio.local_now()
        studio.save(update_fields=["settings_saved_at"])
    schedules_reset(studio)  # its zone and hours were just (re)set: every scheduled job is due at once
    user = User.objects.filter(email=DEMO_EMAIL).first()
    if user is None:
        user = User.objects.create_user(email=DEMO_EMAIL, password=DEMO_PASSWORD, name="Mira Lindqvist")
    Membership.objects.get_or_create(studio=studio, user=user, defaults={"role": Membership.Role.OWNER})

    demo_clients_seed(studio, today=studio.local_now().date())
    demo_projects_seed(studio, today=studio.local_now().date())
    demo_comms_seed(studio, now=studio.local_now())
    demo_billing_seed(studio, now=studio.local_now())
    studio.demo_portal_url = demo_portal_seed(studio, now=studio.local_now())
    return studio
