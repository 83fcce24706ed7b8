"""Search from the navigation bar: grouped, studio-scoped, case-insensitive in Cyrillic too, in constant queries."""

from datetime import UTC, datetime, timedelta

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from desk import search
from tests.factories import ClientFactory, ContactFactory, MessageFactory, ProjectFactory

NOW = datetime(2026, 11, 25, 10, 0, tzinfo=UTC)


def results(browser: Client, query: str) -> str:
    response = browser.get(reverse("search"), {"q": query})
    assert response.status_code == 200
    return response.content.decode()


def message(crm_client, subject: str, *, sent_at: datetime = NOW, **fields):
    return MessageFactory(thread__client=crm_client, thread__subject=subject, sent_at=sent_at, **fields)


def fill(studio, count: int, *, start_at: int = 0) -> None:
    """`count` rows in every group that all match "Harbor"."""
    for index in range(start_at, start_at + count):
        crm_client = ClientFactory(studio=studio, name=f"Harbor {index}")
        ContactFactory(client=crm_client, name=f"Person {index}", email=f"p{index}@harbor.example")
        ProjectFactory(client=crm_client, title=f"Harbor site {index}")
        message(crm_client, f"Harbor question {index}", sent_at=NOW - timedelta(hours=index))


# Pure parts: no database.


@pytest.mark.parametrize(
    ("raw", "expected"),
    [("  Anna   Petrova ", "Anna Petrova"), (None, ""), ("", ""), ("x" * 300, "x" * search.MAX_LENGTH)],
)
def test_the_query_is_trimmed_and_capped(raw, expected):
    assert search.normalize(raw) == expected


def test_a_query_shorter_than_two_characters_is_not_searched():
    assert not search.is_searchable("a")
    assert search.is_searchable("ab")


def test_case_variants_cover_how_cyrillic_words_are_written():
    assert set(search.case_variants("дизайн")) == {"дизайн", "Дизайн", "ДИЗАЙН"}
    # SQLite's LIKE already folds ASCII: an English query needs one spelling
    assert search.case_variants("Ab") == ["Ab"]
    assert search.case_variants("acme дизайн") == ["acme дизайн", "ACME ДИЗАЙН", "Acme Дизайн"]


def test_on_postgresql_each_field_is_matched_once_as_upper_folds_every_script():
    condition = search.matches(["name", "email"], "дизайн", vendor="postgresql")
    assert len(condition.children) == 2


def test_highlight_marks_every_occurrence_ignoring_case():
    assert search.highlight("Дизайн и дизайн", "ДИЗАЙН") == (("Дизайн", True), (" и ", False), ("дизайн", True))
    assert search.highlight("Harbor", "zz") == (("Harbor", False),)
    assert search.highlight("", "zz") == ()


def test_highlight_leaves_text_plain_when_lower_case_changes_its_length():
    assert search.highlight("İstanbul", "stan") == (("İstanbul", False),)


# Through the page.


def test_each_group_finds_its_rows_and_links_to_their_pages(owner_client: Client, studio):
    acme = ClientFactory(studio=studio, name="Acme Bakery")
    contact = ContactFactory(client=acme, name="Nora Quist", email="nora@acme.example", phone="+49 30 5550199")
    project = ProjectFactory(client=acme, title="Bakery relaunch")
    mail = message(acme, "Bakery photos", from_name="Nora Quist", from_email="nora@acme.example")

    page = results(owner_client, "bakery")

    assert reverse("clients:detail", args=[acme.pk]) in page
    assert reverse("projects:detail", args=[project.pk]) in page
    assert reverse("comms:message", args=[mail.pk]) in page
    contacts = results(owner_client, "5550199")
    assert "Nora Quist" in contacts
    assert reverse("clients:detail", args=[contact.client_id]) in contacts


@pytest.mark.parametrize("query", ["nora@acme", "Quist", "NORA QUIST"])
def test_a_client_is_found_through_its_contacts_name_or_email(owner_client: Client, studio, query):
    acme = ClientFactory(studio=studio, name="Acme")
    ContactFactory(client=acme, name="Nora Quist", email="nora@acme.example")

    page = results(owner_client, query)

    assert f'href="{reverse("clients:detail", args=[acme.pk])}"' in page
    assert 'data-testid="search-empty"' not in page


def test_a_contact_is_found_by_one_of_their_other_addresses(owner_client: Client, studio):
    ContactFactory(
        client__studio=studio, name="Nora Quist", email="nora@acme.example", other_emails=["nq@home.example"]
    )

    page = results(owner_client, "nq@home")

    assert "Nora Quist" in page
    assert "<mark>nq@home</mark>.example" in page


def test_messages_are_found_by_sender_newest_first_and_bodies_are_not_searched(owner_client: Client, studio):
    acme = ClientFactory(studio=studio, name="Acme")
    older = message(acme, "Invoice", from_name="Vera Lind", sent_at=NOW - timedelta(days=2))
    newer = message(acme, "Logo", from_name="Vera Lind", sent_at=NOW)
    message(acme, "Hello", text="Vera mentioned the budget", from_name="Someone")

    page = results(owner_client, "vera")

    assert page.index(reverse("comms:message", args=[newer.pk])) < page.index(reverse("comms:message", args=[older.pk]))
    assert "Hello" not in page.split('data-testid="search-messages"')[1]
    assert "searching the subjects and senders of the latest 50,000 messages" in page


