"""The operations table: the single source of truth for what each operation moves.

Forms, validation, imports, labels and charts all read this table; nothing else decides
where an operation takes stock from or what it needs.
"""

from dataclasses import dataclass
from enum import StrEnum


class Loc(StrEnum):
    """Codes of the seeded locations (see `data.seed`)."""

    MAIN = "MAIN"
    DEFECT = "DEFECT"
    VENDOR = "VENDOR"
    CUSTOMERS = "CUSTOMERS"
    MARKETPLACE_DC = "MARKETPLACE_DC"
    SCRAP = "SCRAP"
    INVENTORY_LOSS = "INVENTORY_LOSS"


# Internal warehouses; each has a default location with the same code.
WAREHOUSES: dict[str, str] = {"MAIN": "Годный", "DEFECT": "Брак"}
VIRTUAL_LOCATIONS: dict[str, str] = {
    Loc.VENDOR: "Поставщики",
    Loc.CUSTOMERS: "Покупатели",
    Loc.MARKETPLACE_DC: "РЦ маркетплейсов",
    Loc.SCRAP: "Утилизация",
    Loc.INVENTORY_LOSS: "Инвентаризационные расхождения",
}


class Requirement(StrEnum):
    SOURCE = "source"  # where a return or self-purchase came from
    DISTRIBUTION_CENTER = "distribution_center"
    REASON = "reason"  # free text in `notes`, must not be empty
    WAREHOUSE_AND_DIRECTION = "warehouse_and_direction"  # ADJUSTMENT: MAIN|DEFECT, gain|loss
    LOCATIONS = "locations"  # TRANSFER: explicit internal from and to


class Direction(StrEnum):
    GAIN = "gain"
    LOSS = "loss"


@dataclass(frozen=True)
class Operation:
    code: str
    label_ru: str
    label_en: str
    # Location codes; None where the movement itself says (ADJUSTMENT, TRANSFER).
    from_location: Loc | None
    to_location: Loc | None
    shortage_message: str
    requires: frozenset[Requirement] = frozenset()
    # The flow that alone posts it (in Russian, for the refusal); None: posted by hand too
    # (POST /movements, the operations page, imports). A system-only operation is in the
    # table for its labels, the journal's filter and exports, never offered to people.
    posted_by: str | None = None

    @property
    def system_only(self) -> bool:
        return self.posted_by is not None

    def needs(self, requirement: Requirement) -> bool:
        return requirement in self.requires

    def label(self, language: str = "ru") -> str:
        return self.label_en if language == "en" else self.label_ru


def _op(
    code: str,
    label_ru: str,
    label_en: str,
    src: Loc | None,
    dst: Loc | None,
    shortage: str,
    *requires: Requirement,
    posted_by: str | None = None,
) -> Operation:
    return Operation(code, label_ru, label_en, src, dst, shortage, frozenset(requires),
                     posted_by)  # fmt: skip


_NO_SHORTAGE = ""  # the source is a virtual location: it never runs short

OPERATIONS: dict[str, Operation] = {
    op.code: op
    for op in (
        _op("RECEIPT", "Приёмка", "Receipt", Loc.VENDOR, Loc.MAIN, _NO_SHORTAGE),
        _op(
            "RECEIPT_DEFECT", "Приёмка брака", "Defect receipt", Loc.VENDOR, Loc.DEFECT,
            _NO_SHORTAGE,
        ),
        _op(
            "RETURN_PICKUP", "Возврат с ПВЗ", "Return from pickup point", Loc.CUSTOMERS,
            Loc.MAIN, _NO_SHORTAGE, Requirement.SOURCE,
        ),
        _op(
            "RETURN_DEFECT", "Возврат брака", "Defective return", Loc.CUSTOMERS, Loc.DEFECT,
            _NO_SHORTAGE, Requirement.SOURCE,
        ),
        _op(
            "SELF_PURCHASE", "Самовыкуп", "Self-purchase", Loc.CUSTOMERS, Loc.MAIN,
            _NO_SHORTAGE, Requirement.SOURCE,
        ),
        _op(
            "SHIPMENT_RC", "Отгрузка на РЦ", "Shipment to DC", Loc.MAIN, Loc.MARKETPLACE_DC,
            "Недостаточно товара для отгрузки", Requirement.DISTRIBUTION_CENTER,
        ),
        _op(
            "WRITE_OFF", "Списание в брак", "Write-off to defect", Loc.MAIN, Loc.DEFECT,
            "Недостаточно товара для списания в брак",
        ),
        _op(
            "RESTORATION", "Восстановление", "Restoration", Loc.DEFECT, Loc.MAIN,
            "Недостаточно брака для восстановления",
        ),
        _op(
            "UTILIZATION", "Утилизация", "Utilization", Loc.DEFECT, Loc.SCRAP,
            "Недостаточно брака для утилизации",
        ),
        _op(
            "ADJUSTMENT", "Инвентаризация", "Inventory adjustment", None, None,
            "Недостаточно товара для списания по инвентаризации",
            Requirement.REASON, Requirement.WAREHOUSE_AND_DIRECTION,
        ),
        _op(
            "TRANSFER", "Перемещение", "Transfer", None, None,
            "Недостаточно товара для перемещения", Requirement.LOCATIONS,
        ),
        # DESIGN.md §1: internal (the order's boxes at the packing station) → CUSTOMERS,
        # posted by shipping a customer order (core.orders.shipping, §2b.4) only.
        _op(
            "SHIPMENT_ORDER", "Отгрузка заказа", "Order shipment", None, Loc.CUSTOMERS,
            "Недостаточно упакованного товара для отгрузки заказа",
            posted_by="отгрузка заказа со стола упаковки",
        ),
    )
}  # fmt: skip
# What people may post: POST /movements, the operations page, imports.
MANUAL_OPERATIONS: dict[str, Operation] = {
    code: op for code, op in OPERATIONS.items() if not op.system_only
}

