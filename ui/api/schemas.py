"""Request and response shapes of DESIGN.md §5. Names there are fixed; fields may be added.

The rules (lengths of texts, check digits, positive quantities, what an operation needs)
live in core and answer with its messages; these models only keep out what cannot even
reach core: wrong JSON types, ids beyond a database integer, text a database refuses.
"""

from datetime import datetime
from typing import Annotated, Any

from fastapi import Path, Query
from pydantic import AfterValidator, BaseModel, ConfigDict, Field

from core.operations import MAX_QUANTITY, OPERATIONS, WAREHOUSES, Direction
from data.queries import MAX_PAGE

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


def _enum(values: Any) -> dict[str, Any]:
    # Documented for clients; checked by core, which answers with its own message.
    return {"enum": [str(v) for v in values]}


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
    is_deleted: bool


class ProductList(Model):
    items: list[Product]
    total: int
    searched_for: str | None = Field(
        default=None,
        description="Когда `q` ничего не нашёл, а тот же текст в другой раскладке нашёл: "
        "этот текст («gktl» → «плед»)",
    )


class ProductCreate(Input):
    sku: Text = Field(description="Артикул продавца")
    name: Text = Field(description="Наименование")
    barcode: Text = Field(description="Штрихкод маркетплейса: 8, 12, 13 или 14 цифр (GS1)")
    gtin: Text | None = Field(default=None, description="Внутренний GTIN (GS1), необязательно")
    min_stock: int = Field(default=0, description="Минимальный остаток для сигнала")
    weight_g: int | None = None
    length_mm: int | None = None
    width_mm: int | None = None
    height_mm: int | None = None


class ProductPatch(Input):
    """Only the fields sent are changed."""

    sku: Text | None = None
    name: Text | None = None
    barcode: Text | None = None
    gtin: Text | None = None
    min_stock: int | None = None
    weight_g: int | None = None
    length_mm: int | None = None
    width_mm: int | None = None
    height_mm: int | None = None


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


class MovementIn(Input):
    operation_type: Text = Field(json_schema_extra=_enum(OPERATIONS))
    product_id: Id | None = Field(default=None, description="Товар по id, или укажите barcode")
    barcode: Text | None = Field(default=None, description="Товар по штрихкоду")
    quantity: int = Field(
        strict=True,
        description="Целое положительное количество",
        json_schema_extra={"minimum": 1, "maximum": MAX_QUANTITY},
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


class BalanceList(Model):
    items: list[BalanceRow]
    total: int
    searched_for: str | None = Field(
        default=None,
        description="Когда `q` ничего не нашёл, а тот же текст в другой раскладке нашёл: "
        "этот текст («gktl» → «плед»)",
    )


class Summary(Model):
    good_units: int
    defect_units: int
    reserved_units: int
    products_in_stock: int
    low_stock_products: int
