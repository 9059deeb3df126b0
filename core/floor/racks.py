"""A whole rack (or a row of racks) of bins from a pattern: zone A, racks 01–20, levels 1–5,
places 1–4 → `A-01-1-1` … `A-20-5-4`, numbered in the order a picker walks them.

Route order. Racks stand side by side with an aisle between each pair, and a picker walks
along a rack from its first place to its last, taking every level at a place before
moving on. `serpentine` (the default) turns round at the end of each rack: up rack 01
from place 1 to place 4, back down rack 02 from place 4 to place 1, up rack 03 … — no
walking back empty along an aisle. `straight` walks every rack from place 1 (a one-way
layout, or racks reached from the same end).
"""

from dataclasses import dataclass
from enum import StrEnum

from core.errors import ValidationError
from core.floor.locations import (
    MAX_ROUTE,
    ROUTE_STEP,
    LocationData,
    LocationKind,
    LocationStore,
    check_code,
    check_route,
    check_warehouse,
    check_zone,
    codes_taken,
    next_route,
)

MAX_BINS = 20_000  # one pattern: a whole hall, not a typo of ten thousand racks
MAX_NUMBER = 999


class RouteOrder(StrEnum):
    SERPENTINE = "serpentine"
    STRAIGHT = "straight"


ROUTE_LABELS: dict[str, tuple[str, str]] = {
    RouteOrder.SERPENTINE: (
        "Змейкой: по нечётным стеллажам от первого места к последнему, по чётным обратно",
        "Serpentine: odd racks from the first place to the last, even racks back",
    ),
    RouteOrder.STRAIGHT: (
        "Все стеллажи от первого места к последнему",
        "Every rack from the first place to the last",
    ),
}


@dataclass(frozen=True)
class RackPattern:
    zone: str
    racks: tuple[int, int]  # first and last, inclusive
    levels: tuple[int, int]
    places: tuple[int, int]
    route: str = RouteOrder.SERPENTINE
    warehouse: str = "MAIN"
    route_start: int | None = None  # None: right after the warehouse's route ends

    @property
    def size(self) -> int:
        return _count(self.racks) * _count(self.levels) * _count(self.places)


def _count(span: tuple[int, int]) -> int:
    return max(span[1] - span[0] + 1, 0)


def _span(span: tuple[int, int], field: str, what: str) -> tuple[int, int]:
    first, last = span
    for value in span:
        if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= MAX_NUMBER:
            message = f"{what}: целые числа от 0 до {MAX_NUMBER}"
            raise ValidationError(f"invalid_{field}", message, field=field)
    if first > last:
        message = f"{what}: «с» ({first}) больше, чем «по» ({last})"
        raise ValidationError(f"invalid_{field}", message, field=field)
    return first, last


def check_pattern(pattern: RackPattern) -> RackPattern:
    zone = check_zone(pattern.zone)
    if zone is None:
        raise ValidationError("zone_required", "Укажите зону (например, A)", field="zone")
    if pattern.route not in tuple(RouteOrder):
        raise ValidationError("invalid_route", "Порядок обхода: serpentine или straight",
                              field="route")  # fmt: skip
    checked = RackPattern(
        zone=zone,
        racks=_span(pattern.racks, "racks", "Стеллажи"),
        levels=_span(pattern.levels, "levels", "Ярусы"),
        places=_span(pattern.places, "places", "Места"),
        route=pattern.route,
        warehouse=check_warehouse(pattern.warehouse),
        route_start=None if pattern.route_start is None else check_route(pattern.route_start),
    )
    if checked.size > MAX_BINS:
        message = (
            f"Слишком много ячеек за раз: {checked.size:,} (не больше {MAX_BINS:,}). "
            "Разбейте на несколько шаблонов"
        ).replace(",", " ")
        raise ValidationError("too_many_bins", message, field="racks")
    return checked


def _width(span: tuple[int, int], least: int) -> int:
    """Digits for the numbers of a span: `01`…`20` for racks; the same width for every
    code, so codes sort as the route goes (`A-01-1-10` never before `A-01-1-2`)."""
    return max(least, len(str(span[1])))


def expand(pattern: RackPattern, route_start: int) -> list[LocationData]:
    """The pattern's bins in walking order, numbered from `route_start` ROUTE_STEP apart.
    The pattern must be checked (check_pattern)."""
    rack_w, level_w, place_w = (
        _width(pattern.racks, 2), _width(pattern.levels, 1), _width(pattern.places, 1),
    )  # fmt: skip
    places = list(range(pattern.places[0], pattern.places[1] + 1))
    bins: list[LocationData] = []
    for turn, rack in enumerate(range(pattern.racks[0], pattern.racks[1] + 1)):
        backwards = pattern.route == RouteOrder.SERPENTINE and turn % 2 == 1
        for place in reversed(places) if backwards else places:
            for level in range(pattern.levels[0], pattern.levels[1] + 1):
                code = f"{pattern.zone}-{rack:0{rack_w}d}-{level:0{level_w}d}-{place:0{place_w}d}"
                bins.append(
                    LocationData(
                        code=check_code(code),
                        name=f"Стеллаж {rack:0{rack_w}d}, ярус {level}, место {place}",
                        kind=LocationKind.BIN,
                        warehouse=pattern.warehouse,
                        zone=pattern.zone,
                        route_sequence=route_start + len(bins) * ROUTE_STEP,
                    )
                )
    return bins


def preview(pattern: RackPattern, *, first: int = 3) -> tuple[int, list[str], str]:
    """For the form while it is filled in: how many bins, the first codes in walking order,
    and the last code."""
    checked = check_pattern(pattern)
    bins = expand(checked, 0)
    return len(bins), [b.code for b in bins[:first]], bins[-1].code if bins else ""


def create_rack(store: LocationStore, pattern: RackPattern) -> list[LocationData]:
    """Every bin of the pattern in one transaction, or none: a code some location already
    has refuses the whole pattern (location_code_taken, naming the codes)."""
    pattern = check_pattern(pattern)
    start = pattern.route_start
    if start is None:
        start = next_route(store.route_end(pattern.warehouse))
    if start + (pattern.size - 1) * ROUTE_STEP > MAX_ROUTE:
        raise ValidationError("invalid_route_sequence", "Порядок обхода: слишком большое "
                              "начальное число", field="route_start")  # fmt: skip
    bins = expand(pattern, start)
    taken = store.taken_codes([b.code for b in bins])
    if taken:
        raise codes_taken(sorted(taken))
    store.insert_many(bins)
    return bins
