"""Date and time inputs carry ISO values in every language, and a form saved unchanged keeps its dates.

Browsers show an ``<input type="date">`` empty unless its value is ISO (``2026-12-07``); a Russian
``07.12.2026`` once made the project form erase the start date on an unchanged save.
"""

import importlib
import re
from datetime import UTC, date, datetime, time
from html.parser import HTMLParser

import pytest
import time_machine
from django import forms
from django.conf import settings
from django.test import Client as Browser
from django.urls import reverse
from django.utils import translation

from clients.models import Client, Payment, Touchpoint
from comms.models import Commitment, Message
from kernel import widgets
from kernel.models import Studio
from projects.models import MaintenancePlan
from tests.factories import ClientFactory, ContactFactory, MessageFactory, ProjectFactory

NOW = datetime(2026, 12, 7, 9, 30, tzinfo=UTC)  # a Monday, 10:30 in Berlin
LANGUAGES = ["en", "ru"]
ISO = {
    "date": re.compile(r"^\d{4}-\d{2}-\d{2}$"),
    "time": re.compile(r"^\d{2}:\d{2}$"),
    "datetime-local": re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}$"),
}
FORM_MODULES = [
    "clients.forms", "guest.inquiry_forms", "comms.forms", "comms.source_forms", "comms.template_forms",
    "kernel.forms", "projects.forms", "projects.call_forms", "guest.portal_forms", "guest.survey_forms",
    "projects.update_forms", "guest.call_forms",
    "projects.busy_calendar_forms",
]  # fmt: skip


class FormReader(HTMLParser):
    """The values a browser would submit for each ``<form>`` of a page, and the type of each input."""

    def __init__(self) -> None:
        super().__init__()
        self.forms: list[dict] = []
        self._select: str | None = None
        self._select_first: str | None = None
        self._option: str | None = None
        self._textarea: str | None = None

    def handle_starttag(self, tag: str, attrs: list) -> None:
        attr = {key: value or "" for key, value in attrs}
        if tag == "form":
            self.forms.append({"action": attr.get("action", ""), "data": {}, "types": {}})
            return
        if not self.forms or "disabled" in attr:
            return
        form, name = self.forms[-1], attr.get("name", "")
        if tag == "input" and name:
            kind = attr.get("type", "text")
            form["types"][name] = kind
            if kind in ("submit", "button", "reset", "image", "file"):
                return
            if kind in ("checkbox", "radio"):
                if "checked" in attr:
                    form["data"].setdefault(name, []).append(attr.get("value", "on"))
                return
            form["data"].setdefault(name, []).append(attr.get("value", ""))
        elif tag == "select" and name:
            self._select, self._select_first = name, None
            form["data"].setdefault(name, [])
        elif tag == "option" and self._select:
            value = attr.get("value", "")
            if self._select_first is None:
                self._select_first = value
            if "selected" in attr:
                form["data"][self._select].append(value)
        elif tag == "textarea" and name:
            self._textarea = name
            form["data"][name] = [""]

    def handle_endtag(self, tag: str) -> None:
        if tag == "select" and self._select:
            values = self.forms[-1]["data"][self._select]
            if not values and self._select_first is not None:
                values.append(self._select_first)  # a browser submits the first option
            self._select = None
        elif tag == "textarea":
            self._textarea = None

    def handle_data(self, data: str) -> None:
        if self._textarea and self.forms:
            text = self.forms[-1]["data"][self._textarea]
            text[0] += data.removeprefix("\n") if not text[0] else data


def page_form(html: str, field: str) -> tuple[dict, dict]:
    """(data, input types) of the page's form that has ``field``."""
    reader = FormReader()
    reader.feed(html)
    for form in reader.forms:
        if field in form["types"] or field in form["data"]:
            return form["data"], form["types"]
    raise AssertionError(f"no form with {field!r} on the page")


def round_trip(browser: Browser, url: str, field: str, *, fill: dict | None = None) -> dict:
    """GET ``url``, check every date/time input shows ISO, POST the form back as shown (plus ``fill``)."""
    page = browser.get(url)
    assert page.status_code == 200
    data, types = page_form(page.content.decode(), field)
    for name, kind in types.items():
        if kind in ISO and data.get(name, [""])[0]:
            assert ISO[kind].match(data[name][0]), f"{name}={data[name][0]!r} is not an ISO {kind} value"
    data.update({name: [value] for name, value in (fill or {}).items()})
    response = browser.post(url, data)
    errors = re.findall(r"invalid-feedback[^>]*>\s*(?:<strong>)?([^<]*)", response.content.decode())
    assert response.status_code == 302, (
        errors,
        response.context and response.context.get("form") and response.context["form"].errors,
    )
    return data


