"""The guest portal's access layer (R13): links, the token interstitial, new links on request, leaving."""

from __future__ import annotations

import logging
import re
from datetime import datetime, timedelta
from unittest import mock
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.conf import settings
from django.contrib.sessions.backends.db import SessionStore
from django.core.cache import cache
from django.db import connection
from django.http import HttpResponse
from django.test import Client as Browser
from django.test import RequestFactory
from django.test.utils import CaptureQueriesContext
from django.urls import URLPattern, URLResolver, include, path, reverse

import crm.urls
from comms.models import OutboxEmail
from comms.outbox import build_message
from guest import portal_access_urls, portal_access_views
from projects import portal_links
from projects.models import PortalActivity, PortalLink
from projects.portal_access import current_visitor, hash_token, issue_link, portal_required
from tests.factories import ClientFactory, ContactFactory

BERLIN = ZoneInfo("Europe/Berlin")
NOW = datetime(2026, 11, 10, 10, 0, tzinfo=BERLIN)  # a Tuesday, working time


# The portal's own pages belong to another module; these tests only need a `portal:home` to land on.
def _home(request):
    return HttpResponse("portal home")


urlpatterns: list[URLPattern | URLResolver] = [
    path("portal/", include(([*portal_access_urls.urlpatterns, path("", _home, name="home")], "portal"))),
    *[pattern for pattern in crm.urls.urlpatterns if not str(pattern.pattern).startswith("portal/")],
]
with_home = pytest.mark.urls(__name__)


@pytest.fixture(autouse=True)
def _fresh_limits():
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def acme(studio):
    return ClientFactory(studio=studio, name="Acme & Sons")


@pytest.fixture
def zoe(acme):
    return ContactFactory(client=acme, name="Zoe Baker", email="zoe@acme.example", is_primary=True)


@pytest.fixture
def link_and_token(zoe):
    return issue_link(zoe, now=NOW)


def enter_url(token: str) -> str:
    return reverse("portal:enter", kwargs={"token": token})


def without_csrf(body: bytes) -> str:
    return re.sub(r'name="csrfmiddlewaretoken" value="[^"]*"', "", body.decode())


def visitor_of(browser: Browser, at: datetime = NOW):
    """The portal visitor the browser's session makes at ``at``, read the way every portal page reads it."""
    with time_machine.travel(at, tick=False):
        request = RequestFactory().get("/portal/")
        request.session = SessionStore(session_key=browser.session.session_key)
        return current_visitor(request)


# --- Links ------------------------------------------------------------------------------------------


def test_only_the_hash_of_a_token_is_stored(link_and_token):
    link, token = link_and_token
    stored = PortalLink.objects.values_list(*[field.attname for field in PortalLink._meta.concrete_fields]).get()

    assert link.token_hash == hash_token(token)
    assert token not in [str(value) for value in stored]
    assert len(token) >= 40


def test_send_link_queues_an_email_with_the_link_and_its_end_date(zoe, studio, owner):
    with time_machine.travel(NOW, tick=False):
        email = portal_links.send_link(zoe, by=owner)

    link = PortalLink.objects.get()
    assert (link.contact, link.created_by, link.expires_at) == (zoe, owner, NOW + timedelta(days=90))
    assert (email.kind, email.idempotency_key, email.to, email.client) == (
        "portal-link",
        f"portal-link:{link.pk}",
        ["zoe@acme.example"],
        zoe.client,
    )
    sent = build_message(email)
    (token,) = re.findall(r"/portal/enter/([^/]+)/", sent.body)
    assert hash_token(token) == link.token_hash
    assert f"{settings.SITE_URL}/portal/enter/{token}/" in sent.body
    assert f'href="{settings.SITE_URL}/portal/enter/{token}/"' in sent.alternatives[0][0]
    assert token not in email.text + email.html + email.subject  # at rest only sealed
    assert "Hello Zoe," in email.text
    assert "works until 8 February 2027." in email.text  # 90 days on, written as every other date
    assert "NEXT STEPS" in email.text


