import random
from fractions import Fraction

import pytest
from django.utils import translation

from clients.pareto import (
    TOP_BARS,
    chart_geometry,
    format_money_compact,
    format_money_whole,
    nice_step,
    pareto,
    percent_floor,
)
from clients.tiering import angel_ids, angel_summary


def names_for(net_by_client: dict[int, int]) -> dict[int, str]:
    return {client_id: f"Client {client_id}" for client_id in net_by_client}


# --- ranking --------------------------------------------------------------------------------------


def test_it_ranks_by_net_descending_then_id_like_tiering() -> None:
    nets = {7: 60, 9: 20, 8: 20, 3: 5, 4: 0, 5: -10}

    chart = pareto(nets, names_for(nets))

    assert [entry.client_id for entry in chart.entries] == [7, 8, 9, 3]
    assert [entry.rank for entry in chart.entries] == [1, 2, 3, 4]
    assert {entry.client_id for entry in chart.entries if entry.is_angel} == angel_ids(nets) == {7, 8}


@pytest.mark.parametrize("seed", range(30))
def test_its_angels_and_crossing_agree_with_tiering_on_random_nets(seed: int) -> None:
    rng = random.Random(seed)
    nets = {
        client_id: rng.choice([rng.randint(-5_000, 0), rng.randint(1, 10 ** rng.randint(2, 7)), 100_000])
        for client_id in rng.sample(range(1, 10_000), rng.randint(0, 120))
    }

    chart = pareto(nets, names_for(nets), top=10)
    summary = angel_summary(nets)

    angels = [entry.client_id for entry in chart.entries if entry.is_angel]
    assert set(angels) == angel_ids(nets)
    assert chart.angel_count == summary.angel_count
    assert chart.total_net == summary.total_net == sum(nets.values())
    # Angels are exactly a prefix, ending at the crossing.
    assert angels == [entry.client_id for entry in chart.entries[: chart.angel_count]]
    if chart.crossing_index is not None:
        assert chart.entries[chart.crossing_index].cumulative_share >= Fraction(4, 5)
        assert chart.crossing_index == 0 or chart.entries[chart.crossing_index - 1].cumulative_share < Fraction(4, 5)
        assert chart.entries[chart.crossing_index].cumulative == summary.angel_net
    # Every drawn euro is accounted for: bars sum to the positive nets, the note to the rest.
    assert sum(bar.net for bar in chart.bars) == chart.positive_net
    assert chart.positive_net + chart.nonpositive_net == chart.total_net


def test_it_finds_the_80_percent_crossing_exactly_at_80() -> None:
    chart = pareto({1: 50, 2: 30, 3: 20}, {1: "A", 2: "B", 3: "C"})

    assert chart.crossing_index == 1
    assert chart.entries[1].cumulative_share == Fraction(4, 5)
    assert chart.entries[1].cumulative_label == "80.0 %"
    assert [entry.is_angel for entry in chart.entries] == [True, True, False]


def test_it_takes_the_next_client_just_below_80_percent() -> None:
    chart = pareto({1: 7_999, 2: 2_001}, {1: "A", 2: "B"})

    assert chart.crossing_index == 1
    assert chart.entries[0].cumulative_label == "79.9 %"  # rounded down: never reads as 80 %


def test_shares_are_exact_fractions_of_the_total_including_negative_nets() -> None:
    chart = pareto({1: 75, 2: 25, 3: -10}, {1: "A", 2: "B", 3: "C"})

    assert chart.total_net == 90
    assert chart.entries[0].share == Fraction(75, 90)
    assert chart.entries[-1].cumulative_share == Fraction(100, 90)  # past 100 %: refunds elsewhere
    assert chart.crossing_index == 0


def test_it_aggregates_the_clients_beyond_the_top_into_one_others_bar() -> None:
    nets = {1: 1_000_000} | dict.fromkeys(range(2, 501), 100)

    chart = pareto(nets, names_for(nets))

    assert len(chart.entries) == 500
    assert len(chart.bars) == TOP_BARS + 1
    others = chart.bars[-1]
    assert others.label == "470 others"
    assert others.is_aggregate
    assert not others.is_angel
    assert others.net == 470 * 100
    assert others.cumulative_share == Fraction(1)
    assert chart.bars[0].label == "Client 1"
    assert chart.bars[0].is_angel


def test_it_splits_the_aggregate_when_angels_are_beyond_the_top_bars() -> None:
    nets = dict.fromkeys(range(1, 101), 100)  # 80 equal angels

    chart = pareto(nets, names_for(nets))

    assert chart.angel_count == 80
    assert [bar.label for bar in chart.bars[-2:]] == ["50 more angels", "20 others"]
    assert [bar.is_angel for bar in chart.bars[-2:]] == [True, False]
    assert chart.crossing_bar_index == TOP_BARS
    assert chart.bars[TOP_BARS].cumulative_share == Fraction(4, 5)


