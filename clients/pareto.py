"""The Pareto chart of the last 12 months' revenue: who brings the money, and where 80 % is reached.

Pure functions only: no ORM, no clock, no templates. Amounts are integers in minor units and
shares are exact ``Fraction`` s of the total net ``T`` (negative nets included), so the ranking
and the 80 % crossing are exactly those of ``tiering.angel_ids``: the crossing client is the
last computed angel.

``pareto`` ranks the clients; ``chart_geometry`` turns the ranking into SVG coordinates for a
chart of a given size. The top clients get a bar each; the rest are aggregated so the chart
stays readable at any number of clients.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from fractions import Fraction

from django.utils.translation import gettext as _

from clients.tiering import ANGEL_SHARE_DENOMINATOR, ANGEL_SHARE_NUMERATOR
from kernel.money import CURRENCY_SYMBOLS, ZERO_DECIMAL_CURRENCIES, format_money

TOP_BARS = 30
ANGEL_SHARE = Fraction(ANGEL_SHARE_NUMERATOR, ANGEL_SHARE_DENOMINATOR)


# --- money and percent labels ---------------------------------------------------------------------


def format_money_whole(minor: int, currency: str) -> str:
    """``1_240_050, "EUR"`` → ``€12,401`` (Russian ``12 401 €``): whole units, rounded half away from zero.

    ``kernel.money.format_money`` with ``cents=False``, so the active language decides separators and
    symbol placement, as everywhere else money is shown. An amount that rounds to zero is shown as
    ``€0``, never a negative zero.
    """
    exponent = 0 if currency in ZERO_DECIMAL_CURRENCIES else 2
    if 2 * abs(minor) < 10**exponent:
        minor = 0
    return format_money(minor, currency, cents=False)


def format_money_compact(minor: int, currency: str) -> str:
    """Axis labels: ``€0``, ``€500``, ``€2.5k``, ``€12.5k``, ``€398k``, ``€1.2M`` (one decimal below 100)."""
    exponent = 0 if currency in ZERO_DECIMAL_CURRENCIES else 2
    units = Fraction(abs(minor), 10**exponent)
    suffix, scaled = "", units
    if units >= 10**6:
        suffix, scaled = "M", units / 10**6
    elif units >= 10**3:
        suffix, scaled = "k", units / 10**3
    text = f"{float(scaled):,.1f}".removesuffix(".0") if scaled < 100 else f"{round(scaled):,}"
    sign = "−" if minor < 0 else ""
    symbol = CURRENCY_SYMBOLS.get(currency)
    return f"{sign}{symbol}{text}{suffix}" if symbol else f"{sign}{text}{suffix} {currency}"


def percent_floor(share: Fraction, *, decimals: int = 1) -> str:
    """``Fraction(8123, 10000)`` → ``"81.2 %"``: rounded down, so a share never overstates.

    Rounding down keeps the labels consistent with the angel rule: the client that reaches
    80 % reads at least "80.0 %", every client before it reads at most "79.9 %".
    """
    scale = 10**decimals
    value = share.numerator * 100 * scale // share.denominator  # floor, also for negatives
    sign = "−" if value < 0 else ""
    whole, fraction = divmod(abs(value), scale)
    text = f"{whole}.{fraction:0{decimals}d}" if decimals else f"{whole}"
    return f"{sign}{text} %"


# --- ranking --------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Entry:
    """One client with a positive net, in rank order (net desc, then id asc)."""

    rank: int  # 1-based
    client_id: int
    name: str
    net: int
    cumulative: int
    share: Fraction  # net / T
    cumulative_share: Fraction  # cumulative / T; can pass 100 % when other clients' nets are negative
    is_angel: bool  # computed from revenue: every rank up to and including the 80 % crossing

    @property
    def share_label(self) -> str:
        return percent_floor(self.share)

    @property
    def cumulative_label(self) -> str:
        return percent_floor(self.cumulative_share)


@dataclass(frozen=True, slots=True)
class Bar:
    """One bar of the chart: a client, or an aggregate of the clients beyond the top ones."""

    label: str
    net: int
    cumulative_share: Fraction  # at the end of this bar
    is_angel: bool
    client_ids: tuple[int, ...]

    @property
    def is_aggregate(self) -> bool:
        return len(self.client_ids) != 1


@dataclass(frozen=True, slots=True)
class Pareto:
    entries: tuple[Entry, ...]  # clients with net > 0, ranked
    bars: tuple[Bar, ...]
    total_net: int  # T: every client's net, negative ones included
    positive_net: int  # the sum of the ranked entries' nets
    crossing_index: int | None  # index into `entries` (and `bars` when < TOP) where 80 % is reached
    nonpositive_count: int  # clients with net <= 0: listed in a note, not drawn
    nonpositive_net: int

    @property
    def angel_count(self) -> int:
        return 0 if self.crossing_index is None else self.crossing_index + 1

    @property
    def has_chart(self) -> bool:
        """A chart means something only when ``T > 0``: shares of a non-positive total don't."""
        return self.total_net > 0 and bool(self.entries)

    @property
    def crossing_bar_index(self) -> int | None:
        for index, bar in enumerate(self.bars):
            if bar.is_angel and (index + 1 == len(self.bars) or not self.bars[index + 1].is_angel):
                return index
        return None