@pytest.fixture
def browser(owner_client: Browser, request) -> Browser:
    owner_client.cookies[settings.LANGUAGE_COOKIE_NAME] = request.param
    return owner_client


@pytest.fixture(autouse=True)
def frozen():
    with time_machine.travel(NOW, tick=False):
        yield


def customer(studio: Studio) -> Client:
    client = ClientFactory(studio=studio, name="Bakery", client_since=date(2023, 4, 5))
    ContactFactory(client=client, email="zoe@bakery.example", is_primary=True)
    return client


@pytest.mark.parametrize("browser", LANGUAGES, indirect=True)
def test_the_project_form_saved_unchanged_keeps_its_dates(browser: Browser, studio: Studio):
    project = ProjectFactory(client=customer(studio), start_on=date(2026, 12, 14), deadline_on=date(2027, 2, 26))

    data = round_trip(browser, reverse("projects:edit", args=[project.pk]), "start_on")

    assert data["start_on"] == ["2026-12-14"]
    project.refresh_from_db()
    assert (project.start_on, project.deadline_on) == (date(2026, 12, 14), date(2027, 2, 26))


@pytest.mark.parametrize("browser", LANGUAGES, indirect=True)
def test_a_new_projects_dates_can_be_set_and_edited(browser: Browser, studio: Studio):
    project = ProjectFactory(client=customer(studio), start_on=date(2026, 12, 14), deadline_on=None)

    round_trip(browser, reverse("projects:edit", args=[project.pk]), "start_on", fill={"deadline_on": "2027-03-01"})

    project.refresh_from_db()
    assert (project.start_on, project.deadline_on) == (date(2026, 12, 14), date(2027, 3, 1))


@pytest.mark.parametrize("browser", LANGUAGES, indirect=True)
def test_the_client_form_saved_unchanged_keeps_client_since(browser: Browser, studio: Studio):
    client = customer(studio)

    round_trip(browser, reverse("clients:edit", args=[client.pk]), "client_since")

    client.refresh_from_db()
    assert client.client_since == date(2023, 4, 5)


@pytest.mark.parametrize("browser", LANGUAGES, indirect=True)
def test_the_settings_saved_unchanged_keep_the_working_hours(browser: Browser, studio: Studio):
    studio.working_hours_json = {"0": ["08:30", "17:15"], "4": ["09:00", "13:00"]}
    studio.save()
    before = studio.working_hours

    data = round_trip(browser, reverse("settings"), "mon_open")

    assert (data["mon_open"], data["mon_close"]) == (["08:30"], ["17:15"])
    studio.refresh_from_db()
    assert studio.working_hours == before == {0: (time(8, 30), time(17, 15)), 4: (time(9), time(13))}


@pytest.mark.parametrize("browser", LANGUAGES, indirect=True)
def test_a_payment_saved_as_shown_is_paid_today(browser: Browser, studio: Studio):
    client = customer(studio)

    data = round_trip(browser, reverse("clients:payment_add", args=[client.pk]), "paid_on", fill={"amount": "120.00"})

    assert data["paid_on"] == ["2026-12-07"]
    assert Payment.objects.get(client=client).paid_on == date(2026, 12, 7)


@pytest.mark.parametrize("browser", LANGUAGES, indirect=True)
def test_a_touchpoint_saved_as_shown_happened_today(browser: Browser, studio: Studio):
    client = customer(studio)

    round_trip(
        browser,
        reverse("clients:touchpoint_add", args=[client.pk]),
        "happened_on",
        fill={"kind": "call", "note": "Coffee"},
    )

    assert Touchpoint.objects.get(client=client).happened_on == date(2026, 12, 7)


@pytest.mark.parametrize("browser", LANGUAGES, indirect=True)
def test_a_maintenance_plan_saved_as_shown_starts_today(browser: Browser, studio: Studio):
    project = ProjectFactory(client=customer(studio), status="launched")

    round_trip(
        browser,
        reverse("projects:maintenance_add", args=[project.pk]),
        "start_on",
        fill={"monthly_price": "90", "included": "Updates"},
    )

    assert MaintenancePlan.objects.get(client=project.client).start_on == date(2026, 12, 7)


