"""Deliverables in front of the client: shared, approved once, sent back with a comment that has a reply clock."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.urls import reverse

from comms.models import Message, OutboxEmail
from files.models import ProjectFile
from files.reviews import (
    ReviewClosed,
    deliverable_approve,
    deliverable_ask_changes,
    deliverable_review_request,
    deliverable_share,
)
from files.seen import files_mark_seen
from files.services import file_delete, file_upload
from files.storage import file_storage
from projects.models import PortalActivity, Project
from projects.portal_access import issue_link
from tests.factories import ClientFactory, ContactFactory, ProjectFactory
from tests.files.helpers import png

# A Wednesday morning in Berlin (working time for the default studio).
NOW = datetime(2026, 1, 14, 10, 0, tzinfo=UTC)
Kind = PortalActivity.Kind
Review = ProjectFile.Review


@pytest.fixture
def customer(studio):
    return ClientFactory(studio=studio, name="Bakery Blum", language="ru")


@pytest.fixture
def anna(customer):
    return ContactFactory(client=customer, name="Anna Blum", email="anna@blum.example", is_primary=True)


@pytest.fixture
def project(customer, anna):
    return ProjectFactory(client=customer, title="New bakery website", status=Project.Status.IN_PROGRESS)


def share(project, *, previous=None, ask_review=True, title="Homepage"):
    return deliverable_share(
        project=project, upload=png("home.png"), now=NOW, title=title, previous=previous, ask_review=ask_review
    )


pytestmark = pytest.mark.usefixtures("_frozen")


@pytest.fixture
def _frozen():
    with time_machine.travel(NOW, tick=False):
        yield


def test_sharing_for_approval_emails_the_primary_contact_a_portal_link_in_their_language(project, anna):
    ContactFactory(client=project.client, name="Bob", email="bob@blum.example")

    file = share(project)

    assert file.review == Review.PENDING
    (email,) = OutboxEmail.objects.filter(kind="deliverable-review")
    assert email.to == ["anna@blum.example"]
    assert email.idempotency_key == f"deliverable-review:{file.pk}:{anna.pk}"
    assert "Homepage" in email.subject
    assert "ШАГИ" in email.text  # the Next steps block, in Russian (R3)
    assert "действует до 14 апреля 2026." in email.text  # 90 days on, and no "г.." (DATE_FORMAT ends in "г.")
    assert ".." not in email.text
    assert "/portal/enter/" in email.text
    assert anna.portal_links.get().landing == f"/portal/projects/{project.pk}/#files"


def test_contacts_with_portal_access_get_the_email_instead_of_the_primary_one(project, anna):
    bob = ContactFactory(client=project.client, name="Bob", email="bob@blum.example")
    cleo = ContactFactory(client=project.client, name="Cleo", email="cleo@blum.example")
    issue_link(bob, now=NOW)
    revoked, _token = issue_link(cleo, now=NOW)
    revoked.revoked_at = NOW
    revoked.save()

    share(project)

    assert [email.to for email in OutboxEmail.objects.filter(kind="deliverable-review")] == [["bob@blum.example"]]


def test_asking_twice_queues_one_email_and_makes_no_second_link(project, anna):
    file = share(project)
    links = anna.portal_links.count()

    deliverable_review_request(file=file, now=NOW + timedelta(minutes=5))

    assert OutboxEmail.objects.filter(kind="deliverable-review").count() == 1
    assert anna.portal_links.count() == links


def test_sharing_without_asking_for_approval_emails_nobody(project):
    file = share(project, ask_review=False)

    assert file.review == Review.NONE
    assert not OutboxEmail.objects.filter(kind="deliverable-review").exists()


def test_approving_twice_is_one_approval(project, anna):
    file = share(project)

    assert deliverable_approve(file=file, contact=anna, now=NOW) is True
    assert deliverable_approve(file=file, contact=anna, now=NOW + timedelta(minutes=1)) is False

    file.refresh_from_db()
    assert (file.review, file.reviewed_at, file.reviewed_by_contact) == (Review.APPROVED, NOW, anna)
    (activity,) = PortalActivity.objects.filter(kind=Kind.FILE_APPROVED)
    assert (activity.project, activity.contact, activity.url) == (project, anna, f"/files/project/{project.pk}/")


def test_a_version_that_was_replaced_cannot_be_approved_or_sent_back(project, anna):
    first = share(project)
    second = share(project, previous=first)
    first.refresh_from_db()

    assert deliverable_approve(file=first, contact=anna, now=NOW) is False
    with pytest.raises(ReviewClosed):
        deliverable_ask_changes(file=first, contact=anna, comment="Bigger logo", now=NOW, studio_address="s@x.example")
    assert deliverable_approve(file=second, contact=anna, now=NOW) is True
    assert PortalActivity.objects.filter(kind__in=[Kind.FILE_APPROVED, Kind.FILE_CHANGES]).count() == 1


def test_a_client_file_cannot_be_approved(project, anna):
    theirs = file_upload(project=project, side=ProjectFile.Side.CLIENT, upload=png(), now=NOW, contact=anna)

    assert deliverable_approve(file=theirs, contact=anna, now=NOW) is False


def test_asking_for_changes_is_a_portal_message_with_a_reply_clock(project, anna):
    file = share(project)

    message = deliverable_ask_changes(
        file=file,
        contact=anna,
        comment="  Make the logo bigger, please.  ",
        now=NOW,
        studio_address="hi@studio.example",
    )

    assert message.direction == Message.Direction.INBOUND
    assert message.channel == Message.Channel.PORTAL
    assert (message.client, message.project) == (project.client, project)
    assert message.from_email == "anna@blum.example"
    assert message.text == "Make the logo bigger, please."
    assert message.needs_reply
    assert message.reply_due_at is not None
    file.refresh_from_db()
    assert (file.review, file.review_comment, file.review_message) == (
        Review.CHANGES,
        "Make the logo bigger, please.",
        message,
    )
    (activity,) = PortalActivity.objects.filter(kind=Kind.FILE_CHANGES)
    assert activity.url == reverse("comms:message", kwargs={"pk": message.pk})
    with pytest.raises(ReviewClosed):
        deliverable_ask_changes(file=file, contact=anna, comment="Again", now=NOW, studio_address="hi@studio.example")
    assert Message.objects.count() == 1


def test_files_mark_seen_marks_the_studios_unseen_client_files(project, anna, other_studio):
    mine = file_upload(project=project, side=ProjectFile.Side.CLIENT, upload=png(), now=NOW, contact=anna)
    second = file_upload(project=project, side=ProjectFile.Side.CLIENT, upload=png(), now=NOW, contact=anna)
    elsewhere = ProjectFactory(client=ClientFactory(studio=project.studio))
    other = file_upload(project=elsewhere, side=ProjectFile.Side.CLIENT, upload=png(), now=NOW)
    foreign = file_upload(
        project=ProjectFactory(client=ClientFactory(studio=other_studio)), side="client", upload=png(), now=NOW
    )

    assert files_mark_seen(studio=project.studio, now=NOW, pks=[mine.pk, foreign.pk]) == 1
    assert files_mark_seen(studio=project.studio, now=NOW, project=project) == 1
    assert files_mark_seen(studio=project.studio, now=NOW, project=project) == 0
    assert files_mark_seen(studio=project.studio, now=NOW) == 1
    seen = dict(ProjectFile.objects.values_list("pk", "seen_at"))
    assert seen[second.pk] == NOW
    assert seen[other.pk] == NOW
    assert seen[foreign.pk] is None


def test_deleting_the_current_version_brings_back_the_one_before(project):
    first = share(project)
    second = share(project, previous=first)
    third = share(project, previous=second)

    file_delete(file=second)  # the middle one: the third now follows the first
    third.refresh_from_db()
    assert third.previous_id == first.pk
    file_delete(file=third)

    first.refresh_from_db()
    assert first.is_current
    assert list(ProjectFile.objects.values_list("pk", flat=True)) == [first.pk]


@pytest.mark.django_db(transaction=True)
def test_deleting_removes_the_bytes_once_committed(studio):
    project = ProjectFactory(client=ClientFactory(studio=studio))
    file = file_upload(project=project, side=ProjectFile.Side.CLIENT, upload=png(), now=NOW)
    assert file_storage().exists(file.storage_name)

    file_delete(file=file)

    assert not file_storage().exists(file.storage_name)


def _requests(file):
    return list(
        OutboxEmail.objects.filter(
            kind="deliverable-review", idempotency_key__startswith=f"deliverable-review:{file.pk}:"
        )
    )


def test_an_unsent_request_is_withdrawn_when_its_version_is_deleted_replaced_or_decided(project, anna):
    # The request waits for working hours: without this the client got "for your approval" about a
    # deleted file, twice for a quickly replaced one, and after having answered already.
    deleted, replaced, approved, changed = (share(project, title=t) for t in ("A", "B", "C", "D"))
    file_delete(file=deleted)
    newer = share(project, previous=replaced)
    deliverable_approve(file=approved, contact=anna, now=NOW)
    deliverable_ask_changes(file=changed, contact=anna, comment="Bigger", now=NOW, studio_address="s@x.example")

    for file in (deleted, replaced, approved, changed):
        assert [email.status for email in _requests(file)] == [OutboxEmail.Status.CANCELLED]
    assert [email.status for email in _requests(newer)] == [OutboxEmail.Status.QUEUED]


def test_a_request_already_sent_is_left_as_it_is(project):
    file = share(project)
    OutboxEmail.objects.filter(kind="deliverable-review").update(status=OutboxEmail.Status.SENT)
    file_delete(file=file)
    assert OutboxEmail.objects.get(kind="deliverable-review").status == OutboxEmail.Status.SENT