def _others_label(count: int, *, angels: bool) -> str:
    return f"{count} more angels" if angels else f"{count} others"


def pareto(net_by_client: Mapping[int, int], names: Mapping[int, str], *, top: int = TOP_BARS) -> Pareto:
    """Rank ``net_by_client`` for the Pareto chart; ``names`` needs only the clients with net > 0.

    The top ``top`` clients get a bar each. The rest become one "N others" bar, split into
    "N more angels" and "N others" when angels are among them, so the bar where the line crosses
    80 % is always drawn (a group of one keeps its client's name). With ``T <= 0`` there are no
    angels and no shares (all zero).
    """
    total_net = sum(net_by_client.values())
    ranked = sorted(((cid, net) for cid, net in net_by_client.items() if net > 0), key=lambda item: (-item[1], item[0]))
    nonpositive = [net for net in net_by_client.values() if net <= 0]

    entries: list[Entry] = []
    cumulative = 0
    crossing_index: int | None = None
    for index, (client_id, net) in enumerate(ranked):
        cumulative += net
        # Every client up to and including the one that reaches 80 % is an angel (as in tiering).
        is_angel = total_net > 0 and crossing_index is None
        if is_angel and ANGEL_SHARE_DENOMINATOR * cumulative >= ANGEL_SHARE_NUMERATOR * total_net:
            crossing_index = index
        entries.append(
            Entry(
                rank=index + 1,
                client_id=client_id,
                name=names.get(client_id, f"#{client_id}"),
                net=net,
                cumulative=cumulative,
                share=Fraction(net, total_net) if total_net > 0 else Fraction(0),
                cumulative_share=Fraction(cumulative, total_net) if total_net > 0 else Fraction(0),
                is_angel=is_angel,
            )
        )

    bars = [
        Bar(
            label=entry.name,
            net=entry.net,
            cumulative_share=entry.cumulative_share,
            is_angel=entry.is_angel,
            client_ids=(entry.client_id,),
        )
        for entry in entries[:top]
    ]
    rest = entries[top:]
    for is_angel in (True, False):
        group = [entry for entry in rest if entry.is_angel == is_angel]
        if group:
            bars.append(
                Bar(
                    label=group[0].name if len(group) == 1 else _others_label(len(group), angels=is_angel),
                    net=sum(entry.net for entry in group),
                    cumulative_share=group[-1].cumulative_share,
                    is_angel=is_angel,
                    client_ids=tuple(entry.client_id for entry in group),
                )
            )
    return Pareto(
        entries=tuple(entries),
        bars=tuple(bars),
        total_net=total_net,
        positive_net=cumulative,
        crossing_index=crossing_index,
        nonpositive_count=len(nonpositive),
        nonpositive_net=sum(nonpositive),
    )


# --- SVG geometry ---------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class BarShape:
    x: float
    y: float
    w: float
    h: float
    label: str  # the x-axis label, shortened
    value_label: str  # the full text for the bar's tooltip
    is_angel: bool
    label_x: float  # anchor of the rotated axis label
    label_y: float
    clipped: bool = False  # an aggregate far taller than the scale: cut at the top, with a break mark
    clip_label: str = ""  # its amount, written above the cut
    clip_label_y: float = 0.0  # alternates between two rows when cut bars are neighbours
    break_points: str = ""  # the white zig-zag band drawn across a cut bar

    def __iter__(self):  # unpacks as (x, y, w, h, label, value_label, is_angel)
        return iter((self.x, self.y, self.w, self.h, self.label, self.value_label, self.is_angel))


@dataclass(frozen=True, slots=True)
class Tick:
    y: float
    label: str


@dataclass(frozen=True, slots=True)
class ChartGeometry:
    width: int
    height: int
    left: float  # the plot area
    right: float
    top: float
    bottom: float
    bars: tuple[BarShape, ...]
    line_points: str  # the cumulative polyline, "x,y x,y …"
    dots: tuple[tuple[float, float], ...]  # a marker at every polyline vertex except the origin
    line80_y: float
    money_ticks: tuple[Tick, ...]  # left axis
    percent_ticks: tuple[Tick, ...]  # right axis
    money_label_x: float  # right edge of the left axis labels
    percent_label_x: float  # left edge of the right axis labels
    line80_label: tuple[float, float]  # where "80 %" is written, just above the dashed line


MARGIN_LEFT = 64
MARGIN_RIGHT = 52
MARGIN_TOP = 32  # room for the amounts above cut bars (two rows, so neighbours don't overlap)
MARGIN_BOTTOM = 112  # room for the rotated client names
LABEL_CHARS = 16
CLIP_RATIO = 2


def nice_step(maximum: int, *, target_ticks: int = 5) -> int:
    """A round step (1, 2, 2.5 or 5 × 10^k, at least 1) giving about ``target_ticks`` ticks up to ``maximum``."""
    if maximum <= 0:
        return 1
    raw = Fraction(maximum, target_ticks)
    magnitude = 1
    while magnitude * 10 <= raw:
        magnitude *= 10
    for multiplier in (1, 2, Fraction(5, 2), 5, 10):
        step = magnitude * multiplier
        if step >= raw and step == int(step):
            return int(step)
    return magnitude * 10


