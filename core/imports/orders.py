"""Orders files: rows grouped into orders, each placed by the use case POST /orders runs.

A row is one line (WB's assembly tasks: one unit) of an order named by the file's own
column (core.imports.order_formats); a supply file is one order, its number and DC chosen
on the page or taken from the file's name. Every row is checked first; a clean file then
places its orders one after another with core.orders.orders.place_order — created and
confirmed (reserved, or waiting for stock) exactly as POST /orders does — in the import's
one transaction: all of them or none. An order whose (marketplace, number) exists already
is not placed again: the use case answers with the existing one, and the preview says so.
"""

from dataclasses import dataclass, field
from typing import Any

from core.catalog.ports import ProductRecord
from core.errors import Conflict, DomainError
from core.imports.importer import Importer, product_label, products_by_code
from core.imports.order_formats import FORMATS, OrderFormat, cell_datetime, detect_format, stem
from core.imports.plan import Job, Plan
from core.imports.ports import ImportStore
from core.imports.rows import Row
from core.imports.sheet import CellError, is_empty
from core.model import Reference
from core.orders.orders import LineRequest, OrderRequest, log_placed, place_order
from core.orders.ports import Order
from core.orders.rules import MAX_EXTERNAL_ID, MAX_LINES, OrderKind
from core.stock.operations import MAX_QUANTITY, header_key


@dataclass(frozen=True)
class OrderOptions:
    """What a supply file does not say: its number and DC (None: from the file's name)."""

    external_id: str | None = None
    distribution_center_id: int | None = None


@dataclass
class _Group:
    key: Any
    first_row: int
    rows: list[int] = field(default_factory=list)
    items: list[tuple[int, str, int]] = field(default_factory=list)  # row, code, quantity
    external_id: str = ""
    source: str | None = None  # the template's «Маркетплейс»
    dc: str | None = None  # the template's «РЦ»


