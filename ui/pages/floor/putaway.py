"""Putaway on the tablet (/putaway): received stock waits at MAIN until a worker takes it
to a bin.

Scan the product → the page shows how many units wait and the bin to take them to in big
letters (core.floor.putaway.suggest) → scan that bin, or another active bin → confirm or
type the quantity → one TRANSFER MAIN → bin (core.floor.putaway.put_away). A scan of the
wrong thing (an unknown barcode, a place that is no active bin, the product again where a
bin is asked for) is refused at once with a red flash and a buzz (ui.components.feedback),
and nothing moves. Scanner first, as on the mission page: the field has the focus and a
key typed anywhere else goes to it.
"""

import uuid
from typing import Any

from nicegui import run, ui

from core.errors import DomainError
from core.floor.ports import Place
from core.floor.putaway import PutawayRequest, Suggestion, Why, check_bin, put_away, suggest
from core.users.auth import Identity
from core.users.policy import Action
from data.catalog.queries import product_by_code
from data.floor.putaway import SqlPutawayStore, waiting_for_putaway
from ui.components.feedback import ScanFeedback
from ui.components.scan_field import ScanField
from ui.context import AppContext
from ui.formatting import plural, quantity
from ui.i18n import tr
from ui.layout import frame
from ui.session import guarded, protected_page

PATH = "/putaway"
ACTION = Action.PUT_AWAY
BIG_BUTTON = "unelevated size=xl"
QUEUE_SHOWN = 5  # the longest waiting products listed under the scan field
PLACE_STYLE = "font-size: clamp(3rem, 11vw, 6rem); letter-spacing: .04em"


def register(ctx: AppContext) -> None:
    @protected_page(ctx, PATH, ACTION)
    def putaway_page(user: Identity) -> None:
        with frame(user, tr("Размещение", "Putaway"), PATH):
            Putaway(ctx, user).build()


