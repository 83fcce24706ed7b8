"""The inbox tabs, the message and thread pages, and their actions."""

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.conf import settings
from django.db import connection
from django.test import Client as Browser
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import translation

from clients.models import Contact
from comms.models import Commitment, Message
from tests.factories import ClientFactory, ContactFactory, MessageFactory, OutboxEmailFactory, ThreadFactory

BERLIN = ZoneInfo("Europe/Berlin")
NOW = datetime(2026, 11, 18, 11, 0, tzinfo=BERLIN)  # a Wednesday, working time

pytestmark = pytest.mark.usefixtures("frozen")


@pytest.fixture
def frozen():
    with time_machine.travel(NOW, tick=False):
        yield


@pytest.fixture
def acme(studio):
    client = ClientFactory(studio=studio, name="Acme Bakery")
    ContactFactory(client=client, name="Ann Baker", email="ann@bakery.example", is_primary=True)
    return client


def owed(client, *, due, subject="Question", **fields):
    thread = ThreadFactory(client=client, subject=subject)
    fields.setdefault("sent_at", due - timedelta(hours=9))
    return MessageFactory(thread=thread, subject=subject, needs_reply=True, reply_due_at=due, **fields)


def unmatched(studio, **fields):
    thread = ThreadFactory(studio=studio, client=None, subject="Website?")
    return MessageFactory(thread=thread, subject="Website?", **fields)


def test_the_inbox_needs_a_signed_in_member(client: Browser, db):
    response = client.get(reverse("comms:inbox"))
    assert response.status_code == 302
    assert "login" in response.url


def test_replies_owed_come_oldest_due_first_with_countdowns_and_breached_rows_in_red(owner_client, acme):
    owed(acme, due=NOW + timedelta(hours=3, minutes=20), subject="Later")
    owed(acme, due=NOW - timedelta(hours=2), subject="Breached", is_urgent=True)
    owed(acme, due=NOW + timedelta(minutes=30), subject="Soon")

    response = owner_client.get(reverse("comms:inbox"))

    rows = [row.subject for row in response.context["rows"]]
    assert rows == ["Breached", "Soon", "Later"]
    html = response.content.decode()
    assert html.index("Breached") < html.index("Soon") < html.index("Later")
    breached_row = html[html.index('data-testid="owed-row" class="table-danger"') :]
    assert "overdue by 2 h" in breached_row[: breached_row.index("</tr>")]
    assert "urgent" in breached_row[: breached_row.index("</tr>")]
    assert html.count('class="table-danger"') == 1
    assert "due in 3 h 20 min" in html
    assert "due in 30 min" in html
    assert 'hx-trigger="every 60s"' in html
    assert reverse("comms:compose") + "?reply_to=" in html
    assert "template=acknowledgment" in html


def test_the_inbox_shows_received_times_in_the_studios_time_zone(owner_client, acme):
    owed(acme, due=NOW + timedelta(hours=1), sent_at=datetime(2026, 11, 18, 8, 5, tzinfo=BERLIN))

    assert "Wed 18 Nov, 08:05" in owner_client.get(reverse("comms:inbox")).content.decode()


def test_a_queued_reply_shows_in_the_owed_row(owner_client, studio, acme):
    message = owed(acme, due=NOW + timedelta(hours=1))
    OutboxEmailFactory(studio=studio, reply_to_message=message, send_after=NOW + timedelta(seconds=30))

    assert "reply leaves Wed 11:00" in owner_client.get(reverse("comms:inbox")).content.decode()


def test_a_queued_reply_shows_in_its_owed_row_on_a_later_page(owner_client, studio, acme):
    messages = [owed(acme, due=NOW + timedelta(hours=1, minutes=n), subject=f"Q{n:02d}") for n in range(30)]
    OutboxEmailFactory(studio=studio, reply_to_message=messages[27], send_after=NOW + timedelta(seconds=30))

    first = owner_client.get(reverse("comms:inbox")).context["rows"]
    second = owner_client.get(reverse("comms:inbox"), {"page": "2"}).context["rows"]

    assert [row.answer_kind for row in first] == [None] * 25
    assert [(row.pk, row.answer_kind) for row in second if row.answer_kind] == [(messages[27].pk, "reply")]


