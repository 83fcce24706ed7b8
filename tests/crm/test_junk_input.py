"""Junk in a path, a query string or a form never gives a 500: every URL pattern is fuzzed.

For every URL pattern (from ``get_resolver``), each path argument in turn is replaced by junk while
the others name real rows of a populated studio; then every query parameter the app reads gets
junk, one at a time and all at once; then a POST carries junk in every form field of the app. As
the owner, anonymously and as a portal visitor. A 500 anywhere fails the test, listing every one.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from urllib.parse import quote, unquote

import pytest
from django import forms
from django.http import QueryDict
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver
from django.urls.converters import get_converters
from django.utils.datastructures import MultiValueDict

from clients.models import Contact
from comms.models import MailboxEmail, Message, OutboxEmail, Thread
from desk.demo import demo_seed
from kernel.models import Membership, Studio, User
from projects.models import ActionItem, Call, ChangeRequest, Milestone, PortalActivity, PortalLink, Project
from projects.portal_access import issue_link

JUNK = ["abc", "%00", "99999999999999999999", "２", "2026-02-30", "'", "-1", "1e3", "1.5", ""]
# For each parameter alone: not a number, a NUL, past 64 bits, a non-ASCII digit, a date that isn't.
FEW = 5
QUERY_PARAMS = [
    "client", "contact", "project", "page", "date", "week", "month", "year", "sort", "status", "deadline", "tab",
    "q", "search", "tier", "tag", "archived", "reply_to", "restore", "template", "language", "duration", "proposal",
    "topic", "next", "start", "day", "from", "to", "kind", "period", "score", "token", "message", "thread",
]  # fmt: skip
SKIPPED = {"admin", "set_language"}
ARGUMENT = re.compile(r"<(?:(?P<converter>\w+):)?(?P<name>\w+)>")


def url_patterns(patterns=None, prefix: str = "", namespace: str = "") -> Iterator[tuple[str, str]]:
    """(route, name) of every URL pattern, namespaces joined, admin left out."""
    for pattern in get_resolver().url_patterns if patterns is None else patterns:
        if isinstance(pattern, URLResolver):
            inner = f"{namespace}:{pattern.namespace}".strip(":") if pattern.namespace else namespace
            if pattern.namespace == "admin":
                continue
            yield from url_patterns(pattern.url_patterns, prefix + str(pattern.pattern), inner)
        elif isinstance(pattern, URLPattern):
            name = f"{namespace}:{pattern.name}".strip(":") if pattern.name else ""
            if name not in SKIPPED:
                yield prefix + str(pattern.pattern), name


def build(route: str, values: dict[str, str]) -> str:
    """The path of ``route`` with each argument replaced by ``values[name]``, as typed in an address bar."""
    path = ARGUMENT.sub(lambda match: values[match.group("name")], route)
    return "/" + path.lstrip("^").rstrip("$")


def url_value(value: str) -> str:
    """``%00`` stays a percent-escape (a NUL once decoded); anything else is quoted."""
    return value if value == "%00" else quote(value, safe="")


def form_field_names() -> set[str]:
    """Every field name of every form class of the app: a junk POST fills them all."""
    names: set[str] = set()
    pending = [forms.Form, forms.ModelForm]
    while pending:
        cls = pending.pop()
        pending.extend(cls.__subclasses__())
        if cls.__module__.split(".")[0] in {"kernel", "clients", "comms", "projects", "guest", "desk"}:
            names.update(getattr(cls, "base_fields", {}))
    return names


def real_values(studio: Studio, owner: User) -> dict[str, dict[str, str]]:
    """For each route name, real values of its path arguments (rows of ``studio``)."""

    def first(model) -> str:
        row = model.objects.filter(studio=studio).order_by("pk").first()
        return str(row.pk) if row else "1"

    project = Project.objects.filter(studio=studio).exclude(status="lead").order_by("pk").first()
    by_kind = {
        "clients": {"pk": str(project.client_id), "contact_pk": first(Contact)},
        "projects": {
            "pk": str(project.pk),
            "milestone_pk": str(getattr(Milestone.objects.filter(project=project).first(), "pk", 1)),
            "item_pk": str(getattr(ActionItem.objects.filter(project=project).first(), "pk", 1)),
        },
        "portal": {
            "pk": str(project.pk),
            "item_pk": str(getattr(ActionItem.objects.filter(project=project).first(), "pk", 1)),
            "change_pk": str(getattr(ChangeRequest.objects.filter(project=project).first(), "pk", 1)),
            "token": "not-a-token",
        },
        "portal_access": {"contact_pk": first(Contact), "link_pk": first(PortalLink), "pk": first(PortalActivity)},
        "calls": {"pk": first(Call), "message_pk": first(Message)},
        "comms": {"pk": first(Message)},
        "emailtemplates": {"key": "acknowledgment", "language": "en"},
        "survey": {"token": "not-a-token", "score": "7"},
        "inquiry": {"slug": studio.slug},
        "hooks": {"esp": "postmark"},
    }
    special = {
        "comms:thread": {"pk": first(Thread)},
        "comms:undo": {"pk": first(OutboxEmail)},
        "portal:call_cancel": {"pk": first(Call)},
        "portal:call_move": {"pk": first(Call)},
        "member_remove": {"pk": str(Membership.objects.get(studio=studio, user=owner).pk)},
        "reports_csv": {"kind": "response"},
        "password_reset_confirm": {"uidb64": "MQ", "token": "set-password"},
    }
    for name in ("outbox_email", "outbox_email_html", "outbox_cancel", "outbox_retry", "outbox_send_now",
                 "outbox_confirm", "outbox_mark_sent"):  # fmt: skip
        special[f"comms:{name}"] = {"pk": first(OutboxEmail)}
    for name in ("mailbox_email", "mailbox_email_html"):
        special[f"comms:{name}"] = {"pk": first(MailboxEmail)}
    values: dict[str, dict[str, str]] = {}
    for route, name in url_patterns():
        known = special.get(name) or by_kind.get(name.split(":")[0], {})
        values[name] = {m.group("name"): known.get(m.group("name"), "1") for m in ARGUMENT.finditer(route)}
    return values


@pytest.fixture
def populated(db, settings) -> tuple[Studio, User, Client, Client, Client]:
    settings.DEBUG = False
    studio = demo_seed()
    owner = Membership.objects.get(studio=studio, role=Membership.Role.OWNER).user
    owner_client = Client(raise_request_exception=False)
    owner_client.force_login(owner)
    visitor = Client(raise_request_exception=False)
    contact = Contact.objects.filter(studio=studio).order_by("pk").first()
    _link, token = issue_link(contact)
    visitor.post(f"/portal/enter/{token}/")
    return studio, owner, owner_client, Client(raise_request_exception=False), visitor


@contextmanager
def params_read() -> Iterator[set[str]]:
    """Record the name of every query or form parameter a view looks up while the block runs."""
    names: set[str] = set()
    originals = {attr: getattr(MultiValueDict, attr) for attr in ("get", "getlist", "__getitem__", "__contains__")}

    def recording(attr: str):
        original = originals[attr]

        def lookup(self, key, *args, **kwargs):
            if isinstance(self, QueryDict):
                names.add(key)
            return original(self, key, *args, **kwargs)

        return lookup

    for attr in originals:
        setattr(MultiValueDict, attr, recording(attr))
    try:
        yield names
    finally:
        for attr, original in originals.items():
            setattr(MultiValueDict, attr, original)


def accepts(converter: str | None, value: str) -> bool:
    """Whether the path converter lets ``value`` reach the view at all (else the resolver says 404)."""
    regex = get_converters()[converter or "str"].regex
    return re.fullmatch(regex, unquote(value)) is not None


def fuzz(client: Client, studio: Studio, owner: User, *, routes: str = "") -> tuple[int, list[str]]:
    """Every request below through ``client``; returns (requests made, "METHOD url -> 500" lines).

    ``routes`` keeps only the URL names starting with it.
    """
    values = real_values(studio, owner)
    fields = sorted(form_field_names())
    failures: list[str] = []
    count = 0

    def check(method: str, url: str, data: dict[str, str] | None = None) -> None:
        nonlocal count
        count += 1
        response = client.post(url, data or {}) if method == "POST" else client.get(url)
        if response.status_code >= 500:
            failures.append(f"{method} {url} -> {response.status_code}")

    for route, name in url_patterns():
        if not name.startswith(routes) or name == "logout":
            continue
        real = values[name]
        for match in ARGUMENT.finditer(route):
            for junk in JUNK:
                if junk and accepts(match.group("converter"), url_value(junk)):
                    check("GET", build(route, {**real, match.group("name"): url_value(junk)}))
        base = build(route, real)
        with params_read() as read:
            client.get(base + "?" + "&".join(f"{param}=1" for param in QUERY_PARAMS))
        for param in sorted(read):  # each parameter the page reads, alone, so that none hides another
            for junk in JUNK[:FEW]:
                check("GET", f"{base}?{quote(param)}={url_value(junk)}")
        for junk in JUNK[:4]:
            check("GET", base + "?" + "&".join(f"{param}={url_value(junk)}" for param in QUERY_PARAMS))
            check("POST", base, {field: junk.replace("%00", "\x00") for field in fields})
    return count, failures


@pytest.mark.parametrize(("who", "routes"), [("owner", ""), ("anonymous", ""), ("portal visitor", "portal:")])
def test_no_junk_input_gives_a_500(populated, who: str, routes: str) -> None:
    studio, owner, owner_client, anonymous, visitor = populated
    client = {"owner": owner_client, "anonymous": anonymous, "portal visitor": visitor}[who]

    count, failures = fuzz(client, studio, owner, routes=routes)

    assert not failures, f"{len(failures)} of {count} requests gave a 500:\n" + "\n".join(failures)
    print(f"{who}: {count} junk requests, none gave a 500")
    if who == "owner":
        assert client.get("/").status_code == 200  # still signed in: the fuzz ran as the owner throughout


def test_a_nul_in_the_query_string_is_a_readable_400_not_a_database_error(owner_client):
    response = owner_client.get("/clients/?search=%00")

    assert response.status_code == 400
    assert "This address can't be read" in response.content.decode()
    assert owner_client.get("/clients/?search=ann").status_code == 200
