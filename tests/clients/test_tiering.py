import calendar
import random
from collections.abc import Mapping
from datetime import date, timedelta
from fractions import Fraction

import pytest

from clients.tiering import (
    AngelSummary,
    angel_ids,
    angel_summary,
    apply_pins,
    trailing_net,
    window_start,
)

# --- angel_ids ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("net_by_client", "expected"),
    [
        pytest.param({}, set(), id="no clients"),
        pytest.param({7: 12_000}, {7}, id="single client"),
        pytest.param({1: 0, 2: 0, 3: 0}, set(), id="all zero"),
        pytest.param({1: 50, 2: -60}, set(), id="refunds exceed revenue"),
        pytest.param({1: 50, 2: -50}, set(), id="total exactly zero"),
        pytest.param({1: 500, 2: 300, 3: 100, 4: 50, 5: 50}, {1, 2}, id="classic pareto"),
        pytest.param({1: 80, 2: 20}, {1}, id="exactly 80 percent includes and stops"),
        pytest.param({1: 79, 2: 21}, {1, 2}, id="just below 80 percent takes the next"),
        pytest.param({7: 60, 9: 20, 8: 20}, {7, 8}, id="tie at the boundary goes to the lower id"),
        pytest.param({3: 25, 1: 25, 2: 25, 4: 25}, {1, 2, 3, 4}, id="four equal clients all needed"),
        pytest.param({3: 20, 1: 20, 2: 20, 4: 20, 5: 20}, {1, 2, 3, 4}, id="five equal clients lowest ids"),
        pytest.param({1: 75, 2: 25, 3: -10}, {1}, id="negative net lowers the target"),
        pytest.param({1: 100, 2: 0}, {1}, id="client with zero net is never an angel"),
        pytest.param({1: 10, 2: 0, 3: -5}, {1}, id="only positive clients can be angels"),
    ],
)
def test_it_picks_the_clients_who_bring_80_percent_of_net_revenue(
    net_by_client: dict[int, int], expected: set[int]
) -> None:
    assert angel_ids(net_by_client) == expected


def test_it_includes_the_client_whose_revenue_reaches_exactly_80_percent_and_stops() -> None:
    net_by_client = {1: 400, 2: 400, 3: 100, 4: 100}

    assert angel_ids(net_by_client) == {1, 2}


def test_it_breaks_ties_by_client_id_regardless_of_mapping_order() -> None:
    forward = {10: 60, 12: 20, 11: 20}
    backward = dict(reversed(list(forward.items())))

    assert angel_ids(forward) == angel_ids(backward) == {10, 11}


def test_it_counts_the_negative_net_in_the_total_even_when_that_changes_the_tier() -> None:
    with_refunded_client = {1: 75, 2: 25, 3: -10}
    without_refunded_client = {1: 75, 2: 25}

    assert angel_ids(with_refunded_client) == {1}
    assert angel_ids(without_refunded_client) == {1, 2}


# --- window_start and trailing_net ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("as_of", "expected_start"),
    [
        pytest.param(date(2026, 2, 28), date(2025, 2, 28), id="february 28"),
        pytest.param(date(2024, 2, 29), date(2023, 2, 28), id="february 29 clamps to 28"),
        pytest.param(date(2025, 2, 28), date(2024, 2, 28), id="february 28 after a leap year"),
        pytest.param(date(2024, 3, 1), date(2023, 3, 1), id="first of march in a leap year"),
        pytest.param(date(2026, 3, 31), date(2025, 3, 31), id="month end"),
        pytest.param(date(2026, 1, 1), date(2025, 1, 1), id="new year"),
        pytest.param(date(2025, 12, 31), date(2024, 12, 31), id="new year's eve"),
    ],
)
def test_it_starts_the_window_12_calendar_months_back_clamped_to_month_end(
    as_of: date,
    expected_start: date,
) -> None:
    assert window_start(as_of) == expected_start


