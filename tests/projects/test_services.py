from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine

from projects.models import ActionItem, ChangeRequest, DeadlineChange, Project
from projects.services import (
    ProjectError,
    change_request_decide,
    deadline_change,
    deposit_received_minor,
    long_date,
    project_launch_followups,
    project_set_status,
    projects_awaiting_deposit,
    suggested_maintenance_minor,
)
from tests.factories import ClientFactory, ContactFactory, MilestoneFactory, PaymentFactory, ProjectFactory

Status = Project.Status
BERLIN = ZoneInfo("Europe/Berlin")
# Thursday 3 December 2026, 23:30 UTC is already Friday 4 December, 00:30 in Berlin.
THURSDAY_LATE_UTC = datetime(2026, 12, 3, 23, 30, tzinfo=UTC)
FRIDAY = date(2026, 12, 4)


pytestmark = pytest.mark.usefixtures("frozen")


@pytest.fixture
def frozen():
    with time_machine.travel(THURSDAY_LATE_UTC, tick=False):
        yield


@pytest.fixture
def client_(studio):
    return ClientFactory(studio=studio, name="Acme Bakery")


@pytest.fixture
def project(client_):
    # €10,000 agreed, 15 % deposit: €1,500 due.
    return ProjectFactory(
        client=client_, status=Status.AWAITING_DEPOSIT, price_minor=1_000_000, deposit_percent=15, title="Acme shop"
    )


def pay(project, amount_minor, currency="EUR", **kwargs):
    return PaymentFactory(
        client=project.client, project=project, amount_minor=amount_minor, currency=currency, **kwargs
    )


def move(project, target, *, now=THURSDAY_LATE_UTC, by=None, reason=""):
    return project_set_status(project=project, target=target, by=by, now=now, override_reason=reason)


# --- deposits ---------------------------------------------------------------------------------------


def test_deposit_received_counts_only_this_project_in_its_currency(project, client_):
    assert deposit_received_minor(project) == 0
    pay(project, 100_000)
    pay(project, -20_000)  # a refund
    pay(project, 999_900, currency="USD")
    PaymentFactory(client=client_, amount_minor=500_000)  # not linked to a project
    PaymentFactory(client=client_, project=ProjectFactory(client=client_), amount_minor=700_000)
    assert deposit_received_minor(project) == 80_000


def test_starting_without_the_deposit_is_refused(project):
    pay(project, 50_000)
    with pytest.raises(ProjectError) as error:
        move(project, Status.IN_PROGRESS)
    assert str(error.value) == (
        "The deposit of €1,500.00 hasn't been received (€500.00 so far). "
        "Record the payment, or start anyway with a reason."
    )
    project.refresh_from_db()
    assert project.status == Status.AWAITING_DEPOSIT
    assert project.active_from is None


def test_a_refund_can_take_the_deposit_below_what_is_due(project):
    pay(project, 150_000)
    pay(project, -10_000)
    with pytest.raises(ProjectError, match=r"\(€1,400.00 so far\)"):
        move(project, Status.IN_PROGRESS)


def test_payments_in_another_currency_or_for_another_project_do_not_count(project, client_):
    pay(project, 150_000, currency="USD")
    PaymentFactory(client=client_, project=ProjectFactory(client=client_), amount_minor=150_000)
    with pytest.raises(ProjectError, match=r"\(€0.00 so far\)"):
        move(project, Status.IN_PROGRESS)


def test_the_full_deposit_starts_the_project_without_an_override(project, owner):
    pay(project, 100_000)
    pay(project, 50_000)
    returned = move(project, Status.IN_PROGRESS, by=owner, reason="not needed")
    assert returned.status == project.status == Status.IN_PROGRESS
    project.refresh_from_db()
    assert project.status == Status.IN_PROGRESS
    assert project.deposit_override_reason == ""
    assert project.deposit_override_by is None
    assert project.deposit_override_at is None


def test_no_deposit_due_starts_freely(client_):
    project = ProjectFactory(client=client_, status=Status.AWAITING_DEPOSIT)
    assert project.deposit_due_minor == 0
    move(project, Status.IN_PROGRESS)
    assert Project.objects.get(pk=project.pk).status == Status.IN_PROGRESS


