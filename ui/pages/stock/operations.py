"""/operations: managers post stock movements, scanner first.

A USB scanner types the barcode and Enter into the focused scan field; Enter looks the
product up and shows its stock. Which fields an operation needs comes from
core.stock.operations.OPERATIONS (its Requirement set); the rules themselves are checked by
core.stock.movements.post_movement, and its Russian message is shown beside the form.
Inventory is entered as the quantity counted; core.stock.inventory books the difference.

A count is never dropped silently: scanning another product while a count of the shown
one (more than the single first scan) is not posted holds the new scan and asks, in the
banner, to post the count or to cancel it. Why not post it at once: the operation or its
fields may not be what the worker meant (a wrong post needs a reversal); why not a modal
dialog: the next scanner keystrokes would land in it. Scanning the same product again
simply goes on counting.
"""

import asyncio
import logging
import time
from collections.abc import Mapping
from dataclasses import asdict
from typing import Any
from uuid import uuid4

from nicegui import events, run, ui

from core.errors import DomainError
from core.stock.inventory import Counted, CountRequest, difference, post_count
from core.stock.movements import post_movement
from core.stock.operations import (
    MANUAL_OPERATIONS,
    OPERATIONS,
    WAREHOUSES,
    Operation,
    Requirement,
)
from core.stock.requests import MovementRequest, Posted
from core.stock.rules import GOOD_WAREHOUSE
from core.users import policy
from core.users.auth import Identity
from data.catalog.queries import product_by_code
from data.stock.queries import product_stock
from ui.components.feedback import Action, show_done
from ui.context import AppContext
from ui.failures import failure_text
from ui.i18n import language, number, tr
from ui.layout import frame
from ui.pages.stock.operations_input import (
    STOCK_KEY,
    WAREHOUSE_EN,
    location_name,
    quantity_problem,
    whole_quantity,
)
from ui.pages.stock.operations_layout import OperationsLayout
from ui.session import guarded, protected_page

PATH = "/operations"
ACTION = policy.Action.POST_MOVEMENTS
DEFAULT_OPERATION = "RECEIPT"

log = logging.getLogger(__name__)

# What a database failure interrupted and what to do then (ui.failures says the reason).
POST_FAILED = (
    ("Не удалось провести операцию", "Could not post"),
    (
        "Повторите — повторное нажатие не проведёт операцию дважды.",
        "Try again — a retry will not post it twice.",
    ),
)
LOOKUP_FAILED = (
    ("Не удалось найти товар", "Could not look the product up"),
    ("Отсканируйте ещё раз.", "Scan again."),
)