@pytest.mark.parametrize(
    ("as_of", "paid_on", "counted"),
    [
        pytest.param(date(2026, 2, 28), date(2025, 2, 28), False, id="on window start excluded"),
        pytest.param(date(2026, 2, 28), date(2025, 3, 1), True, id="day after window start included"),
        pytest.param(date(2026, 2, 28), date(2026, 2, 28), True, id="on as_of included"),
        pytest.param(date(2026, 2, 28), date(2026, 3, 1), False, id="day after as_of excluded"),
        pytest.param(date(2024, 2, 29), date(2023, 2, 28), False, id="leap day window start excluded"),
        pytest.param(date(2024, 2, 29), date(2023, 3, 1), True, id="leap day window first day included"),
        pytest.param(date(2026, 3, 31), date(2025, 3, 31), False, id="month end start excluded"),
        pytest.param(date(2026, 3, 31), date(2025, 4, 1), True, id="month end first day included"),
    ],
)
def test_it_counts_payments_only_inside_the_trailing_window(
    as_of: date,
    paid_on: date,
    counted: bool,
) -> None:
    net = trailing_net([(1, 1_000, paid_on)], as_of=as_of)

    assert net == ({1: 1_000} if counted else {})


def test_it_sums_payments_and_refunds_per_client() -> None:
    as_of = date(2026, 6, 30)
    payments = [
        (1, 50_000, date(2026, 1, 15)),
        (1, -5_000, date(2026, 2, 1)),
        (2, 20_000, date(2025, 9, 1)),
        (2, -30_000, date(2026, 6, 30)),
        (3, 10_000, date(2026, 3, 3)),
        (3, -10_000, date(2026, 4, 4)),
    ]

    assert trailing_net(payments, as_of=as_of) == {1: 45_000, 2: -10_000, 3: 0}


def test_it_ignores_a_refund_dated_outside_the_window() -> None:
    as_of = date(2026, 6, 30)
    payments = [
        (1, 50_000, date(2026, 1, 15)),
        (1, -50_000, date(2025, 6, 30)),
        (2, -7_000, date(2026, 7, 1)),
    ]

    assert trailing_net(payments, as_of=as_of) == {1: 50_000}


def test_it_leaves_out_clients_without_payments_in_the_window() -> None:
    payments = [(1, 100, date(2020, 1, 1)), (2, 100, date(2026, 1, 1))]

    assert trailing_net(payments, as_of=date(2026, 1, 1)) == {2: 100}


def test_it_rejects_amounts_that_are_not_integer_minor_units() -> None:
    with pytest.raises(TypeError):
        trailing_net([(1, 10.5, date(2026, 1, 1))], as_of=date(2026, 1, 1))  # type: ignore[list-item]


def test_it_tiers_from_payments_end_to_end() -> None:
    as_of = date(2026, 2, 28)
    payments = [
        (1, 500_00, date(2025, 3, 1)),
        (2, 300_00, date(2026, 2, 28)),
        (3, 100_00, date(2025, 12, 24)),
        (4, 900_00, date(2025, 2, 28)),
        (4, 50_00, date(2025, 6, 1)),
        (5, 50_00, date(2025, 7, 1)),
    ]

    assert angel_ids(trailing_net(payments, as_of=as_of)) == {1, 2}


# --- angel_summary and apply_pins -----------------------------------------------------------------


def test_it_summarises_the_angels_share_of_revenue() -> None:
    summary = angel_summary({1: 500, 2: 310, 3: 100, 4: 50, 5: 40})

    assert summary == AngelSummary(
        angel_ids=frozenset({1, 2}),
        angel_count=2,
        angel_net=810,
        total_net=1_000,
        share=Fraction(81, 100),
    )
    assert summary.share_basis_points == 8_100
    assert summary.share_percent == 81


def test_it_rounds_the_share_down_so_the_reason_never_overstates() -> None:
    summary = angel_summary({1: 5, 2: 1})

    assert summary.share == Fraction(5, 6)
    assert summary.share_basis_points == 8_333
    assert summary.share_percent == 83


@pytest.mark.parametrize(
    "net_by_client",
    [pytest.param({}, id="no clients"), pytest.param({1: 50, 2: -60}, id="negative total")],
)
def test_it_summarises_no_angels_with_a_zero_share(net_by_client: dict[int, int]) -> None:
    summary = angel_summary(net_by_client)

    assert summary.angel_ids == frozenset()
    assert summary.angel_count == 0
    assert summary.angel_net == 0
    assert summary.total_net == sum(net_by_client.values())
    assert summary.share == 0
    assert summary.share_basis_points == 0