def test_the_russian_link_email_ends_its_sentence_after_the_date_with_one_period(zoe, acme):
    # Django's Russian DATE_FORMAT ends in "г.", so the sentence used to end in "г..".
    acme.language = "ru"
    acme.save()

    email = portal_links.send_link(zoe, now=NOW)

    assert "действует до 8 февраля 2027." in email.text
    assert "действует до 8 февраля 2027." in email.html
    assert ".." not in email.text + email.html


def test_send_link_writes_in_the_clients_language(zoe, acme):
    acme.language = "ru"
    acme.save()
    with mock.patch.object(portal_links, "studio_email_send", wraps=portal_links.studio_email_send) as send:
        portal_links.send_link(zoe, now=NOW)

    assert send.call_args.kwargs["language"] == "ru"


def test_a_new_link_leaves_the_old_one_working(zoe):
    first, _ = issue_link(zoe, now=NOW)
    portal_links.send_link(zoe, now=NOW + timedelta(days=1))

    first.refresh_from_db()
    assert first.is_usable(NOW + timedelta(days=2))
    assert PortalLink.objects.count() == 2


def test_landing_must_be_a_plain_portal_path():
    assert portal_links.safe_landing("/portal/calls/book/") == "/portal/calls/book/"
    assert portal_links.safe_landing("/portal/3/?tab=pay") == "/portal/3/?tab=pay"
    for bad in [
        "https://evil.example/portal/",
        "//evil.example/portal/",
        "/portal\\..\\evil",
        "/portal/../clients/",
        "/clients/",
        "portal/",
        "/portal/enter/abc/",
        "/portal/\nSet-Cookie: x",
        "javascript:alert(1)",
    ]:
        assert portal_links.safe_landing(bad) == "", bad


# --- The token page ---------------------------------------------------------------------------------


def test_opening_a_link_only_shows_a_button_and_starts_no_session(client: Browser, link_and_token):
    _, token = link_and_token
    response = client.get(enter_url(token))

    assert response.status_code == 200
    assert "Open my projects" in response.content.decode()
    assert visitor_of(client) is None
    assert PortalLink.objects.get().last_used_at is None


@with_home
def test_the_button_starts_a_session_and_lands_on_a_url_without_the_token(client: Browser, link_and_token, zoe):
    link, token = link_and_token
    with time_machine.travel(NOW + timedelta(hours=1), tick=False):
        response = client.post(enter_url(token))

    assert response.status_code == 302
    assert response.url == reverse("portal:home")
    assert token not in response.url
    visitor = visitor_of(client, NOW + timedelta(hours=1))
    assert (visitor.contact, visitor.client, visitor.link) == (zoe, zoe.client, link)
    link.refresh_from_db()
    zoe.refresh_from_db()
    assert link.last_used_at == NOW + timedelta(hours=1)
    assert zoe.portal_last_seen_at == NOW + timedelta(hours=1)


@with_home
def test_a_link_opens_on_its_landing_page(client: Browser, zoe):
    portal_links.send_link(zoe, landing="/portal/calls/book/", now=NOW)
    (token,) = re.findall(r"/portal/enter/([^/]+)/", build_message(OutboxEmail.objects.get()).body)

    with time_machine.travel(NOW, tick=False):
        response = client.post(enter_url(token))

    assert response.url == "/portal/calls/book/"


@with_home
@pytest.mark.parametrize("landing", ["https://evil.example/", "//evil.example/", "/clients/", "/portal/../admin/"])
def test_a_stored_landing_outside_the_portal_is_ignored(client: Browser, zoe, landing):
    link, token = issue_link(zoe, now=NOW)
    PortalLink.objects.filter(pk=link.pk).update(landing=landing)  # as if written around the service

    with time_machine.travel(NOW, tick=False):
        response = client.post(enter_url(token))

    assert response.url == reverse("portal:home")


@with_home
def test_token_pages_are_never_cached_indexed_or_referred(client: Browser, link_and_token):
    _, token = link_and_token
    pages = [client.get(enter_url(token)), client.post(enter_url("wrong")), client.get(reverse("portal:expired"))]
    with time_machine.travel(NOW, tick=False):
        pages.append(client.post(enter_url(token)))

    for response in pages:
        # The token never leaves in a Referer; the pages' own forms still post (below).
        assert response["Referrer-Policy"] == "no-referrer"
        assert "no-store" in response["Cache-Control"]
        assert "noindex" in response["X-Robots-Tag"]


