"""The pathway in one picture: a timeline from birth to 5 years with one lane per service and
one bar per age band, its stages on an axis above (gaps left visible), and the child's actual
and corrected ages as vertical lines. The geometry is worked out here, in the SVG's own units,
and `draw` turns it into the figure (SVG, with the same content as a list of text after it).
It is drawn in Python, not a template: a few dozen bars per page, each with a link of its own,
cost a template engine more than the rest of the page (docs/benchmarks.md). Its markup is made
with `format_html` and `format_html_join`, which escape every value they are given.

The age axis is not linear: the first weeks, where most of the pathway happens, would be a
sliver beside five years. Ages are placed by log(1 + days / SOFTEN): close to linear for the
first weeks, closer to logarithmic for years.

`build_timeline` reads everything it needs in one query, whatever the number of bars,
and its result depends on the content alone, so the browser builds it once per content
version; `Timeline.for_child` adds the child's lines by arithmetic."""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field, replace
from functools import lru_cache
from typing import NamedTuple

from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString

from .. import ages

END_DAYS = ages.to_days(years=5)  # 1826, where "3 - 5 years" ends
SOFTEN = 30  # days: below about a month the axis is nearly linear

# The SVG's coordinate system. 360 wide so that its 12-unit text is about 11 px on a
# 375 px phone (the picture is scaled to the column's width by its viewBox).
WIDTH = 360
LEFT = 8
RIGHT = 8
PLOT = WIDTH - LEFT - RIGHT
STAGE_TOP = 4
STAGE_HEIGHT = 22
TICK_TOP = STAGE_TOP + STAGE_HEIGHT + 4
TICK_ROW = 13
LANE_LABEL = 18
BAR_HEIGHT = 22
BAR_GAP = 4
LANE_GAP = 8
# Labels that would collide share no row: a tick closer than this to the one before goes a
# row lower.
TICK_SPACING = 24


def position(days: int) -> float:
    """Where an age in days sits across the plot, from 0 (birth) to 1 (5 years)."""
    days = min(max(days, 0), END_DAYS)
    return math.log1p(days / SOFTEN) / math.log1p(END_DAYS / SOFTEN)


def x_of(days: int) -> float:
    return round(LEFT + PLOT * position(days), 1)


_UNITS = {"days": "d", "day": "d", "weeks": "w", "week": "w", "months": "m", "month": "m"}
_UNITS |= {"years": "y", "year": "y"}


def short_age(days: int) -> str:
    """An age as an axis label: "Birth", "6w", "8w", "6m", "1y", "10w3d"."""
    if days <= 0:
        return "Birth"
    words = ages.describe_days(days)
    months = re.fullmatch(r"(\d+) months?(?: (\d+) weeks?)?", words)
    if months and int(months[1]) >= 12:  # "12 months" reads as "1y"
        whole = int(months[1])
        words = f"{whole // 12} year" + (f" {whole % 12} months" if whole % 12 else "")
    return re.sub(r"\s*(\d+) (\w+)", lambda m: m[1] + _UNITS[m[2]], words)


@dataclass(frozen=True)
class Bar:
    """The rationales of one service in one age band: one bar, labelled with their count."""

    service: str
    band: str
    start_days: int
    end_days: int
    count: int
    numbers: tuple[int, ...]  # the entries' numbers, in the pathway's order
    row: int = 0  # the bar's row inside its lane: bands that overlap stack
    x: float = 0
    width: float = 0
    y: float = 0
    height: float = BAR_HEIGHT

    @property
    def first(self) -> int:
        return self.numbers[0]

    @property
    def label_x(self) -> float:
        return round(self.x + self.width / 2, 1)

    @property
    def label_y(self) -> float:
        return round(self.y + self.height / 2 + 4, 1)

    @property
    def description(self) -> str:
        noun = "rationale" if self.count == 1 else "rationales"
        return f"{self.service}, {self.band}: {self.count} {noun}"


@dataclass(frozen=True)
class Lane:
    service: str
    slug: str
    y: float
    height: float
    bars: tuple[Bar, ...]

    @property
    def label_y(self) -> float:
        return self.y + 12