@pytest.mark.parametrize(
    ("pinned", "unpinned", "expected"),
    [
        pytest.param(set(), set(), {1, 2}, id="no overrides"),
        pytest.param({9}, set(), {1, 2, 9}, id="pinned client joins"),
        pytest.param(set(), {2}, {1}, id="unpinned client leaves"),
        pytest.param({1}, {5}, {1, 2}, id="redundant overrides change nothing"),
    ],
)
def test_it_lets_manual_pins_override_the_computed_tier(
    pinned: set[int], unpinned: set[int], expected: set[int]
) -> None:
    assert apply_pins({1, 2}, pinned=pinned, unpinned=unpinned) == expected


def test_it_refuses_a_client_both_pinned_and_unpinned() -> None:
    with pytest.raises(ValueError, match="both pinned and unpinned"):
        apply_pins({1}, pinned={3}, unpinned={3})


# --- property-style check against a brute-force reference --------------------------------------


def reference_window_contains(paid_on: date, *, as_of: date) -> bool:
    year_ago_last_day = calendar.monthrange(as_of.year - 1, as_of.month)[1]
    year_ago = (as_of.year - 1, as_of.month, min(as_of.day, year_ago_last_day))
    return year_ago < (paid_on.year, paid_on.month, paid_on.day) and paid_on <= as_of


def reference_trailing_net(payments: list[tuple[int, int, date]], *, as_of: date) -> dict[int, int]:
    in_window = [payment for payment in payments if reference_window_contains(payment[2], as_of=as_of)]
    return {cid: sum(amount for other, amount, _ in in_window if other == cid) for cid, _, _ in in_window}


def reference_angel_ids(net_by_client: Mapping[int, int]) -> set[int]:
    """The smallest top-ranked prefix of positive clients holding at least 4/5 of the total."""
    total = sum(net_by_client.values())
    if total <= 0:
        return set()
    positive = [cid for cid, net in net_by_client.items() if net > 0]
    ranked = sorted(positive, key=lambda cid: (-net_by_client[cid], cid))
    for size in range(1, len(ranked) + 1):
        prefix = ranked[:size]
        if Fraction(sum(net_by_client[cid] for cid in prefix), total) >= Fraction(4, 5):
            return set(prefix)
    raise AssertionError("positive clients always reach 80 % of a positive total")


def random_payments(rng: random.Random, *, as_of: date) -> list[tuple[int, int, date]]:
    client_count = rng.randint(1, 12)
    payments = []
    for _ in range(rng.randint(0, 40)):
        client_id = rng.randint(1, client_count)
        amount = rng.choice([rng.randint(1, 5) * 10_000, rng.randint(-3, 3) * 10_000, rng.randint(-999, 999)])
        paid_on = as_of + timedelta(days=rng.randint(-400, 5))
        payments.append((client_id, amount, paid_on))
    return payments


@pytest.mark.parametrize("seed", range(5))
def test_it_agrees_with_a_brute_force_reference_on_random_ledgers(seed: int) -> None:
    rng = random.Random(seed)
    for _ in range(100):
        as_of = date(2023, 1, 1) + timedelta(days=rng.randint(0, 4 * 366))
        payments = random_payments(rng, as_of=as_of)

        net = trailing_net(payments, as_of=as_of)
        angels = angel_ids(net)

        assert net == reference_trailing_net(payments, as_of=as_of)
        assert angels == reference_angel_ids(net)
        assert angel_summary(net).angel_ids == angels


@pytest.mark.parametrize("seed", range(3))
def test_it_tiers_ten_thousand_clients_correctly(seed: int) -> None:
    """Correctness at size; the speed is `make bench`'s business (bench_tiers), never a timed test."""
    rng = random.Random(seed)
    net_by_client = {client_id: rng.randint(-5_000, 200_000) for client_id in range(1, 10_001)}
    for client_id in rng.sample(sorted(net_by_client), 500):
        net_by_client[client_id] = 100_000

    summary = angel_summary(net_by_client)

    total = sum(net_by_client.values())
    angel_net = sum(net_by_client[cid] for cid in summary.angel_ids)
    weakest_angel = min(summary.angel_ids, key=lambda cid: (net_by_client[cid], -cid))
    assert all(net_by_client[cid] > 0 for cid in summary.angel_ids)
    assert summary.total_net == total
    assert summary.angel_net == angel_net
    assert 5 * angel_net >= 4 * total
    assert 5 * (angel_net - net_by_client[weakest_angel]) < 4 * total
    assert all(
        (net_by_client[cid], -cid) < (net_by_client[weakest_angel], -weakest_angel)
        for cid in net_by_client.keys() - summary.angel_ids
    )