def test_the_inbox_only_shows_the_studios_own_mail(owner_client, acme, other_studio):
    owed(ClientFactory(studio=other_studio), due=NOW, subject="Not yours")
    unmatched(other_studio)

    for tab in ("owed", "unmatched", "all", "automatic", "promised"):
        response = owner_client.get(reverse("comms:inbox"), {"tab": tab})
        assert "Not yours" not in response.content.decode()
        assert list(response.context["rows"]) == []


def fill(studio, acme, count):
    for index in range(count):
        contact_client = ClientFactory(studio=studio)
        message = owed(contact_client, due=NOW + timedelta(minutes=index), subject=f"Q{index}")
        Commitment.objects.create(
            studio=studio, client=contact_client, message=message, description="d", promised_by=NOW
        )
        unmatched(studio, from_email=f"stranger{index}@example.com")
        MessageFactory(thread=ThreadFactory(client=acme), is_automatic=True, automatic_reason="auto-reply")
        OutboxEmailFactory(studio=studio, reply_to_message=message)


@pytest.mark.parametrize("tab", ["owed", "promised", "unmatched", "automatic", "all"])
def test_each_tab_runs_the_same_number_of_queries_for_1_or_30_rows(
    owner_client, studio, acme, tab, django_assert_max_num_queries
):
    fill(studio, acme, 1)
    owner_client.get(reverse("comms:inbox"), {"tab": tab})  # the session and the studio are loaded once
    with CaptureQueriesContext(connection) as one_row:
        owner_client.get(reverse("comms:inbox"), {"tab": tab})
    fill(studio, acme, 29)

    with django_assert_max_num_queries(len(one_row.captured_queries)):
        response = owner_client.get(reverse("comms:inbox"), {"tab": tab})
    assert len(response.context["rows"]) >= 25


def test_the_inbox_is_paginated(owner_client, studio, acme):
    for index in range(30):
        owed(acme, due=NOW + timedelta(minutes=index), subject=f"Q{index:02}")

    first = owner_client.get(reverse("comms:inbox"))
    second = owner_client.get(reverse("comms:inbox"), {"page": 2})

    assert len(first.context["rows"]) == 25
    assert [row.subject for row in second.context["rows"]] == [f"Q{index}" for index in range(25, 30)]
    assert first.context["counts"]["owed"] == 30


def test_promised_tab_lists_open_promises_overdue_in_red(owner_client, studio, acme):
    message = owed(acme, due=NOW)
    Commitment.objects.create(
        studio=studio, client=acme, message=message, description="Full answer to “Logo”",
        promised_by=NOW - timedelta(hours=1),
    )  # fmt: skip
    Commitment.objects.create(studio=studio, client=acme, description="Kept", promised_by=NOW, fulfilled_at=NOW)

    response = owner_client.get(reverse("comms:inbox"), {"tab": "promised"})

    html = response.content.decode()
    assert [c.description for c in response.context["rows"]] == ["Full answer to “Logo”"]
    assert 'data-testid="promise-row" class="table-danger"' in html
    assert "overdue by 1 h" in html


def test_automatic_mail_is_kept_in_its_own_tab_without_a_clock(owner_client, acme):
    MessageFactory(
        thread=ThreadFactory(client=acme), subject="Out of office", is_automatic=True, automatic_reason="auto-reply"
    )

    response = owner_client.get(reverse("comms:inbox"), {"tab": "automatic"})

    assert "Out of office" in response.content.decode()
    assert "auto-reply" in response.content.decode()
    assert response.context["counts"]["owed"] == 0