def browser_origin(page) -> str:
    """The Origin a browser sends with a same-origin form POST from ``page`` (Fetch spec).

    Under the "no-referrer" policy it is the string "null"; a ``<meta name="referrer">`` in the
    page overrides the header. The test client emulates none of this, so it is done here.
    """
    meta = re.search(r'<meta name="referrer" content="([^"]+)"', page.content.decode())
    policy = meta.group(1) if meta else page["Referrer-Policy"]
    return "null" if policy == "no-referrer" else "http://testserver"


@with_home
def test_a_real_browser_passes_the_csrf_check_on_the_token_pages(link_and_token):
    """Under no-referrer the browser posts with ``Origin: null``; the CSRF token still decides."""
    _, token = link_and_token
    browser = Browser(enforce_csrf_checks=True)

    with time_machine.travel(NOW, tick=False):
        page = browser.get(enter_url(token))
        csrf = browser.cookies[settings.CSRF_COOKIE_NAME].value
        entered = browser.post(enter_url(token), {"csrfmiddlewaretoken": csrf}, HTTP_ORIGIN=browser_origin(page))
        expired = browser.get(reverse("portal:expired"))
        asked = browser.post(
            reverse("portal:request_link"),
            {"email": "zoe@acme.example", "csrfmiddlewaretoken": browser.cookies[settings.CSRF_COOKIE_NAME].value},
            HTTP_ORIGIN=browser_origin(expired),
        )

    assert (entered.status_code, asked.status_code) == (302, 302)


def test_a_null_origin_without_the_csrf_token_is_still_refused(link_and_token):
    _, token = link_and_token
    browser = Browser(enforce_csrf_checks=True)
    with time_machine.travel(NOW, tick=False):
        browser.get(enter_url(token))
        forged = browser.post(enter_url(token), {"csrfmiddlewaretoken": "x" * 32}, HTTP_ORIGIN="null")
        elsewhere = browser.post(
            reverse("portal:leave"),
            {"csrfmiddlewaretoken": browser.cookies[settings.CSRF_COOKIE_NAME].value},
            HTTP_ORIGIN="null",
        )

    assert forged.status_code == 403
    assert elsewhere.status_code == 403  # a null Origin is accepted only on the secret-link pages


def test_wrong_expired_and_revoked_links_get_the_same_answer(client: Browser, zoe):
    expired, expired_token = issue_link(zoe, now=NOW - timedelta(days=91))
    revoked, revoked_token = issue_link(zoe, now=NOW)
    portal_links.revoke(revoked, NOW)

    with time_machine.travel(NOW, tick=False):
        answers = [client.post(enter_url(token)) for token in ["not-a-token", expired_token, revoked_token, "x" * 500]]
        looks = [client.get(enter_url(token)) for token in ["not-a-token", expired_token, revoked_token]]

    assert {response.status_code for response in answers} == {200}
    assert len({without_csrf(response.content) for response in answers}) == 1
    assert "This link no longer works" in answers[0].content.decode()
    assert len({without_csrf(response.content) for response in looks}) == 1
    assert visitor_of(client) is None


def test_the_expired_page_is_the_same_page_a_wrong_link_gets(client: Browser, db):
    assert without_csrf(client.get(reverse("portal:expired")).content) == without_csrf(
        client.post(enter_url("nope")).content
    )


def test_the_interstitial_looks_the_same_for_a_good_and_a_wrong_link(client: Browser, link_and_token):
    _, token = link_and_token
    good = client.get(enter_url(token))
    wrong = client.get(enter_url("not-a-token"))

    assert without_csrf(good.content) == without_csrf(wrong.content)
    assert "Acme" not in good.content.decode()


