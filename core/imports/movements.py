"""Movements files: every row a posting, checked against the running balance."""

from typing import Any

from core.catalog.products import ProductRecord
from core.errors import DomainError, ValidationError
from core.imports.importer import (
    CHUNK_ROWS,
    Importer,
    apply_stock,
    chunks,
    importable,
    not_importable_message,
    product_label,
    products_by_code,
)
from core.imports.plan import Job, LedgerRow, Plan
from core.imports.ports import ImportStore
from core.imports.rows import Row, missing_column
from core.imports.sheet import Cell, is_empty
from core.model import LocationRef, Reference
from core.stock.operations import (
    DIRECTION_NAMES,
    MAX_QUANTITY,
    WAREHOUSE_NAMES,
    WAREHOUSES,
    Direction,
    Operation,
    Requirement,
    header_key,
    operation_by_name,
)
from core.stock.requests import MAX_NOTES, MovementRequest, check_quantity, check_request
from core.stock.resolving import resolve_locations

# --- Movements ---


class _Move:
    __slots__ = (
        "bad", "barcode", "dc", "direction", "notes", "number", "op", "quantity", "source",
        "warehouse",
    )  # fmt: skip

    def __init__(self, number: int) -> None:
        self.number = number
        self.bad = False  # a cell the field rules depend on could not be read


_WAREHOUSE_BY_NAME = {
    header_key(name): code
    for code, names in WAREHOUSE_NAMES.items()
    for name in (code, *names, WAREHOUSES[code])
}
_DIRECTION_BY_NAME = {
    **{header_key(name): str(d) for d, names in DIRECTION_NAMES.items() for name in (d, *names)},
    "+": str(Direction.GAIN),
    "-": str(Direction.LOSS),
    "−": str(Direction.LOSS),
}