def test_only_the_latest_messages_of_the_studio_are_searched(studio):
    acme = ClientFactory(studio=studio, name="Acme")
    oldest = message(acme, "Logo v1", sent_at=NOW)  # stored first: outside a window of two
    message(acme, "Logo v2", sent_at=NOW - timedelta(days=1))
    message(acme, "Logo v3", sent_at=NOW - timedelta(days=2))
    message(ClientFactory(), "Logo elsewhere")  # another studio's newer row takes no room in the window

    found = search.message_hits(studio=studio, query="logo", window=2)

    assert [hit.obj.subject for hit in found.hits] == ["Logo v2", "Logo v3"]
    assert oldest.pk not in [hit.obj.pk for hit in found.hits]


@pytest.mark.parametrize("query", ["дизайн", "Дизайн", "ДИЗАЙН"])
def test_cyrillic_is_matched_whatever_the_case(owner_client: Client, studio, query):
    bureau = ClientFactory(studio=studio, name="Дизайн-бюро «Север»")
    project = ProjectFactory(client=bureau, title="Новый дизайн сайта")
    mail = message(bureau, "ДИЗАЙН: правки")

    page = results(owner_client, query)

    assert reverse("clients:detail", args=[bureau.pk]) in page
    assert reverse("projects:detail", args=[project.pk]) in page
    assert reverse("comms:message", args=[mail.pk]) in page


def test_archived_clients_are_found_and_marked(owner_client: Client, studio):
    ClientFactory(studio=studio, name="Harbor Current")
    ClientFactory(studio=studio, name="Harbor Old", archived_at=timezone.now())

    page = results(owner_client, "harbor")

    assert page.index("Current") < page.index("Old")
    assert page.count('data-testid="archived"') == 1


def test_wildcards_in_the_query_are_literal(owner_client: Client, studio):
    ClientFactory(studio=studio, name="Sale 50% off")
    ClientFactory(studio=studio, name="Sale 500 visitors")

    page = results(owner_client, "50%")

    assert "off" in page
    assert "visitors" not in page


def test_names_are_escaped_inside_highlights(owner_client: Client, studio):
    ClientFactory(studio=studio, name="<b>Bold</b> Studio")

    page = results(owner_client, "bold")

    assert "<b>" not in page
    assert "&lt;b&gt;<mark>Bold</mark>&lt;/b&gt; Studio" in page


def test_a_short_query_shows_a_hint_and_searches_nothing(owner_client: Client, studio, django_assert_num_queries):
    ClientFactory(studio=studio, name="X Corp")

    with django_assert_num_queries(0):
        assert search.search(studio=studio, query="x") is None
    page = results(owner_client, "x")

    assert 'data-testid="search-hint"' in page
    assert "X Corp" not in page


def test_nothing_of_another_studio_is_found(owner_client: Client, charlie_client: Client, studio, other_studio):
    ours = ClientFactory(studio=studio, name="Harbor Ours")
    message(ours, "Harbor news ours")
    theirs = ClientFactory(studio=other_studio, name="Harbor Theirs")
    ContactFactory(client=theirs, name="Harbor Person", email="harbor@theirs.example")
    ProjectFactory(client=theirs, title="Harbor Theirs site")
    message(theirs, "Harbor news theirs")

    page = results(owner_client, "harbor")
    assert "Harbor Ours" in page
    assert "</mark> news ours" in page
    assert "heirs" not in page
    assert "Harbor Person" not in page
    assert "Ours" not in results(charlie_client, "harbor")


def test_each_group_shows_its_limit_and_says_there_are_more(owner_client: Client, studio):
    fill(studio, search.MESSAGE_LIMIT + 1)

    page = results(owner_client, "harbor")

    assert f"{search.LIMIT}+" in page
    assert f"{search.MESSAGE_LIMIT}+" in page
    found = search.search(studio=studio, query="harbor")
    assert [group.count for group in found.groups] == [search.LIMIT] * 3 + [search.MESSAGE_LIMIT]
    assert all(group.more for group in found.groups)


def test_the_page_needs_the_same_queries_whatever_the_data_size(
    owner_client: Client, studio, django_assert_max_num_queries
):
    fill(studio, 2)
    owner_client.get(reverse("search"), {"q": "harbor"})  # the session, warm
    with CaptureQueriesContext(connection) as small:
        results(owner_client, "harbor")

    fill(studio, 40, start_at=2)
    with django_assert_max_num_queries(len(small)), CaptureQueriesContext(connection) as large:
        results(owner_client, "harbor")

    # session, user, studio, one per group (4), the scheduler heartbeat
    assert len(large) == len(small) <= 8


def test_the_navigation_bar_has_a_labelled_search_box_for_members(owner_client: Client, client: Client, studio):
    page = owner_client.get(reverse("today")).content.decode()

    nav = page.split('data-testid="nav-search"')[1].split("</form>")[0]
    assert f'action="{reverse("search")}"' in page
    assert 'type="search" name="q"' in nav
    assert '<label class="visually-hidden" for="nav-search-q">' in nav
    assert 'data-testid="nav-search"' not in client.get(reverse("login")).content.decode()


def test_search_needs_a_signed_in_member(client: Client, db):
    response = client.get(reverse("search"), {"q": "harbor"})
    assert response.status_code == 302
    assert response.url.startswith(reverse("login"))
