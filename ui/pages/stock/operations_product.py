"""The operations form's product: found by a scan or the picker, or made from an unknown
barcode, shown with its stock; a scan of another product is held while the shown one's
count waits (see ui.pages.stock.operations). The subclasses supply `_form_changed`,
`_step`, `_pending_count`, `_show_count`, `_submit` and `_fail`."""

import asyncio
import logging
import time
from collections.abc import Mapping
from dataclasses import asdict
from typing import Any

from nicegui import run

from core.users.auth import Identity
from data.catalog.queries import product_by_code
from data.stock.queries import product_stock
from ui.components.feedback import Action
from ui.failures import failure_text
from ui.i18n import number, tr
from ui.pages.catalog.product_dialogs import product_dialog
from ui.pages.stock.operations_layout import ACTION, OperationsLayout
from ui.session import guarded

log = logging.getLogger(__name__)

# What a database failure interrupted and what to do then (ui.failures says the reason).
LOOKUP_FAILED = (
    ("Не удалось найти товар", "Could not look the product up"),
    ("Отсканируйте ещё раз.", "Scan again."),
)


class OperationsProduct(OperationsLayout):
    """Finding and showing the product of the form; its state is set up by the form."""

    product: dict[str, Any] | None
    held: dict[str, Any] | None
    just_posted: bool
    scanning: asyncio.Lock

    async def _scan(self, _user: Identity, code: str) -> None:
        """One scanned code (ScanField: stripped; the field is empty already)."""
        code = code.strip()
        if not code:
            return
        started = time.perf_counter()
        # One scan at a time, in the order scanned: a quick second scan of the same product
        # still adds one to the count shown by the first.
        async with self.scanning:
            try:
                # Off the event loop: a slow read must not hold up every other open page.
                found = await run.io_bound(self._lookup, code)
            except Exception as error:  # the database's failure, said in the scan banner
                text = failure_text(error, "looking up a scan", *LOOKUP_FAILED)
                if text is None:
                    raise
                self.feedback.clear()
                self._fail(text)
                return
            if found is None:
                return  # the app is stopping
            (product,) = found
            if product is None:
                if self._pending_count() is None:
                    self._clear_product()  # the next post cannot hit the product shown before
                self.held = None
                self.feedback.not_found(code)
            else:
                self._offer(product, repeat_adds=True)
        log.debug("scan %s looked up in %.1f ms", code, (time.perf_counter() - started) * 1000)

    def _lookup(self, code: str) -> tuple[dict[str, Any] | None]:
        """The scanned product with its stock (None: no such code), in a worker thread;
        a tuple, because run.io_bound answers None when the app stops."""
        product = product_by_code(self.ctx.db.engine, code)
        return (None if product is None else self._with_stock(product),)

    def _offer(self, row: dict[str, Any], *, repeat_adds: bool) -> None:
        """Show `row` — unless another product's count is waiting: then hold it and ask."""
        pending = self._pending_count()
        if self.product is None or pending is None or self.product["id"] == row["id"]:
            self.held = None
            self.feedback.clear()
            self._set_product(row, repeat_adds=repeat_adds)
            return
        self.held = row
        shown = self.product
        self.feedback.warn(
            tr(
                f"Счёт не проведён: «{shown['name']}» — {number(pending)} шт. "
                f"Проведите его или отмените, затем откроется «{row['name']}».",
                f"Count not posted: “{shown['name']}” — {number(pending)} pcs. "
                f"Post it or cancel it; then “{row['name']}” opens.",
            ),
            [
                Action(
                    tr(f"Провести {number(pending)} шт.", f"Post {number(pending)} pcs"),
                    guarded(self.ctx, ACTION, self._submit),
                    "pending-post",
                    primary=True,
                ),
                Action(
                    tr("Отменить счёт", "Cancel the count"),
                    guarded(self.ctx, ACTION, self._drop_count),
                    "pending-drop",
                ),
            ],
        )

    async def _drop_count(self, _user: Identity, *_: Any) -> None:
        """The person chose to throw the count away: show the product they scanned next."""
        held, self.held = self.held, None
        self.feedback.clear()
        if held is not None:
            row = await run.io_bound(self._with_stock, held)  # off the event loop
            if row is not None:
                self._set_product(row, repeat_adds=False)
        self.scan.run_method("focus")

    async def _pick(self, _user: Identity, product_id: int | None) -> None:
        if product_id is None:
            if self._pending_count() is None:
                self._clear_product(keep_picker=True)
            return
        found = await run.io_bound(self._product_with_stock, product_id)  # off the event loop
        if found is None:
            return  # the app is stopping
        (row,) = found
        if row is not None:
            self._offer(row, repeat_adds=False)
            if self.held is not None and self.product is not None:
                self.picker.show(self.product)  # the field names the product shown

    def _product_with_stock(self, product_id: int) -> tuple[dict[str, Any] | None]:
        record = self.ctx.products.get(product_id)
        return (None if record is None else self._with_stock(asdict(record)),)

    def _show_product_by_id(self, product_id: int) -> bool:
        record = self.ctx.products.get(product_id)
        if record is None:
            return False
        self._set_product(self._with_stock(asdict(record)), repeat_adds=False)
        return True

    def _create_product(self, _user: Identity, code: str) -> None:
        """An unknown barcode: the product dialog with it filled in; the new product is
        then shown here, ready for the operation."""

        def created(record: Any) -> None:
            self.feedback.clear()
            self._offer(self._with_stock(asdict(record)), repeat_adds=False)

        product_dialog(self.ctx, None, created, barcode=code)

    def _with_stock(self, product: Mapping[str, Any]) -> dict[str, Any]:
        return {**product, **product_stock(self.ctx.db.engine, product["id"])}

    def _set_product(self, row: dict[str, Any], *, repeat_adds: bool) -> None:
        """Show the product and its stock; scanning the same product again adds one."""
        same = self.product is not None and self.product["id"] == row["id"]
        self.repeat_hint.set_visibility(False)
        if same and repeat_adds and not self.just_posted:
            self._step(1)
            self.repeat_hint.set_text(
                tr("Повторный скан: количество +1", "Scanned again: quantity +1")
            )
            self.repeat_hint.set_visibility(True)
        elif not same or self.just_posted:
            self.quantity.value = "1"
        self.just_posted = False
        self.product = row
        self.product_name.set_text(row["name"])
        codes = tr("Артикул", "SKU") + f": {row['sku']} · " + tr("Штрихкод", "Barcode")
        codes += f": {row['barcode']}"
        if row.get("gtin"):
            codes += f" · GTIN: {row['gtin']}"
        self.product_codes.set_text(codes)
        self._show_stock(row)
        self.journal_link.props(f'href="/journal?product_id={row["id"]}"')
        self.product_card.set_visibility(True)
        self.no_product.set_visibility(False)
        self.picker.show(row)
        self.result.set_visibility(False)
        self._form_changed()

    def _show_stock(self, row: Mapping[str, Any]) -> None:
        for key, label in self.stock_labels.items():
            label.set_text(number(int(row[key])))

    def _clear_product(self, *, keep_picker: bool = False) -> None:
        self.product = None
        self.product_card.set_visibility(False)
        self.no_product.set_visibility(True)
        self.result.set_visibility(False)
        if not keep_picker:
            self.picker.show(None)
        self._form_changed()