class MovementImporter(Importer):
    kind = "movements"
    required = ("barcode", "quantity")
    streams = True

    def __init__(self, *args: Any) -> None:
        super().__init__(*args)
        if self.default_op is None and "operation" not in self.sheet.columns:
            missing_column(
                self.errors, self.sheet.header_row, "operation",
                " — или выберите одну операцию для всего файла",
            )  # fmt: skip
        self._barcodes: dict[str, str] = {}  # one string object per distinct code
        self._operations: dict[str, Operation | None] = {}

    def parse(self) -> None:
        """Nothing up front: check() reads the rows in chunks, so that the ledger rows of
        one chunk are stored while the next is read and checked."""

    def _parse(self, chunk: list[tuple[int, list[Cell]]]) -> list[_Move]:
        """Rows into _Move records. The common cells (digits as text, whole numbers) take a
        short path; anything else goes through core.imports.sheet's careful readers."""
        columns = self.sheet.columns

        def index(name: str) -> int:
            column = columns.get(name)
            return column.index if column is not None else -1

        barcode_at, quantity_at = index("barcode"), index("quantity")
        optional = any(
            name in columns
            for name in (
                "operation",
                "source",
                "distribution_center",
                "notes",
                "warehouse",
                "direction",
            )
        )
        codes = self._barcodes
        rows: list[_Move] = []
        errors = self.errors
        default_op = self.default_op
        for number, cells in chunk:
            width = len(cells)
            move = _Move(number)
            row: Row | None = None
            value = cells[barcode_at] if 0 <= barcode_at < width else None
            if type(value) is str and value.isascii() and value.isdigit():
                move.barcode = codes.setdefault(value, value)
            else:
                row = Row(number, cells, self.sheet, errors)
                code = self._barcode(row)
                move.barcode = codes.setdefault(code, code) if code else None
            value = cells[quantity_at] if 0 <= quantity_at < width else None
            if type(value) is float and value.is_integer() and 0 < value <= MAX_QUANTITY:
                move.quantity = int(value)
            elif type(value) is int and 0 < value <= MAX_QUANTITY:
                move.quantity = value
            else:
                row = row or Row(number, cells, self.sheet, errors)
                move.quantity = self._quantity(row)
            move.op = default_op
            move.source = move.dc = move.notes = move.warehouse = move.direction = None
            if optional:
                row = row or Row(number, cells, self.sheet, errors)
                self._optional(row, move)
            rows.append(move)
        self.rows_total += len(chunk)
        return rows

    def _quantity(self, row: Row) -> int | None:
        quantity = row.whole("quantity", "Количество")
        if "quantity" in self.sheet.columns and is_empty(row.raw("quantity")):
            self.errors.add(row.number, "quantity", "quantity_required", "Укажите количество")
            return None
        if quantity is None:
            return None
        try:
            return check_quantity(quantity)
        except ValidationError as error:
            self.errors.add(row.number, "quantity", "invalid_quantity", error.message)
            return None

    def _optional(self, row: Row, move: _Move) -> None:
        move.op = self._operation(row, move)
        move.source = row.text("source") or None
        move.dc = row.text("distribution_center") or None
        move.notes = row.text("notes") or None
        move.warehouse = self._named(row, move, "warehouse", _WAREHOUSE_BY_NAME, "склад")
        move.direction = self._named(row, move, "direction", _DIRECTION_BY_NAME, "направление")

    def _operation(self, row: Row, move: _Move) -> Operation | None:
        text = row.text("operation")
        if not text:
            if self.default_op is None and "operation" in self.sheet.columns:
                self.errors.add(row.number, "operation", "operation_required", "Укажите операцию")
            return self.default_op
        op = self._operations.get(text) if text in self._operations else operation_by_name(text)
        self._operations[text] = op
        if op is None:
            self.errors.add(
                row.number, "operation", "unknown_operation",
                f"Неизвестная операция «{text}»: укажите код (например, RECEIPT) "
                "или название (например, Приёмка)",
            )  # fmt: skip
            return None
        if not importable(op):
            self.errors.add(
                row.number, "operation", "operation_not_importable", not_importable_message(op)
            )
            return None
        return op

    def _named(
        self, row: Row, move: _Move, name: str, names: dict[str, str], what: str
    ) -> str | None:
        text = row.text(name)
        if not text:
            return None
        value = names.get(header_key(text)) or names.get(text)
        if value is None:
            self.errors.add(row.number, name, f"invalid_{name}", f"Неизвестный {what}: «{text}»")
            move.bad = True
        return value

    def check(self, store: ImportStore, job: Job) -> Plan:
        """Read, check and — when writing — store the rows chunk by chunk: while the
        database takes one chunk of ledger rows (COPY on PostgreSQL), the next is read and
        checked. The first error stops the writing; the transaction then never commits."""
        plan = Plan()
        self._sources = {header_key(s.name): s for s in store.sources()}
        self._dcs = {header_key(d.name): d for d in store.distribution_centers()}
        self._shapes: dict[tuple[Any, ...], DomainError | tuple[LocationRef, LocationRef]] = {}
        self._by_code: dict[str, ProductRecord] = {}
        self._running: dict[tuple[int, int], list[int]] = {}  # (product, location): [qty, reserved]
        self._stocked: set[int] = set()
        writing = job.import_id is not None
        stage = "write" if writing else "check"
        total = max(self.sheet.size_hint, 1)
        ledger_open = False
        for chunk in chunks(self.sheet.rows, CHUNK_ROWS):
            moves = self._parse(chunk)
            self._look_up(store, moves)
            ledger = self._check_chunk(store, plan, moves)
            if writing and not self.errors.count:
                if not ledger_open:
                    store.open_ledger(document=job.document, user_id=job.user_id, at=job.at)
                    ledger_open = True
                store.write_ledger(ledger)
                plan.written += len(ledger)
            elif ledger_open:
                store.abort_ledger()
                ledger_open = False
            job.progress(stage, min(self.rows_total / total, 0.95))
        if ledger_open:
            plan.ledger_span = store.close_ledger()
        return plan

    def _look_up(self, store: ImportStore, moves: list[_Move]) -> None:
        """Products of codes not seen in earlier chunks, and their stock."""
        by_code = self._by_code
        new = {m.barcode for m in moves if m.barcode and m.barcode not in by_code}
        if not new:
            return
        found = products_by_code(store, new, self._zeros_lost)
        by_code.update(found)
        fresh = {p.id for p in found.values()} - self._stocked
        self._stocked |= fresh
        for key, balance in store.stock(fresh).items():
            self._running[key] = list(balance)

    def _check_chunk(self, store: ImportStore, plan: Plan, moves: list[_Move]) -> list[LedgerRow]:
        errors = self.errors
        by_code = self._by_code
        shapes = self._shapes
        running = self._running
        net = plan.stock
        ledger: list[LedgerRow] = []
        for move in moves:
            product = by_code.get(move.barcode) if move.barcode else None
            if move.barcode and (product is None or product.is_deleted):
                product = self._product(move.number, move.barcode, by_code)
            source = (
                self._reference(move, move.source, self._sources, "source") if move.source else None
            )
            dc = (
                self._reference(move, move.dc, self._dcs, "distribution_center")
                if move.dc
                else None
            )
            op = move.op
            not_found = (move.source and source is None) or (move.dc and dc is None)
            if op is None or move.bad or not_found:
                continue
            if source is not None and dc is not None and op.needs(Requirement.DISTRIBUTION_CENTER):
                if dc.parent_id != source.id:
                    errors.add(
                        move.number, "distribution_center", "distribution_center_mismatch",
                        f"РЦ «{dc.name}» не относится к источнику «{source.name}»",
                    )  # fmt: skip
                    continue
                source = None  # the DC's own marketplace: redundant, not a contradiction
            notes = move.notes
            # What a row needs depends only on its shape (operation, references, notes or
            # not, warehouse and direction): checked once per shape with core's own rules.
            key = (
                op.code,
                source.id if source else None,
                dc.id if dc else None,
                0 if not notes else (2 if len(notes) > MAX_NOTES else 1),
                move.warehouse,
                move.direction,
            )
            shape = shapes.get(key)
            if shape is None:
                shape = shapes[key] = self._shape(store, op, source, dc, move)
            if isinstance(shape, DomainError):
                errors.domain(move.number, shape)
                continue
            if product is None or move.quantity is None or move.number in errors.rows:
                continue
            src, dst = shape
            quantity = move.quantity
            # Applied in file order to the running balance (unreserved stock only).
            if src.is_internal:
                balance = running.setdefault((product.id, src.id), [0, 0])
                available = balance[0] - balance[1]
                if available < quantity:
                    errors.add(
                        move.number, "quantity", "insufficient_stock",
                        f"{op.shortage_message}: {product_label(product)} — в наличии "
                        f"{max(available, 0)}, нужно {quantity} (с учётом строк выше)",
                    )  # fmt: skip
                    continue
                balance[0] -= quantity
                net[(product.id, src.id)] = net.get((product.id, src.id), 0) - quantity
            if dst.is_internal:
                running.setdefault((product.id, dst.id), [0, 0])[0] += quantity
                net[(product.id, dst.id)] = net.get((product.id, dst.id), 0) + quantity
            # As core.stock.resolving does: a shipment records its DC's marketplace as the source.
            source_id = dc.parent_id if dc else (source.id if source else None)
            ledger.append(
                (op.code, product.id, quantity, src.id, dst.id, source_id,
                 dc.id if dc else None, notes)
            )  # fmt: skip
            plan.planned(
                move.number,
                op.code,
                lambda op=op, product=product, quantity=quantity, move=move: (
                    f"{op.label_ru}: {product_label(product)} × {quantity}"
                    + (f" → {move.dc}" if move.dc else "")
                    + (f" ← {move.source}" if move.source and not move.dc else "")
                ),
            )
        return ledger

    def _reference(
        self, move: _Move, name: str | None, known: dict[str, Reference], field_name: str
    ) -> Reference | None:
        if not name:
            return None
        found = known.get(header_key(name))
        if found is None or not found.is_active:
            what = "Источник" if field_name == "source" else "РЦ"
            self.errors.add(
                move.number, field_name, f"{field_name}_not_found",
                f"{what} «{name}» не найден или отключён",
            )  # fmt: skip
            return None
        return found

    @staticmethod
    def _shape(
        store: ImportStore,
        op: Operation,
        source: Reference | None,
        dc: Reference | None,
        move: _Move,
    ) -> DomainError | tuple[LocationRef, LocationRef]:
        """core.stock.requests' field rules for a row of this shape, and where it moves stock."""
        request = MovementRequest(
            op.code,
            1,
            source_id=source.id if source else None,
            distribution_center_id=dc.id if dc else None,
            notes=move.notes,
            warehouse=move.warehouse,
            direction=move.direction,
        )
        try:
            check_request(request)
        except DomainError as error:
            return error
        return resolve_locations(store, op, request)

    def write(self, store: ImportStore, plan: Plan, job: Job) -> None:
        first, last = plan.ledger_span  # the rows went in while the file was checked
        apply_stock(store, plan, job)
        self._event(
            store, job,
            {"movements": plan.written, "first_movement_id": first,
             "last_movement_id": last, "operations": dict(plan.counts)},
        )  # fmt: skip