def test_the_automatic_tab_and_message_page_name_the_reason_in_russian(owner_client, acme):
    message = MessageFactory(
        thread=ThreadFactory(client=acme), subject="Out of office", is_automatic=True, automatic_reason="auto-reply"
    )
    owner_client.cookies[settings.LANGUAGE_COOKIE_NAME] = "ru"

    inbox = owner_client.get(reverse("comms:inbox"), {"tab": "automatic"}).content.decode()
    page = owner_client.get(reverse("comms:message", args=[message.pk])).content.decode()

    for html in (inbox, page):
        assert "автоответ" in html
        assert "auto-reply" not in html


@pytest.mark.parametrize(
    ("reason", "english", "russian"),
    [
        ("auto-reply", "auto-reply", "автоответ"),
        ("bounce", "bounce", "недоставленное"),
        ("list", "mailing list", "рассылка"),
        ("auto-submitted", "auto-submitted", "auto-submitted"),  # an unknown value shows as it is
    ],
)
def test_an_automatic_reason_has_a_label_in_the_active_language(reason, english, russian):
    message = Message(automatic_reason=reason)

    with translation.override("en"):
        assert message.automatic_reason_label == english
    with translation.override("ru"):
        assert message.automatic_reason_label == russian


def test_the_unmatched_tab_offers_the_clients_and_a_new_client_from_the_sender(owner_client, studio, acme):
    unmatched(studio, from_email="zoe@newshop.example")

    html = owner_client.get(reverse("comms:inbox"), {"tab": "unmatched"}).content.decode()

    assert "zoe@newshop.example" in html
    assert f'<option value="{acme.pk}">Acme Bakery</option>' in html
    assert "New client from sender" in html


def test_assigning_unmatched_mail_to_a_client_starts_its_clock(owner_client, studio, acme):
    message = unmatched(studio, sent_at=NOW - timedelta(hours=1))
    next_url = reverse("comms:inbox") + "?tab=unmatched"

    response = owner_client.post(reverse("comms:assign", args=[message.pk]), {"client": acme.pk, "next": next_url})

    assert response.url == next_url
    message.refresh_from_db()
    assert message.client == acme
    assert message.is_open


def test_creating_a_client_from_the_sender_in_one_step(owner_client, studio):
    message = unmatched(studio, from_email="zoe@newshop.example", from_name="Zoe New")

    owner_client.post(reverse("comms:assign", args=[message.pk]), {"create": "1", "client_name": "New Shop"})

    message.refresh_from_db()
    assert message.client.name == "New Shop"
    assert Contact.objects.get(client=message.client).email == "zoe@newshop.example"


def test_assign_without_a_choice_says_so_and_changes_nothing(owner_client, studio):
    message = unmatched(studio)

    response = owner_client.post(reverse("comms:assign", args=[message.pk]), {}, follow=True)

    assert "Choose a client, or create one from the sender." in response.content.decode()
    message.refresh_from_db()
    assert message.client is None


def test_another_studios_client_cannot_be_assigned(owner_client, studio, other_studio):
    message = unmatched(studio)
    foreign = ClientFactory(studio=other_studio)

    owner_client.post(reverse("comms:assign", args=[message.pk]), {"client": foreign.pk})

    message.refresh_from_db()
    assert message.client is None


def test_no_reply_needed_stops_the_clock(owner_client, acme):
    message = owed(acme, due=NOW + timedelta(hours=1))

    response = owner_client.post(reverse("comms:no_reply_needed", args=[message.pk]))

    assert response.url == reverse("comms:message", args=[message.pk])
    message.refresh_from_db()
    assert (message.replied_at, message.replied_by) == (NOW, None)
    assert owner_client.get(reverse("comms:inbox")).context["rows"] == []


def test_actions_need_post(owner_client, acme):
    message = owed(acme, due=NOW)
    assert owner_client.get(reverse("comms:no_reply_needed", args=[message.pk])).status_code == 405


