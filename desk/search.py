"""Search across a studio's clients, contacts, projects and messages (the navigation bar's box).

One query per group, whatever the data size: each group fetches one row more than it shows, so
"10+" needs no COUNT. Matching is a case-insensitive substring (``icontains``).

Case and scripts: PostgreSQL compares ``UPPER()`` of both sides, which folds Cyrillic and Greek
too. SQLite's ``LIKE`` folds ASCII letters only, so "дизайн" would miss "Дизайн"; on SQLite each
field is matched against a few spellings of the query (as typed, lower case, upper case,
capitalized, title case), which covers how names and subjects are written in practice. A
mixed-case spelling such as "дИзАйн" is not found on SQLite; nothing new is stored for search.

Messages: only the subject and the sender (name and address) of the studio's latest
MESSAGE_WINDOW messages (the most recently stored) are searched, never the body. A substring
match can use no index: with 2 million messages in one studio, matching subjects and senders
across all of them took 12-19 s on SQLite and 7-8 s on PostgreSQL (every row is read; a body
search as long). Within the window it took 0.15 s on SQLite and 0.4 s on PostgreSQL, and stays
so whatever the total, as the window comes from an index. A full-text or trigram index would lift
the window (a migration: SQLite FTS5, PostgreSQL pg_trgm).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import reduce
from operator import or_
from string import ascii_lowercase, ascii_uppercase
from typing import Generic, TypeVar

from django.db import connection
from django.db.models import F, Model, Q, QuerySet, Subquery, Value
from django.db.models.functions import Coalesce

from clients.models import Client, Contact
from comms.models import Message
from kernel.models import Studio
from projects.models import Project

MIN_LENGTH = 2
MAX_LENGTH = 100
LIMIT = 10
MESSAGE_LIMIT = 20
MESSAGE_WINDOW = 50_000

M = TypeVar("M", bound=Model)
# Text cut into runs, each flagged True where it matches the query: the template marks those.
Parts = tuple[tuple[str, bool], ...]


def normalize(raw: str | None) -> str:
    """The query as searched: surrounding and repeated spaces removed, at most MAX_LENGTH characters."""
    return " ".join((raw or "").split())[:MAX_LENGTH]


def is_searchable(query: str) -> bool:
    return len(query) >= MIN_LENGTH


_ASCII_FOLD = str.maketrans(ascii_uppercase, ascii_lowercase)


def case_variants(query: str) -> list[str]:
    """The spellings of `query` that SQLite's ``LIKE`` (which folds ASCII letters only) needs.

    Spellings that differ in ASCII letters only are one for ``LIKE``: an English query costs one
    ``LIKE`` per field, a Cyrillic one up to five (as typed, lower, upper, capitalized, title case).
    """
    spellings = [query, query.lower(), query.upper(), query.capitalize(), query.title()]
    unique: dict[str, str] = {}
    for spelling in spellings:
        unique.setdefault(spelling.translate(_ASCII_FOLD), spelling)
    return list(unique.values())


def matches(fields: list[str], query: str, *, vendor: str | None = None) -> Q:
    """Any of `fields` contains `query`, ignoring case (see the module docstring for SQLite)."""
    vendor = vendor or connection.vendor
    spellings = case_variants(query) if vendor == "sqlite" else [query]
    return reduce(or_, (Q(**{f"{name}__icontains": spelling}) for name in fields for spelling in spellings))


def highlight(text: str, query: str) -> Parts:
    """`text` cut around every case-insensitive occurrence of `query` (for <mark>; escaping stays with the template)."""
    if not text:
        return ()
    folded, needle = text.lower(), query.lower()
    # lower() can change a string's length (e.g. "İ"): then positions would not line up; show it plain.
    if not needle or len(folded) != len(text) or len(needle) != len(query):
        return ((text, False),)
    parts: list[tuple[str, bool]] = []
    start = 0
    while (found := folded.find(needle, start)) != -1:
        if found > start:
            parts.append((text[start:found], False))
        parts.append((text[found : found + len(needle)], True))
        start = found + len(needle)
    if start < len(text):
        parts.append((text[start:], False))
    return tuple(parts)


def joined(*texts: str, query: str, separator: str = " · ") -> Parts:
    """The non-empty `texts`, each highlighted, joined by `separator`."""
    parts: list[tuple[str, bool]] = []
    for text in filter(None, texts):
        if parts:
            parts.append((separator, False))
        parts.extend(highlight(text, query))
    return tuple(parts)


@dataclass(frozen=True)
class Hit(Generic[M]):
    """One row found, with its main line and second line cut for highlighting."""

    obj: M
    title: Parts
    subtitle: Parts = ()


@dataclass(frozen=True)
class Group(Generic[M]):
    hits: list[Hit[M]]
    limit: int
    more: bool = False  # there are more than `limit` matches: shown as "10+"

    @property
    def count(self) -> int:
        return len(self.hits)


@dataclass(frozen=True)
class Results:
    query: str
    clients: Group[Client]
    contacts: Group[Contact]
    projects: Group[Project]
    messages: Group[Message]
    total: int = field(init=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "total", sum(group.count for group in self.groups))

    @property
    def groups(self) -> tuple[Group, ...]:
        return (self.clients, self.contacts, self.projects, self.messages)


def _first(queryset: QuerySet[M], limit: int) -> tuple[list[M], bool]:
    """The first `limit` rows and whether there are more, in one query."""
    rows = list(queryset[: limit + 1])
    return rows[:limit], len(rows) > limit


def client_hits(*, studio: Studio, query: str, limit: int = LIMIT) -> Group[Client]:
    """Clients by name or by one of their contacts' name or email; archived ones too, after the current ones."""
    contacts = Contact.objects.filter(studio=studio).filter(matches(["name", "email"], query))
    clients = (
        Client.objects.filter(studio=studio)
        .filter(matches(["name"], query) | Q(pk__in=contacts.values("client_id")))
        .order_by(F("archived_at").asc(nulls_first=True), "name", "pk")
    )
    rows, more = _first(clients, limit)
    return Group([Hit(client, highlight(client.name, query)) for client in rows], limit, more)


