"""Returns of shipped orders on the tablet (/returns; issue 15, core.orders.returns).

A parcel comes back: scan its tracking number or the order's number → the order opens
with what it shipped and what already came back → scan each unit (barcode or GTIN) → tap
«Годный» (RETURN_PICKUP to the receiving place, then putaway on /putaway) or «Брак» and a
reason (RETURN_DEFECT). A scan of the wrong thing — no such parcel, a product not in the
order, one unit too many — is refused at once with a red flash and a buzz (ui.components.
feedback), and nothing is booked. Scanner first: the field has the focus and a key typed
anywhere else goes to it. A parcel that matches no order is booked by a manager on
/operations against its source, as before.
"""

import uuid
from typing import Any

from nicegui import run, ui

from core.errors import DomainError
from core.marking.codes import looks_like_marking, parse_code
from core.orders.ports import Order
from core.orders.return_ports import ReturnedUnits
from core.orders.returns import (
    DEFECT_REASONS,
    Condition,
    ReturnRequest,
    book_return,
    find_shipped,
    gtin_forms,
    returnable,
)
from core.users.auth import Identity
from core.users.policy import Action, can
from data.catalog.queries import product_by_code
from data.orders.returns import order_returns
from ui.components.feedback import ScanFeedback
from ui.components.order_returns import returns_table
from ui.components.scan_field import ScanField
from ui.context import AppContext
from ui.formatting import quantity
from ui.i18n import tr
from ui.layout import frame
from ui.session import guarded, protected_page

PATH = "/returns"
ACTION = Action.RETURN_ORDERS
BIG_BUTTON = "unelevated size=xl"
TITLE_STYLE = "font-size: clamp(1.75rem, 5vw, 2.75rem)"


def register(ctx: AppContext) -> None:
    @protected_page(ctx, PATH, ACTION)
    def returns_page(user: Identity) -> None:
        with frame(user, tr("Возвраты", "Returns"), PATH):
            Returns(ctx, user).build()