def _shorten(text: str, limit: int = LABEL_CHARS) -> str:
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def _r(value: float | Fraction) -> float:
    return round(float(value), 1)


def _break_band(x: float, w: float, y: float) -> str:
    """A slanted band 4 units thick across a bar from ``x`` to ``x + w`` around height ``y``."""
    corners = [(x - 1, y + 3), (x + w + 1, y - 3), (x + w + 1, y + 1), (x - 1, y + 7)]
    return " ".join(f"{_r(cx):g},{_r(cy):g}" for cx, cy in corners)


def chart_geometry(chart: Pareto, *, currency: str, width: int = 960, height: int = 400) -> ChartGeometry:
    """Coordinates of every shape of the chart in a ``width`` × ``height`` SVG viewBox.

    Bars share a money scale on the left axis; the cumulative line uses the percent scale on
    the right axis, from 0 to 100 % (or higher when negative nets push the line past 100 %).
    The line starts at the origin and has a vertex at the right edge of each bar.

    The money scale fits the individual clients' bars. An aggregate bar more than twice as tall
    as the tallest client is cut at the top of the plot (``clipped``) with a break mark and its
    amount written above: with hundreds of small clients "N others" would otherwise flatten
    every other bar to nothing.
    """
    left, right = float(MARGIN_LEFT), float(width - MARGIN_RIGHT)
    top, bottom = float(MARGIN_TOP), float(height - MARGIN_BOTTOM)
    plot_h = bottom - top

    tallest_client = max((bar.net for bar in chart.bars if not bar.is_aggregate), default=0)
    tallest = max(
        (bar.net for bar in chart.bars if not tallest_client or bar.net <= CLIP_RATIO * tallest_client), default=0
    )
    step = max(nice_step(tallest), 10 ** (0 if currency in ZERO_DECIMAL_CURRENCIES else 2))  # ≥ one unit
    money_max = max(step, -(-tallest // step) * step)
    money_ticks = tuple(
        Tick(y=_r(bottom - plot_h * value / money_max), label=format_money_compact(value, currency))
        for value in range(0, money_max + 1, step)
    )

    last_share = chart.bars[-1].cumulative_share if chart.bars else Fraction(1)
    percent_max = max(Fraction(1), Fraction(-(-last_share * 5 // 1), 5))  # up to the next 20 %
    percent_ticks = tuple(
        Tick(y=_r(bottom - plot_h * Fraction(p, 100) / percent_max), label=f"{p} %")
        for p in range(0, int(percent_max * 100) + 1, 20)
    )

    slot = (right - left) / max(len(chart.bars), 1)
    gap = min(slot * 0.2, 8.0)
    shapes: list[BarShape] = []
    points: list[tuple[float, float]] = [(_r(left), _r(bottom))]
    for index, bar in enumerate(chart.bars):
        x = left + index * slot
        clipped = bar.net > money_max
        # A cut bar right after a cut bar with its label on the lower row takes the upper row.
        stacked = bool(shapes) and shapes[-1].clipped and shapes[-1].clip_label_y == _r(top - 5)
        h = plot_h * min(bar.net, money_max) / money_max
        tooltip = f"{bar.label}: {format_money_whole(bar.net, currency)}"
        if chart.has_chart:
            tooltip += _(", %(share)s of the total (%(cumulative)s cumulative)") % {
                "share": percent_floor(Fraction(bar.net, chart.total_net)),
                "cumulative": percent_floor(bar.cumulative_share),
            }
        shapes.append(
            BarShape(
                x=_r(x + gap / 2),
                y=_r(bottom - h),
                w=_r(slot - gap),
                h=_r(h),
                label=_shorten(bar.label),
                value_label=tooltip,
                is_angel=bar.is_angel,
                label_x=_r(x + slot / 2),
                label_y=_r(bottom + 10),
                clipped=clipped,
                clip_label=format_money_compact(bar.net, currency) if clipped else "",
                clip_label_y=_r(top - (17 if clipped and stacked else 5)),
                break_points=_break_band(x + gap / 2, slot - gap, top + 14) if clipped else "",
            )
        )
        points.append((_r(x + slot), _r(bottom - plot_h * bar.cumulative_share / percent_max)))

    return ChartGeometry(
        width=width,
        height=height,
        left=left,
        right=right,
        top=top,
        bottom=bottom,
        bars=tuple(shapes),
        line_points=" ".join(f"{x:g},{y:g}" for x, y in points),
        dots=tuple(points[1:]),
        line80_y=_r(bottom - plot_h * ANGEL_SHARE / percent_max),
        money_ticks=money_ticks,
        percent_ticks=percent_ticks,
        money_label_x=left - 6,
        percent_label_x=right + 6,
        line80_label=(left + 6, _r(bottom - plot_h * ANGEL_SHARE / percent_max - 6)),
    )