@pytest.mark.parametrize("browser", LANGUAGES, indirect=True)
def test_a_logged_call_saved_as_shown_happened_now(browser: Browser, studio: Studio):
    client = customer(studio)

    data = round_trip(
        browser, reverse("comms:log") + f"?client={client.pk}", "when", fill={"client": str(client.pk), "summary": "Hi"}
    )

    assert data["when"] == ["2026-12-07T10:30"]  # Berlin, the studio's zone
    assert Message.objects.get(client=client).sent_at == NOW


@pytest.mark.parametrize("browser", LANGUAGES, indirect=True)
def test_the_project_page_date_forms_accept_iso_in_every_language(browser: Browser, studio: Studio):
    """Milestone, next step, instalment and deadline move: an ISO date posts in both languages."""
    project = ProjectFactory(client=customer(studio), start_on=date(2026, 12, 1), deadline_on=date(2027, 3, 1))
    detail = browser.get(reverse("projects:detail", args=[project.pk])).content.decode()
    move = browser.get(reverse("projects:move_date", args=[project.pk])).content.decode()
    for page, field in ((detail, "due_on"), (move, "new_date")):
        assert page_form(page, field)[1][field] == "date"

    browser.post(
        reverse("projects:milestone_add", args=[project.pk]), {"title": "Design", "due_on": "2027-01-15", "order": "1"}
    )
    browser.post(
        reverse("projects:action_add", args=[project.pk]), {"owner": "client", "text": "Logo", "due_on": "2027-01-08"}
    )
    browser.post(reverse("projects:move_date", args=[project.pk]), {"new_date": "2027-03-12", "reason": "Texts late."})

    project.refresh_from_db()
    assert project.milestones.get().due_on == date(2027, 1, 15)
    assert project.action_items.get(text="Logo").due_on == date(2027, 1, 8)
    assert project.deadline_on == date(2027, 3, 12)


def form_classes() -> list[type[forms.BaseForm]]:
    found = set()
    for module_name in FORM_MODULES:
        module = importlib.import_module(module_name)
        for value in vars(module).values():
            if isinstance(value, type) and issubclass(value, forms.BaseForm) and value.__module__ == module_name:
                found.add(value)
    return sorted(found, key=lambda cls: f"{cls.__module__}.{cls.__name__}")


TEMPORAL = {
    forms.DateTimeField: (widgets.DateTimeInput, datetime(2026, 12, 7, 10, 30), "2026-12-07T10:30"),
    forms.DateField: (widgets.DateInput, date(2026, 12, 7), "2026-12-07"),
    forms.TimeField: (widgets.TimeInput, time(10, 30), "10:30"),
}


@pytest.mark.parametrize("form_class", form_classes(), ids=lambda cls: f"{cls.__module__}.{cls.__name__}")
def test_every_declared_date_field_renders_iso_in_russian(form_class: type[forms.BaseForm]):
    for name, field in form_class.base_fields.items():
        for field_type, (widget_type, value, iso) in TEMPORAL.items():
            if isinstance(field, field_type):
                assert isinstance(field.widget, widget_type), f"{form_class.__name__}.{name} uses {field.widget!r}"
                with translation.override("ru"):
                    assert f'value="{iso}"' in field.widget.render(name, value)
                    assert field.clean(iso) is not None
                break


def test_the_module_list_covers_every_forms_module():
    """A new forms module joins FORM_MODULES, so the check above sees its fields."""
    from pathlib import Path

    root = Path(settings.BASE_DIR)
    modules = {
        ".".join(path.relative_to(root).with_suffix("").parts)
        for app in ("kernel", "clients", "comms", "projects", "guest", "desk")
        for path in (root / app).glob("*forms.py")
    }
    assert modules == set(FORM_MODULES)


@pytest.mark.parametrize("browser", LANGUAGES, indirect=True)
def test_an_acknowledgment_sent_as_shown_promises_the_shown_time(browser: Browser, studio: Studio):
    client = customer(studio)
    question = MessageFactory(thread__studio=studio, thread__client=client, from_email="zoe@bakery.example")
    url = reverse("comms:compose") + f"?reply_to={question.pk}&template=acknowledgment"

    data = round_trip(browser, url, "promised_by")

    shown = datetime.fromisoformat(data["promised_by"][0]).replace(tzinfo=studio.zoneinfo)
    assert Commitment.objects.get(client=client).promised_by == shown