@dataclass(frozen=True)
class Segment:
    """A stage on the stage axis, or (label "") a stretch of age no stage covers."""

    label: str
    start_days: int
    end_days: int
    x: float
    width: float

    @property
    def is_gap(self) -> bool:
        return not self.label

    @property
    def short_label(self) -> str:
        return f"{short_age(self.start_days)}–{short_age(self.end_days)}"

    @property
    def label_x(self) -> float:
        return round(self.x + self.width / 2, 1)

    @property
    def gap_words(self) -> str:
        start, end = ages.describe_days(self.start_days), ages.describe_days(self.end_days)
        return f"No stage covers {start} to {end}"


@dataclass(frozen=True)
class Tick:
    days: int
    label: str
    x: float
    y: float


@dataclass(frozen=True)
class ChildLine:
    """A vertical line at one of the child's ages."""

    kind: str  # "actual", "corrected" or "age"
    label: str
    days: int
    x: float
    label_y: float

    @property
    def anchor(self) -> str:
        """Which way the label runs from the line, so that it stays inside the picture."""
        return "end" if self.x > WIDTH * 0.7 else "start"

    @property
    def label_x(self) -> float:
        return self.x - 3 if self.anchor == "end" else self.x + 3


@dataclass(frozen=True)
class Timeline:
    lanes: tuple[Lane, ...]
    stages: tuple[Segment, ...]
    ticks: tuple[Tick, ...]
    plot_top: float
    plot_bottom: float
    height: float
    lines: tuple[ChildLine, ...] = field(default=())
    child: ages.ChildAge | None = None

    width = WIDTH

    def covers_child(self, bar: Bar) -> bool:
        """Whether the bar's band holds one of the child's ages (actual or corrected)."""
        return self.child is not None and self.child.in_band(bar.start_days, bar.end_days)

    @property
    def bars(self) -> list[Bar]:
        return [bar for lane in self.lanes for bar in lane.bars]

    @property
    def view_box(self) -> str:
        return f"0 0 {WIDTH} {self.height:g}"

    def for_child(self, child_age: ages.ChildAge | None) -> Timeline:
        """This timeline with lines at the child's actual and corrected ages; the bars that
        cover either age are marked (`covers_child`: what applies at both is shown)."""
        if child_age is None:
            return self
        lines = []
        label_y = self.plot_bottom + 14
        if child_age.is_corrected:
            actual = f"Actual age {short_age(child_age.actual_days)}"
            corrected = f"Corrected age {short_age(child_age.days)}"
            lines.append(ChildLine("actual", actual, child_age.actual_days, 0, label_y))
            lines.append(ChildLine("corrected", corrected, child_age.days, 0, label_y + 14))
        else:
            label = f"Child's age {short_age(child_age.days)}"
            lines.append(ChildLine("age", label, child_age.days, 0, label_y))
        lines = [replace(line, x=x_of(line.days)) for line in lines]
        height = self.height + 14 * len(lines) + 4
        return replace(self, lines=tuple(lines), height=height, child=child_age)


def stack(bars: list[Bar]) -> list[Bar]:
    """Gives each bar the first row where it overlaps no other bar: wider bands first, so a
    band that spans the others lies on top."""
    rows: list[list[Bar]] = []
    placed = []
    order = sorted(bars, key=lambda b: (b.start_days, -(b.end_days - b.start_days), b.first))
    for bar in order:
        for number, row in enumerate(rows):
            if all(bar.end_days <= o.start_days or o.end_days <= bar.start_days for o in row):
                row.append(bar)
                placed.append(replace(bar, row=number))
                break
        else:
            rows.append([bar])
            placed.append(replace(bar, row=len(rows) - 1))
    return placed


def stage_segments(stages: list[tuple[str, int, int]]) -> list[Segment]:
    """The stages in age order, with a segment for every stretch from birth to 5 years that
    no stage covers."""
    segments = []
    reached = 0
    for label, start, end in sorted(stages, key=lambda s: (s[1], s[2])):
        if start > reached:
            segments.append(Segment("", reached, start, 0, 0))
        segments.append(Segment(label, start, end, 0, 0))
        reached = max(reached, end)
    if reached < END_DAYS:
        segments.append(Segment("", reached, END_DAYS, 0, 0))
    return [
        replace(s, x=x_of(s.start_days), width=round(x_of(s.end_days) - x_of(s.start_days), 1))
        for s in segments
    ]


