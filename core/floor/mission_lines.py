"""A mission's lines as a manager gives them: each checked against the catalogue, the
locations and the mission's kind before anything is written.

A line moves a quantity of a product, or — naming a handling unit and no product — the
whole unit with everything in it (`whole_unit`; its quantity is 1, the unit). A unit line
is taken from where the unit stands now; the route rules are those of a product line."""

from collections.abc import Sequence
from dataclasses import dataclass

from core.errors import ValidationError
from core.floor.locations import LocationKind
from core.floor.mission_rules import MissionKind, check_id
from core.floor.ports import LineDraft, MissionRepository, Place
from core.stock.requests import check_quantity

MAX_LINES = 200


@dataclass(frozen=True)
class LineRequest:
    product_id: object
    quantity: object
    from_location_id: object
    to_location_id: object
    handling_unit_id: object = None
    # True, or no product and a unit named: the line moves the whole unit.
    whole_unit: object = None


def is_unit_line(line: LineRequest) -> bool:
    if line.whole_unit is None:
        return line.product_id is None and line.handling_unit_id is not None
    if not isinstance(line.whole_unit, bool):
        raise ValidationError("invalid_whole_unit", "whole_unit: true или false")
    return line.whole_unit


def check_line(repo: MissionRepository, kind: str, index: int, line: LineRequest) -> LineDraft:
    if is_unit_line(line):
        return _unit_line(repo, kind, index, line)
    at = f"lines.{index}"
    number = f"Строка {index + 1}"
    product_id = check_id(
        line.product_id, "product_required", f"{number}: укажите товар", f"{at}.product_id"
    )
    product = repo.product(product_id)
    if product is None or product.is_deleted:
        raise ValidationError(
            "product_not_found", f"{number}: товар не найден или удалён", field=f"{at}.product_id"
        )
    try:
        quantity = check_quantity(line.quantity)
    except ValidationError as error:
        message = f"{number}: {error.message}"
        raise ValidationError(error.code, message, field=f"{at}.quantity") from None
    src, dst = _route(repo, kind, index, line.from_location_id, line.to_location_id)
    unit_id = line.handling_unit_id
    if unit_id is not None:
        field = f"{at}.handling_unit_id"
        unit_id = check_id(
            unit_id, "invalid_handling_unit", f"{number}: упаковка не найдена", field
        )
        is_open = repo.handling_unit_open(unit_id)
        if not is_open:
            message = "упаковка закрыта" if is_open is False else "упаковка не найдена"
            raise ValidationError("invalid_handling_unit", f"{number}: {message}", field=field)
    return LineDraft(product_id, quantity, src.id, dst.id, unit_id)


def _unit_line(repo: MissionRepository, kind: str, index: int, line: LineRequest) -> LineDraft:
    """The whole unit from where it stands now (`from_location_id`, when given, must be
    that place) to the target."""
    at = f"lines.{index}"
    number = f"Строка {index + 1}"
    if line.product_id is not None:
        raise ValidationError(
            "unit_line_product", f"{number}: строка с паллетой целиком не называет товар",
            field=f"{at}.product_id",
        )  # fmt: skip
    if line.quantity not in (None, 1) or isinstance(line.quantity, bool):
        raise ValidationError(
            "unit_line_quantity", f"{number}: паллета или коробка перемещается целиком (1)",
            field=f"{at}.quantity",
        )  # fmt: skip
    field = f"{at}.handling_unit_id"
    unit_id = check_id(
        line.handling_unit_id, "handling_unit_required",
        f"{number}: укажите паллету или коробку", field,
    )  # fmt: skip
    unit = repo.handling_unit(unit_id)
    if unit is None or not unit.is_open:
        message = "упаковка закрыта" if unit is not None else "упаковка не найдена"
        raise ValidationError("invalid_handling_unit", f"{number}: {message}", field=field)
    if line.from_location_id is not None and line.from_location_id != unit.location_id:
        where = repo.place(unit.location_id)
        raise ValidationError(
            "handling_unit_elsewhere",
            f"{number}: {unit.code} стоит в {where.code if where else '—'}, а не там, откуда",
            field=f"{at}.from_location_id",
        )  # fmt: skip
    src, dst = _route(repo, kind, index, unit.location_id, line.to_location_id)
    return LineDraft(None, 1, src.id, dst.id, unit.id, whole_unit=True)


def _route(
    repo: MissionRepository, kind: str, index: int, from_id: object, to_id: object
) -> tuple[Place, Place]:
    """From → to: two active places of one warehouse, and the route the kind asks for."""
    at = f"lines.{index}"
    number = f"Строка {index + 1}"
    places = []
    for side, what, value in (("from", "откуда", from_id), ("to", "куда", to_id)):
        field = f"{at}.{side}_location_id"
        location_id = check_id(value, "locations_required", f"{number}: укажите, {what}", field)
        place = repo.place(location_id)
        if place is None or place.kind == LocationKind.VIRTUAL or not place.is_active:
            raise ValidationError(
                "invalid_location", f"{number}: место хранения не найдено или отключено",
                field=field,
            )  # fmt: skip
        places.append(place)
    src, dst = places
    if src.id == dst.id:
        raise ValidationError("same_location", f"{number}: откуда и куда — одно место",
                              field=f"{at}.to_location_id")  # fmt: skip
    if src.warehouse != dst.warehouse:
        # A TRANSFER between the good and the defect warehouse would change the managers'
        # two numbers: that is a write-off or a restoration, not floor work.
        raise ValidationError(
            "warehouses_differ", f"{number}: места на разных складах ({src.code} и {dst.code})",
            field=f"{at}.to_location_id",
        )  # fmt: skip
    if kind == MissionKind.PUTAWAY and (
        src.kind != LocationKind.DEFAULT or dst.kind != LocationKind.BIN
    ):
        raise ValidationError(
            "putaway_route",
            f"{number}: размещение — из зоны приёмки ({src.warehouse}) в ячейку хранения",
            field=f"{at}.to_location_id" if src.kind == LocationKind.DEFAULT
            else f"{at}.from_location_id",
        )  # fmt: skip
    return src, dst


def check_lines(repo: MissionRepository, kind: str, lines: object) -> list[LineDraft]:
    if not isinstance(lines, Sequence) or isinstance(lines, str) or not lines:
        raise ValidationError("lines_required", "Добавьте хотя бы одну строку", field="lines")
    if len(lines) > MAX_LINES:
        raise ValidationError(
            "too_many_lines", f"Не больше {MAX_LINES} строк в одном задании", field="lines"
        )
    drafts = [check_line(repo, kind, i, line) for i, line in enumerate(lines)]
    units = [(i, d.handling_unit_id) for i, d in enumerate(drafts) if d.whole_unit]
    seen: set[int | None] = set()
    for index, unit_id in units:
        if unit_id in seen:  # the second would find the unit gone already
            raise ValidationError(
                "duplicate_unit_line", f"Строка {index + 1}: эта упаковка уже есть в задании",
                field=f"lines.{index}.handling_unit_id",
            )  # fmt: skip
        seen.add(unit_id)
    return drafts


def lines_text(count: int) -> str:
    tens, units = count % 100, count % 10
    word = "строк" if 11 <= tens <= 14 or units not in (1, 2, 3, 4) else (
        "строка" if units == 1 else "строки")  # fmt: skip
    return f"{count} {word}"
