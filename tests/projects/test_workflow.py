import itertools

import pytest

from projects.models import Project
from projects.workflow import TRANSITIONS, allowed_targets, status_label, transition_problem

Status = Project.Status

ALL_PAIRS = list(itertools.product(Status.values, repeat=2))


def problem(current: str, target: str, *, due: int = 0, received: int = 0, reason: str = "", currency: str = "EUR"):
    return transition_problem(
        current,
        target,
        deposit_due_minor=due,
        deposit_received_minor=received,
        override_reason=reason,
        currency=currency,
    )


def test_every_status_has_a_row():
    assert set(TRANSITIONS) == set(Status)
    assert all(targets <= set(Status) for targets in TRANSITIONS.values())
    assert not any(status in targets for status, targets in TRANSITIONS.items())


@pytest.mark.parametrize(("current", "target"), ALL_PAIRS, ids=[f"{c}->{t}" for c, t in ALL_PAIRS])
def test_every_pair_allowed_iff_in_the_table(current, target):
    # The deposit is fully paid, so only the table decides.
    result = problem(current, target, due=150_000, received=150_000)
    if target in TRANSITIONS[Status(current)]:
        assert result is None
    else:
        assert isinstance(result, str)
        assert result


@pytest.mark.parametrize(
    ("current", "targets"),
    [
        (Status.LEAD, {Status.QUOTED, Status.CANCELLED, Status.ON_HOLD}),
        (Status.QUOTED, {Status.AWAITING_DEPOSIT, Status.LEAD, Status.CANCELLED, Status.ON_HOLD}),
        (Status.AWAITING_DEPOSIT, {Status.IN_PROGRESS, Status.QUOTED, Status.CANCELLED, Status.ON_HOLD}),
        (Status.IN_PROGRESS, {Status.IN_REVIEW, Status.WAITING_ON_CLIENT, Status.ON_HOLD, Status.CANCELLED}),
        (
            Status.IN_REVIEW,
            {Status.IN_PROGRESS, Status.WAITING_ON_CLIENT, Status.LAUNCHED, Status.ON_HOLD, Status.CANCELLED},
        ),
        (Status.WAITING_ON_CLIENT, {Status.IN_PROGRESS, Status.IN_REVIEW, Status.ON_HOLD, Status.CANCELLED}),
        (Status.LAUNCHED, {Status.COMPLETED, Status.IN_PROGRESS}),
        (Status.COMPLETED, set()),
        (
            Status.ON_HOLD,
            {Status.LEAD, Status.QUOTED, Status.AWAITING_DEPOSIT, Status.IN_PROGRESS, Status.CANCELLED},
        ),
        (Status.CANCELLED, {Status.LEAD}),
    ],
)
def test_table_matches_the_agreed_rules(current, targets):
    assert TRANSITIONS[current] == targets


@pytest.mark.parametrize("status", Status.values)
def test_same_status_says_so(status):
    assert problem(status, status) == f"It is already {status_label(status)}."


def test_same_status_wording():
    assert problem("in_progress", "in_progress") == "It is already In progress."


@pytest.mark.parametrize("target", [s for s in Status.values if s != Status.COMPLETED])
def test_completed_can_go_nowhere(target):
    assert problem(Status.COMPLETED, target) == (
        f"A project that is Completed can't go back to {status_label(target)}: start a new project instead."
    )


def test_completed_to_in_progress_wording():
    assert problem("completed", "in_progress") == (
        "A project that is Completed can't go back to In progress: start a new project instead."
    )


def test_a_skipped_step_names_the_options():
    assert problem("lead", "launched") == (
        "A project that is Lead can't go straight to Launched. From Lead it can go to Quoted, On hold or Cancelled."
    )


def test_unknown_status_is_a_problem_not_a_crash():
    assert problem("lead", "bogus") == "“bogus” isn't a project status."
    assert problem("bogus", "lead") == "“bogus” isn't a project status."
    assert allowed_targets("bogus") == []


# --- the deposit gate -------------------------------------------------------------------------------

INTO_IN_PROGRESS = sorted(s for s, targets in TRANSITIONS.items() if Status.IN_PROGRESS in targets)


def test_every_way_into_in_progress_is_gated():
    expected = {Status.AWAITING_DEPOSIT, Status.IN_REVIEW, Status.WAITING_ON_CLIENT, Status.LAUNCHED, Status.ON_HOLD}
    assert set(INTO_IN_PROGRESS) == expected


@pytest.mark.parametrize("current", INTO_IN_PROGRESS)
def test_in_progress_without_the_deposit_is_refused(current):
    assert problem(current, "in_progress", due=150_000, received=50_000) == (
        "The deposit of €1,500.00 hasn't been received (€500.00 so far). "
        "Record the payment, or start anyway with a reason."
    )


@pytest.mark.parametrize("current", INTO_IN_PROGRESS)
def test_in_progress_with_a_reason_is_allowed(current):
    assert problem(current, "in_progress", due=150_000, received=0, reason="Long-time client, pays on invoice") is None


@pytest.mark.parametrize("reason", ["", "   ", "\n\t"])
def test_a_blank_reason_is_no_reason(reason):
    assert problem("awaiting_deposit", "in_progress", due=150_000, received=0, reason=reason) is not None


@pytest.mark.parametrize("current", INTO_IN_PROGRESS)
def test_no_deposit_due_needs_nothing(current):
    assert problem(current, "in_progress", due=0, received=0) is None


@pytest.mark.parametrize(("received", "allowed"), [(149_999, False), (150_000, True), (200_000, True)])
def test_deposit_boundary(received, allowed):
    assert (problem("awaiting_deposit", "in_progress", due=150_000, received=received) is None) is allowed


def test_deposit_message_uses_the_currency_and_shows_refunds():
    assert problem("awaiting_deposit", "in_progress", due=100_000, received=-2_000, currency="USD") == (
        "The deposit of $1,000.00 hasn't been received (−$20.00 so far). "
        "Record the payment, or start anyway with a reason."
    )
    assert "¥150,000 hasn't been received (¥0 so far)" in problem(
        "awaiting_deposit", "in_progress", due=150_000, currency="JPY"
    )


def test_deposit_gate_only_applies_to_in_progress():
    assert problem("in_review", "launched", due=150_000, received=0) is None
    assert problem("quoted", "awaiting_deposit", due=150_000, received=0) is None


def test_table_problem_wins_over_deposit_problem():
    # Lead can't start at all: the reason is the table, not the money.
    assert problem("lead", "in_progress", due=150_000, received=0, reason="anyway").startswith(
        "A project that is Lead can't go straight to In progress."
    )