def test_guessing_is_limited_per_ip_and_logged(client: Browser, link_and_token, caplog):
    _, token = link_and_token
    caplog.set_level(logging.WARNING, logger="rapport.portal")
    limit = portal_access_views.GUESS_LIMIT
    for attempt in range(limit):
        assert client.post(enter_url(f"guess-{attempt}")).status_code == 200

    blocked = client.post(enter_url(token))  # even the right token, once the IP is over the limit
    elsewhere = Browser(REMOTE_ADDR="10.0.0.9").post(enter_url("guess-x"))

    assert blocked.status_code == 429
    assert "This link no longer works" in blocked.content.decode()
    assert elsewhere.status_code == 200
    assert visitor_of(client) is None
    failures = [record.getMessage() for record in caplog.records if "refused (unknown)" in record.getMessage()]
    assert len(failures) == limit + 1
    assert "127.0.0.1" in failures[0]
    assert hash_token("guess-0")[:8] in failures[0]
    assert all("guess-" not in message for message in failures)
    assert any("too many failed tries from 127.0.0.1" in record.getMessage() for record in caplog.records)


@with_home
def test_a_good_link_does_not_count_as_a_guess(client: Browser, link_and_token):
    _, token = link_and_token
    with time_machine.travel(NOW, tick=False):
        for _ in range(portal_access_views.GUESS_LIMIT + 2):
            assert client.post(enter_url(token)).status_code == 302


# --- Sessions ---------------------------------------------------------------------------------------


@with_home
def test_revoking_a_link_ends_the_sessions_made_with_it(client: Browser, link_and_token):
    link, token = link_and_token
    with time_machine.travel(NOW, tick=False):
        client.post(enter_url(token))
    assert visitor_of(client) is not None

    portal_links.revoke(link, NOW + timedelta(minutes=1))

    with time_machine.travel(NOW + timedelta(minutes=2), tick=False):
        request = RequestFactory().get("/portal/")
        request.session = SessionStore(session_key=client.session.session_key)
        response = portal_required(lambda request: HttpResponse("secret"))(request)
    assert (response.status_code, response.url) == (302, reverse("portal:expired"))


@with_home
def test_a_session_ends_when_its_link_expires(client: Browser, link_and_token):
    link, token = link_and_token
    PortalLink.objects.filter(pk=link.pk).update(expires_at=NOW + timedelta(days=1))
    with time_machine.travel(NOW, tick=False):
        client.post(enter_url(token))

    assert visitor_of(client, NOW + timedelta(hours=23)) is not None
    assert visitor_of(client, NOW + timedelta(days=1)) is None


@with_home
def test_last_seen_moves_on_as_the_visitor_comes_back(client: Browser, link_and_token, zoe):
    _, token = link_and_token
    with time_machine.travel(NOW, tick=False):
        client.post(enter_url(token))
    visitor_of(client, NOW + timedelta(hours=2))

    zoe.refresh_from_db()
    assert zoe.portal_last_seen_at == NOW + timedelta(hours=2)


@with_home
def test_a_portal_session_opens_nothing_on_the_studios_side(client: Browser, link_and_token):
    _, token = link_and_token
    with time_machine.travel(NOW, tick=False):
        client.post(enter_url(token))

        for url in ["/", "/clients/", reverse("portal_access:activity_seen_all")]:
            response = client.get(url)
            assert response.status_code == 302
            assert response.url.startswith(reverse("login"))
            assert response.wsgi_request.user.is_anonymous


@with_home
def test_leaving_ends_the_session(client: Browser, link_and_token):
    _, token = link_and_token
    with time_machine.travel(NOW, tick=False):
        client.post(enter_url(token))
        response = client.post(reverse("portal:leave"), follow=True)

        assert response.status_code == 200
        assert "You have left the portal" in response.content.decode()
        assert visitor_of(client) is None


# --- "Email me a new link" --------------------------------------------------------------------------


def ask(browser: Browser, email: str):
    return browser.post(reverse("portal:request_link"), {"email": email})


