"""Request and response shapes of DESIGN.md §5. Names there are fixed; fields may be added.

The rules (lengths of texts, check digits, positive quantities, what an operation needs)
live in core and answer with its messages; these models only keep out what cannot even
reach core: wrong JSON types, ids beyond a database integer, text a database refuses.
"""

from datetime import datetime
from typing import Annotated, Any

from fastapi import Path, Query
from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    SerializerFunctionWrapHandler,
    StrictBool,
    model_serializer,
)

from core.catalog.products import MAX_DIMENSION
from core.stock.operations import (
    MANUAL_OPERATIONS,
    MAX_QUANTITY,
    OPERATIONS,
    WAREHOUSES,
    Direction,
    Requirement,
)
from core.stock.requests import MAX_NOTES
from data.reads import MAX_PAGE

MAX_ID = 2**31 - 1  # PostgreSQL integer


def storable(value: str | None) -> str | None:
    """NUL and lone surrogates: PostgreSQL and UTF-8 refuse them, so a client must hear it."""
    if value is None:
        return None
    if "\x00" in value:
        raise ValueError("недопустимый символ NUL")
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        raise ValueError("недопустимые символы (не UTF-8)") from None
    return value


Text = Annotated[str, AfterValidator(storable)]


def _integral(value: object) -> object:
    """JSON Schema's "integer" includes 5.0: it is 5."""
    return int(value) if isinstance(value, float) and value.is_integer() else value


# A JSON integer (5.0 included), not 5.5, a string or a boolean.
WholeNumber = Annotated[int, Field(strict=True), BeforeValidator(_integral)]
Id = Annotated[int, Field(ge=1, le=MAX_ID)]
PathId = Annotated[int, Path(ge=1, le=MAX_ID)]
Limit = Annotated[int, Query(ge=1, le=MAX_PAGE, description="Сколько строк вернуть")]
Offset = Annotated[int, Query(ge=0, le=MAX_ID, description="Сколько строк пропустить")]
Search = Annotated[
    str | None,
    Query(
        max_length=200, description="Штрихкод или GTIN целиком, либо часть артикула или названия"
    ),
    AfterValidator(storable),
]


# --- Core's rules, documented for clients (core checks them and answers in its words) ---
# Each is written to match core exactly: schemathesis sends data the schema calls valid
# and expects it accepted, and data it calls invalid and expects it refused.


def _enum(values: Any) -> dict[str, Any]:
    return {"enum": [str(v) for v in values]}


def _trimmed(limit: int, *, blank: bool = False) -> dict[str, Any]:
    """Core trims spaces, then wants 1..limit characters (0..limit when `blank`)."""
    inner = rf"\S(?:[\s\S]{{0,{limit - 2}}}\S)?"
    return {"pattern": rf"^\s*({inner}){'?' if blank else ''}\s*$"}


# GS1 codes: 8, 12, 13 or 14 digits (the check digit is core's alone to check).
_GS1 = "[0-9]{8}|[0-9]{12,14}"
CODE = {"pattern": rf"^\s*({_GS1})\s*$"}
CODE_OR_BLANK = {"pattern": rf"^\s*({_GS1})?\s*$"}  # blank: none
WHOLE = {"minimum": 0, "maximum": MAX_DIMENSION}


def _not_null(schema: dict[str, Any]) -> None:
    """Core refuses null here (the field may be left out instead)."""
    schema["anyOf"] = [s for s in schema.get("anyOf", []) if s.get("type") != "null"]
    if len(schema["anyOf"]) == 1:
        schema.update(schema.pop("anyOf")[0])


def _never_null(extra: dict[str, Any]) -> Any:
    def document(schema: dict[str, Any]) -> None:
        _not_null(schema)
        schema.pop("default", None)
        schema.update(extra)

    return document


class Model(BaseModel):
    model_config = ConfigDict(from_attributes=True)


class Input(BaseModel):
    model_config = ConfigDict(extra="forbid")


# --- Auth ---


class Token(Model):
    access_token: str
    token_type: str = "bearer"
    expires_in: int = Field(description="Секунд до истечения токена")


# --- Products ---


MARKING = "Честный ЗНАК: при упаковке каждая единица сканируется кодом маркировки (DataMatrix)"


class Product(Model):
    id: int
    sku: str
    name: str
    barcode: str
    gtin: str | None
    min_stock: int
    weight_g: int | None = None
    length_mm: int | None = None
    width_mm: int | None = None
    height_mm: int | None = None
    requires_marking: bool = Field(default=False, description=MARKING)
    is_deleted: bool


class SearchedList(Model):
    """A list (`items`, `total`, DESIGN.md §5) that says `searched_for` only when it
    searched another text than `q`: the contract's shape stays as it was otherwise."""

    total: int
    searched_for: str | None = Field(
        default=None,
        description="Когда `q` ничего не нашёл, а тот же текст в другой раскладке нашёл: "
        "этот текст («gktl» → «плед»)",
    )

    @model_serializer(mode="wrap")
    def _without_unused_searched_for(self, handler: SerializerFunctionWrapHandler) -> Any:
        data = handler(self)
        if isinstance(data, dict) and data.get("searched_for") is None:
            data.pop("searched_for", None)
        return data