def test_it_has_no_aggregate_bar_with_few_clients() -> None:
    chart = pareto({1: 10, 2: 2}, {1: "A", 2: "B"})

    assert [bar.label for bar in chart.bars] == ["A", "B"]
    assert chart.crossing_bar_index == 0


def test_it_notes_clients_with_zero_or_negative_net_instead_of_drawing_them() -> None:
    chart = pareto({1: 500, 2: 0, 3: -120, 4: -30}, {1: "A", 2: "B", 3: "C", 4: "D"})

    assert [entry.client_id for entry in chart.entries] == [1]
    assert chart.nonpositive_count == 3
    assert chart.nonpositive_net == -150


@pytest.mark.parametrize(
    "nets",
    [
        pytest.param({}, id="empty"),
        pytest.param({1: 0, 2: 0}, id="all zero"),
        pytest.param({1: -50, 2: -10}, id="negative only"),
        pytest.param({1: 50, 2: -60}, id="refunds outweigh revenue"),
    ],
)
def test_it_has_no_chart_and_no_angels_when_the_total_is_not_positive(nets: dict[int, int]) -> None:
    chart = pareto(nets, names_for(nets))

    assert not chart.has_chart
    assert chart.crossing_index is None
    assert chart.angel_count == 0
    assert not any(entry.is_angel for entry in chart.entries)
    assert all(entry.share == 0 for entry in chart.entries)
    assert chart.crossing_bar_index is None
    chart_geometry(chart, currency="EUR")  # still safe to lay out


def test_it_falls_back_to_the_id_for_a_missing_name() -> None:
    assert pareto({42: 10}, {}).entries[0].name == "#42"


# --- geometry -------------------------------------------------------------------------------------


def test_the_geometry_places_bars_line_and_80_percent_inside_the_plot() -> None:
    nets = {1: 500_00, 2: 300_00, 3: 100_00, 4: 50_00, 5: 50_00}
    chart = pareto(nets, {1: "A very long client name GmbH & Co. KG", 2: "B", 3: "C", 4: "D", 5: "E"})

    geometry = chart_geometry(chart, currency="EUR", width=600, height=300)

    assert len(geometry.bars) == 5
    x, y, w, h, label, value_label, is_angel = geometry.bars[0]
    assert (x, y + h) == (pytest.approx(geometry.left, abs=8), pytest.approx(geometry.bottom))
    assert label == "A very long cli…"
    assert value_label == "A very long client name GmbH & Co. KG: €500, 50.0 % of the total (50.0 % cumulative)"
    assert is_angel
    assert [bar.is_angel for bar in geometry.bars] == [True, True, False, False, False]
    heights = [bar.h for bar in geometry.bars]
    assert heights == sorted(heights, reverse=True)
    assert heights[0] == pytest.approx(heights[1] * 5 / 3, rel=0.01)
    assert all(geometry.left <= bar.x and bar.x + bar.w <= geometry.right + 0.1 for bar in geometry.bars)
    # The line starts at the origin and ends at 100 % at the right edge.
    points = [tuple(map(float, point.split(","))) for point in geometry.line_points.split()]
    assert points[0] == (geometry.left, geometry.bottom)
    assert points[-1] == (geometry.right, geometry.top)
    assert len(points) == 6
    assert geometry.line80_y == pytest.approx(geometry.bottom - 0.8 * (geometry.bottom - geometry.top), abs=0.1)
    assert points[2][1] == pytest.approx(geometry.line80_y, abs=0.1)  # A + B reach exactly 80 %
    assert [tick.label for tick in geometry.percent_ticks] == ["0 %", "20 %", "40 %", "60 %", "80 %", "100 %"]
    assert geometry.money_ticks[0].label == "€0"
    assert geometry.money_ticks[-1].y == pytest.approx(geometry.top)  # the tallest tick tops the plot


def test_the_percent_axis_grows_past_100_when_refunds_push_the_line_over() -> None:
    chart = pareto({1: 100, 2: 50, 3: -30}, {1: "A", 2: "B", 3: "C"})

    geometry = chart_geometry(chart, currency="EUR")

    assert geometry.percent_ticks[-1].label == "140 %"  # 150 / 120 = 125 % → next 20 %
    assert all(geometry.top - 0.1 <= float(p.split(",")[1]) for p in geometry.line_points.split())