def axis_ticks(segments: list[Segment], top: float) -> list[Tick]:
    bounds = sorted({0, END_DAYS} | {d for s in segments for d in (s.start_days, s.end_days)})
    ticks = []
    last_x = {0: -math.inf, 1: -math.inf}
    for days in bounds:
        x = x_of(days)
        row = 0 if x - last_x[0] >= TICK_SPACING else 1
        last_x[row] = x
        ticks.append(Tick(days, short_age(days), x, top + TICK_ROW * (row + 1)))
    return ticks


def layout(
    stages: list[tuple[str, int, int]],
    services: list[tuple[str, str]],
    entries: list[tuple[int, str, str, int, int]],
) -> Timeline:
    """The timeline of plain data: stages as (label, start, end); services as (slug, name)
    in the pathway's order; entries in the pathway's order as (number, service slug, band
    label, start, end)."""
    segments = stage_segments(stages)
    ticks = axis_ticks(segments, TICK_TOP)
    plot_top = max(t.y for t in ticks) + 8
    lanes = []
    y = plot_top
    for slug, name in services:
        groups: dict[tuple[str, int, int], list[int]] = {}
        for number, service, band, start, end in entries:
            if service == slug:
                groups.setdefault((band, start, end), []).append(number)
        if not groups:
            continue
        bars = stack(
            [
                Bar(name, band, start, end, len(numbers), tuple(numbers))
                for (band, start, end), numbers in groups.items()
            ]
        )
        bar_top = y + LANE_LABEL
        bars = [
            replace(
                bar,
                x=x_of(bar.start_days),
                width=round(x_of(bar.end_days) - x_of(bar.start_days), 1),
                y=bar_top + bar.row * (BAR_HEIGHT + BAR_GAP),
            )
            for bar in sorted(bars, key=lambda b: (b.row, b.start_days, b.end_days))
        ]
        rows = max(bar.row for bar in bars) + 1
        height = LANE_LABEL + rows * (BAR_HEIGHT + BAR_GAP)
        lanes.append(Lane(name, slug, y, height, tuple(bars)))
        y += height + LANE_GAP
    plot_bottom = y
    return Timeline(tuple(lanes), tuple(segments), tuple(ticks), plot_top, plot_bottom, y + 4)


def build_timeline(pathway, entries, stages) -> Timeline:
    """The timeline of `entries` (a queryset of the entries this person may see) in one
    query, with `stages` (the Stage rows the filters already read)."""
    rows = list(
        entries.filter(pathway=pathway)
        .order_by("position")
        .values_list(
            "number",
            "service__slug",
            "service__name",
            "service__position",
            "age_band__label",
            "age_band__start_days",
            "age_band__end_days",
        )
    )
    services = sorted({(order, name, slug) for _, slug, name, order, *_ in rows})
    return layout(
        [(stage.label, stage.start_days, stage.end_days) for stage in stages],
        [(slug, name) for _, name, slug in services],
        [(p, slug, band, start, end) for p, slug, _, _, band, start, end in rows],
    )


@dataclass(frozen=True)
class LinkedBar:
    """A bar as one page shows it: where it links, and whether its cards are on this page."""

    bar: Bar
    href: str
    shown: bool
    covers_child: bool = False

    @property
    def notes(self) -> str:
        """What the list in words adds after the bar's count."""
        notes = " (applies at the age given)" if self.covers_child else ""
        return notes + ("" if self.shown else " (not in these results)")

    @property
    def description(self) -> str:
        words = self.bar.description
        if self.covers_child:
            words += ", applies at the age given"
        return words if self.shown else f"{words} (not in these results)"


def linked(timeline: Timeline, shown: set[int], here: str, everything: str) -> list[tuple]:
    """Each lane with its bars linked to their cards: `here` (an id prefix, "#entry-") when
    a card of the bar is among the `shown` entries (by number), so the page keeps its filters; else
    `everything` (the unfiltered pathway's address and id prefix), where every card is."""
    lanes = []
    for lane in timeline.lanes:
        bars = []
        for bar in lane.bars:
            on_page = [number for number in bar.numbers if number in shown]
            covers = timeline.covers_child(bar)
            if on_page:
                bars.append(LinkedBar(bar, f"{here}{on_page[0]}", True, covers))
            else:
                bars.append(LinkedBar(bar, f"{everything}{bar.first}", False, covers))
        lanes.append((lane, bars))
    return lanes


