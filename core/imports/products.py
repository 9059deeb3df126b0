"""Products files: new cards created, existing ones (by barcode) updated."""

from dataclasses import replace
from typing import Any

from core.catalog.products import EDITABLE, ProductData, ProductRecord, clean
from core.errors import DomainError
from core.imports.importer import Importer, fractions, product_label, stage_progress
from core.imports.plan import Job, Plan
from core.imports.ports import ImportStore
from core.imports.rows import Row

# --- Products ---

PRODUCT_TEXT = {"sku": "Артикул", "name": "Наименование"}
PRODUCT_WHOLE = {
    "min_stock": "Мин. остаток",
    "weight_g": "Вес",
    "length_mm": "Длина",
    "width_mm": "Ширина",
    "height_mm": "Высота",
}
PRODUCT_FIELD_LABELS = {
    "sku": "артикул", "name": "наименование", "gtin": "GTIN", "min_stock": "мин. остаток",
    "weight_g": "вес", "length_mm": "длина", "width_mm": "ширина", "height_mm": "высота",
    "requires_marking": "маркировка",
}  # fmt: skip


class _ProductRow:
    __slots__ = ("barcode", "number", "values")

    def __init__(self, number: int) -> None:
        self.number = number


class ProductImporter(Importer):
    kind = "products"
    required = ("barcode",)

    def __init__(self, *args: Any) -> None:
        super().__init__(*args)
        self.rows: list[_ProductRow] = []

    def parse_row(self, row: Row) -> None:
        item = _ProductRow(row.number)
        item.barcode = self._unique_barcode(row)
        values: dict[str, Any] = {}  # only the cells the file fills
        for name in PRODUCT_TEXT:
            if text := row.text(name):
                values[name] = text
        if "gtin" in self.sheet.columns and (gtin := row.code("gtin", "GTIN")):
            values["gtin"] = gtin
        for name, what in PRODUCT_WHOLE.items():
            if name in self.sheet.columns and (number := row.whole(name, what)) is not None:
                values[name] = number
        if "requires_marking" in self.sheet.columns:
            flag = row.yes_no("requires_marking", "Маркировка")
            if flag is not None:
                values["requires_marking"] = flag
        item.values = values
        self.rows.append(item)

    def check(self, store: ImportStore, job: Job) -> Plan:
        progress = stage_progress(job, "check")
        plan = Plan()
        codes = {r.barcode for r in self.rows if r.barcode}
        codes |= {r.values["gtin"] for r in self.rows if "gtin" in r.values}
        known = store.products(codes)
        by_barcode = {p.barcode: p for p in known}
        holder_of = {p.gtin: p for p in known if p.gtin}
        holder_of.update(by_barcode)  # a code names one product, as barcode or as GTIN
        in_file: dict[str, int] = {}  # codes the file gives, -> row
        tick = fractions(len(self.rows), progress)
        for done, item in enumerate(self.rows, 1):
            tick(done)
            if not item.barcode or item.number in self.errors.rows:
                self._claim(in_file, item)
                continue
            existing = by_barcode.get(item.barcode)
            if existing is not None and existing.is_deleted:
                self.errors.add(
                    item.number, "barcode", "product_deleted",
                    f"Товар «{existing.name}» ({item.barcode}) удалён: восстановите его "
                    "в карточке товара или уберите строку",
                )  # fmt: skip
                continue
            if existing is None:
                data = ProductData(
                    sku=item.values.get("sku", ""),
                    name=item.values.get("name", ""),
                    barcode=item.barcode,
                    **{k: v for k, v in item.values.items() if k not in ("sku", "name")},
                )
            else:
                base = ProductData(**{n: getattr(existing, n) for n in EDITABLE})
                data = replace(base, **item.values)
            try:
                data = clean(data)
            except DomainError as error:
                self.errors.domain(item.number, error)
                continue
            if not self._codes_free(item, data, existing, holder_of, in_file):
                continue
            self._plan(plan, item, data, existing)
        return plan

    def _claim(self, in_file: dict[str, int], item: _ProductRow) -> None:
        for code in (item.barcode, item.values.get("gtin")):
            if code:
                in_file.setdefault(code, item.number)

    def _codes_free(
        self,
        item: _ProductRow,
        data: ProductData,
        existing: ProductRecord | None,
        holder_of: dict[str, ProductRecord],
        in_file: dict[str, int],
    ) -> bool:
        """Neither code may name another product, in the database or elsewhere in the file."""
        ok = True
        for code, name, what in (
            (data.barcode, "barcode", "Штрихкод"),
            (data.gtin, "gtin", "GTIN"),
        ):
            if not code:
                continue
            holder = holder_of.get(code)
            if holder is not None and (existing is None or holder.id != existing.id):
                deleted = " (удалён — его можно восстановить)" if holder.is_deleted else ""
                message = f"{what} {code} уже есть у товара «{holder.name}»{deleted}"
                self.errors.add(item.number, name, f"{name}_taken", message)
                ok = False
                continue
            other_row = in_file.get(code, item.number)
            if other_row != item.number:
                message = f"{what} {code} уже есть в строке {other_row}"
                self.errors.add(item.number, name, f"{name}_taken", message)
                ok = False
        self._claim(in_file, item)
        return ok

    def _plan(
        self, plan: Plan, item: _ProductRow, data: ProductData, existing: ProductRecord | None
    ) -> None:
        if existing is None:
            plan.new_products.append(data)
            plan.planned(
                item.number, "create", lambda: f"Новый товар: {data.name} ({data.barcode})"
            )
            return
        changed = [n for n in EDITABLE if getattr(existing, n) != getattr(data, n)]
        if not changed:
            plan.planned(
                item.number, "unchanged", lambda: f"{product_label(existing)}: без изменений"
            )
            return
        plan.changed_products.append((existing.id, data))
        plan.planned(
            item.number,
            "update",
            lambda: (
                f"{product_label(existing)}: изменится "
                + ", ".join(PRODUCT_FIELD_LABELS.get(n, n) for n in changed)
            ),
        )

    def write(self, store: ImportStore, plan: Plan, job: Job) -> None:
        store.update_products(plan.changed_products, job.at)
        job.progress("write", 0.5)
        store.add_products(plan.new_products, job.at)
        self._event(store, job, {"products": dict(plan.counts)})
