"""One busy freelancer's data × a scale, seeded fast and the same way every time (`make bench`, `make loadtest`).

1× is a busy freelancer: 50 clients (2 contacts and a portal link each), 200 projects (5
milestones and 3 next steps each, a survey when completed), 20,000 messages in 2,000 threads
over two years, 5,000 payments (Pareto: a few clients pay most), 2,030 outbox rows, 160 calls,
305 promises, 200 touchpoints and 310 portal events. Everything grows with the scale (10× is
500 clients and 200,000 messages; 100× is 5,000 clients, 2,000,000 messages and 500,000
payments), and so do the open reply clocks: ``OPEN_SHARE`` of the inbound mail, on the most
recent threads. The busy client and its project (the first of each) keep the same size at every
scale: 40 threads (400 messages), 60 payments; so their pages compare like with like.

``Plan`` is pure: rows as dicts, with explicit ids, from a fixed random seed and a given ``now``.
``seed`` writes them with raw ``executemany`` (SQLite) or ``COPY`` (PostgreSQL) in batches, the
large tables' secondary indexes dropped while they load and built once after, without per-row
foreign key checks: 100× (3.2 million rows) takes about three minutes on this project's 2-core
machine, where ``bulk_create`` needed about six for one million messages.
"""

from __future__ import annotations

import hashlib
import json
import math
import random
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager, nullcontext, suppress
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from email.utils import format_datetime
from functools import partial
from typing import Any

from django.apps import apps
from django.core.management.color import no_style
from django.db import DatabaseError, connection, models, transaction
from django.utils import timezone

from clients.services import tiers_recompute
from comms.models import Message
from comms.routing import inbound_address
from kernel.models import Heartbeat, Membership, Studio, User
from kernel.sweeps import schedules_reset
from projects.covered_week import refresh_covered_weeks

SEED = 2026
OPEN_SHARE = 0.02  # of inbound mail still owed a reply
BENCH_EMAIL = "bench@rapport.local"
BENCH_PASSWORD = "rapport-bench-2026"  # noqa: S105 - a throwaway database's login, for the load test
STUDIO_SLUG = "bench"
HISTORY_DAYS = 730
BATCH = 20_000
MESSAGES_PER_THREAD = 10
BUSY_THREADS = 40
BUSY_PAYMENTS = 60
REBUILD_INDEXES_FROM = 50_000  # rows; below that, loading into the indexes costs less than building them

PROJECT_STATUSES = (  # (status, weight)
    ("completed", 40),
    ("launched", 10),
    ("in_progress", 15),
    ("in_review", 5),
    ("waiting_on_client", 5),
    ("awaiting_deposit", 5),
    ("quoted", 5),
    ("lead", 5),
    ("on_hold", 5),
    ("cancelled", 5),
)
ACTIVE = frozenset({"in_progress", "in_review", "waiting_on_client"})
PROJECT_KINDS = ("Website", "Online shop", "Redesign", "Landing page", "Brand refresh", "Maintenance")
MILESTONES = ("Kick-off", "Mock-ups", "Build", "Review", "Launch")
COMPANY_WORDS = ("Alder", "Birch", "Cedar", "Delta", "Ember", "Fjord", "Garnet", "Harbor", "Iris", "Juniper")
BODIES = (
    "Hello,\n\nthanks for the new mock-ups. We looked at them with the team this morning and have a few "
    "remarks on the home page: the header feels heavy on mobile, and the contact block should come first. "
    "Could you send a revised version this week?\n\nBest regards",
    "Hi! Quick question about the invoice for the last milestone: can we pay it in two parts, half now and "
    "half after the launch? Our accountant asks for the bank details once more as well.\n\nThanks",
    "Здравствуйте!\n\nПосмотрели макеты, в целом всё нравится. Есть пара правок по главной странице и по "
    "форме обратной связи, пришлю список завтра. Когда сможем созвониться?\n\nСпасибо",
    "Good morning,\n\nthe texts for the About page are in the shared folder now, and the photos follow on "
    "Friday. Let me know if anything is missing before you start the build.\n\nKind regards",
    "Hello again,\n\nthe shop went live yesterday and the first orders came in. A customer reports that the "
    "checkout button does not react on an older iPhone; could you have a look?\n\nCheers",
)


@dataclass(frozen=True)
class Counts:
    clients: int
    projects: int
    threads: int
    payments: int
    outbox: int
    calls: int
    commitments: int
    portal_activity: int

    @property
    def contacts(self) -> int:
        return 2 * self.clients

    @property
    def messages(self) -> int:
        return MESSAGES_PER_THREAD * self.threads

    @property
    def milestones(self) -> int:
        return len(MILESTONES) * self.projects

    @property
    def action_items(self) -> int:
        return 3 * self.projects

    @property
    def open_threads(self) -> int:
        """One open clock each: ``OPEN_SHARE`` of the inbound mail (half the messages)."""
        return round(OPEN_SHARE * self.messages / 2)