@pytest.mark.parametrize(
    ("name", "method"),
    [("comms:message", "get"), ("comms:no_reply_needed", "post"), ("comms:assign", "post")],
)
def test_another_studios_message_is_a_404(charlie_client, acme, name, method):
    message = owed(acme, due=NOW)

    response = getattr(charlie_client, method)(reverse(name, args=[message.pk]))

    assert response.status_code == 404
    message.refresh_from_db()
    assert message.is_open


def test_another_studios_thread_is_a_404(charlie_client, acme):
    message = owed(acme, due=NOW)
    assert charlie_client.get(reverse("comms:thread", args=[message.thread_id])).status_code == 404


def test_the_message_page_shows_headers_in_local_time_text_quote_html_and_attachments(owner_client, acme):
    message = owed(
        acme,
        due=NOW + timedelta(hours=2),
        subject="Logo",
        from_name="Ann Baker",
        from_email="ann@bakery.example",
        cc=["bob@bakery.example"],
        sent_at=datetime(2026, 11, 18, 8, 30, tzinfo=BERLIN),
        text="Blue please.\n\n> On Monday you wrote:\n> which colour?",
        text_new="Blue please.",
        safe_html="<p>Blue <strong>please</strong>.</p>",
        attachments=[{"name": "logo.pdf", "size": 20480, "content_type": "application/pdf"}],
    )

    response = owner_client.get(reverse("comms:message", args=[message.pk]))

    html = response.content.decode()
    assert response.status_code == 200
    assert "Ann Baker &lt;ann@bakery.example&gt;" in html
    assert "bob@bakery.example" in html
    assert "Wednesday 18 November 2026, 08:30" in html
    assert "due in 2 h" in html
    assert '<div class="pre-wrap border-top pt-3" data-testid="text-new">Blue please.</div>' in html
    assert "<details" in html
    assert "which colour?" in html
    assert "Blue <strong>please</strong>." in html
    assert "logo.pdf" in html
    assert "20.0\xa0KB" in html


def test_inbound_html_never_brings_scripts_or_handlers_into_the_page(owner_client, acme):
    message = owed(
        acme,
        due=NOW,
        safe_html='<p onclick="steal()">Hi</p><script>alert(1)</script><img src="https://track.example/p.gif" '
        'onerror="x()"><a href="javascript:alert(1)">x</a><iframe src="https://evil.example"></iframe>',
    )

    html = owner_client.get(reverse("comms:message", args=[message.pk])).content.decode()

    assert "<p>Hi</p>" in html
    for forbidden in ("alert(1)", "steal()", "onerror", "track.example", "javascript:", "<iframe", "evil.example"):
        assert forbidden not in html


@pytest.mark.parametrize(
    ("fields", "state"),
    [
        ({"is_automatic": True, "automatic_reason": "bounce"}, "no clock: automatic mail"),
        ({"needs_reply": True, "reply_due_at": NOW, "replied_at": NOW - timedelta(hours=1)}, "answered"),
        ({"needs_reply": True, "reply_due_at": NOW - timedelta(hours=3)}, "overdue by 3 h"),
    ],
)
def test_the_message_page_says_where_the_clock_stands(owner_client, acme, fields, state):
    message = MessageFactory(thread=ThreadFactory(client=acme), **fields)

    assert state in owner_client.get(reverse("comms:message", args=[message.pk])).content.decode()


def test_an_unmatched_message_page_offers_to_assign_it(owner_client, studio, acme):
    message = unmatched(studio, from_name="Zoe New")

    html = owner_client.get(reverse("comms:message", args=[message.pk])).content.decode()

    assert "no clock: unknown sender" in html
    assert reverse("comms:assign", args=[message.pk]) in html
    assert 'value="Zoe New"' in html


