"""Demo clients for `seed_demo`: 25 clients, two years of payments, a few touchpoints.

Deterministic (a fixed random seed) and idempotent: clients are matched by name, and a
client that already has payments gets no more.
"""

import random
from datetime import date, datetime, time, timedelta

from clients.models import Client, Contact, Payment, Tag, Touchpoint
from clients.services import tiers_recompute
from kernel.models import Studio

# (name, status, difficulty, yearly budget in euros, contact, tags)
DEMO_CLIENTS = [
    ("Harbor & Pine Architects", "active", 1, 38_000, "Lena Holm", ["retainer", "architecture"]),
    ("Moss Coffee Roasters", "active", 0, 24_000, "Tomás Reyes", ["e-commerce", "retainer"]),
    ("Kite Legal", "active", 3, 19_000, "Oliver Grant", ["legal"]),
    ("Aurora Yoga Studio", "active", 0, 9_000, "Maya Lind", ["wellness"]),
    ("Brightside Dental", "active", 2, 8_500, "Dr. Priya Nair", ["health"]),
    ("Nordwind Sailing School", "active", 1, 7_000, "Jonas Berg", ["education"]),
    ("Atelier Vera", "active", 0, 6_000, "Vera Sokolova", ["fashion", "e-commerce"]),
    ("Copperleaf Catering", "active", 2, 5_500, "Sam Okafor", ["food"]),
    ("Little Fox Bookshop", "active", 0, 4_000, "Ada Fox", ["e-commerce"]),
    ("Greenline Bikes", "active", 1, 3_500, "Marco Bianchi", ["e-commerce"]),
    ("Studio Kalimera", "active", 0, 3_000, "Eleni Papadaki", ["hospitality"]),
    ("Pixel Parade Games", "past", 2, 12_000, "Chris Wong", ["games"]),
    ("Tallinn Tea House", "past", 0, 2_500, "Kadri Tamm", ["food"]),
    ("Riverside Physio", "past", 1, 2_000, "Hannah Cole", ["health"]),
    ("Orbit Analytics", "past", 3, 6_000, "Raj Mehta", ["saas"]),
    ("Fjord Outdoor Gear", "past", 1, 4_500, "Ingrid Dahl", ["e-commerce"]),
    ("Blue Door Bakery", "past", 0, 1_500, "Paul Martin", ["food"]),
    ("Sunset Surf Camp", "past", 1, 1_800, "Ana Lopes", ["hospitality"]),
    ("Quill & Ink Stationery", "active", 0, 2_200, "Nora Quinn", ["e-commerce"]),
    ("Meridian Travel", "active", 2, 2_800, "Yusuf Demir", ["travel"]),
    ("Papercraft Weddings", "lead", 1, 0, "Emma Rossi", ["events"]),
    ("Volt EV Chargers", "lead", 2, 0, "Felix Braun", ["saas"]),
    ("Willow Kindergarten", "lead", 0, 0, "Sofia Berger", ["education"]),
    ("Ironbark Gym", "active", 1, 1_200, "Jack Murphy", ["wellness"]),
    ("Lumen Photography", "active", 0, 900, "Ivan Petrov", ["creative"]),
]


def demo_clients_seed(studio: Studio, *, today: date) -> None:
    rng = random.Random(2026)
    for index, (name, status, difficulty, budget, contact_name, tags) in enumerate(DEMO_CLIENTS):
        since = today - timedelta(days=730 - index * 20)
        client, _ = Client.objects.get_or_create(
            studio=studio,
            name=name,
            defaults={"status": status, "difficulty": difficulty, "client_since": since,
                      "source": rng.choice(["referral", "website", "social", "repeat"])},
        )  # fmt: skip
        local_part = contact_name.split()[-1].lower().strip(".")
        domain = "".join(ch for ch in name.lower() if ch.isalnum())[:18] + ".example"
        Contact.objects.get_or_create(
            studio=studio,
            email=f"{local_part}@{domain}",
            defaults={"client": client, "name": contact_name, "is_primary": True, "role": "Owner"},
        )
        client.tags.set([Tag.objects.get_or_create(studio=studio, name=tag)[0] for tag in tags])
        if budget and not client.payments.exists():
            _seed_payments(studio, client, rng, budget=budget, since=since, today=today, ended=status == "past")
        if not client.touchpoints.exists() and status != "lead":
            last = today - timedelta(days=rng.randint(10, 260))
            Touchpoint.objects.create(studio=studio, client=client, kind=rng.choice(["call", "meeting", "check_in"]),
                                      happened_on=last, note="Caught up on how the site is doing.")  # fmt: skip
            client.last_interaction_at = datetime.combine(last, time(17), tzinfo=studio.zoneinfo)
            client.save(update_fields=["last_interaction_at"])
    tiers_recompute(studio=studio, as_of=today)


def _seed_payments(
    studio: Studio, client: Client, rng: random.Random, *, budget: int, since: date, today: date, ended: bool
) -> None:
    """A deposit and milestone payments per project, roughly `budget` euros a year."""
    end = today - timedelta(days=300) if ended else today
    day = since
    payments = []
    while day < end:
        amount = int(budget / 4 * rng.uniform(0.6, 1.4)) * 100
        payments.append(Payment(studio=studio, client=client, amount_minor=amount, currency=studio.currency,
                                paid_on=day, method=rng.choice(["bank", "bank", "card", "paypal"])))  # fmt: skip
        day += timedelta(days=rng.randint(60, 120))
    if payments and rng.random() < 0.15:
        refund_on = payments[-1].paid_on + timedelta(days=10)
        if refund_on <= today:
            refund = -payments[-1].amount_minor // 4
            payments.append(Payment(studio=studio, client=client, amount_minor=refund, currency=studio.currency,
                                    paid_on=refund_on, note="Partial refund: scope cut"))  # fmt: skip
    Payment.objects.bulk_create(payments)