BASE = Counts(
    clients=50,
    projects=200,
    threads=2_000,
    payments=5_000,
    outbox=2_030,
    calls=160,
    commitments=305,
    portal_activity=310,
)


def counts(scale: float) -> Counts:
    """The 1× counts times ``scale``; at least one client and four projects per client."""
    clients = max(1, round(BASE.clients * scale))
    return Counts(
        clients=clients,
        projects=4 * clients,
        **{
            name: max(1, round(getattr(BASE, name) * scale))
            for name in ("threads", "payments", "outbox", "calls", "commitments", "portal_activity")
        },
    )


@dataclass
class Seeded:
    """What the benchmarks need to know about a seeded studio."""

    studio: Any
    user: Any
    busy_project_id: int
    portal_contact_id: int
    counts: Counts
    seconds: float
    rows: dict[str, int] = field(default_factory=dict)


def client_email(client: int, contact: int = 0) -> str:
    """The address of a client's contact (by their indexes): inbound mail from it is filed for that client."""
    return f"c{client}.{contact}@client{client}.example"


def postmark_inbound(
    *, to: str, sender: str, subject: str, in_reply_to: str, number: int | str, sent_at: datetime
) -> str:
    """A Postmark inbound webhook body for one reply: JSON with the raw message (as comms.webhooks's hint asks).

    ``number`` makes its Message-ID unique (a placeholder string works, to fill in later).
    """
    message_id = f"<bench-hook-{number}@client0.example>"
    raw = (
        f"From: Alex Morgan <{sender}>\r\nTo: <{to}>\r\nSubject: {subject}\r\nMessage-ID: {message_id}\r\n"
        f"In-Reply-To: {in_reply_to}\r\nReferences: {in_reply_to}\r\nDate: {format_datetime(sent_at)}\r\n"
        "MIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n"
        "Thanks, the new version looks good. One more thing: can the contact form also ask for a phone "
        "number?\r\n\r\nBest, Alex\r\n"
    )
    payload = {
        "From": sender,
        "FromFull": {"Email": sender, "Name": "Alex Morgan", "MailboxHash": ""},
        "To": to,
        "ToFull": [{"Email": to, "Name": "", "MailboxHash": ""}],
        "OriginalRecipient": to,
        "Subject": subject,
        "MessageID": f"bench-hook-{number}",
        "Headers": [{"Name": "Message-ID", "Value": message_id}, {"Name": "In-Reply-To", "Value": in_reply_to}],
        "TextBody": "Thanks, the new version looks good.",
        "RawEmail": raw,
        "Attachments": [],
    }
    return json.dumps(payload)


def reply_fields(studio, *, project_id: int) -> dict[str, str]:
    """Who writes to whom about what, for ``postmark_inbound``: the busy client answering the project's latest mail."""
    latest = (
        Message.objects.filter(studio=studio, project_id=project_id, direction="out")
        .order_by("-sent_at")
        .values("message_id", "thread__subject")
        .first()
    )
    return {
        "to": inbound_address(studio),
        "sender": client_email(0),
        "subject": f"Re: {latest['thread__subject']}",
        "in_reply_to": latest["message_id"],
    }


# --- the plan: pure ---------------------------------------------------------------------------


