from datetime import datetime
from zoneinfo import ZoneInfo

import time_machine
from django.core.management import call_command

from comms.models import Commitment, Message, OutboxEmail, RawEmail
from desk.demo import DEMO_STUDIO_SLUG
from kernel.models import Studio

WEDNESDAY_MORNING = datetime(2026, 11, 25, 11, 0, tzinfo=ZoneInfo("Europe/Berlin"))


@time_machine.travel(WEDNESDAY_MORNING, tick=False)
def test_the_demo_inbox_shows_every_kind_of_mail_once(db, settings):
    settings.DEBUG = True
    call_command("seed_demo")
    call_command("seed_demo")

    studio = Studio.objects.get(slug=DEMO_STUDIO_SLUG)
    messages = Message.objects.for_studio(studio)
    open_clocks = messages.open_clocks()
    assert open_clocks.count() == 3
    assert open_clocks.filter(reply_due_at__lt=WEDNESDAY_MORNING).count() == 1  # Moss Coffee, five days ago
    assert open_clocks.filter(is_urgent=True).get().client.name == "Brightside Dental"
    assert messages.filter(client__isnull=True, direction="in").get().from_email == "jana@novak-ceramics.example"
    assert messages.filter(is_automatic=True).count() == 1
    commitment = Commitment.objects.get(studio=studio)
    assert commitment.fulfilled_at is None
    assert commitment.message.replied_at is not None
    assert RawEmail.objects.filter(studio=studio).count() == 6
    scheduled = OutboxEmail.objects.get(studio=studio, idempotency_key="demo-check-in-little-fox")
    assert scheduled.send_after > WEDNESDAY_MORNING