def contact_hits(*, studio: Studio, query: str, limit: int = LIMIT) -> Group[Contact]:
    contacts = (
        Contact.objects.filter(studio=studio)
        .filter(matches(["name", "email", "other_emails", "phone"], query))
        .select_related("client")
        .order_by("name", "pk")
    )
    rows, more = _first(contacts, limit)
    needle = query.lower()
    hits = [
        Hit(
            contact,
            highlight(contact.name, query),
            # The other addresses only when one of them is why the contact was found.
            joined(
                contact.email,
                *(email for email in contact.other_emails if needle in str(email).lower()),
                contact.phone,
                query=query,
            ),
        )
        for contact in rows
    ]
    return Group(hits, limit, more)


def project_hits(*, studio: Studio, query: str, limit: int = LIMIT) -> Group[Project]:
    projects = (
        Project.objects.filter(studio=studio)
        .filter(matches(["title"], query))
        .select_related("client")
        .order_by("-created_at", "-pk")
    )
    rows, more = _first(projects, limit)
    return Group([Hit(project, highlight(project.title, query)) for project in rows], limit, more)


def latest_messages(*, studio: Studio, window: int, vendor: str | None = None) -> Q:
    """The studio's latest `window` messages (by id), as a condition that reads no more rows than that.

    SQLite: the ids themselves, taken from the studio index (covering); a range ``id >= floor``
    would make SQLite walk every studio's rows when this one has fewer than `window` messages.
    PostgreSQL plans each studio from its statistics, and a range on the primary key reads the
    window in order: 0.4 s against 0.9 s for the list of ids, with 2 million messages in one studio.
    """
    latest = Message.objects.filter(studio=studio).order_by("-pk").values("pk")
    if (vendor or connection.vendor) == "postgresql":
        return Q(pk__gte=Coalesce(Subquery(latest[window - 1 : window]), Value(0)))
    return Q(pk__in=latest[:window])


def message_hits(
    *, studio: Studio, query: str, limit: int = MESSAGE_LIMIT, window: int = MESSAGE_WINDOW
) -> Group[Message]:
    """Messages by subject or sender among the latest `window`, newest first (see the module docstring).

    The window is a subquery on the studio's index (ids, newest first), so the rows read are at most
    `window`, in a big studio or a small one, on a shared database or not.
    """
    messages = (
        Message.objects.filter(studio=studio)
        .filter(latest_messages(studio=studio, window=window))
        .filter(matches(["subject", "from_email", "from_name"], query))
        .select_related("client")
        .only(
            "pk",
            "subject",
            "from_email",
            "from_name",
            "sent_at",
            "direction",
            "channel",
            "needs_reply",
            "replied_at",
            "client__name",
        )
        .order_by("-sent_at", "-pk")
    )
    rows, more = _first(messages, limit)
    hits = [
        Hit(message, highlight(message.subject, query), joined(message.from_name, message.from_email, query=query))
        for message in rows
    ]
    return Group(hits, limit, more)


def search(*, studio: Studio, query: str) -> Results | None:
    """Every group for `query` (already normalized), or None when it is too short to search."""
    if not is_searchable(query):
        return None
    return Results(
        query=query,
        clients=client_hits(studio=studio, query=query),
        contacts=contact_hits(studio=studio, query=query),
        projects=project_hits(studio=studio, query=query),
        messages=message_hits(studio=studio, query=query),
    )