def _number(value: float) -> str:
    """A coordinate as the SVG gets it: 12, 12.5."""
    return f"{value:g}" if isinstance(value, float) else str(value)


def _segment(segment: Segment) -> SafeString:
    if segment.is_gap:
        return format_html(
            '<rect class="timeline__gap" x="{}" y="4" width="{}" height="22" '
            'fill="#ffffff" stroke="#4c6272" stroke-dasharray="3 2"/>',
            _number(segment.x),
            _number(segment.width),
        )
    return format_html(
        '<rect class="timeline__stage" x="{}" y="4" width="{}" height="22" '
        'fill="#e8edee" stroke="#4c6272"/><text x="{}" y="19" '
        'text-anchor="middle" fill="#212b32" font-size="10">{}</text>',
        _number(segment.x),
        _number(segment.width),
        _number(segment.label_x),
        segment.short_label,
    )


@lru_cache(maxsize=256)
def _axis(stages: tuple[Segment, ...], ticks: tuple[Tick, ...], plot_bottom: float) -> SafeString:
    """The stages and the age ticks: the same on every page of a pathway's version."""
    last = len(ticks) - 1
    return format_html(
        '<g aria-hidden="true">{}{}</g>',
        format_html_join("", "{}", ((_segment(segment),) for segment in stages)),
        format_html_join(
            "",
            '<line x1="{x}" x2="{x}" y1="26" y2="{bottom}" stroke="#aeb7bd" stroke-width="0.5"/>'
            '<text x="{x}" y="{y}" text-anchor="{anchor}" fill="#4c6272" font-size="10">'
            "{label}</text>",
            (
                {
                    "x": _number(tick.x),
                    "y": _number(tick.y),
                    "bottom": _number(plot_bottom),
                    "anchor": "start" if number == 0 else "end" if number == last else "middle",
                    "label": tick.label,
                }
                for number, tick in enumerate(ticks)
            ),
        ),
    )


@lru_cache(maxsize=4096)
def _bar_shape(bar: Bar) -> SafeString:
    """A bar's rectangle and count: the same wherever it links."""
    n = _number
    return format_html(
        '<rect x="{}" y="{}" width="{}" height="{}" rx="3"/><text x="{}" y="{}" '
        'text-anchor="middle" font-weight="bold" aria-hidden="true">{}</text>',
        n(bar.x),
        n(bar.y),
        n(bar.width),
        n(bar.height),
        n(bar.label_x),
        n(bar.label_y),
        bar.count,
    )


@lru_cache(maxsize=256)
def _stages_in_words(stages: tuple[Segment, ...]) -> SafeString:
    return format_html_join(
        "",
        "<li>{}</li>",
        ((segment.gap_words if segment.is_gap else segment.label,) for segment in stages),
    )


def _child_line(line: ChildLine, plot_bottom: float) -> SafeString:
    dashes = format_html(' stroke-dasharray="{}"', "4 2") if line.kind == "corrected" else ""
    return format_html(
        '<g class="timeline__child timeline__child--{kind}" aria-hidden="true">'
        '<line x1="{x}" x2="{x}" y1="4" y2="{bottom}" stroke-width="2"{dashes}/>'
        '<text x="{label_x}" y="{label_y}" text-anchor="{anchor}" font-weight="bold">'
        "{label}</text></g>",
        kind=line.kind,
        x=_number(line.x),
        bottom=_number(plot_bottom),
        dashes=dashes,
        label_x=_number(line.label_x),
        label_y=_number(line.label_y),
        anchor=line.anchor,
        label=line.label,
    )


def _bar_link(item: LinkedBar) -> tuple:
    kind = "" if item.shown else " timeline__bar--elsewhere"
    kind += " timeline__bar--child" if item.covers_child else ""
    return kind, item.href, item.description, _bar_shape(item.bar)