# Outbound shipments: the operations that take stock out of the warehouse to buyers or to a
# marketplace's DC. The dashboard's «shipped» figures, days of cover and top SKUs sum these.
OUTBOUND_SHIPMENTS: tuple[str, ...] = tuple(
    code for code, op in OPERATIONS.items() if op.to_location in (Loc.CUSTOMERS, Loc.MARKETPLACE_DC)
)

# A movement an order's flow posted names the order: document "order:<id>" (picks to the
# packing station, packing into boxes, a cancel's returns, shipping).
ORDER_DOCUMENT = "order"
REVERSAL_NOT_ALLOWED = "reversal_not_allowed"


def reversal_refusal(operation_type: str, document: str | None) -> str | None:
    """Why a movement may not be reversed (a Russian message), or None when it may: the
    system's own operations and every movement of an order moved stock the order and its
    reservations count on, and a reversal would move it behind their back."""
    op = OPERATIONS.get(operation_type)
    by_order = (document or "").partition(":")[0] == ORDER_DOCUMENT
    if not by_order and (op is None or not op.system_only):
        return None
    if operation_type in OUTBOUND_SHIPMENTS:
        return (
            "Отгрузку заказа нельзя сторнировать: заказ уже отгружен, его товар считается "
            "отгруженным. Вернувшийся товар примите возвратом по заказу (страница «Возвраты»)"
        )
    return (
        "Операцию по заказу (сборка, упаковка, возврат при отмене или по заказу) нельзя "
        "сторнировать: остаток разойдётся с заказом и его резервами. Чтобы вернуть собранный "
        "товар в ячейки, отмените заказ; товар вне заказа перемещайте обычным перемещением"
    )


REVERSAL_SHORTAGE_MESSAGE = "Недостаточно товара для сторнирования: остаток уже израсходован"

# A sane upper bound for one movement: catches a barcode scanned into the quantity field.
MAX_QUANTITY = 1_000_000


# --- Import files (DESIGN.md §5): header names per field, and names of values ---
# The first name of each field is the one example files write. Headers are matched
# ignoring case, spaces and punctuation (see `header_key`), Russian or English.
IMPORT_COLUMNS: dict[str, tuple[str, ...]] = {
    # The first name is the one exports and example files write: the pages say «Штрихкод».
    "barcode": ("Штрихкод", "Баркод", "Barcode", "Штрих-код", "EAN"),
    "sku": ("Артикул", "Артикул продавца", "SKU", "Article"),
    "name": ("Наименование", "Название", "Товар", "Name"),
    "gtin": ("GTIN",),
    "quantity": ("Количество", "Кол-во", "Qty", "Quantity"),
    "operation": ("Операция", "Operation"),
    "source": ("Источник", "Source"),
    "distribution_center": ("РЦ", "Склад назначения", "Distribution center"),
    "notes": ("Комментарий", "Примечание", "Notes"),
    # products
    "min_stock": ("Мин. остаток", "Минимальный остаток", "Min stock"),
    "weight_g": ("Вес, г", "Вес", "Weight, g"),
    "length_mm": ("Длина, мм", "Длина", "Length, mm"),
    "width_mm": ("Ширина, мм", "Ширина", "Width, mm"),
    "height_mm": ("Высота, мм", "Высота", "Height, mm"),
    "requires_marking": ("Маркировка", "Честный знак", "Требует маркировки", "Marking"),
    # opening balances: the stock to set in each warehouse
    "good": ("Годный", "Годные", "Годный остаток", "Good"),
    "defect": ("Брак", "Defect"),
    # an ADJUSTMENT row in a movements file
    "warehouse": ("Склад", "Warehouse"),
    "direction": ("Направление", "Direction"),
}
# Names accepted in the «Склад» and «Направление» cells, besides the codes themselves.
WAREHOUSE_NAMES: dict[str, tuple[str, ...]] = {
    "MAIN": ("Годный", "Годные", "Good"),
    "DEFECT": ("Брак", "Defect"),
}
DIRECTION_NAMES: dict[str, tuple[str, ...]] = {
    Direction.GAIN: ("Излишек", "Surplus", "+"),
    Direction.LOSS: ("Недостача", "Shortage", "-"),
}


def header_key(text: str) -> str:
    """A header or a name as compared: lower case, «ё» as «е», letters and digits only."""
    folded = text.lower().replace("ё", "е")
    return "".join(ch for ch in folded if ch.isalnum()) or folded.strip()


def operation_by_name(text: str) -> Operation | None:
    """An operation named by its code or its Russian (or English) label."""
    return _OPERATION_NAMES.get(header_key(text))


_OPERATION_NAMES: dict[str, Operation] = {
    header_key(name): op
    for op in OPERATIONS.values()
    for name in (op.code, op.label_ru, op.label_en)
}
