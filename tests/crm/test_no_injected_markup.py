"""No user text becomes markup: hostile text in every field is shown as text on every page.

A populated studio (the demo) gets hostile text in every free-text field of every model of the
app, a ``javascript:`` URL in every URL field, template tags in every email template; more arrives
through the public ways in: the inquiry form, a portal message, a survey answer and an inbound
email (``comms.inbound.receive``). Then every dashboard page (as the owner), every portal page (as
the client) and every outbox preview is parsed: no payload may be a live element or attribute.
The content security policy is the second line; this test checks the first.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from html.parser import HTMLParser

import pytest
from django.apps import apps
from django.db import models
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from clients.models import Contact
from comms.inbound import receive
from comms.mail import render_text
from comms.models import EmailTemplate, Message, OutboxEmail
from desk.demo import demo_seed
from kernel.models import Membership, Studio
from projects.forms import ProjectForm
from projects.models import Project, Survey
from projects.portal_access import issue_link
from projects.survey import issue_token, survey_for_invitation
from tests.crm.test_junk_input import build, real_values, url_patterns
from tests.factories import ClientFactory

PAYLOADS = [
    "<img src=x onerror=alert(1)>",
    '"><script>alert(1)</script>',
    "'><svg onload=alert(1)>",
    '<a href="javascript:alert(1)">x</a>',
    "{{ request }}{% debug %}",
]
HOSTILE = "X" + "".join(PAYLOADS)
HOSTILE_MARKUP = "X" + "".join(PAYLOADS[:4])  # what an email template may hold: no template syntax
HOSTILE_URL = "javascript:alert(1)"
APPS = ("crm", "clients", "comms", "projects")
# Machine values, not text a person reads: codes, keys, addresses, choices, numbers as text; and
# rendered output (the outbox's HTML part, a captured email's HTML body), which no person types.
NOT_TEXT = re.compile(
    r"token|hash|key|slug|timezone|currency|language|status|kind|message_id|esp|week|country|subdivision"
    r"|durations|markups|days|password|email|^to$|^cc$|^bcc$|headers|in_reply_to|references|source|direction"
    r"|channel|mode|^template$|^role$|^phone$|^tier|^owner$|^decision$|^path$|^landing$|questions|^job$"
    r"|^html$|^html_body$"
)


def hostile_fields() -> list[tuple[type[models.Model], str, str]]:
    """(model, field, value) for every free-text or URL field of the app's models."""
    found = []
    for label in APPS:
        for model in apps.get_app_config(label).get_models():
            if model is EmailTemplate:
                continue  # its form refuses template syntax: it is filled through the form below
            for field in model._meta.get_fields():
                if not isinstance(field, models.CharField | models.TextField) or not field.editable:
                    continue
                if field.choices or field.unique or field.primary_key or NOT_TEXT.search(field.name):
                    continue
                if isinstance(field, models.EmailField | models.SlugField):
                    continue
                value = HOSTILE_URL if isinstance(field, models.URLField) or field.name == "url" else HOSTILE
                if field.max_length:
                    value = value[: field.max_length]
                found.append((model, field.name, value))
    return found