def test_a_known_address_gets_a_new_link_and_the_studio_hears_of_it(client: Browser, zoe, owner, studio):
    with time_machine.travel(NOW, tick=False):
        response = ask(client, "  ZOE@acme.example ")

    assert response.status_code == 302
    assert response.url == reverse("portal:link_sent")
    link = PortalLink.objects.get()
    assert link.contact == zoe
    emails = {email.kind: email for email in OutboxEmail.objects.all()}
    assert emails["portal-link"].to == ["zoe@acme.example"]
    notice = emails["portal-link-requested"]
    assert notice.to == [owner.email]
    assert "Zoe Baker" in notice.subject
    assert "it works until 8 February 2027." in notice.text
    assert f"/clients/{zoe.client_id}/" in notice.text
    activity = PortalActivity.objects.get()
    assert (activity.kind, activity.client, activity.contact, activity.studio) == (
        PortalActivity.Kind.LINK_REQUESTED,
        zoe.client,
        zoe,
        studio,
    )
    assert activity.url == reverse("clients:detail", args=[zoe.client_id])


def test_an_address_known_to_two_studios_gets_one_link_from_each(client: Browser, zoe, other_studio):
    elsewhere = ContactFactory(client=ClientFactory(studio=other_studio), email="Zoe@Acme.example")

    ask(client, "zoe@acme.example")

    assert {link.contact for link in PortalLink.objects.all()} == {zoe, elsewhere}
    assert OutboxEmail.objects.filter(kind="portal-link").count() == 2


def test_an_unknown_address_gets_the_same_answer_and_nothing_is_sent(client: Browser, zoe):
    known = ask(client, "zoe@acme.example")
    unknown = ask(client, "nobody@acme.example")

    assert (unknown.status_code, unknown.url) == (known.status_code, known.url)
    page = client.get(unknown.url)
    assert "If that address is known, a new link is on its way" in page.content.decode()
    assert PortalLink.objects.count() == 1


def test_a_mistyped_address_is_shown_again_with_an_error(client: Browser, db):
    response = ask(client, "zoe-at-acme")

    assert response.status_code == 200
    body = response.content.decode()
    assert 'value="zoe-at-acme"' in body
    assert "is-invalid" in body
    assert not OutboxEmail.objects.exists()


def test_requests_are_limited_per_address(client: Browser, zoe, caplog):
    caplog.set_level(logging.WARNING, logger="rapport.portal")
    limit = portal_access_views.REQUEST_ADDRESS_LIMIT
    answers = [ask(Browser(REMOTE_ADDR=f"10.0.0.{n}"), "zoe@acme.example") for n in range(limit + 2)]

    assert {response.url for response in answers} == {reverse("portal:link_sent")}
    assert PortalLink.objects.count() == limit
    assert any("over the limit" in record.getMessage() for record in caplog.records)


def test_requests_are_limited_per_ip(client: Browser, studio):
    contacts = [ContactFactory(client=ClientFactory(studio=studio)) for _ in range(12)]
    limit = portal_access_views.REQUEST_IP_LIMIT
    answers = [ask(client, contact.email) for contact in contacts]

    assert {response.url for response in answers} == {reverse("portal:link_sent")}
    assert PortalLink.objects.count() == limit


def test_request_link_form_only_posts(client: Browser, db):
    response = client.get(reverse("portal:request_link"))
    assert response.url == reverse("portal:expired")


# --- The freelancer's side --------------------------------------------------------------------------


def test_the_freelancer_sends_a_link_from_the_client_page(owner_client: Browser, zoe, owner):
    detail = reverse("clients:detail", args=[zoe.client_id])
    response = owner_client.post(reverse("portal_access:send", args=[zoe.pk]), {"next": detail}, follow=True)

    assert response.redirect_chain[-1][0] == detail
    link = PortalLink.objects.get()
    assert (link.contact, link.created_by) == (zoe, owner)
    assert "Portal link sent to zoe@acme.example" in response.content.decode()
    assert OutboxEmail.objects.get().kind == "portal-link"


def test_the_freelancer_revokes_a_link(owner_client: Browser, link_and_token):
    link, _ = link_and_token
    response = owner_client.post(reverse("portal_access:revoke", args=[link.pk]))

    link.refresh_from_db()
    assert link.revoked_at is not None
    assert response.url == reverse("clients:detail", args=[link.contact.client_id])


