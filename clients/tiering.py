"""Angel tiering: the clients who together bring 80 % of the last 12 months' net revenue.

Pure functions only: no ORM, no clock. Amounts are integers in minor units (cents) and every
comparison is exact integer arithmetic, so the result never depends on float rounding.

Window: a payment counts when ``window_start(as_of) < paid_on <= as_of``. Refunds are negative
payments and count by their own date.
"""

from __future__ import annotations

import calendar
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date
from fractions import Fraction

ANGEL_SHARE_NUMERATOR = 4
ANGEL_SHARE_DENOMINATOR = 5


def window_start(as_of: date) -> date:
    """Return the exclusive lower bound of the 12-month window ending on ``as_of`` (inclusive).

    It is the same day 12 calendar months earlier, clamped to the end of that month
    (2024-02-29 -> 2023-02-28). Query with ``paid_on > window_start(as_of), paid_on <= as_of``.
    """
    year = as_of.year - 1
    last_day = calendar.monthrange(year, as_of.month)[1]
    return date(year, as_of.month, min(as_of.day, last_day))


def trailing_net(payments: Iterable[tuple[int, int, date]], *, as_of: date) -> dict[int, int]:
    """Sum ``(client id, amount in minor units, paid on)`` payments inside the window ending ``as_of``.

    Only clients with at least one payment in the window appear; one whose in-window payments
    cancel out appears with 0. Raises ``TypeError`` for a non-integer amount.
    """
    lower_bound_exclusive = window_start(as_of)
    net_by_client: dict[int, int] = {}
    for client_id, amount, paid_on in payments:
        if not isinstance(amount, int):
            raise TypeError(f"amount must be an int in minor units, got {type(amount).__name__}")
        if lower_bound_exclusive < paid_on <= as_of:
            net_by_client[client_id] = net_by_client.get(client_id, 0) + amount
    return net_by_client


@dataclass(frozen=True, slots=True)
class AngelSummary:
    """The angels of one window and how much of the total net revenue ``T`` they bring.

    ``share`` is ``angel_net / total_net`` (0 when there are no angels); it is >= 4/5 whenever
    there are angels.
    """

    angel_ids: frozenset[int]
    angel_count: int
    angel_net: int
    total_net: int
    share: Fraction

    @property
    def share_basis_points(self) -> int:
        """``share`` in basis points, rounded down so it never overstates (8000 means 80 %)."""
        return self.share.numerator * 10_000 // self.share.denominator

    @property
    def share_percent(self) -> int:
        """``share`` in whole percent, rounded down (an angel tier always shows at least 80)."""
        return self.share.numerator * 100 // self.share.denominator


def _rank_angels(net_by_client: Mapping[int, int]) -> tuple[list[int], int, int]:
    """Return (angel ids in rank order, their net, total net T)."""
    total_net = sum(net_by_client.values())
    if total_net <= 0:
        return [], 0, total_net
    ranked = sorted(
        ((client_id, net) for client_id, net in net_by_client.items() if net > 0),
        key=lambda item: (-item[1], item[0]),
    )
    angels: list[int] = []
    cumulative = 0
    for client_id, net in ranked:
        angels.append(client_id)
        cumulative += net
        if ANGEL_SHARE_DENOMINATOR * cumulative >= ANGEL_SHARE_NUMERATOR * total_net:
            break
    return angels, cumulative, total_net


def angel_ids(net_by_client: Mapping[int, int]) -> set[int]:
    """Return the clients who together bring 80 % of the total net ``T`` (negative nets included).

    No angels when ``T <= 0``. Otherwise clients with net > 0 are ranked by net descending, then
    client id ascending, and taken until ``5 * cumulative >= 4 * T`` (the client reaching it is
    included). O(n log n): one sort and one pass.
    """
    return set(_rank_angels(net_by_client)[0])


def angel_summary(net_by_client: Mapping[int, int]) -> AngelSummary:
    """Return the angels of ``net_by_client`` with their count, net and share of ``T``."""
    angels, angel_net, total_net = _rank_angels(net_by_client)
    share = Fraction(angel_net, total_net) if angels else Fraction(0)
    return AngelSummary(
        angel_ids=frozenset(angels),
        angel_count=len(angels),
        angel_net=angel_net,
        total_net=total_net,
        share=share,
    )


def apply_pins(angels: Iterable[int], *, pinned: set[int], unpinned: set[int]) -> set[int]:
    """Return the computed angels plus manually pinned clients minus manually unpinned ones.

    A client cannot be both pinned and unpinned: raises ``ValueError`` if the sets overlap.
    """
    conflicting = pinned & unpinned
    if conflicting:
        raise ValueError(f"clients both pinned and unpinned: {sorted(conflicting)}")
    return (set(angels) | pinned) - unpinned