class ProductList(SearchedList):
    items: list[Product]


SKU = "Артикул продавца, до 100 символов (пробелы по краям не считаются)"
NAME = "Наименование, до 500 символов (пробелы по краям не считаются)"
BARCODE = "Штрихкод маркетплейса: 8, 12, 13 или 14 цифр (GS1) с верной контрольной цифрой"
GTIN = "Внутренний GTIN (GS1, с верной контрольной цифрой); пусто или null — нет"
MIN_STOCK = f"Минимальный остаток для сигнала, 0…{MAX_DIMENSION}"


def _size(what: str) -> Any:
    return Field(default=None, description=f"{what}, 0…{MAX_DIMENSION}", json_schema_extra=WHOLE)


class ProductCreate(Input):
    sku: Text = Field(description=SKU, json_schema_extra=_trimmed(100))
    name: Text = Field(description=NAME, json_schema_extra=_trimmed(500))
    barcode: Text = Field(description=BARCODE, json_schema_extra=CODE)
    gtin: Text | None = Field(default=None, description=GTIN, json_schema_extra=CODE_OR_BLANK)
    min_stock: int = Field(default=0, description=MIN_STOCK, json_schema_extra=WHOLE)
    weight_g: int | None = _size("Вес, г")
    length_mm: int | None = _size("Длина, мм")
    width_mm: int | None = _size("Ширина, мм")
    height_mm: int | None = _size("Высота, мм")
    requires_marking: StrictBool = Field(default=False, description=MARKING)


class ProductPatch(Input):
    """Only the fields sent are changed. Артикул, наименование, штрихкод и минимальный
    остаток не бывают null; GTIN и размеры — null или пусто, чтобы убрать."""

    sku: Text | None = Field(default=None, description=SKU,
                             json_schema_extra=_never_null(_trimmed(100)))  # fmt: skip
    name: Text | None = Field(default=None, description=NAME,
                              json_schema_extra=_never_null(_trimmed(500)))  # fmt: skip
    barcode: Text | None = Field(default=None, description=BARCODE,
                                 json_schema_extra=_never_null(CODE))  # fmt: skip
    gtin: Text | None = Field(default=None, description=GTIN, json_schema_extra=CODE_OR_BLANK)
    min_stock: int | None = Field(default=None, description=MIN_STOCK,
                                  json_schema_extra=_never_null(WHOLE))  # fmt: skip
    weight_g: int | None = _size("Вес, г")
    length_mm: int | None = _size("Длина, мм")
    width_mm: int | None = _size("Ширина, мм")
    height_mm: int | None = _size("Высота, мм")
    requires_marking: StrictBool | None = Field(
        default=None, description=MARKING, json_schema_extra=_never_null({"type": "boolean"})
    )


# --- Reference data ---


class Source(Model):
    id: int
    name: str
    is_active: bool


class SourceList(Model):
    items: list[Source]
    total: int


class DistributionCenter(Model):
    id: int
    name: str
    is_active: bool
    source_id: int
    source_name: str | None = None


class DistributionCenterList(Model):
    items: list[DistributionCenter]
    total: int


# --- Movements ---


ID = {"type": "integer", "minimum": 1, "maximum": MAX_ID}
NOT_BLANK = {"type": "string", "pattern": r"\S"}
# The fields only some operations take, and what each needs.
_NEEDED: dict[str, tuple[Requirement, dict[str, Any]]] = {
    "source_id": (Requirement.SOURCE, ID),
    "distribution_center_id": (Requirement.DISTRIBUTION_CENTER, ID),
    "warehouse": (Requirement.WAREHOUSE_AND_DIRECTION, {"type": "string", **_enum(WAREHOUSES)}),
    "direction": (Requirement.WAREHOUSE_AND_DIRECTION, {"type": "string", **_enum(Direction)}),
    "from_location_id": (Requirement.LOCATIONS, ID),
    "to_location_id": (Requirement.LOCATIONS, ID),
}


UNIT_FIELDS = ("handling_unit_id", "from_handling_unit_id")


def _nullable(schema: dict[str, Any]) -> dict[str, Any]:
    return {"anyOf": [schema, {"type": "null"}]}


