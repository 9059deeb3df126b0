"""Opening balances files: the stock each product is to have, as ADJUSTMENT movements."""

from typing import Any

from core.catalog.products import ProductRecord
from core.errors import DomainError
from core.imports.importer import (
    Importer,
    fractions,
    product_label,
    products_by_code,
    stage_progress,
    write_ledger,
)
from core.imports.plan import Job, LedgerRow, Plan
from core.imports.ports import ImportStore
from core.imports.rows import Row, missing_column
from core.stock.operations import MAX_QUANTITY, OPERATIONS, Direction
from core.stock.requests import MAX_NOTES, MovementRequest, check_request
from core.stock.resolving import resolve_locations

# --- Opening balances ---


class _Balance:
    __slots__ = ("barcode", "defect", "good", "notes", "number")

    def __init__(self, number: int) -> None:
        self.number = number


class OpeningBalanceImporter(Importer):
    kind = "opening_balances"
    required = ("barcode",)

    def __init__(self, *args: Any) -> None:
        super().__init__(*args)
        self.rows: list[_Balance] = []
        columns = self.sheet.columns
        if "good" not in columns and "defect" not in columns:
            missing_column(
                self.errors, self.sheet.header_row, "good",
                " (или «Брак»): укажите остатки, которые надо установить",
            )  # fmt: skip

    def parse_row(self, row: Row) -> None:
        item = _Balance(row.number)
        item.barcode = self._unique_barcode(row)
        item.good = self._stock(row, "good", "Годный")
        item.defect = self._stock(row, "defect", "Брак")
        item.notes = row.text("notes") or None
        self.rows.append(item)

    def _stock(self, row: Row, name: str, what: str) -> int | None:
        """None: the file has no such column (that stock stays); an empty cell is zero."""
        if name not in self.sheet.columns:
            return None
        value = row.whole(name, what)
        if value is None:
            return None if row.number in self.errors.rows else 0
        if value < 0 or value > MAX_QUANTITY:
            self.errors.add(
                row.number, name, "invalid_quantity",
                f"{what}: целое число от 0 до {MAX_QUANTITY:,}".replace(",", " "),
            )  # fmt: skip
            return None
        return value

    def check(self, store: ImportStore, job: Job) -> Plan:
        progress = stage_progress(job, "check")
        plan = Plan()
        codes = {r.barcode for r in self.rows if r.barcode}
        by_code = products_by_code(store, codes, self._zeros_lost)
        found: list[tuple[_Balance, ProductRecord]] = []
        row_of_product: dict[int, int] = {}
        for item in self.rows:
            product = self._product(item.number, item.barcode, by_code) if item.barcode else None
            if product is None:
                continue
            # One row per product, also when one row names it by barcode and another by
            # GTIN: each row's adjustment is reckoned from the stock before the file.
            first = row_of_product.setdefault(product.id, item.number)
            if first != item.number:
                if item.number in self.errors.rows:  # the same barcode twice: said already
                    continue
                self.errors.add(
                    item.number, "barcode", "duplicate_product",
                    f"Товар «{product.name}» уже есть в строке {first} (по штрихкоду или GTIN)",
                )  # fmt: skip
                continue
            found.append((item, product))
        stock = store.stock({p.id for _, p in found})
        default_notes = f"Начальные остатки из файла «{self.file_name}»"[:MAX_NOTES]
        tick = fractions(len(found), progress)
        for done, (item, product) in enumerate(found, 1):
            tick(done)
            if item.number in self.errors.rows:
                continue
            legs = self._legs(store, item, product, stock, item.notes or default_notes)
            if legs is None:
                continue
            said = []
            for leg, key, (before, after, what) in legs:
                plan.ledger.append(leg)
                plan.stock[key] = plan.stock.get(key, 0) + after - before
                said.append(f"{what} {before} → {after}")
            plan.planned(
                item.number,
                "set" if legs else "unchanged",
                lambda product=product, said=said: (
                    f"{product_label(product)}: " + (", ".join(said) if said else "без изменений")
                ),
            )
        return plan

    def _legs(
        self,
        store: ImportStore,
        item: _Balance,
        product: ProductRecord,
        stock: dict[tuple[int, int], tuple[int, int]],
        notes: str,
    ) -> list[tuple[LedgerRow, tuple[int, int], tuple[int, int, str]]] | None:
        """The ADJUSTMENT movements that bring one product to the file's numbers (None
        after an error): (ledger row, quant key, (before, after, what))."""
        adjustment = OPERATIONS["ADJUSTMENT"]
        legs = []
        for warehouse, target, name, what in (
            ("MAIN", item.good, "good", "годный"),
            ("DEFECT", item.defect, "defect", "брак"),
        ):
            if target is None:
                continue  # the file has no such column: that stock stays as it is
            location = store.location(warehouse)
            quantity, reserved = stock.get((product.id, location.id), (0, 0))
            if target == quantity:
                continue
            if target < reserved:
                message = (
                    f"{what.capitalize()}: нельзя установить {target} — {reserved} шт. "
                    "зарезервировано под заказы"
                )
                self.errors.add(item.number, name, "insufficient_stock", message)
                return None
            direction = Direction.GAIN if target > quantity else Direction.LOSS
            request = MovementRequest(
                adjustment.code, abs(target - quantity), notes=notes, warehouse=warehouse,
                direction=direction,
            )  # fmt: skip
            try:
                _, diff, clean_notes = check_request(request)
            except DomainError as error:
                self.errors.domain(item.number, error, name)
                return None
            src, dst = resolve_locations(store, adjustment, request)
            leg = (adjustment.code, product.id, diff, src.id, dst.id, None, None, clean_notes)
            legs.append((leg, (product.id, location.id), (quantity, target, what)))
        return legs

    def write(self, store: ImportStore, plan: Plan, job: Job) -> None:
        write_ledger(store, plan, job)
        first, last = plan.ledger_span
        self._event(
            store, job,
            {"movements": len(plan.ledger), "first_movement_id": first,
             "last_movement_id": last, "products": dict(plan.counts)},
        )  # fmt: skip
