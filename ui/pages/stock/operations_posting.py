"""The operations form's posting: the request from the fields, posting it (a movement, or
a count that core.stock.inventory turns into one) off the event loop, and the answer. The
form supplies `counting`, `_show_count` and `_form_changed`."""

from typing import Any
from uuid import uuid4

from nicegui import run, ui

from core.errors import DomainError
from core.stock.inventory import Counted, CountRequest, post_count
from core.stock.movements import post_movement
from core.stock.operations import OPERATIONS, Requirement
from core.stock.requests import MovementRequest, Posted
from core.stock.rules import GOOD_WAREHOUSE
from core.users.auth import Identity
from core.users.policy import Action
from data.stickers.queries import products_as_lines
from ui.components.feedback import show_done
from ui.components.stickers import product_stickers_dialog
from ui.failures import failure_text
from ui.i18n import number, tr
from ui.pages.stock.operations_input import STOCK_KEY, quantity_problem, whole_quantity
from ui.pages.stock.operations_product import OperationsProduct

# What a database failure interrupted and what to do then (ui.failures says the reason).
POST_FAILED = (
    ("Не удалось провести операцию", "Could not post"),
    (
        "Повторите — повторное нажатие не проведёт операцию дважды.",
        "Try again — a retry will not post it twice.",
    ),
)


class OperationsPosting(OperationsProduct):
    """Posting the form; one idempotency key per submission (see the form)."""

    key: str | None
    posting: bool
    received: dict[int, int]  # product id → pieces received on this page (the supply)

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
        if movement.operation_type == "RECEIPT" and not posted.replayed:
            self.received[movement.product_id] = (
                self.received.get(movement.product_id, 0) + movement.quantity
            )
            self._show_stickers_button()
        self.result.set_text(text)
        self.result.set_visibility(True)
        show_done(text)
        self._after_post()

    def _show_stickers_button(self) -> None:
        count = len(self.received)
        self.stickers_button.set_text(
            tr(
                f"Печать стикеров: товаров {number(count)}",
                f"Print stickers: {number(count)} products",
            )
        )
        self.stickers_row.set_visibility(bool(count))

    async def _print_stickers(self, _user: Identity, *_: Any) -> None:
        lines = await run.io_bound(products_as_lines, self.ctx.db.engine, dict(self.received))
        if lines is not None:
            title = tr("Стикеры на принятый товар", "Stickers for the received goods")
            product_stickers_dialog(
                self.ctx, Action.POST_MOVEMENTS, title, lines, "receipt-stickers"
            )

    def _new_supply(self, _user: Identity, *_: Any) -> None:
        """The next receipts are another supply: the sticker list starts empty."""
        self.received.clear()
        self._show_stickers_button()

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
        self.scan.run_method("focus")  # not select: a scan being typed would be replaced