def test_starting_anyway_records_the_override(project, owner):
    pay(project, 50_000)
    move(project, Status.IN_PROGRESS, by=owner, reason="  Returning client, pays on invoice  ")
    project.refresh_from_db()
    assert project.status == Status.IN_PROGRESS
    assert project.deposit_override_reason == "Returning client, pays on invoice"
    assert project.deposit_override_by == owner
    assert project.deposit_override_at == THURSDAY_LATE_UTC


def test_a_recorded_override_still_counts_on_the_way_back_to_in_progress(project, owner):
    move(project, Status.IN_PROGRESS, by=owner, reason="Trusted client")
    move(project, Status.IN_REVIEW)
    move(project, Status.IN_PROGRESS, by=None)
    project.refresh_from_db()
    assert project.status == Status.IN_PROGRESS
    assert project.deposit_override_reason == "Trusted client"
    assert project.deposit_override_by == owner


def test_a_disallowed_move_is_a_project_error(project):
    with pytest.raises(ProjectError, match="can't go straight to Launched"):
        move(project, Status.LAUNCHED)


def test_decides_on_the_row_in_the_database_not_a_stale_copy(project):
    stale = Project.objects.get(pk=project.pk)
    Project.objects.filter(pk=project.pk).update(status=Status.COMPLETED)
    with pytest.raises(ProjectError, match="A project that is Completed can't go back to Quoted"):
        move(stale, Status.QUOTED)


# --- active dates in the studio's time zone ---------------------------------------------------------


def test_active_dates_follow_the_studio_local_date(project):
    pay(project, 150_000)
    move(project, Status.IN_PROGRESS, now=THURSDAY_LATE_UTC)
    project.refresh_from_db()
    assert project.active_from == FRIDAY  # not Thursday, the UTC date
    assert project.active_until is None

    # Moving between active statuses changes nothing.
    move(project, Status.WAITING_ON_CLIENT, now=datetime(2026, 12, 8, 9, tzinfo=UTC))
    project.refresh_from_db()
    assert (project.active_from, project.active_until) == (FRIDAY, None)

    # Paused at Thursday 10 December 23:15 UTC = Friday 11 December 00:15 local: active that Friday.
    move(project, Status.ON_HOLD, now=datetime(2026, 12, 10, 23, 15, tzinfo=UTC))
    project.refresh_from_db()
    assert project.active_until == date(2026, 12, 11)

    # Resumed: a new span starts.
    move(project, Status.IN_PROGRESS, now=datetime(2027, 1, 4, 8, tzinfo=UTC))
    project.refresh_from_db()
    assert (project.active_from, project.active_until) == (date(2027, 1, 4), None)


def test_active_dates_in_another_zone(other_studio):
    # New York: 03:30 UTC on Friday is still Thursday evening locally.
    project = ProjectFactory(client=ClientFactory(studio=other_studio), status=Status.AWAITING_DEPOSIT)
    move(project, Status.IN_PROGRESS, now=datetime(2026, 12, 4, 3, 30, tzinfo=UTC))
    project.refresh_from_db()
    assert project.active_from == date(2026, 12, 3)


def test_leaving_active_for_launch_sets_active_until_and_launched_on(client_):
    project = ProjectFactory(client=client_, status=Status.IN_REVIEW, active_from=date(2026, 11, 2))
    move(project, Status.LAUNCHED, now=THURSDAY_LATE_UTC)
    project.refresh_from_db()
    assert project.active_from == date(2026, 11, 2)
    assert project.active_until == FRIDAY
    assert project.launched_on == FRIDAY

    move(project, Status.COMPLETED, now=datetime(2026, 12, 31, 23, 30, tzinfo=UTC))
    project.refresh_from_db()
    assert project.completed_on == date(2027, 1, 1)
    assert project.active_until == FRIDAY  # launched → completed is not leaving an active status


# --- launch follow-ups ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("price_minor", "currency", "expected"),
    [
        (1_000_000, "EUR", 50_000),  # 5 % of €10,000 = €500
        (1_234_500, "EUR", 61_700),  # €617.25 → €617
        (1_235_000, "EUR", 61_800),  # €617.50 → €618, half up
        (500_000, "EUR", 25_000),  # €250: above the minimum
        (50_000, "EUR", 5_000),  # €25 → the €50 minimum
        (None, "EUR", 5_000),
        (2_000_000, "JPY", 100_000),  # ¥2,000,000 → ¥100,000
    ],
)
def test_suggested_maintenance_price(price_minor, currency, expected):
    assert suggested_maintenance_minor(price_minor=price_minor, currency=currency) == expected