def test_the_thread_page_shows_the_conversation_in_order(owner_client, studio, acme):
    thread = ThreadFactory(client=acme, subject="Logo")
    MessageFactory(thread=thread, subject="Logo", text="Second", sent_at=NOW - timedelta(hours=1), direction="out")
    MessageFactory(thread=thread, subject="Logo", text="First", sent_at=NOW - timedelta(hours=2))

    response = owner_client.get(reverse("comms:thread", args=[thread.pk]))

    html = response.content.decode()
    assert html.index("First") < html.index("Second")
    assert len(response.context["entries"]) == 2


def test_the_all_mail_tab_links_threads(owner_client, acme):
    thread = ThreadFactory(client=acme, subject="Invoice")
    MessageFactory(thread=thread)

    html = owner_client.get(reverse("comms:inbox"), {"tab": "all"}).content.decode()

    assert reverse("comms:thread", args=[thread.pk]) in html


def test_unknown_tab_falls_back_to_replies_owed(owner_client):
    assert owner_client.get(reverse("comms:inbox"), {"tab": "nope"}).context["tab"] == "owed"


def test_the_inbox_links_new_email_and_log_a_call(owner_client):
    html = owner_client.get(reverse("comms:inbox")).content.decode()
    assert reverse("comms:compose") in html
    assert reverse("comms:log") in html


def test_the_tabs_count_owed_breached_promised_and_unmatched(owner_client, studio, acme):
    owed(acme, due=NOW - timedelta(hours=1))
    unmatched(studio)

    counts = owner_client.get(reverse("comms:inbox")).context["counts"]

    assert counts == {"owed": 1, "any_breached": True, "promised": 0, "unmatched": 1}


def test_the_client_page_shows_recent_mail_in_one_query(owner_client, acme, django_assert_max_num_queries):
    thread = ThreadFactory(client=acme, subject="Logo")
    MessageFactory(thread=thread, subject="Logo", sent_at=NOW - timedelta(hours=1))
    url = reverse("clients:detail", args=[acme.pk])
    owner_client.get(url)
    with CaptureQueriesContext(connection) as one_mail:
        owner_client.get(url)
    for index in range(10):
        MessageFactory(thread=thread, subject=f"Mail {index}", sent_at=NOW - timedelta(minutes=index))

    with django_assert_max_num_queries(len(one_mail.captured_queries)):
        html = owner_client.get(url).content.decode()

    assert html.count('href="/comms/messages/') == 5
    recent = html.split('data-testid="recent-mail"')[1].split("</ul>")[0]
    assert "Mail 0" in recent
    assert "Logo" not in recent
    assert f"{reverse('comms:compose')}?client={acme.pk}" in html


@pytest.mark.parametrize("tab", ["owed", "unmatched", "automatic", "promised", "all"])
def test_a_tab_built_for_one_studio_shows_another_only_its_own_mail(
    owner_client, charlie_client, acme, other_studio, tab
):
    """Each tab's page SQL is built once per process: the next studio must still read only its own rows."""
    theirs = ClientFactory(studio=other_studio, name="Other Co")
    for client, subject in ((acme, "Ours"), (theirs, "Theirs")):
        message = owed(client, due=NOW + timedelta(hours=1), subject=subject)
        Commitment.objects.create(
            studio=client.studio, client=client, message=message, description=subject, promised_by=NOW
        )
        unmatched(client.studio, from_name=subject)
        MessageFactory(thread=ThreadFactory(client=client, subject=subject), subject=subject, is_automatic=True)

    pages = {}
    for name, browser in (("ours", owner_client), ("theirs", charlie_client)):
        response = browser.get(reverse("comms:inbox"), {"tab": tab})
        assert response.status_code == 200
        pages[name] = response.content.decode()
    assert "Ours" in pages["ours"]
    assert "Theirs" not in pages["ours"]
    assert "Theirs" in pages["theirs"]
    assert "Ours" not in pages["theirs"]