class Plan:
    """Every row of one scaled studio as dicts with explicit ids (``offsets`` shift them per table).

    Deterministic: the same scale, ``now`` and seed give the same rows. Each table draws from its
    own random stream, so tables can be generated in any order, or lazily in batches.
    """

    def __init__(
        self,
        scale: float,
        *,
        now: datetime,
        studio_id: int = 1,
        user_id: int = 1,
        offsets: dict[str, int] | None = None,
    ) -> None:
        self.scale = scale
        self.counts = counts(scale)
        self.now = now.astimezone(UTC).replace(microsecond=0)
        self.today = self.now.date()
        self.studio_id = studio_id
        self.user_id = user_id
        self.offsets = offsets or {}
        self._projects = self._project_shapes()
        self._threads = self._thread_shapes()

    def rng(self, table: str) -> random.Random:
        return random.Random(f"{SEED}:{table}")  # noqa: S311 - reproducible data, not secrets

    def id(self, table: str, index: int) -> int:
        return self.offsets.get(table, 0) + index + 1

    # (model label, method that yields its rows), parents before children.
    TABLES = (
        ("clients.Client", "clients"),
        ("clients.Contact", "contacts"),
        ("projects.Project", "projects"),
        ("projects.Milestone", "milestones"),
        ("projects.ActionItem", "action_items"),
        ("projects.StatusUpdate", "status_updates"),
        ("projects.Survey", "surveys"),
        ("projects.PortalLink", "portal_links"),
        ("projects.PortalActivity", "portal_activity"),
        ("projects.Call", "calls"),
        ("clients.Payment", "payments"),
        ("clients.Touchpoint", "touchpoints"),
        ("comms.Thread", "threads"),
        ("comms.Message", "messages"),
        ("comms.OutboxEmail", "outbox"),
        ("comms.Commitment", "commitments"),
    )

    def expected_rows(self, label: str) -> int:
        """Rows the large tables get (0 for the others)."""
        counts = self.counts
        return {
            "comms.Message": counts.messages,
            "comms.Thread": counts.threads,
            "clients.Payment": counts.payments,
            "comms.OutboxEmail": counts.outbox,
            "projects.Milestone": counts.milestones,
            "projects.ActionItem": counts.action_items,
        }.get(label, 0)

    def tables(self) -> list[tuple[str, Callable[[], Iterator[dict]]]]:
        """(model label, row generator), parents before children."""
        return [(label, getattr(self, method)) for label, method in self.TABLES]

    # clients and contacts

    def clients(self) -> Iterator[dict]:
        rng = self.rng("client")
        for index in range(self.counts.clients):
            status = "active" if index == 0 else rng.choices(("active", "past", "lead"), (80, 15, 5))[0]
            since = self.today - timedelta(days=rng.randrange(30, 6 * 365))
            yield {
                "id": self.id("client", index),
                "studio_id": self.studio_id,
                "name": f"{COMPANY_WORDS[index % 10]} {COMPANY_WORDS[(index // 10) % 10]} {index:05d}",
                "kind": "company" if rng.random() < 0.8 else "person",
                "status": status,
                "language": "ru" if rng.random() < 0.15 else "en",
                "source": rng.choice(("referral", "website", "social", "repeat", "")),
                "difficulty": rng.choice((0, 0, 0, 1, 1, 2, 3)),
                "client_since": since,
                "last_interaction_at": self.now - timedelta(days=rng.randrange(0, 240), hours=rng.randrange(24)),
                "archived_at": self.now - timedelta(days=30) if index and rng.random() < 0.02 else None,
                "created_at": datetime.combine(since, datetime.min.time(), tzinfo=UTC),
            }

    def contacts(self) -> Iterator[dict]:
        rng = self.rng("contact")
        for client in range(self.counts.clients):
            for number in range(2):
                yield {
                    "id": self.id("contact", 2 * client + number),
                    "studio_id": self.studio_id,
                    "client_id": self.id("client", client),
                    "name": f"{'Alex Morgan' if number == 0 else 'Sam Ivanova'} ({client})",
                    "email": client_email(client, number),
                    "phone": f"+49 30 {client:05d}{number}",
                    "role": "Owner" if number == 0 else "Marketing",
                    "is_primary": number == 0,
                    "portal_last_seen_at": self.now - timedelta(days=rng.randrange(1, 60)) if number == 0 else None,
                    "created_at": self.now - timedelta(days=400),
                }

    # projects and what hangs off them

    def _project_shapes(self) -> list[tuple[str, date | None, date | None]]:
        """(status, start, deadline) per project: four per client, the first one busy and in progress."""
        rng = self.rng("project-shape")
        statuses, weights = zip(*PROJECT_STATUSES, strict=True)
        shapes = []
        for index in range(self.counts.projects):
            status = "in_progress" if index == 0 else rng.choices(statuses, weights)[0]
            if status in ("lead", "quoted"):
                start = deadline = None
            elif status in ACTIVE or status in ("awaiting_deposit", "on_hold"):
                start = self.today - timedelta(days=rng.randrange(10, 120))
                deadline = self.today + timedelta(days=rng.randrange(-5, 90))
                deadline = max(deadline, start)
            else:  # completed, launched, cancelled: in the past
                start = self.today - timedelta(days=rng.randrange(120, HISTORY_DAYS))
                deadline = start + timedelta(days=rng.randrange(20, 110))
            shapes.append((status, start, deadline))
        return shapes

    def projects(self) -> Iterator[dict]:
        rng = self.rng("project")
        for index, (status, start, deadline) in enumerate(self._projects):
            price = rng.randrange(20, 400) * 10_000
            done = status in ("completed", "launched")
            yield {
                "id": self.id("project", index),
                "studio_id": self.studio_id,
                "client_id": self.id("client", index // 4),
                "title": f"{PROJECT_KINDS[index % len(PROJECT_KINDS)]} {index}",
                "status": status,
                "quote_low_minor": price * 9 // 10,
                "quote_high_minor": price * 12 // 10,
                "price_minor": None if status in ("lead", "quoted") else price,
                "deposit_percent": 50,
                "deposit_requested_at": self.now - timedelta(days=3) if status == "awaiting_deposit" else None,
                "start_on": start,
                "deadline_on": deadline,
                "deliverables": "Home and four inner pages as Figma files, then the built site.",
                "scope": "Design and build of the site; content delivered by the client.",
                "agreement_accepted_at": self.now - timedelta(days=130) if start else None,
                "agreement_accepted_name": "Alex Morgan" if start else "",
                "active_from": start if status in ACTIVE or done else None,
                "active_until": deadline if done else None,
                "launched_on": deadline if done else None,
                "completed_on": deadline if status == "completed" else None,
                "created_at": self.now
                - timedelta(days=HISTORY_DAYS - index * HISTORY_DAYS // (len(self._projects) + 1)),
                "updated_at": self.now - timedelta(days=1),
            }

    def milestones(self) -> Iterator[dict]:
        for index, (status, start, deadline) in enumerate(self._projects):
            for order, title in enumerate(MILESTONES):
                due = None
                if start and deadline:
                    due = start + (deadline - start) * (order + 1) // len(MILESTONES)
                is_done = due is not None and (due < self.today or status in ("completed", "launched"))
                yield {
                    "id": self.id("milestone", index * len(MILESTONES) + order),
                    "project_id": self.id("project", index),
                    "title": title,
                    "due_on": due,
                    "done_at": datetime.combine(due, datetime.min.time(), tzinfo=UTC) if is_done else None,
                    "order": order,
                }

    def action_items(self) -> Iterator[dict]:
        texts = ("Send the texts for the About page", "Approve the mock-ups", "Check the staging site")
        for index, (status, start, _deadline) in enumerate(self._projects):
            for number, text in enumerate(texts):
                is_open = status in ACTIVE and number < 2
                yield {
                    "id": self.id("actionitem", index * 3 + number),
                    "project_id": self.id("project", index),
                    "owner": "client" if number < 2 else "us",
                    "text": text,
                    "due_on": self.today + timedelta(days=number * 4 - 3) if start else None,
                    "done_at": None if is_open or not start else self.now - timedelta(days=10),
                    "created_at": self.now - timedelta(days=20),
                }

    def status_updates(self) -> Iterator[dict]:
        number = 0
        for index, (status, _start, _deadline) in enumerate(self._projects):
            if status not in ACTIVE:
                continue
            for weeks_ago in range(1, 5):
                year, week, _day = (self.today - timedelta(weeks=weeks_ago)).isocalendar()
                yield {
                    "id": self.id("statusupdate", number),
                    "project_id": self.id("project", index),
                    "week": f"{year}-W{week:02d}",
                    "summary": "Mock-ups approved; the build of the inner pages started.",
                    "done_this_week": "Home page built; contact form wired.",
                    "next_up": "Shop pages.",
                    "created_at": self.now - timedelta(weeks=weeks_ago),
                    "sent_at": self.now - timedelta(weeks=weeks_ago),
                }
                number += 1

    def surveys(self) -> Iterator[dict]:
        rng = self.rng("survey")
        number = 0
        for index, (status, _start, deadline) in enumerate(self._projects):
            if status != "completed":
                continue
            invited = datetime.combine(deadline + timedelta(days=7), datetime.min.time(), tzinfo=UTC)
            rated = rng.random() < 0.7
            yield {
                "id": self.id("survey", number),
                "studio_id": self.studio_id,
                "project_id": self.id("project", index),
                "contact_id": self.id("contact", 2 * (index // 4)),
                "token_hash": hashlib.sha256(f"bench-survey-{index}".encode()).hexdigest(),
                "invited_at": invited,
                "rated_at": invited + timedelta(days=1) if rated else None,
                "answered_at": invited + timedelta(days=1) if rated else None,
                "csat": rng.choice((6, 8, 9, 9, 10, 10)) if rated else None,
                "nps": rng.choice((5, 7, 8, 9, 10, 10)) if rated else None,
                "created_at": invited,
            }
            number += 1

    def portal_links(self) -> Iterator[dict]:
        for client in range(self.counts.clients):
            yield {
                "id": self.id("portallink", client),
                "studio_id": self.studio_id,
                "contact_id": self.id("contact", 2 * client),
                "token_hash": hashlib.sha256(f"bench-portal-{client}".encode()).hexdigest(),
                "created_at": self.now - timedelta(days=30),
                "expires_at": self.now + timedelta(days=60),
                "revoked_at": self.now - timedelta(days=2) if client % 20 == 19 else None,
                "last_used_at": self.now - timedelta(days=client % 30),
            }

    def portal_activity(self) -> Iterator[dict]:
        rng = self.rng("portalactivity")
        total = self.counts.portal_activity
        unseen = max(1, round(total * 10 / 310))
        kinds = ("step_done", "message", "call_booked", "accepted", "change_ok")
        for index in range(total):
            client = rng.randrange(self.counts.clients)
            created = self.now - timedelta(hours=(total - index) * 24 * 365 / total)
            yield {
                "id": self.id("portalactivity", index),
                "studio_id": self.studio_id,
                "client_id": self.id("client", client),
                "contact_id": self.id("contact", 2 * client),
                "project_id": self.id("project", 4 * client),
                "kind": kinds[index % len(kinds)],
                "summary": "Ticked “Approve the mock-ups”",
                "url": f"/projects/{self.id('project', 4 * client)}/",
                "created_at": created,
                "seen_at": None if index >= total - unseen else created + timedelta(hours=3),
            }

    def calls(self) -> Iterator[dict]:
        """Over the past year and the next two weeks, in working hours; one in ten cancelled."""
        rng = self.rng("call")
        total = self.counts.calls
        for index in range(total):
            day = self.today + timedelta(days=-365 + index * 379 // total)
            starts = datetime.combine(day, datetime.min.time(), tzinfo=UTC) + timedelta(
                hours=rng.randrange(8, 16), minutes=rng.choice((0, 30))
            )
            client = rng.randrange(self.counts.clients)
            cancelled = rng.random() < 0.1
            yield {
                "id": self.id("call", index),
                "studio_id": self.studio_id,
                "client_id": self.id("client", client),
                "contact_id": self.id("contact", 2 * client),
                "project_id": self.id("project", 4 * client),
                "starts_at": starts,
                "ends_at": starts + timedelta(minutes=rng.choice((15, 30))),
                "topic": "The shop's checkout",
                "status": "cancelled" if cancelled else "booked",
                "uid": f"bench-call-{index}@rapport",
                "cancelled_at": starts - timedelta(days=1) if cancelled else None,
                "cancelled_by": "client" if cancelled else "",
                "created_at": starts - timedelta(days=5),
                "updated_at": starts - timedelta(days=5),
            }

    # money and touch

    def payments(self) -> Iterator[dict]:
        """``BUSY_PAYMENTS`` from the busy client, the rest Pareto-weighted (alpha 1.16, the classic 80/20)."""
        rng = self.rng("payment")
        busy = min(BUSY_PAYMENTS, self.counts.payments)
        others = range(1, self.counts.clients) if self.counts.clients > 1 else range(1)
        weights = [rng.paretovariate(1.16) for _ in others]
        chosen = [0] * busy + rng.choices(others, weights=weights, k=self.counts.payments - busy)
        for index, client in enumerate(chosen):
            amount = round(rng.lognormvariate(math.log(800), 0.9)) * 100
            if rng.random() < 0.01:
                amount = -amount // 2
            paid_on = self.today - timedelta(days=rng.randrange(HISTORY_DAYS))
            yield {
                "id": self.id("payment", index),
                "studio_id": self.studio_id,
                "client_id": self.id("client", client),
                "amount_minor": amount,
                "currency": "EUR",
                "paid_on": paid_on,
                "method": rng.choice(("bank", "bank", "card", "paypal")),
                "project_id": self.id("project", 4 * client + rng.randrange(4)) if rng.random() < 0.5 else None,
                "created_at": datetime.combine(paid_on, datetime.min.time(), tzinfo=UTC),
            }

    def touchpoints(self) -> Iterator[dict]:
        rng = self.rng("touchpoint")
        for client in range(self.counts.clients):
            for number in range(4):
                happened = self.today - timedelta(days=rng.randrange(HISTORY_DAYS))
                yield {
                    "id": self.id("touchpoint", 4 * client + number),
                    "studio_id": self.studio_id,
                    "client_id": self.id("client", client),
                    "kind": ("call", "check_in", "card", "newsletter")[number],
                    "happened_on": happened,
                    "note": "Talked about next year's plans.",
                    "created_by_id": self.user_id,
                    "created_at": datetime.combine(happened, datetime.min.time(), tzinfo=UTC),
                }

    # mail

    def _thread_shapes(self) -> list[tuple[int, int | None, datetime]]:
        """(client, project or None, time of the last message) per thread, oldest first.

        Every ``len // BUSY_THREADS``-th thread belongs to the busy project (project 0 of client 0).
        """
        rng = self.rng("thread")
        total = self.counts.threads
        busy_every = max(1, total // BUSY_THREADS)
        shapes = []
        for index in range(total):
            last = self.now - timedelta(minutes=(total - index) * HISTORY_DAYS * 24 * 60 // total)
            if index % busy_every == 0 and index // busy_every < BUSY_THREADS:
                shapes.append((0, 0, last))
                continue
            client = rng.randrange(1, self.counts.clients) if self.counts.clients > 1 else 0
            project = 4 * client + rng.randrange(4) if rng.random() < 0.7 else None
            shapes.append((client, project, last))
        return shapes

    def is_open_thread(self, index: int) -> bool:
        """The most recent threads each end with an inbound message still owed a reply."""
        return index >= self.counts.threads - self.counts.open_threads

    def threads(self) -> Iterator[dict]:
        for index, (client, project, last) in enumerate(self._threads):
            subject = f"{PROJECT_KINDS[index % len(PROJECT_KINDS)]}: round {index}"
            yield {
                "id": self.id("thread", index),
                "studio_id": self.studio_id,
                "client_id": self.id("client", client),
                "project_id": self.id("project", project) if project is not None else None,
                "subject": subject,
                "subject_key": subject.casefold(),
                "last_message_at": last,
                "created_at": last - timedelta(hours=6 * (MESSAGES_PER_THREAD - 1)),
            }

    def messages(self) -> Iterator[dict]:
        """Ten per thread, six hours apart, alternating in and out; the reply stops the clock.

        Open threads start with an outbound message so they end with the inbound one still owed.
        One inbound message in ten is automatic (no clock), one in thirty urgent.
        """
        rng = self.rng("message")
        for thread, (client, project, last) in enumerate(self._threads):
            is_open = self.is_open_thread(thread)
            subject = f"Re: {PROJECT_KINDS[thread % len(PROJECT_KINDS)]}: round {thread}"
            for number in range(MESSAGES_PER_THREAD):
                index = thread * MESSAGES_PER_THREAD + number
                inbound = (number % 2 == 1) if is_open else (number % 2 == 0)
                sent_at = last - timedelta(hours=6 * (MESSAGES_PER_THREAD - 1 - number))
                last_message = number == MESSAGES_PER_THREAD - 1
                automatic = inbound and not last_message and rng.random() < 0.1
                needs_reply = inbound and not automatic
                body = BODIES[rng.randrange(len(BODIES))]
                yield {
                    "id": self.id("message", index),
                    "studio_id": self.studio_id,
                    "thread_id": self.id("thread", thread),
                    "client_id": self.id("client", client),
                    "project_id": self.id("project", project) if project is not None else None,
                    "direction": "in" if inbound else "out",
                    "from_email": client_email(client) if inbound else "studio@bench.example",
                    "from_name": "Alex Morgan" if inbound else "Bench Studio",
                    "subject": subject,
                    "text": body,
                    "text_new": body,
                    "sent_at": sent_at,
                    "message_id": f"<bench-{index}@{'client' if inbound else 'studio'}.example>",
                    "in_reply_to": f"<bench-{index - 1}@{'studio' if inbound else 'client'}.example>" if number else "",
                    "is_automatic": automatic,
                    "automatic_reason": "auto-submitted" if automatic else "",
                    "is_urgent": needs_reply and rng.random() < 1 / 30,
                    "needs_reply": needs_reply,
                    "reply_due_at": sent_at + timedelta(hours=24) if needs_reply else None,
                    "reply_warn_at": sent_at + timedelta(hours=18) if needs_reply else None,
                    "replied_at": sent_at + timedelta(hours=6) if needs_reply and not last_message else None,
                    "created_at": sent_at,
                }

    def outbox(self) -> Iterator[dict]:
        """Mostly sent history; the last 1 % queued for later, then a few failed or needing attention."""
        rng = self.rng("outbox")
        total = self.counts.outbox
        queued = max(1, round(total * 20 / 2030))
        stuck = round(total * 10 / 2030)
        kinds = ("reply", "reply", "status_update", "digest", "reminder", "survey")
        for index in range(total):
            client = rng.randrange(self.counts.clients)
            late = index - (total - queued - stuck)
            if late >= stuck:
                status, send_after = "queued", self.now + timedelta(hours=1 + late)
            elif late >= 0:
                status, send_after = ("failed" if late % 2 else "attention"), self.now - timedelta(hours=late + 1)
            else:
                status, send_after = (
                    "sent",
                    self.now - timedelta(minutes=(total - index) * HISTORY_DAYS * 1440 // total),
                )
            yield {
                "id": self.id("outboxemail", index),
                "studio_id": self.studio_id,
                "kind": kinds[index % len(kinds)],
                "idempotency_key": f"bench:{index}",
                "from_email": "Bench Studio <studio@bench.example>",
                "to": [client_email(client)],
                "subject": f"Your project, week {index % 52 + 1}",
                "text": BODIES[index % len(BODIES)],
                "send_after": send_after,
                "status": status,
                "attempts": 1 if status != "queued" else 0,
                "last_error": "550 Mailbox unavailable" if status == "failed" else "",
                "sent_at": send_after if status == "sent" else None,
                "message_id_header": f"<bench-out-{index}@studio.example>",
                "client_id": self.id("client", client),
                "created_at": send_after - timedelta(minutes=5),
            }

    def commitments(self) -> Iterator[dict]:
        """Promises made in acknowledgments: kept long ago, but for the newest few still open."""
        rng = self.rng("commitment")
        total = self.counts.commitments
        still_open = max(1, round(total * 5 / 305))
        for index in range(total):
            client = rng.randrange(self.counts.clients)
            is_open = index >= total - still_open
            promised_by = (
                self.now + timedelta(hours=4 + index % 48)
                if is_open
                else self.now - timedelta(hours=(total - index) * HISTORY_DAYS * 24 // total)
            )
            yield {
                "id": self.id("commitment", index),
                "studio_id": self.studio_id,
                "client_id": self.id("client", client),
                "description": "The revised quote",
                "promised_by": promised_by,
                "warn_at": promised_by - timedelta(hours=2),
                "fulfilled_at": None if is_open else promised_by - timedelta(hours=1),
                "created_at": promised_by - timedelta(days=1),
            }


# --- writing ----------------------------------------------------------------------------------


class TableWriter:
    """Inserts row dicts into one model's table: the model's defaults fill what a row leaves out.

    Values pass through the backend's adapters only where they need it (dates on SQLite, JSON);
    a default that is a callable (a token, a uuid) is evaluated once, so unique fields must be
    given per row. Generated columns are left to the database.
    """

    def __init__(self, model: type[models.Model], *, now: datetime) -> None:
        self.model = model
        self.fields = [field for field in model._meta.concrete_fields if not field.generated]
        self.attnames = [field.attname for field in self.fields]
        self.adapters: dict[str, Callable[[Any], Any]] = {}
        template: dict[str, Any] = {}
        sqlite = connection.vendor == "sqlite"
        for model_field in self.fields:
            if isinstance(model_field, models.JSONField):
                # As text: COPY parses it into jsonb on the server (psycopg's Jsonb wrapper dumps it per row).
                self.adapters[model_field.attname] = partial(json.dumps, cls=model_field.encoder)
            elif isinstance(model_field, models.DateTimeField) and sqlite:
                self.adapters[model_field.attname] = _sqlite_datetime
            elif isinstance(model_field, models.DateField) and sqlite:
                self.adapters[model_field.attname] = date.isoformat
            if model_field.primary_key:
                continue
            if getattr(model_field, "auto_now", False) or getattr(model_field, "auto_now_add", False):
                value = now
            else:
                value = model_field.get_default()  # "" for text without a default, else None
            adapter = self.adapters.get(model_field.attname)
            if adapter is not None and value is not None:
                value = adapter(value)
            else:
                value = model_field.get_db_prep_save(value, connection)
            template[model_field.attname] = str(value) if isinstance(value, str) else value  # choices' enums too
        self.index = {name: position for position, name in enumerate(self.attnames)}
        self.template = [template.get(name) for name in self.attnames]  # the primary key is always given
        table, quote = model._meta.db_table, connection.ops.quote_name
        self.columns = ", ".join(quote(name) for name in (field.column for field in self.fields))
        self.table = quote(table)

    def row(self, values: dict) -> list:
        out = self.template.copy()
        index, adapters = self.index, self.adapters
        for name, value in values.items():
            adapter = adapters.get(name)
            out[index[name]] = adapter(value) if adapter is not None and value is not None else value
        return out

    def write(self, rows: Iterator[dict]) -> int:
        written = 0
        batch: list[list] = []
        for values in rows:
            batch.append(self.row(values))
            if len(batch) == BATCH:
                self._insert(batch)
                written += len(batch)
                batch = []
        if batch:
            self._insert(batch)
            written += len(batch)
        return written

    def _insert(self, batch: list[list]) -> None:
        with transaction.atomic(), connection.cursor() as cursor:
            if connection.vendor == "postgresql":
                with cursor.cursor.copy(f"COPY {self.table} ({self.columns}) FROM STDIN") as copy:
                    for row in batch:
                        copy.write_row(row)
            else:
                placeholders = ", ".join(["%s"] * len(self.attnames))
                cursor.executemany(f"INSERT INTO {self.table} ({self.columns}) VALUES ({placeholders})", batch)  # noqa: S608 (names from model metadata)


def _sqlite_datetime(value: datetime) -> str:
    """What Django's SQLite backend stores for an aware datetime (UTC, naive, space-separated), minus its overhead."""
    text = value.isoformat(sep=" ")
    if text.endswith("+00:00"):  # the plan's datetimes are all UTC: the fast path
        return text[:-6]
    return value.astimezone(UTC).replace(tzinfo=None).isoformat(sep=" ")


@contextmanager
def loading() -> Iterator[None]:
    """Load fast into a throwaway database (outside a transaction): no per-row foreign key checks, no fsync.

    SQLite also gets a large page cache and a journal in memory; PostgreSQL skips its foreign key
    triggers when the role may (a superuser's ``session_replication_role``), else checks them.
    The rows are consistent by construction; the tests check the constraints at a small scale.
    """
    if connection.in_atomic_block:
        yield
        return
    if connection.vendor == "postgresql":
        # Not a superuser: the triggers run, the load is slower.
        with connection.cursor() as cursor, suppress(DatabaseError):
            cursor.execute("SET session_replication_role = replica")
        try:
            yield
        finally:
            with connection.cursor() as cursor:
                cursor.execute("RESET session_replication_role")
        return
    with connection.cursor() as cursor:
        cursor.execute("PRAGMA journal_mode")
        journal_mode = cursor.fetchone()[0]
        cursor.execute("PRAGMA journal_mode = MEMORY")  # WAL would write every page twice
        cursor.execute("PRAGMA cache_size = -262144")
        cursor.execute("PRAGMA synchronous = OFF")
        cursor.execute("PRAGMA foreign_keys = OFF")
    try:
        yield
    finally:
        with connection.cursor() as cursor:
            cursor.execute("PRAGMA foreign_keys = ON")
            cursor.execute("PRAGMA synchronous = NORMAL")
            cursor.execute(f"PRAGMA journal_mode = {journal_mode}")


@contextmanager
def indexes_rebuilt(model: type[models.Model]) -> Iterator[None]:
    """Drop the table's secondary indexes while it loads and build them again after: sorted once, not row by row.

    The primary key and the indexes that back a constraint (PostgreSQL) stay.
    """
    table = model._meta.db_table
    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            cursor.execute(
                "SELECT name, sql FROM sqlite_master WHERE type = 'index' AND tbl_name = %s AND sql IS NOT NULL",
                [table],
            )
        else:
            cursor.execute(
                "SELECT i.relname, pg_get_indexdef(i.oid) FROM pg_index x"
                " JOIN pg_class i ON i.oid = x.indexrelid JOIN pg_class t ON t.oid = x.indrelid"
                " WHERE t.relname = %s AND pg_table_is_visible(t.oid) AND NOT x.indisprimary"
                " AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conindid = x.indexrelid)",
                [table],
            )
        indexes = cursor.fetchall()
        for name, _definition in indexes:
            cursor.execute(f"DROP INDEX {connection.ops.quote_name(name)}")
    try:
        yield
    finally:
        with connection.cursor() as cursor:
            for _name, definition in indexes:
                cursor.execute(definition)


def _offset(model: type[models.Model]) -> int:
    return model.objects.aggregate(top=models.Max("pk"))["top"] or 0


def seed(
    scale: float, *, now: datetime | None = None, progress: Callable[[str], None] | None = None, analyze: bool = True
) -> Seeded:
    """Write a studio of ``scale`` × a busy freelancer into the current (fresh, throwaway) database.

    The owner signs in as ``BENCH_EMAIL`` / ``BENCH_PASSWORD``. Ids continue after any rows the
    tables already hold. Ends with the angel tiers computed and the planner's statistics fresh.
    """
    started = time.perf_counter()
    now = now or timezone.now()
    taken = Studio.objects.filter(slug__startswith=STUDIO_SLUG).count()
    studio = Studio.objects.create(
        name="Bench Studio",
        slug=f"{STUDIO_SLUG}-{taken}" if taken else STUDIO_SLUG,
        timezone="Europe/Berlin",
        holiday_country="DE",
        holiday_subdivision="BE",
        sender_name="Bench Studio",
        sender_email="studio@bench.example",
        payment_options="Bank transfer or card.",
        contact_card="Bench Studio, Mon–Fri 09:00–18:00.",
    )
    user = User.objects.filter(email=BENCH_EMAIL).first() or User.objects.create_user(
        email=BENCH_EMAIL, password=BENCH_PASSWORD, name="Bench Owner"
    )
    Membership.objects.create(studio=studio, user=user, role=Membership.Role.OWNER)
    schedules_reset(studio, now)  # as studio_create does: every scheduled job is due for the new studio
    for source in Heartbeat.Source:  # a running worker and beat: no warning banner on every page
        Heartbeat.objects.update_or_create(source=source, defaults={"last_seen_at": now + timedelta(days=1)})

    labels = [label for label, _method in Plan.TABLES]
    offsets = {apps.get_model(label)._meta.model_name: _offset(apps.get_model(label)) for label in labels}
    plan = Plan(scale, now=now, studio_id=studio.pk, user_id=user.pk, offsets=offsets)
    written: dict[str, int] = {}
    with loading():
        for label, rows in plan.tables():
            model = apps.get_model(label)
            table_started = time.perf_counter()
            big = plan.expected_rows(label) >= REBUILD_INDEXES_FROM
            with indexes_rebuilt(model) if big else nullcontext():
                written[label] = TableWriter(model, now=now).write(rows())
            if progress and big:
                progress(f"{label}: {written[label]:,} rows in {time.perf_counter() - table_started:.1f} s")
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            for statement in connection.ops.sequence_reset_sql(no_style(), [apps.get_model(x) for x in labels]):
                cursor.execute(statement)
    tiers_recompute(studio=studio, as_of=studio.local_now(now).date())
    refresh_covered_weeks(studio, now=now)
    if analyze:
        # What autovacuum (PostgreSQL) or PRAGMA optimize (SQLite) does after a load. On PostgreSQL the
        # vacuum matters as much as the statistics: since version 13 autovacuum also visits tables that
        # only grew, and the visibility map it sets is what lets a count read an index alone.
        with connection.cursor() as cursor:
            vacuum = connection.vendor == "postgresql" and not connection.in_atomic_block  # not in a test's transaction
            cursor.execute("VACUUM ANALYZE" if vacuum else "ANALYZE")
    return Seeded(
        studio=studio,
        user=user,
        busy_project_id=plan.id("project", 0),
        portal_contact_id=plan.id("contact", 0),
        counts=plan.counts,
        seconds=time.perf_counter() - started,
        rows=written,
    )