def test_launch_drafts_the_offer_and_a_reminder_once(client_):
    project = ProjectFactory(client=client_, status=Status.IN_REVIEW, price_minor=1_000_000, title="Acme shop")
    move(project, Status.LAUNCHED, now=THURSDAY_LATE_UTC)
    project.refresh_from_db()
    draft = project.maintenance_offer_draft
    assert "Acme Bakery" in draft
    assert "Acme shop" in draft
    for covered in ("updates", "backups", "small edits", "uptime checks"):
        assert covered in draft
    assert "€500 per month" in draft
    assert "Next steps:\nReply 'yes' and we'll start on Friday 1 January 2027." in draft

    items = list(project.action_items.all())
    assert [(item.owner, item.text, item.due_on) for item in items] == [
        (ActionItem.Owner.US, "Send the maintenance offer to Acme Bakery", date(2026, 12, 7))
    ]

    # A post-launch fix and a second launch: no second reminder, and the (edited) draft is kept.
    Project.objects.filter(pk=project.pk).update(maintenance_offer_draft="Edited by hand")
    move(project, Status.IN_PROGRESS, now=datetime(2026, 12, 10, 9, tzinfo=UTC))
    move(project, Status.IN_REVIEW, now=datetime(2026, 12, 11, 9, tzinfo=UTC))
    move(project, Status.LAUNCHED, now=datetime(2026, 12, 14, 9, tzinfo=UTC))
    project.refresh_from_db()
    assert project.launched_on == date(2026, 12, 14)
    assert project.maintenance_offer_draft == "Edited by hand"
    assert project.action_items.count() == 1


def test_a_done_reminder_does_not_block_a_new_one(client_):
    project = ProjectFactory(client=client_, status=Status.LAUNCHED)
    project_launch_followups(project=project, now=THURSDAY_LATE_UTC)
    project.action_items.update(done_at=THURSDAY_LATE_UTC)
    project_launch_followups(project=project, now=THURSDAY_LATE_UTC + timedelta(days=10))
    assert project.action_items.count() == 2
    assert project.action_items.filter(done_at__isnull=True).get().due_on == date(2026, 12, 17)


def test_offer_minimum_price(client_):
    project = ProjectFactory(client=client_, status=Status.LAUNCHED, price_minor=60_000)
    project_launch_followups(project=project, now=datetime(2026, 12, 15, 12, tzinfo=UTC))
    assert "€50 per month" in project.maintenance_offer_draft
    assert "start on Friday 1 January 2027" in project.maintenance_offer_draft


# --- moved dates ------------------------------------------------------------------------------------


def test_long_date():
    assert long_date(date(2026, 12, 4)) == "Friday 4 December 2026"


@pytest.fixture
def scheduled(client_):
    return ProjectFactory(
        client=client_,
        status=Status.IN_PROGRESS,
        title="Acme shop",
        start_on=date(2026, 11, 2),
        deadline_on=date(2026, 12, 4),
    )


def test_deadline_changes_are_kept_newest_first(scheduled, owner, member):
    ContactFactory(client=scheduled.client, studio=scheduled.studio, name="Anna", is_primary=True)
    first = deadline_change(project=scheduled, new_date=date(2026, 12, 11), reason="Photos arrive late.", by=owner)
    second = deadline_change(project=scheduled, new_date=date(2026, 12, 18), reason="Extra page added.", by=member)

    scheduled.refresh_from_db()
    assert scheduled.deadline_on == date(2026, 12, 18)
    history = [
        (change.old_date, change.new_date, change.reason, change.changed_by, change.milestone)
        for change in scheduled.deadline_changes.all()
    ]
    assert history == [
        (date(2026, 12, 11), date(2026, 12, 18), "Extra page added.", member, None),
        (date(2026, 12, 4), date(2026, 12, 11), "Photos arrive late.", owner, None),
    ]
    assert [c.pk for c in DeadlineChange.objects.filter(project=scheduled)] == [second.pk, first.pk]

    assert first.notice_subject == "New date for Acme shop: Friday 11 December 2026"
    assert first.notice_text == (
        "Hi Anna,\n\n"
        "We're moving the deadline for Acme shop from Friday 4 December 2026 to Friday 11 December 2026.\n\n"
        "Why: Photos arrive late.\n\n"
        "What happens next: We'll keep you posted every Friday.\n"
    )


