"""Recording a whole-unit mission line: the executor took the line's pallet or box from
where it stands to the line's target. The unit moves with the handling units' own use case
(`core.floor.handling_units.move_unit`: one document, one TRANSFER per quant inside it,
nested boxes too, the ledger's rules) in the mission's transaction, so the line's done
mark and the move commit together or not at all.

On the tablet the line walks the unit's place (a bin: scanned), the unit's code (SSCC or
internal code: `check_unit_scan`) and the target bin.
"""

from core.errors import Conflict, ValidationError
from core.floor.handling_units import UnitMoved, move_unit
from core.floor.ports import HandlingUnitWork, MissionLine
from core.floor.unit_codes import human_readable, read_scan

KIND_NAMES = {"pallet": "паллета", "box": "коробка"}


def unit_name(line: MissionLine, *, capital: bool = False) -> str:
    """«паллета HU-000012» — what the line moves, as a person reads it (the code as it is:
    no `str.capitalize`, which would lower it)."""
    kind = KIND_NAMES.get(line.unit_kind, "упаковка")
    return f"{kind.capitalize() if capital else kind} {human_readable(line.unit_code)}"


def is_unit_scan(line: MissionLine, code: str | None) -> bool:
    return bool(line.unit_code) and read_scan(code) == line.unit_code


def check_unit_scan(line: MissionLine, code: str | None) -> None:
    """The scanned code must be the line's unit (an SSCC read in any of its forms)."""
    if not is_unit_scan(line, code):
        raise ValidationError(
            "wrong_handling_unit",
            f"Не та упаковка: отсканировано «{(code or '').strip()}», нужна {unit_name(line)}",
            field="unit_code",
        )


def move_line_unit(
    lent: HandlingUnitWork, line: MissionLine, user_id: int | None, key: str | None
) -> UnitMoved:
    """Move the line's unit from the line's place to its target. `lent` is the mission's
    open transaction (entering it opens none, its commit waits for the mission's). The
    unit is locked first, so nobody moves it between this check and the move; a replayed
    key comes back as `replayed` (the mission's replay answers it)."""
    assert line.handling_unit_id is not None
    locked = lent.units.lock([line.handling_unit_id])
    unit = locked[0] if locked else None
    if unit is None or not unit.is_open or unit.location_id != line.from_location_id:
        raise Conflict(
            "handling_unit_elsewhere",
            f"{unit_name(line, capital=True)} уже не в {line.from_code}: её переместили, "
            "закрыли или убрали — обратитесь к менеджеру",
        )
    return move_unit(lent, unit.id, line.to_location_id, user_id=user_id, idempotency_key=key)