def test_a_huge_others_bar_is_cut_so_the_client_bars_stay_readable() -> None:
    # 30 clients of €1,000 bring 80 % less €16; one more €16 client reaches it; 469 others.
    nets = dict.fromkeys(range(1, 31), 100_000) | dict.fromkeys(range(31, 501), 1_600)
    chart = pareto(nets, names_for(nets))

    geometry = chart_geometry(chart, currency="EUR")

    assert chart.angel_count == 31
    assert [bar.label for bar in chart.bars[-2:]] == ["Client 31", "469 others"]  # a group of one is named
    others = geometry.bars[-1]
    assert others.clipped
    assert others.clip_label == "€7.5k"
    assert others.y == geometry.top
    assert others.break_points
    assert geometry.money_ticks[-1].label == "€1k"  # the scale fits the tallest client
    assert geometry.bars[0].y == pytest.approx(geometry.top)
    assert not any(bar.clipped for bar in geometry.bars[:-1])


def test_cut_neighbours_write_their_amounts_on_two_rows() -> None:
    nets = {1: 100} | dict.fromkeys(range(2, 102), 99)  # 80 angels: "more angels" and "others" both cut
    geometry = chart_geometry(pareto(nets, names_for(nets), top=1), currency="EUR")

    first, second = geometry.bars[-2:]
    assert first.clipped
    assert second.clipped
    assert first.clip_label_y != second.clip_label_y


def test_an_others_bar_not_much_taller_than_the_top_client_is_not_cut() -> None:
    nets = {1: 1_000} | dict.fromkeys(range(2, 42), 40)  # "10 others" = 400 < 2 × 1,000
    geometry = chart_geometry(pareto(nets, names_for(nets)), currency="EUR")

    assert not any(bar.clipped for bar in geometry.bars)


@pytest.mark.parametrize(
    ("maximum", "step"),
    [(0, 1), (1, 1), (9, 2), (100, 20), (1_234_500, 250_000), (4_999_999, 1_000_000), (10_000, 2_000)],
)
def test_nice_step_picks_a_round_step(maximum: int, step: int) -> None:
    assert nice_step(maximum) == step


# --- labels ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("minor", "currency", "expected"),
    [
        (1_240_000, "EUR", "€12,400"),
        (1_240_049, "EUR", "€12,400"),
        (1_240_050, "EUR", "€12,401"),  # half rounds away from zero
        (-1_240_050, "EUR", "−€12,401"),
        (-49, "EUR", "€0"),  # no negative zero
        (0, "EUR", "€0"),
        (123_456_789, "USD", "$1,234,568"),
        (1_240_000, "NOK", "12,400 NOK"),
        (12_400, "JPY", "¥12,400"),  # zero-decimal currency
        (99_999_999_999_999, "GBP", "£1,000,000,000,000"),
    ],
)
def test_it_formats_money_in_whole_units_with_thousands_separators(minor: int, currency: str, expected: str) -> None:
    assert format_money_whole(minor, currency) == expected


@pytest.mark.parametrize(
    ("minor", "currency", "expected"),
    [
        (1_240_050, "EUR", "12\u00a0401\u00a0€"),
        (-1_240_050, "EUR", "−12\u00a0401\u00a0€"),
        (-49, "EUR", "0\u00a0€"),  # no negative zero
        (123_456_789, "RUB", "1\u00a0234\u00a0568\u00a0₽"),
        (12_400, "JPY", "12\u00a0400\u00a0¥"),
    ],
)
def test_it_formats_whole_money_the_russian_way_in_russian(minor: int, currency: str, expected: str) -> None:
    with translation.override("ru"):
        assert format_money_whole(minor, currency) == expected


@pytest.mark.parametrize(
    ("minor", "currency", "expected"),
    [
        (0, "EUR", "€0"),
        (50_000, "EUR", "€500"),
        (250_000, "EUR", "€2.5k"),
        (1_250_000, "EUR", "€12.5k"),
        (4_000_000, "EUR", "€40k"),
        (120_000_000, "USD", "$1.2M"),
        (250_000, "NOK", "2.5k NOK"),
    ],
)
def test_it_formats_compact_axis_labels(minor: int, currency: str, expected: str) -> None:
    assert format_money_compact(minor, currency) == expected


@pytest.mark.parametrize(
    ("share", "expected"),
    [
        (Fraction(4, 5), "80.0 %"),
        (Fraction(7999, 10000), "79.9 %"),
        (Fraction(2, 3), "66.6 %"),
        (Fraction(1), "100.0 %"),
        (Fraction(1, 100_000), "0.0 %"),
        (Fraction(10, 9), "111.1 %"),
    ],
)
def test_percent_labels_round_down(share: Fraction, expected: str) -> None:
    assert percent_floor(share) == expected