def test_notice_names_the_next_open_milestone(scheduled, owner):
    MilestoneFactory(project=scheduled, title="Mock-ups", due_on=date(2026, 11, 10), done_at=THURSDAY_LATE_UTC)
    MilestoneFactory(project=scheduled, title="Design review", due_on=date(2026, 11, 20))
    MilestoneFactory(project=scheduled, title="Content in", due_on=None)
    change = deadline_change(project=scheduled, new_date=date(2026, 12, 11), reason="Holidays.", by=owner)
    assert "Hi Acme Bakery," in change.notice_text  # no primary contact: the client's name
    assert "What happens next: Next up is “Design review”, due Friday 20 November 2026." in change.notice_text


def test_moving_a_milestone(scheduled, owner):
    milestone = MilestoneFactory(project=scheduled, title="Design review", due_on=date(2026, 11, 20))
    change = deadline_change(
        project=scheduled, milestone=milestone, new_date=date(2026, 11, 27), reason="Feedback needs a week.", by=owner
    )
    milestone.refresh_from_db()
    scheduled.refresh_from_db()
    assert milestone.due_on == date(2026, 11, 27)
    assert scheduled.deadline_on == date(2026, 12, 4)
    assert (change.milestone, change.old_date, change.new_date) == (milestone, date(2026, 11, 20), date(2026, 11, 27))
    assert change.notice_subject == "New date for Acme shop: “Design review”: Friday 27 November 2026"
    assert "We're moving “Design review” from Friday 20 November 2026 to Friday 27 November 2026." in (
        change.notice_text
    )
    assert "The project deadline stays Friday 4 December 2026." in change.notice_text


def test_setting_a_first_deadline(client_, owner):
    project = ProjectFactory(client=client_, status=Status.QUOTED, title="Acme shop")
    change = deadline_change(project=project, new_date=date(2027, 2, 1), reason="Agreed in the call.", by=owner)
    assert change.old_date is None
    assert "We've set the deadline for Acme shop to Monday 1 February 2027." in change.notice_text


@pytest.mark.parametrize("reason", ["", "   "])
def test_a_moved_date_needs_a_reason(scheduled, owner, reason):
    with pytest.raises(ProjectError, match=r"^Say why the date moves: the client will read it\.$"):
        deadline_change(project=scheduled, new_date=date(2026, 12, 11), reason=reason, by=owner)
    assert not DeadlineChange.objects.exists()


def test_deadline_errors(scheduled, owner):
    with pytest.raises(ProjectError, match=r"^The date is already Friday 4 December 2026\.$"):
        deadline_change(project=scheduled, new_date=date(2026, 12, 4), reason="x", by=owner)
    with pytest.raises(
        ProjectError, match=r"^The deadline can't be before the project starts \(Monday 2 November 2026\)\.$"
    ):
        deadline_change(project=scheduled, new_date=date(2026, 11, 1), reason="x", by=owner)
    scheduled.refresh_from_db()
    assert scheduled.deadline_on == date(2026, 12, 4)
    assert not DeadlineChange.objects.exists()


def test_milestone_must_stay_within_the_project(scheduled, owner, client_):
    milestone = MilestoneFactory(project=scheduled, title="Design review", due_on=date(2026, 11, 20))
    with pytest.raises(ProjectError, match="can't be due before the project starts"):
        deadline_change(project=scheduled, milestone=milestone, new_date=date(2026, 11, 1), reason="x", by=owner)
    with pytest.raises(ProjectError, match=r"can't be due after the project deadline .* Move the deadline first\."):
        deadline_change(project=scheduled, milestone=milestone, new_date=date(2026, 12, 5), reason="x", by=owner)
    # The boundaries themselves are fine.
    deadline_change(project=scheduled, milestone=milestone, new_date=date(2026, 11, 2), reason="Early", by=owner)
    deadline_change(project=scheduled, milestone=milestone, new_date=date(2026, 12, 4), reason="Late", by=owner)

    elsewhere = MilestoneFactory(project=ProjectFactory(client=client_), due_on=date(2026, 11, 20))
    with pytest.raises(ProjectError, match="another project"):
        deadline_change(project=scheduled, milestone=elsewhere, new_date=date(2026, 11, 21), reason="x", by=owner)


# --- change requests --------------------------------------------------------------------------------