class OperationsForm(OperationsLayout):
    """One form per open page: the chosen operation, the product and the posting state."""

    def __init__(
        self, ctx: AppContext, user: Identity, operation: str, product_id: int | None
    ) -> None:
        self.ctx = ctx
        self.user = user
        self.operation: Operation = OPERATIONS[operation]
        self.product: dict[str, Any] | None = None
        # A scan of another product held while the shown one's count waits (see the top).
        self.held: dict[str, Any] | None = None
        # One key per form submission: kept while the same form is retried, so a retry
        # (or a second click) is booked once; a new one once it succeeded or the form changed.
        self.key: str | None = None
        self.posting = False
        self.just_posted = False  # the next scan starts a new count
        self.scanning = asyncio.Lock()
        self._build()
        self._choose(operation)
        if product_id is not None:
            self._show_product_by_id(product_id)

    # --- events -----------------------------------------------------------------------

    @property
    def counting(self) -> bool:
        """Inventory: the quantity is what was counted, not what moves."""
        return self.operation.needs(Requirement.WAREHOUSE_AND_DIRECTION)

    def _choose(self, code: str) -> None:
        changed = code != self.operation.code
        self.operation = OPERATIONS[code]
        op = self.operation
        for button_code, button in self.buttons.items():
            if button_code == code:
                button.props(remove="outline").props("unelevated aria-pressed=true")
            else:
                button.props(remove="unelevated aria-pressed").props("outline")
        for requirement, row in self.requirement_rows.items():
            row.set_visibility(op.needs(requirement))
        needs_reason = op.needs(Requirement.REASON)
        self.notes.label = (
            tr("Причина (обязательно)", "Reason (required)")
            if needs_reason
            else tr("Комментарий", "Notes")
        )
        self.quantity.label = (
            tr("Посчитано, шт.", "Counted, pcs")
            if self.counting
            else tr("Количество, шт.", "Quantity, pcs")
        )
        self.route.set_text(self._route_text())
        self.submit_button.set_text(tr("Провести: ", "Post: ") + op.label(language()))
        if changed:
            # What was written for the previous operation is not this one's: a write-off's
            # «Трещина корпуса» must not ride along on a receipt, nor its «Проведено» stay.
            self.notes.value = ""
            self.result.set_visibility(False)
        self._form_changed()

    def _route_text(self) -> str:
        op = self.operation
        if op.from_location is not None and op.to_location is not None:
            return f"{location_name(op.from_location)} → {location_name(op.to_location)}"
        if self.counting:
            return tr(
                "Введите, сколько посчитали: разницу с остатком проведём излишком или недостачей",
                "Enter what you counted: the difference is posted as a surplus or a shortage",
            )
        return tr("Между местами хранения", "Between storage locations")

    def _form_changed(self) -> None:
        """Any edit makes the next submission a new one (a new idempotency key)."""
        self.key = None
        self.error.set_visibility(False)
        self._show_count()

    def _step(self, delta: int) -> None:
        current = whole_quantity(self.quantity.value)
        current = current if current is not None else 0
        self.quantity.value = str(max(0 if self.counting else 1, current + delta))

    def _show_count(self) -> None:
        """Inventory: the stock, the count and the difference that posting would book."""
        if not self.counting or self.product is None:
            self.count_panel.set_visibility(False)
            return
        warehouse = self.warehouse.value or GOOD_WAREHOUSE
        stock = int(self.product[STOCK_KEY[warehouse]])
        place = tr(WAREHOUSES[warehouse], WAREHOUSE_EN[warehouse])
        counted = whole_quantity(self.quantity.value)
        change = difference(stock, counted) if counted is not None else None
        if counted is None:
            shown, colour = "—", "text-grey-8"
        elif change is None:
            shown, colour = tr("0, расхождения нет", "0, no difference"), "text-grey-8"
        elif change[0] == "gain":
            shown, colour = (
                tr(f"+{number(change[1])} излишек", f"+{number(change[1])} surplus"),
                ("text-positive"),
            )
        else:
            shown, colour = (
                tr(f"−{number(change[1])} недостача", f"−{number(change[1])} shortage"),
                ("text-negative"),
            )
        figures = {
            "stock": (tr(f"На складе «{place}»", f"In “{place}”"), number(stock)),
            "counted": (tr("Посчитано", "Counted"), "—" if counted is None else number(counted)),
            "difference": (tr("Разница", "Difference"), shown),
        }
        for key, (caption_text, value_text) in figures.items():
            caption, value = self.count_labels[key]
            caption.set_text(caption_text)
            value.set_text(value_text)
        difference_label = self.count_labels["difference"][1]
        difference_label.classes(remove="text-grey-8 text-positive text-negative").classes(colour)
        self.count_panel.set_visibility(True)

    def _pending_count(self) -> int | None:
        """The unposted count of the shown product worth keeping: more than its first scan
        (one scan is redone by one scan), or anything typed over it."""
        if self.product is None or self.just_posted:
            return None
        text = str(self.quantity.value or "").strip()
        if text in ("", "1"):
            return None
        return whole_quantity(text) or 0

    async def _scan(self, _user: Identity, e: events.GenericEventArguments) -> None:
        code = e.args if isinstance(e.args, str) else (self.scan.value or "")
        code = code.strip()
        self.scan.value = code
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
            self.scan.run_method("select")  # the next scan replaces the text
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
            if self.held is None:
                self.scan.value = ""
            elif self.product is not None:
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
        # Imported here: the products page is a sibling module, loaded on first use.
        from ui.pages.catalog.products import product_dialog

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

    def _submit_from_enter(self) -> None:
        self.submit_button.run_method("click")

    def _request(self, quantity: int) -> MovementRequest:
        """The fields this operation uses; fields it does not use are left out."""
        op = self.operation
        moves = op.needs(Requirement.LOCATIONS)
        return MovementRequest(
            operation_type=op.code,
            quantity=quantity,
            product_id=self.product["id"] if self.product else None,
            source_id=self.source.value if op.needs(Requirement.SOURCE) else None,
            distribution_center_id=(
                self.distribution_center.value
                if op.needs(Requirement.DISTRIBUTION_CENTER)
                else None
            ),
            notes=self.notes.value or None,
            from_location_id=self.from_location.value if moves else None,
            to_location_id=self.to_location.value if moves else None,
            idempotency_key=self.key,
        )

    def _count_request(self, counted: int) -> CountRequest:
        assert self.product is not None
        warehouse = self.warehouse.value or GOOD_WAREHOUSE
        return CountRequest(
            product_id=self.product["id"],
            warehouse=warehouse,
            counted=counted,
            notes=self.notes.value or None,
            idempotency_key=self.key,
            expected=int(self.product[STOCK_KEY[warehouse]]),
        )

    def _post(self, quantity: int, user_id: int) -> Posted | Counted:
        """Runs in a worker thread: a write can wait for the database's lock."""
        if self.counting and self.product is not None:
            return post_count(self.ctx.db.unit_of_work, self._count_request(quantity),
                              user_id=user_id)  # fmt: skip
        return post_movement(self.ctx.db.unit_of_work(), self._request(quantity), user_id=user_id)

    async def _submit(self, user: Identity, *_: Any) -> None:
        if self.posting:
            return  # a second click while the first is being booked
        quantity = whole_quantity(str(self.quantity.value or ""))
        if quantity is None:
            self.quantity.validate()
            # Said under the field and beside the form; no toast that outlives the fix.
            self._fail(quantity_problem(self.quantity.value) or "", toast=False)
            self.quantity.run_method("focus")
            return  # nothing is posted: «2,5» is not a number of pieces
        self.key = self.key or f"ui-{uuid4().hex}"
        self.posting = True
        self.submit_button.props("loading").disable()
        self.error.set_visibility(False)
        self.result.set_visibility(False)
        try:
            answer = await run.io_bound(self._post, quantity, user.id)
        except DomainError as error:
            self._fail(error.message)
            if error.code == "stock_changed" and self.product is not None:
                await self._refresh_stock()  # the count is now compared with the stock as it is
            return
        except Exception as error:  # the database's failure, said on the page
            text = failure_text(error, "posting a movement", *POST_FAILED)
            if text is None:
                raise
            self._fail(text)  # the key is kept: a retry cannot book twice
            return
        finally:
            self.posting = False
            self.submit_button.props(remove="loading").enable()
        if answer is None:
            return  # the app is stopping
        if isinstance(answer, Counted) and answer.posted is None:
            self._nothing_to_count(answer)
            return
        if isinstance(answer, Counted):
            assert answer.posted is not None
            self._succeeded(answer.posted, answer)
        else:
            self._succeeded(answer)

    def _fail(self, message: str, *, toast: bool = True) -> None:
        self.result.set_visibility(False)  # an earlier «Проведено» is not this answer
        self.error.set_text(message)
        self.error.set_visibility(True)
        if toast:
            ui.notify(message, type="negative", position="top", multi_line=True)

    async def _refresh_stock(self) -> None:
        if self.product is not None:
            shown = self.product
            row = await run.io_bound(self._with_stock, shown)  # off the event loop
            if row is not None and self.product is not None and self.product["id"] == row["id"]:
                self.product = row
                self._show_stock(row)
                self._show_count()

    def _nothing_to_count(self, counted: Counted) -> None:
        self.key = None
        text = tr(
            f"Посчитано столько же, сколько на складе: {number(counted.counted)} шт. "
            "Расхождения нет — ничего не проведено.",
            f"The count equals the stock: {number(counted.counted)} pcs. "
            "No difference — nothing was posted.",
        )
        self.result.set_text(text)
        self.result.set_visibility(True)
        self._after_post()

    def _succeeded(self, posted: Posted, counted: Counted | None = None) -> None:
        movement = posted.movement
        self.key = None
        op = OPERATIONS[movement.operation_type]
        text = tr(
            f"Проведено: {op.label_ru} №{movement.id}, {number(movement.quantity)} шт.",
            f"Posted: {op.label_en} #{movement.id}, {number(movement.quantity)} pcs",
        )
        if counted is not None and not posted.replayed:
            gained = counted.counted > counted.stock
            text += tr(
                f" — {'излишек' if gained else 'недостача'}: было {number(counted.stock)}, "
                f"посчитано {number(counted.counted)}",
                f" — {'surplus' if gained else 'shortage'}: was {number(counted.stock)}, "
                f"counted {number(counted.counted)}",
            )
        if posted.replayed:
            text = tr(
                f"Уже проведено ранее: {op.label_ru} №{movement.id}",
                f"Already posted: {op.label_en} #{movement.id}",
            )
        if self.product is not None and self.product["id"] == movement.product_id:
            self.product = self._with_stock(self.product)
            self._show_stock(self.product)
        self.result.set_text(text)
        self.result.set_visibility(True)
        show_done(text)
        self._after_post()

    def _after_post(self) -> None:
        """Ready for the next count: quantity 1, no comment, the held scan shown."""
        self.just_posted = True
        self.repeat_hint.set_visibility(False)
        self.quantity.value = "1"
        self.notes.value = ""  # a reason is the posted movement's, not the next one's
        self.key = None  # the resets above count as edits too; stays new
        held, self.held = self.held, None
        self.feedback.done()
        if held is not None:
            self._set_product(self._with_stock(held), repeat_adds=False)
            self.result.set_visibility(True)  # the confirmation of what was just posted
        self._show_count()
        self.scan.run_method("focus")
        self.scan.run_method("select")


def register(ctx: AppContext) -> None:
    @protected_page(ctx, PATH, ACTION)
    def operations_page(
        user: Identity, operation_type: str | None = None, product_id: str | None = None
    ) -> None:
        """`?operation_type=SHIPMENT_RC&product_id=5` preselect (links from other pages)."""
        operation = operation_type if operation_type in MANUAL_OPERATIONS else DEFAULT_OPERATION
        product = int(product_id) if product_id and product_id.isdigit() else None
        with frame(user, tr("Операции", "Operations"), PATH):
            OperationsForm(ctx, user, operation, product)