class OrderImporter(Importer):
    kind = "orders"

    def __init__(self, *args: Any) -> None:
        super().__init__(*args)
        self.options = OrderOptions()
        self.format: OrderFormat | None = detect_format(self.sheet)
        self._groups: dict[Any, _Group] = {}
        self._requests: list[tuple[int, OrderRequest]] = []
        self._ambiguous: set[str] = set()  # SKUs more than one product has
        self._product_ids: set[int] = set()  # of the orders to place
        self._names: dict[int, str] = {}
        self._placed: list[Order] = []  # by write(), said by after_commit()
        if self.format is None:
            names = ", ".join(f.label_ru for f in FORMATS.values())
            self.errors.add(
                self.sheet.header_row, None, "unknown_order_format",
                "Не удалось узнать формат файла заказов по заголовкам столбцов. "
                f"Поддерживаются: {names}",
            )  # fmt: skip

    # --- reading the rows ---

    def parse(self) -> None:
        if self.format is None:
            return
        for number, cells in self.sheet.rows:
            self.rows_total += 1
            self._read(Row(number, cells, self.sheet, self.errors), self.format)

    def _read(self, row: Row, fmt: OrderFormat) -> None:
        code = self._item(row, fmt)
        quantity = 1 if fmt.unit_rows else self._quantity(row)
        self._date(row)  # read only to refuse a wrong date (the order is dated by its import)
        if fmt.supply:
            key: Any = "supply"
        else:
            key = row.text(fmt.order_field)
            if not key:
                self.errors.add(row.number, fmt.order_field, "order_required",
                                "Укажите номер заказа")  # fmt: skip
        if row.number in self.errors.rows or code is None or quantity is None:
            self._groups.setdefault(key, _Group(key, row.number)).rows.append(row.number)
            return
        group = self._groups.setdefault(key, _Group(key, row.number))
        group.rows.append(row.number)
        group.items.append((row.number, code, quantity))
        if not fmt.supply:
            group.external_id = key
        if fmt.code == "template":
            self._template_refs(row, group)

    def _item(self, row: Row, fmt: OrderFormat) -> str | None:
        if fmt.item == "barcode":
            code = row.code("barcode", "Штрихкод")
            if is_empty(row.raw("barcode")):
                self.errors.add(row.number, "barcode", "barcode_required", "Укажите штрихкод")
            return code
        sku = row.text("sku")
        if not sku:
            self.errors.add(row.number, "sku", "sku_required", "Укажите артикул")
        return sku or None

    def _quantity(self, row: Row) -> int | None:
        if is_empty(row.raw("quantity")):
            self.errors.add(row.number, "quantity", "quantity_required", "Укажите количество")
            return None
        quantity = row.whole("quantity", "Количество")
        if quantity is not None and not 0 < quantity <= MAX_QUANTITY:
            self.errors.add(row.number, "quantity", "invalid_quantity",
                            f"Количество должно быть от 1 до {MAX_QUANTITY}")  # fmt: skip
            return None
        return quantity

    def _date(self, row: Row) -> Any:
        try:
            return cell_datetime(row.raw("created"))
        except CellError as error:
            self.errors.add(row.number, "created", error.code, f"Дата: {error.message}")
            return None

    def _template_refs(self, row: Row, group: _Group) -> None:
        for name, attr, what in (("source", "source", "маркетплейс"),
                                 ("distribution_center", "dc", "РЦ")):  # fmt: skip
            value = row.text(name) or None
            if getattr(group, attr) is None:
                setattr(group, attr, value)
            elif value != getattr(group, attr):
                self.errors.add(row.number, name, f"{name}_mismatch",
                                f"У заказа {group.external_id} в строке {group.first_row} "
                                f"другой {what}: «{getattr(group, attr)}»")  # fmt: skip

    # --- checking against the catalog, the references and the orders ---

    def check(self, store: ImportStore, job: Job) -> Plan:
        plan = Plan()
        fmt = self.format
        if fmt is None:
            return plan
        by_code = self._products(store, fmt)
        sources = {header_key(s.name): s for s in store.sources()}
        dcs = store.distribution_centers()
        unit = store.orders_unit()
        for group in self._groups.values():
            if any(number in self.errors.rows for number in group.rows) or not group.items:
                continue
            planned = self._request(group, fmt, by_code, sources, dcs)
            if planned is None:
                continue
            request, source_id, units = planned
            # As the use case finds a repeat: the same number from the same marketplace.
            existing = unit.orders.by_external_id(source_id, str(request.external_id))
            action = "order_exists" if existing is not None else "order_create"
            self._requests.append((group.first_row, request))
            plan.planned(
                group.first_row, action,
                lambda r=request, u=units: (
                    f"Заказ {r.external_id}: "
                    + ", ".join(self._names[line.product_id] + f" × {line.quantity}"
                                for line in r.lines[:5])
                    + (f" и ещё {len(r.lines) - 5}" if len(r.lines) > 5 else "")
                    + f" (всего {u} шт.)"
                ),
            )  # fmt: skip
        return plan

    def _products(self, store: ImportStore, fmt: OrderFormat) -> dict[str, ProductRecord]:
        codes = {code for g in self._groups.values() for _n, code, _q in g.items}
        if fmt.item == "barcode":
            found = products_by_code(store, codes, self._zeros_lost)
        else:
            found = {}
            twins: dict[str, list[ProductRecord]] = {}
            for product in store.products_by_sku(codes):
                if not product.is_deleted:
                    twins.setdefault(product.sku, []).append(product)
            for sku, products in twins.items():
                found[sku] = products[0]
                if len(products) > 1:
                    self._ambiguous.add(sku)
        self._names = {p.id: product_label(p) for p in found.values()}
        return found

    def _line(self, number: int, code: str, by_code: dict[str, ProductRecord]) -> int | None:
        fmt = self.format
        assert fmt is not None
        if fmt.item == "barcode":
            product = self._product(number, code, by_code)
            return product.id if product else None
        product = by_code.get(code)
        if product is None:
            self.errors.add(number, "sku", "unknown_sku", f"Товар с артикулом {code} не найден")
            return None
        if code in self._ambiguous:
            self.errors.add(
                number, "sku", "ambiguous_sku",
                f"Артикул {code} есть у нескольких товаров: укажите штрихкод",
            )  # fmt: skip
            return None
        return product.id

    def _request(
        self, group: _Group, fmt: OrderFormat, by_code: dict[str, ProductRecord],
        sources: dict[str, Reference], dcs: list[Reference],
    ) -> tuple[OrderRequest, int | None, int] | None:  # fmt: skip
        """The group's order request, the marketplace it will carry and its units."""
        quantities: dict[int, int] = {}  # product → units, in the file's order
        for number, code, quantity in group.items:
            product_id = self._line(number, code, by_code)
            if product_id is not None:
                quantities[product_id] = quantities.get(product_id, 0) + quantity
        if any(number in self.errors.rows for number in group.rows):
            return None
        header = self.sheet.header_row
        if len(quantities) > MAX_LINES:
            self.errors.add(group.first_row, None, "too_many_lines",
                            f"В заказе больше {MAX_LINES} разных товаров")  # fmt: skip
            return None
        name = fmt.source or group.source
        source = self._source(group, fmt, sources, name) if name else None
        if name and source is None:
            return None
        external_id = group.external_id
        dc: Reference | None = None
        if fmt.supply:
            external_id = (self.options.external_id or "").strip() or stem(self.file_name)
            dc = self._supply_dc(dcs, source)
            if dc is None:
                return None
        elif group.dc:
            dc = self._named(dcs, group.dc)
            if dc is None:
                self.errors.add(
                    group.first_row, "distribution_center", "distribution_center_not_found",
                    f"РЦ «{group.dc}» не найден или отключён",
                )  # fmt: skip
                return None
        if len(external_id) > MAX_EXTERNAL_ID:
            self.errors.add(group.first_row if not fmt.supply else header, None,
                            "external_id_too_long",
                            f"Номер заказа длиннее {MAX_EXTERNAL_ID} символов")  # fmt: skip
            return None
        lines = tuple(LineRequest(quantity=q, product_id=p) for p, q in quantities.items())
        self._product_ids |= quantities.keys()
        kind = OrderKind.SUPPLY if dc is not None else OrderKind.CUSTOMER
        source_id = source.id if source else None
        request = OrderRequest(external_id, str(kind), lines, source_id=source_id,
                               distribution_center_id=dc.id if dc else None)  # fmt: skip
        # A supply without a marketplace is booked under its DC's (core.orders.orders).
        return request, source_id or (dc.parent_id if dc else None), sum(quantities.values())

    def _source(
        self, group: _Group, fmt: OrderFormat, sources: dict[str, Reference], name: str
    ) -> Reference | None:
        """The marketplace named; None (and a row error) when there is none such."""
        found = sources.get(header_key(name))
        if found is None or not found.is_active:
            row = self.sheet.header_row if fmt.source else group.first_row
            if row not in self.errors.rows:  # the format's marketplace: said once
                self.errors.add(
                    row, None if fmt.source else "source", "source_not_found",
                    f"Маркетплейс «{name}» не найден или отключён в справочнике",
                )  # fmt: skip
            return None
        return found

    def _supply_dc(self, dcs: list[Reference], source: Reference | None) -> Reference | None:
        header = self.sheet.header_row
        active = [d for d in dcs if d.is_active and (not source or d.parent_id == source.id)]
        chosen = self.options.distribution_center_id
        if chosen is not None:
            found = next((d for d in active if d.id == chosen), None)
            if found is not None:
                return found
            self.errors.add(
                header, None, "distribution_center_not_found",
                "Выбранный РЦ не найден, отключён или другого маркетплейса",
            )  # fmt: skip
            return None
        name = header_key(self.file_name)
        named = sorted((d for d in active if header_key(d.name) in name),
                       key=lambda d: -len(d.name))  # fmt: skip
        if not named:
            self.errors.add(header, None, "distribution_center_required",
                            "Укажите РЦ поставки: выберите его на странице или назовите в имени "
                            "файла (например, «Поставка WB Коледино.xlsx»)")  # fmt: skip
            return None
        return named[0]

    @staticmethod
    def _named(dcs: list[Reference], name: str) -> Reference | None:
        found = next((d for d in dcs if header_key(d.name) == header_key(name)), None)
        return found if found is not None and found.is_active else None

    # --- writing: the orders use case, order by order, in this one transaction ---

    def write(self, store: ImportStore, plan: Plan, job: Job) -> None:
        unit = store.orders_unit()
        # Every quant the file's orders may reserve from, locked up front in (product,
        # location) order as every writer takes them: order by order, the reservations
        # would otherwise take them in the file's order, and a posting holding one while
        # waiting for another could deadlock with this long transaction.
        unit.orders.lock_slots(sorted(self._product_ids))
        placed: dict[str, int] = {}
        for done_count, (number, request) in enumerate(self._requests, 1):
            try:
                done = place_order(unit, request, job.user_id, confirm=True)
            except DomainError as error:  # changed since the check: nothing is kept
                raise Conflict(
                    error.code, f"Строка {number}, заказ {request.external_id}: {error.message}"
                ) from error
            what = "exists" if done.replayed else done.order.status
            if not done.replayed:
                self._placed.append(done.order)
            placed[what] = placed.get(what, 0) + 1
            job.progress("write", 0.95 * done_count / max(len(self._requests), 1))
        self._event(store, job, {"orders": len(self._requests), "statuses": placed})

    def after_commit(self) -> None:
        for placed in self._placed:  # as the API and the feed say it, one line an order
            log_placed(placed)