@pytest.mark.parametrize(("approve", "status"), [(True, "approved"), (False, "declined")])
def test_change_request_decision(scheduled, approve, status):
    request = ChangeRequest.objects.create(project=scheduled, title="Newsletter signup", price_minor=40_000)
    returned = change_request_decide(change_request=request, approve=approve, by_name=" Anna ", now=THURSDAY_LATE_UTC)
    request.refresh_from_db()
    assert returned.status == request.status == status
    assert request.decided_at == THURSDAY_LATE_UTC
    assert request.decided_by_name == "Anna"


def test_change_request_is_decided_once(scheduled):
    request = ChangeRequest.objects.create(project=scheduled, title="Newsletter signup", price_minor=40_000)
    stale = ChangeRequest.objects.get(pk=request.pk)
    change_request_decide(change_request=request, approve=True, by_name="Anna", now=THURSDAY_LATE_UTC)
    with pytest.raises(ProjectError, match="^“Newsletter signup” was already approved by Anna.$"):
        change_request_decide(change_request=stale, approve=False, by_name="Bob", now=THURSDAY_LATE_UTC)
    request.refresh_from_db()
    assert (request.status, request.decided_by_name) == ("approved", "Anna")


def test_change_request_needs_a_name(scheduled):
    request = ChangeRequest.objects.create(project=scheduled, title="Newsletter signup", price_minor=40_000)
    with pytest.raises(ProjectError, match="Say who decided"):
        change_request_decide(change_request=request, approve=True, by_name="  ", now=THURSDAY_LATE_UTC)


# --- awaiting deposit -------------------------------------------------------------------------------


def test_projects_awaiting_deposit(studio, client_, other_studio):
    accepted = ProjectFactory(
        client=client_,
        status=Status.AWAITING_DEPOSIT,
        title="Accepted",
        # Sunday 29 November 23:30 UTC = Monday 30 November locally.
        agreement_accepted_at=datetime(2026, 11, 29, 23, 30, tzinfo=UTC),
        deposit_amount_minor=100_000,
    )
    created = ProjectFactory(client=client_, status=Status.AWAITING_DEPOSIT, title="Created only")
    Project.objects.filter(pk=created.pk).update(created_at=datetime(2026, 12, 1, 12, tzinfo=UTC))
    ProjectFactory(client=client_, status=Status.IN_PROGRESS)
    ProjectFactory(client=ClientFactory(studio=other_studio), status=Status.AWAITING_DEPOSIT)
    pay(accepted, 30_000)
    pay(accepted, -5_000)
    pay(accepted, 70_000, currency="USD")

    rows = projects_awaiting_deposit(studio=studio, today=date(2026, 12, 4))
    assert [(project.pk, days, received) for project, days, received in rows] == [
        (accepted.pk, 4, 25_000),
        (created.pk, 3, 0),
    ]


def test_a_limit_keeps_the_longest_waiting_with_their_payments(studio):
    projects = []
    for day in (5, 1, 9, 3):
        project = ProjectFactory(
            client=ClientFactory(studio=studio),
            status=Status.AWAITING_DEPOSIT,
            agreement_accepted_at=datetime(2026, 11, day, 12, tzinfo=UTC),
        )
        pay(project, 1_000 * day)
        projects.append(project)

    rows = projects_awaiting_deposit(studio=studio, today=date(2026, 12, 4), limit=2)

    assert [(project.pk, days, received) for project, days, received in rows] == [
        (projects[1].pk, 33, 1_000),
        (projects[3].pk, 31, 3_000),
    ]


def test_days_waiting_is_never_negative(client_):
    ProjectFactory(
        client=client_, status=Status.AWAITING_DEPOSIT, agreement_accepted_at=datetime(2026, 12, 10, tzinfo=UTC)
    )
    [(_, days, _)] = projects_awaiting_deposit(studio=client_.studio, today=date(2026, 12, 4))
    assert days == 0


def _awaiting(studio, count):
    for _ in range(count):
        project = ProjectFactory(client=ClientFactory(studio=studio), status=Status.AWAITING_DEPOSIT)
        pay(project, 10_000)
        pay(project, 5_000)


@pytest.mark.parametrize("count", [5, 50])
def test_projects_awaiting_deposit_query_count_is_constant(studio, count, django_assert_max_num_queries):
    _awaiting(studio, count)
    with django_assert_max_num_queries(1):
        rows = projects_awaiting_deposit(studio=studio, today=date(2026, 12, 4))
        names = [(project.client.name, project.studio.timezone) for project, _, _ in rows]
    assert len(rows) == len(names) == count
    assert {received for _, _, received in rows} == {15_000}