class Returns:
    def __init__(self, ctx: AppContext, user: Identity) -> None:
        self.ctx = ctx
        self.user = user
        self.order: Order | None = None
        self.returns: list[ReturnedUnits] = []
        self.product: Any = None  # the scanned unit awaiting its inspection
        self.key = ""  # one per inspected unit: a repeated tap books once
        self.marking: str | None = None  # the unit's DataMatrix (a marked product)

    def build(self) -> None:
        self.feedback = ScanFeedback(self.user)
        self.feedback.banner.classes("max-w-3xl")
        with ui.column().classes("w-full max-w-3xl gap-3").mark("returns"):
            self.instruction = ui.label().classes("text-h5").mark("ret-instruction")
            # The shared scan field: a fast scanner's next code is never lost (ScanField).
            self.scan = (
                ScanField(tr("Сканируйте", "Scan"), guarded(self.ctx, ACTION, self._scanned))
                .classes("w-full")
                .mark("ret-scan")
            )
            self.inspect = ui.column().classes("w-full gap-3").mark("ret-inspect")
            self.choices = ui.column().classes("w-full gap-2").mark("ret-choices")
            self.panel = ui.column().classes("w-full gap-2").mark("ret-order")
            self.restart = ui.button(
                tr("Другая посылка", "Another parcel"), icon="replay",
                on_click=lambda: self._ask_parcel(),
            ).props("flat size=lg").mark("ret-restart")  # fmt: skip
            self.hint = ui.label().classes("text-body1 text-grey-8").mark("ret-hint")
        self._ask_parcel()

    # --- the steps -----------------------------------------------------------------------

    def _ask_parcel(self) -> None:
        self.order, self.returns, self.product, self.key = None, [], None, ""
        for part in (self.inspect, self.choices, self.panel):
            part.clear()
            part.set_visibility(False)
        self.restart.set_visibility(False)
        self.instruction.set_text(
            tr("Отсканируйте трек-номер посылки или номер заказа",
               "Scan the parcel's tracking number or the order number")
        )  # fmt: skip
        office = can(self.user.role, Action.POST_MOVEMENTS)
        self.hint.set_text(
            tr("Посылку без заказа оформите возвратом на странице «Операции».",
               "A parcel with no order: book it as a return on the Operations page.")
            if office
            else tr("Посылку без заказа оформляет менеджер.",
                    "A parcel with no order is booked by a manager.")
        )  # fmt: skip
        self._scan_field(tr("Трек-номер или номер заказа", "Tracking or order number"))

    def _open(self, order: Order, returns: list[ReturnedUnits]) -> None:
        self.order, self.returns, self.product = order, returns, None
        self.choices.set_visibility(False)
        self.inspect.set_visibility(False)
        self.restart.set_visibility(True)
        self.hint.set_text(
            tr("Годный товар попадает в зону приёмки — разместите его на «Размещении».",
               "Good units land in the receiving zone: put them away on Putaway.")
        )  # fmt: skip
        self._ask_unit()

    def _ask_unit(self) -> None:
        self.product, self.key = None, ""
        self.inspect.set_visibility(False)
        self._draw_order()
        left = sum(r.left for r in self._counts().values())
        self.instruction.set_text(
            tr("Отсканируйте товар из посылки", "Scan a unit from the parcel")
            if left
            else tr("Всё отгруженное по заказу уже вернулось", "Everything shipped is back")
        )  # fmt: skip
        self._scan_field(tr("Штрихкод или GTIN товара", "Product barcode or GTIN"))

    def _ask_condition(self) -> None:
        product = self.product
        self.instruction.set_text(tr("Осмотрите товар", "Inspect the unit"))
        self.inspect.clear()
        self.inspect.set_visibility(True)
        with self.inspect:
            ui.label(f"{product['name']} · {product['sku']}").classes(
                "text-weight-bold leading-tight"
            ).style(TITLE_STYLE).mark("ret-product")
            with ui.row().classes("w-full gap-3 no-wrap"):
                ui.button(
                    tr("Годный", "Good"), icon="check_circle", color="positive",
                    on_click=guarded(self.ctx, ACTION, self._good),
                ).props(BIG_BUTTON).classes("grow min-h-24 text-h5").mark("ret-good")  # fmt: skip
                ui.button(
                    tr("Брак", "Defect"), icon="report", color="negative",
                    on_click=lambda: self._ask_reason(),
                ).props(BIG_BUTTON).classes("grow min-h-24 text-h5").mark("ret-defect")  # fmt: skip
            ui.button(tr("Не принимать", "Do not take"), icon="close",
                      on_click=lambda: self._ask_unit()).props("flat size=lg").mark(
                "ret-skip")  # fmt: skip
        self.scan.set_visibility(False)

    def _ask_reason(self) -> None:
        self.instruction.set_text(tr("Причина брака", "Why is it defective"))
        self.inspect.clear()
        with self.inspect:
            with ui.grid().classes("w-full gap-3 grid-cols-1 sm:grid-cols-2"):
                for reason in DEFECT_REASONS:
                    ui.button(
                        reason, on_click=guarded(self.ctx, ACTION, self._defect(reason)),
                    ).props("unelevated size=lg color=negative").classes(
                        "min-h-16 text-h6").mark("ret-reason")  # fmt: skip
            ui.button(tr("Назад", "Back"), icon="arrow_back",
                      on_click=lambda: self._ask_condition()).props("flat size=lg").mark(
                "ret-back")  # fmt: skip

    def _choose(self, orders: list[Order]) -> None:
        self.choices.clear()
        self.choices.set_visibility(True)
        self.instruction.set_text(tr("Выберите заказ", "Choose the order"))
        with self.choices:
            for o in orders:
                names = (o.external_id, o.source_name, o.tracking_number)
                label = " · ".join(x for x in names if x)
                button = ui.button(label, on_click=guarded(self.ctx, ACTION, self._picked(o)))
                button.props("outline size=lg").classes("w-full min-h-16").mark("ret-choice")

    def _scan_field(self, label: str) -> None:
        self.scan.set_visibility(True)
        self.scan.ask(label)

    # --- what the page shows -------------------------------------------------------------

    def _counts(self) -> dict[int, Any]:
        assert self.order is not None
        return returnable(self.order.lines, self.returns)

    def _draw_order(self) -> None:
        o = self.order
        assert o is not None
        counts = self._counts()
        self.panel.clear()
        self.panel.set_visibility(True)
        with self.panel:
            with ui.row().classes("w-full items-baseline gap-x-4 gap-y-0"):
                ui.label(tr(f"Заказ {o.external_id}", f"Order {o.external_id}")).classes(
                    "text-h5 text-weight-bold").mark("ret-order-number")  # fmt: skip
                ui.label(" · ".join(x for x in (o.source_name, o.tracking_number) if x)).classes(
                    "text-body1 text-grey-8")  # fmt: skip
                if can(self.user.role, Action.MANAGE_ORDERS):
                    ui.link(tr("Карточка заказа", "Order card"), f"/orders/{o.id}")
            seen: set[int] = set()
            for line in o.lines:
                if line.product_id in seen:
                    continue
                seen.add(line.product_id)
                c = counts[line.product_id]
                done = c.left == 0
                with ui.row().classes("w-full items-center no-wrap gap-3 q-py-xs").mark(
                    "ret-line"):  # fmt: skip
                    ui.icon("task_alt" if done else "radio_button_unchecked", size="md",
                            color="positive" if done else "grey-6")  # fmt: skip
                    ui.label(f"{line.product_name} · {line.sku}").classes(
                        "grow min-w-0 text-h6 leading-tight ellipsis")  # fmt: skip
                    ui.label(
                        tr(f"вернули {quantity(c.returned)} из {quantity(c.shipped)}",
                           f"{quantity(c.returned)} of {quantity(c.shipped)} back")
                    ).classes("text-h6 text-weight-medium whitespace-nowrap shrink-0").mark(
                        "ret-line-count")  # fmt: skip
            returns_table(self.returns, self.ctx.settings.time_zone)

    # --- scans ---------------------------------------------------------------------------

    async def _scanned(self, _user: Identity, code: str) -> None:
        if not self.scan.visible:
            return
        if self.order is None:
            await self._parcel_scanned(code)
        else:
            await self._unit_scanned(code)

    async def _parcel_scanned(self, code: str) -> None:
        try:
            found = await run.io_bound(find_shipped, self.ctx.db.unit_of_work(), code)
        except DomainError as refusal:
            self.feedback.error(refusal.message)
            return
        if not found:
            self.feedback.error(
                tr(f"Отгруженный заказ с трек-номером или номером «{code}» не найден",
                   f"No shipped order with tracking or order number “{code}”")
            )  # fmt: skip
            return
        if len(found) > 1:
            self.feedback.warn(tr(f"Под «{code}» несколько заказов: выберите",
                                  f"Several orders match “{code}”: choose one"))  # fmt: skip
            self._choose(found)
            return
        await self._load(found[0])

    def _picked(self, order: Order) -> Any:
        async def pick(_user: Identity, *_: Any) -> None:
            await self._load(order)

        return pick

    async def _load(self, order: Order) -> None:
        back = await run.io_bound(order_returns, self.ctx.db.engine, order.id)
        self.feedback.done()
        self._open(order, list(back or []))

    async def _unit_scanned(self, code: str) -> None:
        o = self.order
        assert o is not None
        self.marking = None
        lookups = [code]
        if looks_like_marking(code):  # a marked unit comes back by its DataMatrix
            try:
                read = parse_code(code)
            except DomainError as refusal:
                self.feedback.error(refusal.message)
                return
            self.marking, lookups = read.code, gtin_forms(read.gtin)
        product = None
        for lookup in lookups:
            product = product or await run.io_bound(product_by_code, self.ctx.db.engine, lookup)
        if product is None:
            self.feedback.not_found(code)
            return
        counts = self._counts().get(product["id"])
        if counts is None:
            self.feedback.error(
                tr(f"«{product['name']}» нет в заказе {o.external_id}",
                   f"“{product['name']}” is not in order {o.external_id}")
            )  # fmt: skip
            return
        if counts.left <= 0:
            self.feedback.error(
                tr(f"«{product['name']}»: все отгруженные {quantity(counts.shipped)} шт. "
                   "уже вернулись",
                   f"“{product['name']}”: all {quantity(counts.shipped)} shipped units "
                   "are back already")
            )  # fmt: skip
            return
        self.product, self.key = product, uuid.uuid4().hex
        self.feedback.done()
        self._ask_condition()

    # --- the booking ---------------------------------------------------------------------

    async def _good(self, user: Identity, *_: Any) -> None:
        await self._book(user, Condition.GOOD, None)

    def _defect(self, reason: str) -> Any:
        async def book(user: Identity, *_: Any) -> None:
            await self._book(user, Condition.DEFECT, reason)

        return book

    async def _book(self, user: Identity, condition: Condition, reason: str | None) -> None:
        o, product = self.order, self.product
        if o is None or product is None:
            return
        # A marked unit by its code (it is taken back, core.orders.returns), else by product.
        named = {"barcode": self.marking} if self.marking else {"product_id": product["id"]}
        request = ReturnRequest(condition, 1, reason=reason, **named)
        try:
            done = await run.io_bound(book_return, self.ctx.db.unit_of_work(), o.id, request,
                                      user.id, idempotency_key=self.key)  # fmt: skip
        except DomainError as refusal:
            self.feedback.error(refusal.message)
            self._ask_unit()
            return
        if done is None:  # the app is stopping
            return
        self.order, self.returns = done.order, list(done.returns)
        where = (
            tr("в зону приёмки — разместите его", "to receiving: put it away")
            if condition == Condition.GOOD
            else tr(f"в брак ({reason})", f"to defect ({reason})")
        )
        self.feedback.done(tr(f"Принят «{product['name']}»: {where}",
                              f"Took “{product['name']}”: {where}"))  # fmt: skip
        self._ask_unit()
