from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser

from desk.demo import DEMO_EMAIL, DEMO_PASSWORD, demo_seed


class Command(BaseCommand):
    help = "Create (or refresh) the demo studio and its login. Safe to run any number of times."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--force", action="store_true", help="Seed even with DEBUG off (the demo password is public)."
        )

    def handle(self, *args: Any, force: bool = False, **options: Any) -> None:
        if not settings.DEBUG and not force:
            raise CommandError(
                "Refusing to create a demo login with a public password while DEBUG is off. "
                "Use --force if you really mean it."
            )
        studio = demo_seed()
        self.stdout.write(
            self.style.SUCCESS(f"Demo studio '{studio.name}' ready. Sign in as {DEMO_EMAIL} / {DEMO_PASSWORD}")
        )
        if studio.demo_portal_url:
            self.stdout.write(f"Open the client portal as the demo's client: {studio.demo_portal_url}")