def _operation_schema(code: str) -> dict[str, Any]:
    """One operation's request as core checks it: the fields it needs are required, those
    it does not use may only be null or absent, the product by id or by barcode."""
    op = OPERATIONS[code]
    notes = {"type": "string", **_trimmed(MAX_NOTES, blank=not op.needs(Requirement.REASON))}
    properties: dict[str, Any] = {
        "operation_type": {"const": code},
        "product_id": _nullable(ID),
        "barcode": _nullable({"type": "string"}),
        "quantity": {"type": "integer", "minimum": 1, "maximum": MAX_QUANTITY},
        "notes": notes if op.needs(Requirement.REASON) else _nullable(notes),
    }
    required = ["operation_type", "quantity"]
    for name, (requirement, schema) in _NEEDED.items():
        properties[name] = schema if op.needs(requirement) else {"type": "null"}
        if op.needs(requirement):
            required.append(name)
    for name in UNIT_FIELDS:  # optional on TRANSFER (DESIGN.md §6), absent elsewhere
        properties[name] = _nullable(ID) if op.needs(Requirement.LOCATIONS) else {"type": "null"}
    if op.needs(Requirement.REASON):
        required.append("notes")
    same_place = " (откуда и куда — разные места)" if op.needs(Requirement.LOCATIONS) else ""
    return {
        "title": code,
        "description": op.label_ru + same_place,
        "type": "object",
        "properties": properties,
        "required": required,
        "additionalProperties": False,
        "anyOf": [
            {"required": ["product_id"], "properties": {"product_id": ID}},
            {"required": ["barcode"], "properties": {"barcode": NOT_BLANK}},
        ],
    }


def _one_schema_per_operation(schema: dict[str, Any]) -> None:
    """Document MovementIn as one schema per operation, what core requires of each (the
    model itself stays loose: core checks and answers with its own codes and messages)."""
    description = schema.get("description")
    schema.clear()
    schema.update(title="MovementIn", oneOf=[_operation_schema(code) for code in MANUAL_OPERATIONS])
    if description:
        schema["description"] = description


class MovementIn(Input):
    """Одна операция. Какие поля нужны, зависит от `operation_type` (по схеме на операцию)."""

    model_config = ConfigDict(extra="forbid", json_schema_extra=_one_schema_per_operation)

    operation_type: Text = Field(json_schema_extra=_enum(MANUAL_OPERATIONS))
    product_id: Id | None = Field(default=None, description="Товар по id, или укажите barcode")
    barcode: Text | None = Field(default=None, description="Товар по штрихкоду")
    quantity: WholeNumber = Field(
        description="Целое положительное количество",
        json_schema_extra={"type": "integer", "minimum": 1, "maximum": MAX_QUANTITY},
    )
    source_id: Id | None = Field(default=None, description="Возвраты и самовыкуп")
    distribution_center_id: Id | None = Field(default=None, description="Отгрузка на РЦ")
    notes: Text | None = Field(default=None, description="Комментарий; для ADJUSTMENT — причина")
    warehouse: Text | None = Field(
        default=None, description="ADJUSTMENT: склад", json_schema_extra=_enum(WAREHOUSES)
    )
    direction: Text | None = Field(
        default=None, description="ADJUSTMENT: gain — излишек, loss — недостача",
        json_schema_extra=_enum(Direction),
    )  # fmt: skip
    from_location_id: Id | None = Field(default=None, description="TRANSFER: откуда")
    to_location_id: Id | None = Field(default=None, description="TRANSFER: куда")
    handling_unit_id: Id | None = Field(
        default=None, description="TRANSFER: в какую паллету или коробку на месте назначения"
    )
    from_handling_unit_id: Id | None = Field(
        default=None, description="TRANSFER: из какой паллеты или коробки на месте отправления"
    )


class ReverseIn(Input):
    notes: Text | None = Field(default=None, description="Комментарий к сторно")


class Movement(Model):
    id: int
    operation_type: str
    product_id: int
    quantity: int
    source_id: int | None
    distribution_center_id: int | None
    from_location_id: int
    to_location_id: int
    user: str | None = Field(description="Кто провёл операцию (имя пользователя)")
    notes: str | None
    created_at: datetime = Field(description="ISO 8601, UTC")
    reversal_of: int | None = Field(description="Какую операцию сторнирует эта")
    is_reversed: bool = Field(default=False, description="Эта операция уже сторнирована")
    document: str | None = None
    sku: str | None = None
    barcode: str | None = None
    product_name: str | None = None
    source_name: str | None = None
    distribution_center_name: str | None = None
    from_location: str | None = Field(default=None, description="Код места отправления")
    to_location: str | None = Field(default=None, description="Код места назначения")
    handling_unit_id: int | None = Field(default=None, description="В какую паллету/коробку")
    from_handling_unit_id: int | None = Field(default=None, description="Из какой паллеты/коробки")


class MovementList(Model):
    items: list[Movement]
    total: int


# --- Stock ---


class BalanceRow(Model):
    product_id: int
    barcode: str
    sku: str
    name: str
    good: int = Field(description="Годный остаток")
    defect: int = Field(description="Брак")
    reserved: int
    available: int = Field(description="Годный минус зарезервированный")
    min_stock: int


class BalanceList(SearchedList):
    items: list[BalanceRow]


class Summary(Model):
    good_units: int
    defect_units: int
    reserved_units: int
    products_in_stock: int
    low_stock_products: int
