"""An order request (POST /orders, the order form, an orders file, the feed) checked into
the draft core.orders.orders places: kind, priority, source, carrier or distribution
center, and the lines' products (by id or barcode, read in one go)."""

from collections.abc import Sequence
from dataclasses import dataclass

from core.errors import ValidationError
from core.orders.ports import LineDraft, OrderDraft, OrdersUnitOfWork, ShipTo
from core.orders.rules import (
    MAX_EXTERNAL_ID,
    MAX_LINES,
    OrderKind,
    Priority,
    choice,
    positive_id,
    text,
)
from core.periods import now_utc
from core.stock.requests import check_quantity


@dataclass(frozen=True)
class LineRequest:
    quantity: object
    product_id: object = None
    barcode: str | None = None


@dataclass(frozen=True)
class OrderRequest:
    external_id: object
    kind: object
    lines: Sequence[LineRequest]
    source_id: object = None
    priority: object = "normal"
    carrier: object = None
    ship_to: ShipTo | None = None
    distribution_center_id: object = None


def _an_id(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and value > 0


def _lines(uow: OrdersUnitOfWork, requests: Sequence[LineRequest]) -> tuple[LineDraft, ...]:
    if not requests:
        raise ValidationError("lines_required", "В заказе нет строк", field="lines")
    if len(requests) > MAX_LINES:
        raise ValidationError("too_many_lines", f"Не больше {MAX_LINES} строк", field="lines")
    # The lines' products in one read (not one per line), one more for those named by
    # barcode; a line's errors still come in the lines' order below.
    known = uow.catalog.products(sorted({r.product_id for r in requests if _an_id(r.product_id)}))
    named = uow.catalog.products_by_barcode(sorted({
        r.barcode.strip() for r in requests
        if r.product_id is None and r.barcode and r.barcode.strip()
    }))  # fmt: skip
    drafts = []
    for req in requests:
        if req.product_id is not None:
            pid = positive_id(req.product_id, "product_not_found", "Товар не найден", "product_id")
            product = known.get(pid)
        elif req.barcode and req.barcode.strip():
            product = named.get(req.barcode.strip())
        else:
            raise ValidationError("product_required", "Укажите товар", field="product_id")
        if product is None:
            raise ValidationError("product_not_found", "Товар не найден", field="product_id")
        if product.is_deleted:
            raise ValidationError("product_deleted", "Товар удалён", field="product_id")
        drafts.append(LineDraft(product.id, check_quantity(req.quantity), product.sku,
                                product.barcode, product.name))  # fmt: skip
    return tuple(drafts)


def draft_of(uow: OrdersUnitOfWork, req: OrderRequest, user_id: int | None) -> OrderDraft:
    external_id = text(req.external_id, "номер заказа", "external_id",
                       limit=MAX_EXTERNAL_ID, required=True)  # fmt: skip
    assert external_id is not None
    kind = choice(req.kind, OrderKind, "invalid_kind", "Вид заказа", "kind")
    priority = choice(req.priority, Priority, "invalid_priority", "Приоритет", "priority")
    source_id = None
    if req.source_id is not None:
        source_id = positive_id(req.source_id, "source_not_found", "Источник не найден",
                                "source_id")  # fmt: skip
        source = uow.catalog.source(source_id)
        if source is None or not source.is_active:
            raise ValidationError(
                "source_not_found", "Источник не найден или отключён", field="source_id"
            )
    carrier, ship_to, dc_id = None, None, None
    if kind == OrderKind.CUSTOMER:
        carrier = text(req.carrier, "перевозчик", "carrier", limit=32) or "manual"
        found = uow.orders.carrier(carrier)
        if found is None or not found.is_active:
            raise ValidationError(
                "carrier_not_found", "Перевозчик не найден или отключён", field="carrier"
            )
        ship_to = req.ship_to
        if req.distribution_center_id is not None:
            raise ValidationError("field_not_allowed", "РЦ указывается только у поставки",
                                  field="distribution_center_id")  # fmt: skip
    else:
        if req.distribution_center_id is None:
            raise ValidationError("distribution_center_required", "Укажите РЦ поставки",
                                  field="distribution_center_id")  # fmt: skip
        dc_id = positive_id(req.distribution_center_id, "distribution_center_not_found",
                            "РЦ не найден", "distribution_center_id")  # fmt: skip
        dc = uow.catalog.distribution_center(dc_id)
        if dc is None or not dc.is_active:
            raise ValidationError("distribution_center_not_found", "РЦ не найден или отключён",
                                  field="distribution_center_id")  # fmt: skip
        source_id = source_id if source_id is not None else dc.parent_id
    lines = _lines(uow, req.lines)
    return OrderDraft(external_id, source_id, kind, priority, carrier, ship_to, dc_id, lines,
                      user_id, now_utc())  # fmt: skip