class DrawnLanes(NamedTuple):
    """The lanes as one page links them: the same for every child whose ages fall in the
    same bands, so a page keeps them per selection (the child's lines are drawn apart)."""

    bars: SafeString
    names: SafeString
    in_words: SafeString


def draw_lanes(lanes: list[tuple]) -> DrawnLanes:
    """The markup of the lanes `linked` returns: their bars, their names, and the list of
    them in words."""
    return DrawnLanes(
        bars=format_html_join(
            "",
            '<g class="timeline__lane">{}</g>',
            (
                (
                    format_html_join(
                        "",
                        '<a class="timeline__bar{}" href="{}"><title>{}</title>{}</a>',
                        map(_bar_link, bars),
                    ),
                )
                for _, bars in lanes
            ),
        ),
        names=format_html_join(
            "",
            '<text x="8" y="{}" fill="#212b32" font-weight="bold" stroke="#f0f4f5" '
            'stroke-width="4" paint-order="stroke">{}</text>',
            ((_number(lane.label_y), lane.service) for lane, _ in lanes),
        ),
        in_words=format_html_join(
            "",
            '<h3 class="nhsuk-heading-xs">{}</h3>'
            '<ul class="nhsuk-list nhsuk-list--bullet timeline__list">{}</ul>',
            (
                (
                    lane.service,
                    format_html_join(
                        "",
                        '<li><a href="{}">{}: {} rationale{}</a>{}</li>',
                        map(_list_item, bars),
                    ),
                )
                for lane, bars in lanes
            ),
        ),
    )


def draw(timeline: Timeline, lanes: DrawnLanes, title: str) -> SafeString:
    """The figure for a page: the SVG, then the same picture as a list. `lanes` is what
    `draw_lanes` made of this page's links; `title` the pathway's."""
    # The child's ages go behind the bars, so no line crosses a count; their labels sit
    # below. The lane names go last, with a pale halo, so no line crosses their letters.
    return format_html(
        '<figure class="timeline" aria-labelledby="timeline-caption">'
        '<svg class="timeline__svg" xmlns="http://www.w3.org/2000/svg" viewBox="{view_box}" '
        'width="{width}" height="{height}" role="group" aria-labelledby="timeline-caption" '
        'font-family="arial, sans-serif" font-size="12">{axis}{lines}{bars}'
        '<g aria-hidden="true">{names}</g></svg>'
        '<figcaption id="timeline-caption" class="nhsuk-body-s timeline__caption">'
        "{title} from birth to 5 years: stages along the top, one lane per service, "
        "one bar per age band with its number of rationales{as_line}. "
        "Select a bar to go to its rationales.</figcaption></figure>{as_list}",
        view_box=timeline.view_box,
        width=timeline.width,
        height=_number(timeline.height),
        axis=_axis(timeline.stages, timeline.ticks, timeline.plot_bottom),
        lines=format_html_join(
            "", "{}", ((_child_line(line, timeline.plot_bottom),) for line in timeline.lines)
        ),
        bars=lanes.bars,
        names=lanes.names,
        title=title,
        as_line=", and the age given as a line" if timeline.lines else "",
        as_list=_as_list(timeline, lanes),
    )


def _list_item(item: LinkedBar) -> tuple:
    bar = item.bar
    return item.href, bar.band, bar.count, "" if bar.count == 1 else "s", item.notes


def _as_list(timeline: Timeline, lanes: DrawnLanes) -> SafeString:
    """The picture in words, for screen readers and anyone who prefers a list."""
    ages = ""
    if timeline.lines:
        ages = format_html(
            '<p class="timeline__ages">{}.</p>',
            format_html_join("; ", "{}", ((line.label,) for line in timeline.lines)),
        )
    return format_html(
        '<details class="nhsuk-details timeline__text">'
        '<summary class="nhsuk-details__summary"><span class="nhsuk-details__summary-text">'
        "The picture as a list</span></summary>"
        '<div class="nhsuk-details__text">'
        '<h3 class="nhsuk-heading-xs">Stages</h3>'
        '<ul class="nhsuk-list nhsuk-list--bullet timeline__stages">{}</ul>{}{}'
        "</div></details>",
        _stages_in_words(timeline.stages),
        ages,
        lanes.in_words,
    )
