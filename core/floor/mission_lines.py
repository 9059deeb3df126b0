"""A mission's lines as a manager gives them: each checked against the catalogue, the
locations and the mission's kind before anything is written."""

from collections.abc import Sequence
from dataclasses import dataclass

from core.errors import ValidationError
from core.floor.locations import LocationKind
from core.floor.mission_rules import MissionKind, check_id
from core.floor.ports import LineDraft, MissionRepository
from core.stock.requests import check_quantity

MAX_LINES = 200


@dataclass(frozen=True)
class LineRequest:
    product_id: object
    quantity: object
    from_location_id: object
    to_location_id: object
    handling_unit_id: object = None


def check_line(repo: MissionRepository, kind: str, index: int, line: LineRequest) -> LineDraft:
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
    places = []
    for side, what in (("from", "откуда"), ("to", "куда")):
        field = f"{at}.{side}_location_id"
        value = getattr(line, f"{side}_location_id")
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


def check_lines(repo: MissionRepository, kind: str, lines: object) -> list[LineDraft]:
    if not isinstance(lines, Sequence) or isinstance(lines, str) or not lines:
        raise ValidationError("lines_required", "Добавьте хотя бы одну строку", field="lines")
    if len(lines) > MAX_LINES:
        raise ValidationError(
            "too_many_lines", f"Не больше {MAX_LINES} строк в одном задании", field="lines"
        )
    return [check_line(repo, kind, i, line) for i, line in enumerate(lines)]


def lines_text(count: int) -> str:
    tens, units = count % 100, count % 10
    word = "строк" if 11 <= tens <= 14 or units not in (1, 2, 3, 4) else (
        "строка" if units == 1 else "строки")  # fmt: skip
    return f"{count} {word}"