class Putaway:
    def __init__(self, ctx: AppContext, user: Identity) -> None:
        self.ctx = ctx
        self.user = user
        self.store = SqlPutawayStore(ctx.db.engine)
        self.product: dict[str, Any] | None = None
        self.suggestion: Suggestion | None = None
        self.target: Place | None = None
        self.key = ""  # one per confirmation: a repeated tap moves once

    def build(self) -> None:
        self.feedback = ScanFeedback(self.user)
        self.feedback.banner.classes("max-w-3xl")
        with ui.column().classes("w-full max-w-3xl gap-3").mark("putaway"):
            self.product_label = ui.label().classes("text-h6 leading-tight").mark("pa-product")
            self.waiting = ui.label().classes("text-h5 text-weight-medium").mark("pa-waiting")
            self.instruction = ui.label().classes("text-h5").mark("pa-instruction")
            self.place = (
                ui.label().classes("text-weight-bold leading-none").style(PLACE_STYLE)
                .mark("pa-place")
            )  # fmt: skip
            self.hint = ui.label().classes("text-body1 text-grey-8").mark("pa-hint")
            self.scan = (
                ScanField(
                    tr("Сканируйте товар", "Scan the product"),
                    guarded(self.ctx, ACTION, self._scanned),
                )
                .classes("w-full")
                .mark("pa-scan")
            )
            with ui.row().classes("w-full items-center gap-3 no-wrap") as self.quantity_row:
                self.quantity = (
                    ui.number(tr("Количество, шт.", "Quantity, units"), min=1, step=1, precision=0)
                    .props("outlined input-class=text-h5")
                    .classes("grow")
                    .mark("pa-quantity")
                )
                self.quantity.on("keydown.enter", guarded(self.ctx, ACTION, self._confirm))
                ui.button(
                    tr("Разместить", "Put away"), icon="check",
                    on_click=guarded(self.ctx, ACTION, self._confirm),
                ).props(BIG_BUTTON).classes("min-h-16 min-w-48").mark("pa-confirm")  # fmt: skip
            self.restart = ui.button(
                tr("Другой товар", "Another product"), icon="replay",
                on_click=lambda: self._ask_product(),
            ).props("flat size=lg").mark("pa-restart")  # fmt: skip
            # What waits, so the worker knows what to bring from the receiving zone.
            self.queue = ui.column().classes("w-full gap-1").mark("pa-queue")
        self._ask_product()

    # --- the steps -----------------------------------------------------------------------

    def _ask_product(self) -> None:
        self.product, self.suggestion, self.target, self.key = None, None, None, ""
        for label in (self.product_label, self.waiting):
            label.set_text("")
            label.set_visibility(False)
        self.restart.set_visibility(False)
        self._show_queue()
        self.instruction.set_text(tr("Отсканируйте товар", "Scan the product"))
        self.place.set_text("")
        self.place.set_visibility(False)
        self.hint.set_text(
            tr("Товар из зоны приёмки (MAIN), который нужно разложить по ячейкам.",
               "Goods from the receiving zone (MAIN) to be put into bins.")
        )  # fmt: skip
        self._scan_field(tr("Сканируйте товар", "Scan the product"))

    def _ask_bin(self) -> None:
        found, product = self.suggestion, self.product
        assert found is not None and product is not None
        self.queue.set_visibility(False)
        self.restart.set_visibility(True)
        for label in (self.product_label, self.waiting):
            label.set_visibility(True)
        self.product_label.set_text(f"{product['name']} · {product['sku']} · {product['barcode']}")
        self.waiting.set_text(
            tr(f"Ждёт размещения: {quantity(found.waiting)} шт.",
               f"Awaiting putaway: {quantity(found.waiting)} units")
        )  # fmt: skip
        self.place.set_visibility(True)
        if found.bin is None:
            self.instruction.set_text(tr("Свободных ячеек нет", "No free bin"))
            self.place.set_text("—")
            self.hint.set_text(tr("Отсканируйте любую активную ячейку.", "Scan any active bin."))
        else:
            self.instruction.set_text(tr("Отнесите в ячейку", "Take it to the bin"))
            self.place.set_text(found.bin.code)
            why = (
                tr("Этот товар уже лежит здесь.", "This product already lies here.")
                if found.why == Why.HOLDS
                else tr("Первая пустая ячейка по маршруту.", "The first empty bin on the route.")
            )
            self.hint.set_text(
                why + " " + tr("Отсканируйте ячейку (можно другую).", "Scan the bin (or another).")
            )
        self._scan_field(tr("Сканируйте ячейку", "Scan the bin"))

    def _ask_quantity(self) -> None:
        assert self.suggestion is not None and self.target is not None
        self.instruction.set_text(tr("Сколько положили в", "How many did you put into"))
        self.place.set_text(self.target.code)
        self.hint.set_text(
            tr("Всё, что ждёт, — просто Enter; меньше — введите число.",
               "All that waits: just Enter; fewer: type the number.")
        )  # fmt: skip
        self.scan.set_visibility(False)
        self.quantity_row.set_visibility(True)
        self.quantity.set_value(self.suggestion.waiting)
        self.key = self.key or uuid.uuid4().hex
        self.quantity.run_method("focus")
        self.quantity.run_method("select")

    def _show_queue(self) -> None:
        page = waiting_for_putaway(self.ctx.db.engine, limit=QUEUE_SHOWN)
        self.queue.clear()
        self.queue.set_visibility(True)
        with self.queue:
            if not page.total:
                ui.label(tr("Всё размещено: в зоне приёмки ничего не ждёт.",
                            "Everything is put away.")).classes("text-h6 text-grey-7")  # fmt: skip
                return
            ui.label(
                tr(f"Ждут размещения: {quantity(page.total)} "
                   f"{plural(page.total, 'товар', 'товара', 'товаров')}, "
                   f"{quantity(page.units)} шт.",
                   f"Awaiting putaway: {quantity(page.total)} products, "
                   f"{quantity(page.units)} units")
            ).classes("text-subtitle1 text-weight-medium q-mt-md")  # fmt: skip
            for item in page.items:
                with ui.row().classes("w-full items-baseline no-wrap gap-3"):
                    ui.label(f"{item.name} · {item.sku}").classes("grow text-body1 ellipsis")
                    ui.label(f"{quantity(item.units)} {tr('шт.', 'units')}").classes(
                        "text-body1 text-weight-medium"
                    )
            if page.total > len(page.items):
                more = page.total - len(page.items)
                ui.label(tr(f"и ещё {quantity(more)}", f"and {quantity(more)} more")).classes(
                    "text-body2 text-grey-7"
                )

    def _scan_field(self, label: str) -> None:
        self.quantity_row.set_visibility(False)
        self.scan.set_visibility(True)
        self.scan.props(f'label="{label}"')
        self.scan.run_method("focus")

    # --- scans ---------------------------------------------------------------------------

    async def _scanned(self, _user: Identity, code: str) -> None:
        if self.quantity_row.visible:
            return
        if self.product is None:
            await self._product_scanned(code)
        else:
            await self._bin_scanned(code)

    async def _product_scanned(self, code: str) -> None:
        product = await run.io_bound(product_by_code, self.ctx.db.engine, code)
        if product is None:
            self.feedback.not_found(code)
            return
        found = await run.io_bound(suggest, self.store, product["id"])
        if found is None:  # the app is stopping
            return
        if found.waiting <= 0:
            self.feedback.error(
                tr(f"«{product['name']}»: в зоне приёмки нечего размещать",
                   f"“{product['name']}”: nothing awaits putaway")
            )  # fmt: skip
            return
        self.product, self.suggestion = product, found
        self.feedback.done()
        self._ask_bin()

    async def _bin_scanned(self, code: str) -> None:
        product = self.product
        assert product is not None
        if code in {product["barcode"], product.get("gtin")}:
            where = self.suggestion.bin.code if self.suggestion and self.suggestion.bin else ""
            self.feedback.error(
                tr(f"Сначала отсканируйте ячейку {where}".strip(),
                   f"Scan the bin {where} first".replace("  ", " "))
            )  # fmt: skip
            return
        try:
            target = await run.io_bound(check_bin, self.store, code)
        except DomainError as refusal:
            self.feedback.error(refusal.message)
            return
        if target is None:
            return
        self.target = target
        self.feedback.done()
        self._ask_quantity()

    # --- the move ------------------------------------------------------------------------

    async def _confirm(self, user: Identity, *_: Any) -> None:
        product, target = self.product, self.target
        if product is None or target is None or not self.quantity_row.visible:
            return
        value = self.quantity.value
        amount = int(value) if isinstance(value, float) and value.is_integer() else value
        request = PutawayRequest(product["id"], target.code, amount, self.key)
        try:
            posted = await run.io_bound(
                put_away, self.ctx.db.unit_of_work, self.store, request, user_id=user.id
            )
        except DomainError as refusal:
            self.feedback.error(refusal.message)
            return
        if posted is None:
            return
        moved = posted.movement.quantity
        left = (self.suggestion.waiting if self.suggestion else moved) - moved
        rest = (
            tr(f" Ждёт ещё {quantity(left)} шт.", f" {quantity(left)} more await.")
            if left > 0
            else ""
        )
        self.feedback.done(
            tr(f"Размещено {quantity(moved)} шт. в {target.code}.",
               f"Put {quantity(moved)} units into {target.code}.") + (rest if left > 0 else "")
        )  # fmt: skip
        self._ask_product()
