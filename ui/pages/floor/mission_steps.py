"""The steps a mission line walks on the tablet (ui.pages.floor.mission_run): the places
to scan, the product or the whole unit, then the confirmation."""

from dataclasses import dataclass

from core.floor.ports import MissionLine
from core.floor.recording import Stop, stops


@dataclass(frozen=True)
class Scan:
    """One step of a line: a place to scan (`stop`), the product (no stop), the unit of a
    whole-unit line (`unit=True`), or, last, the confirmation (`quantity=True`)."""

    stop: Stop | None = None
    quantity: bool = False
    unit: bool = False


def steps_of(line: MissionLine) -> list[Scan]:
    """Where taken (a bin), the product, where put, then the quantity. A whole unit: the
    bin it stands in (unless the receiving zone), the unit, where it goes, confirm."""
    walk = stops(line)
    if line.whole_unit:
        taken = [Scan(s) for s in walk if not s.put]
        put = [Scan(s) for s in walk if s.put]
        return [*taken, Scan(unit=True), *put, Scan(quantity=True)]
    return [Scan(walk[0]), Scan(), *(Scan(s) for s in walk[1:]), Scan(quantity=True)]