def test_another_studios_contact_or_link_is_a_404(charlie_client: Browser, link_and_token, zoe):
    link, _ = link_and_token

    assert charlie_client.post(reverse("portal_access:send", args=[zoe.pk])).status_code == 404
    assert charlie_client.post(reverse("portal_access:revoke", args=[link.pk])).status_code == 404
    link.refresh_from_db()
    assert link.revoked_at is None
    assert PortalLink.objects.count() == 1


def test_sending_and_revoking_need_a_post(owner_client: Browser, link_and_token, zoe):
    link, _ = link_and_token
    assert owner_client.get(reverse("portal_access:send", args=[zoe.pk])).status_code == 405
    assert owner_client.get(reverse("portal_access:revoke", args=[link.pk])).status_code == 405


def test_the_next_url_must_stay_on_the_site(owner_client: Browser, zoe):
    response = owner_client.post(reverse("portal_access:send", args=[zoe.pk]), {"next": "https://evil.example/"})
    assert response.url == reverse("clients:detail", args=[zoe.client_id])


def test_activity_is_marked_seen_one_by_one_or_all_at_once(owner_client: Browser, zoe, studio, other_studio):
    rows = [
        PortalActivity.objects.create(studio=studio, client=zoe.client, contact=zoe, kind="message") for _ in range(3)
    ]
    theirs = PortalActivity.objects.create(
        studio=other_studio, client=ClientFactory(studio=other_studio), kind="message"
    )

    one = owner_client.post(reverse("portal_access:activity_seen", args=[rows[0].pk]))
    htmx = owner_client.post(reverse("portal_access:activity_seen", args=[rows[1].pk]), HTTP_HX_REQUEST="true")
    foreign = owner_client.post(reverse("portal_access:activity_seen", args=[theirs.pk]))
    seen = [row.pk for row in PortalActivity.objects.filter(seen_at__isnull=False)]
    everything = owner_client.post(reverse("portal_access:activity_seen_all"), {"next": "/clients/"})

    assert one.url == reverse("today")
    assert (htmx.status_code, htmx.content) == (200, b"")
    assert foreign.status_code == 404
    assert sorted(seen) == sorted([rows[0].pk, rows[1].pk])
    assert everything.url == "/clients/"
    assert PortalActivity.objects.filter(studio=studio, seen_at__isnull=True).count() == 0
    theirs.refresh_from_db()
    assert theirs.seen_at is None


def test_the_client_page_shows_each_contacts_portal_access(owner_client: Browser, zoe, acme):
    adam = ContactFactory(client=acme, name="Adam Flour")
    live, _ = issue_link(zoe, now=NOW)
    gone, _ = issue_link(zoe, now=NOW)
    portal_links.revoke(gone, NOW)
    zoe.portal_last_seen_at = NOW
    zoe.save()

    with time_machine.travel(NOW + timedelta(hours=1), tick=False):
        body = owner_client.get(reverse("clients:detail", args=[acme.pk])).content.decode()

    assert "Portal access" in body
    assert reverse("portal_access:revoke", args=[live.pk]) in body
    assert reverse("portal_access:revoke", args=[gone.pk]) not in body
    assert reverse("portal_access:send", args=[adam.pk]) in body
    assert "10 Nov 2026, 10:00" in body  # Zoe's last visit
    assert "never" in body  # Adam's


def _detail_queries(owner_client: Browser, client_pk: int) -> int:
    with CaptureQueriesContext(connection) as queries:
        assert owner_client.get(reverse("clients:detail", args=[client_pk])).status_code == 200
    return len(queries)


def test_the_client_page_costs_the_same_with_one_or_five_contacts_with_links(owner_client: Browser, studio):
    small, large = ClientFactory(studio=studio), ClientFactory(studio=studio)
    for client, how_many in [(small, 1), (large, 5)]:
        for _ in range(how_many):
            contact = ContactFactory(client=client)
            issue_link(contact)
            issue_link(contact)
    _detail_queries(owner_client, small.pk)  # warm the session and studio lookups

    assert _detail_queries(owner_client, small.pk) == _detail_queries(owner_client, large.pk)