class LiveMarkup(HTMLParser):
    """Collects every element or attribute a payload could have made live."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.problems: list[str] = []
        self._in_script = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = dict(attrs)
        for name, value in attrs:
            if name.startswith("on"):
                self.problems.append(f"<{tag} {name}={value!r}>")
            link = name in {"href", "src", "action", "formaction", "xlink:href"} and (value or "")
            if link and link.strip().lower().startswith(("javascript:", "data:text/html")):
                self.problems.append(f"<{tag} {name}={value!r}>")
        if tag == "script":
            self._in_script = True
            if not (values.get("src") or "").startswith("/static/"):
                self.problems.append(f"<script {values}>")
        if tag == "img" and values.get("src") == "x":
            self.problems.append(f"<img {values}>")
        if tag == "svg" and "onload" in values:
            self.problems.append("<svg onload>")

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.handle_starttag(tag, attrs)

    def handle_endtag(self, tag: str) -> None:
        if tag == "script":
            self._in_script = False

    def handle_data(self, data: str) -> None:
        if self._in_script and "alert" in data:
            self.problems.append(f"script text {data[:60]!r}")
        # A template tag that ran: Django's {% debug %} and {{ request }} outputs.
        if "WSGIRequest" in data or "'True': True" in data:
            self.problems.append(f"template code ran: {data[:60]!r}")


def live_markup(html: str) -> list[str]:
    parser = LiveMarkup()
    parser.feed(html)
    parser.close()
    return parser.problems


def test_the_detector_sees_each_payload_live() -> None:
    for payload in PAYLOADS[:4]:
        assert live_markup(f"<p>{payload}</p>"), payload
    assert live_markup("<p><WSGIRequest: GET '/'></p>".replace("<W", "&lt;W"))
    assert not live_markup('<p>&lt;img src=x onerror=alert(1)&gt;</p><script src="/static/app.js"></script>')


def test_the_rendered_text_part_is_a_plain_str_that_templates_escape() -> None:
    from django.template import Context, Template
    from django.utils.safestring import SafeData

    text = render_text("emails/friday-update-body.txt", {"first_name": HOSTILE, "project_title": HOSTILE})
    assert not isinstance(text, SafeData)
    assert not live_markup(Template("<pre>{{ text }}</pre>").render(Context({"text": text})))


def test_the_quote_help_text_escapes_the_clients_name(db) -> None:
    studio = demo_seed()
    client = Project.objects.filter(studio=studio).first().client
    client.name, client.difficulty = HOSTILE, 3
    form = ProjectForm(studio=studio, initial={"client": client})
    help_text = str(form.fields["quote_low"].help_text)
    assert "&lt;img" in help_text
    assert not live_markup(help_text)


@pytest.fixture
def hostile_studio(db, settings) -> tuple[Studio, Client, Client, dict[str, int]]:
    """The demo studio with hostile text everywhere; returns it, the owner's and the client's browsers."""
    settings.DEBUG = False
    now = timezone.now()
    studio = demo_seed()
    owner = Membership.objects.get(studio=studio, role=Membership.Role.OWNER).user
    project = Project.objects.filter(studio=studio).exclude(status__in=["lead", "cancelled"]).order_by("pk").first()
    contact = Contact.objects.filter(client=project.client).order_by("pk").first()
    counts = {"fields": 0, "public": 0}

    # Every stored free-text field, every row.
    for model, field, value in hostile_fields():
        for pk in model.objects.values_list("pk", flat=True):  # each row its own: some names are unique
            unique_value = value if value == HOSTILE_URL else f"{value[: len(value) - 8]}#{pk}"
            model.objects.filter(pk=pk).update(**{field: unique_value})
        counts["fields"] += 1
    studio.refresh_from_db()
    studio.survey_questions = HOSTILE + "\nSecond " + HOSTILE
    studio.save(update_fields=["survey_questions"])
    owner_client = Client(raise_request_exception=False)
    owner_client.force_login(owner)
    new_template = reverse("emailtemplates:new")
    template = {"key": "hostile", "language": "en", "name": HOSTILE[:120], "subject": HOSTILE_MARKUP}
    refused = owner_client.post(new_template, {**template, "body": f"Hello {HOSTILE}"})
    assert refused.status_code == 200
    assert not EmailTemplate.objects.filter(key="hostile").exists()
    body = f"Hello {{{{ contact_first_name }}}} {HOSTILE_MARKUP}\n\nNext steps:\n{HOSTILE_MARKUP}"
    assert owner_client.post(new_template, {**template, "body": body}).status_code == 302
    counts["fields"] += 3

    # The public ways in.
    anonymous = Client(raise_request_exception=False)
    anonymous.post(
        reverse("inquiry:form", args=[studio.slug]),
        {"name": HOSTILE[:200], "email": "hostile@inquiry.example", "company": HOSTILE[:200], "message": HOSTILE},
    )
    raw = (
        f"From: =?utf-8?q?{HOSTILE.replace(' ', '_')[:60]}?= <{contact.email}>\r\n"
        f"To: {studio.sender_email}\r\nSubject: {HOSTILE}\r\nMessage-ID: <hostile@client.example>\r\n"
        "MIME-Version: 1.0\r\nContent-Type: multipart/alternative; boundary=b\r\n\r\n"
        f"--b\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n{HOSTILE}\r\n"
        f"--b\r\nContent-Type: text/html; charset=utf-8\r\n\r\n<p>{HOSTILE}</p>"
        f"<a href='{HOSTILE_URL}'>x</a>\r\n--b--\r\n"
    ).encode()
    receive(studio, raw, received_at=now - timedelta(hours=1))
    visitor = Client(raise_request_exception=False)
    _link, token = issue_link(contact)
    visitor.post(reverse("portal:enter", args=[token]))
    visitor.post(reverse("portal:contact"), {"subject": HOSTILE[:200], "text": HOSTILE})
    visitor.post(reverse("portal:call_book"), {"topic": HOSTILE[:300]})
    survey = survey_for_invitation(project, studio=studio, contact=contact)
    Survey.objects.filter(pk=survey.pk).update(invited_at=now, questions=[HOSTILE, "Second " + HOSTILE])
    anonymous.post(
        reverse("survey:answer", args=[issue_token(survey)]),
        {"csat": "7", "nps": "8", "answer_0": HOSTILE, "comment": HOSTILE},
    )
    counts["public"] = 5  # inquiry, inbound email, portal message, call topic, survey answer

    # The Friday update page drafts this week's update from the (hostile) milestones: open it once.
    owner_client.get(reverse("projects:update", args=[project.pk]))
    return studio, owner_client, visitor, counts


def pages(studio: Studio, prefix_ok, *, extra: list[str]) -> list[str]:
    owner = Membership.objects.get(studio=studio, role=Membership.Role.OWNER).user
    values = real_values(studio, owner)
    urls = [build(route, values[name]) for route, name in url_patterns() if prefix_ok(name)]
    return urls + extra


def check_pages(client: Client, urls: list[str]) -> tuple[int, list[str]]:
    failures: list[str] = []
    parsed = 0
    for url in urls:
        response = client.get(url)
        assert response.status_code < 500, url
        if response.status_code != 200 or "html" not in response.get("Content-Type", ""):
            continue
        parsed += 1
        failures += [f"{url}: {problem}" for problem in live_markup(response.content.decode())]
    return parsed, failures


DASHBOARD_SKIPPED = ("portal:", "survey:", "inquiry:", "hooks:", "logout", "password_reset_confirm")


def test_no_payload_is_live_on_any_dashboard_portal_or_preview_page(hostile_studio) -> None:
    studio, owner_client, visitor, counts = hostile_studio
    messages = list(Message.objects.filter(studio=studio).values_list("pk", flat=True))
    outbox = list(OutboxEmail.objects.filter(studio=studio).values_list("pk", flat=True))
    projects = list(Project.objects.filter(studio=studio).values_list("pk", flat=True))
    survey = Survey.objects.filter(studio=studio).first()
    previews = [
        *(reverse("comms:outbox_email", args=[pk]) for pk in outbox),
        *(reverse("comms:outbox_email_html", args=[pk]) for pk in outbox),
        *(reverse("comms:message", args=[pk]) for pk in messages),
        *(reverse("comms:compose") + f"?reply_to={pk}" for pk in messages[:5]),
        *(reverse("projects:update", args=[pk]) for pk in projects),
        *(reverse("projects:detail", args=[pk]) for pk in projects),
        reverse("comms:compose") + "?template=hostile",
        reverse("emailtemplates:edit", args=["hostile", "en"]),
        reverse("emailtemplates:edit", args=["hostile", "en"]) + "?preview=1",
        reverse("search") + "?q=X",
    ]
    dashboard = pages(studio, lambda name: not name.startswith(DASHBOARD_SKIPPED), extra=previews)
    portal = pages(
        studio,
        lambda name: name.startswith("portal:") and name not in {"portal:enter", "portal:leave"},
        extra=[reverse("portal:project", args=[pk]) for pk in projects],
    )
    public = [reverse("inquiry:form", args=[studio.slug])] + (
        [reverse("survey:answer", args=[issue_token(survey)])] if survey else []
    )

    parsed_dashboard, dashboard_failures = check_pages(owner_client, dashboard)
    parsed_portal, portal_failures = check_pages(visitor, portal)
    parsed_public, public_failures = check_pages(Client(raise_request_exception=False), public)

    failures = dashboard_failures + portal_failures + public_failures
    assert not failures, "\n".join(failures)
    # The check is not vacuous: the payloads are on the pages, as text.
    home = owner_client.get(reverse("clients:index")).content.decode()
    assert "&lt;img src=x onerror=alert(1)&gt;" in home
    assert counts["fields"] >= 60
    assert parsed_dashboard >= 80
    assert parsed_portal >= 5
    print(
        f"{len(PAYLOADS)} payloads x ({counts['fields']} stored fields + {counts['public']} public ways in); "
        f"pages parsed: {parsed_dashboard} dashboard, {parsed_portal} portal, {parsed_public} public"
    )


def test_an_inbound_email_from_a_hostile_name_shows_as_text_in_the_inbox(owner_client: Client, studio: Studio) -> None:
    contact = Contact.objects.create(
        studio=studio,
        client=ClientFactory(studio=studio),
        name="Ann",
        email="ann@client.example",
    )
    raw = (
        f"From: {HOSTILE[:40]} <{contact.email}>\r\nTo: hello@studio.example\r\nSubject: {HOSTILE}\r\n"
        "Message-ID: <x@client.example>\r\n\r\nHello\r\n"
    ).encode()
    message = receive(studio, raw, received_at=datetime(2026, 11, 18, 9, 0, tzinfo=UTC))
    for url in (reverse("comms:inbox"), reverse("comms:message", args=[message.pk])):
        assert not live_markup(owner_client.get(url).content.decode())
