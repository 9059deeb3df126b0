"""Cycle count of a bin on the tablet (/count).

Scan the bin → the page lists the products the bin holds per the system, without their
quantities: a blind count, so the worker counts what is there instead of confirming a
figure they were shown (the usual source of «it matched» counts that did not). Scan each
unit (each scan +1) or type the number; a product the bin is not known to hold joins the
list when scanned. Submit → each line is booked at the bin (core.floor.counts): green
booked, grey matched; a position that changed since the count began comes back orange
with the system's new figure for a recount — never overwritten; a refusal stays red.
An unknown barcode is refused at once with a red flash and a buzz.
"""

import uuid
from dataclasses import dataclass
from typing import Any

from nicegui import run, ui

from core.errors import DomainError
from core.floor.counts import CountLine, LineResult, Outcome, check_count_bin, submit_count
from core.floor.locations import typed_code
from core.floor.ports import Place
from core.users.auth import Identity
from core.users.policy import Action
from data.catalog.queries import product_by_code
from data.floor.counts import bin_positions
from data.floor.putaway import SqlPutawayStore
from ui.components.feedback import ScanFeedback
from ui.components.scan_field import ScanField
from ui.context import AppContext
from ui.formatting import quantity
from ui.i18n import tr
from ui.layout import frame
from ui.session import guarded, protected_page

PATH = "/count"
ACTION = Action.COUNT_BINS
PLACE_STYLE = "font-size: clamp(2.5rem, 9vw, 5rem); letter-spacing: .04em"
ROW_CLASSES = {
    "open": "",
    "booked": "bg-green-1",
    "matched": "bg-grey-2",
    "recount": "bg-orange-2 wms-recount",
    "refused": "bg-red-1",
}


@dataclass
class Row:
    product_id: int
    sku: str
    name: str
    barcode: str
    gtin: str | None
    version: int  # the position's version the count names (0: the bin had none)
    listed: bool  # the system says the bin holds some
    seen: int  # the system's figure when the count began (never shown: a blind count)
    counted: int | None = None
    state: str = "open"  # open, booked, matched, recount, refused
    note: str = ""

    @property
    def pending(self) -> bool:
        return self.state in ("open", "recount", "refused")


def register(ctx: AppContext) -> None:
    @protected_page(ctx, PATH, ACTION)
    def count_page(user: Identity) -> None:
        with frame(user, tr("Пересчёт ячейки", "Bin count"), PATH):
            BinCount(ctx, user).build()


class BinCount:
    def __init__(self, ctx: AppContext, user: Identity) -> None:
        self.ctx = ctx
        self.user = user
        self.bin: Place | None = None
        self.rows: dict[int, Row] = {}
        # Every position's (version, quantity) when the count began, empty ones too.
        self.versions: dict[int, tuple[int, int]] = {}

    def build(self) -> None:
        self.feedback = ScanFeedback(self.user)
        self.feedback.banner.classes("max-w-3xl")
        with ui.column().classes("w-full max-w-3xl gap-3").mark("count"):
            self.instruction = ui.label().classes("text-h5").mark("count-instruction")
            self.place = (
                ui.label().classes("text-weight-bold leading-none").style(PLACE_STYLE)
                .mark("count-place")
            )  # fmt: skip
            self.hint = ui.label().classes("text-body1 text-grey-8").mark("count-hint")
            self.scan = (
                ScanField(
                    tr("Сканируйте ячейку", "Scan the bin"),
                    guarded(self.ctx, ACTION, self._scanned),
                )
                .classes("w-full")
                .mark("count-scan")
            )
            self.list = ui.column().classes("w-full gap-2").mark("count-rows")
            with ui.row().classes("w-full gap-3") as self.actions:
                self.submit = (
                    ui.button(tr("Провести пересчёт", "Book the count"), icon="task_alt",
                              on_click=guarded(self.ctx, ACTION, self._submit))
                    .props("unelevated size=xl").classes("grow min-h-16").mark("count-submit")
                )  # fmt: skip
                ui.button(
                    tr("Другая ячейка", "Another bin"), icon="replay",
                    on_click=lambda: self._ask_bin(),
                ).props("outline size=lg").classes("min-h-16").mark("count-restart")  # fmt: skip
        self._zero_dialog()
        self._ask_bin()

    # --- steps ---------------------------------------------------------------------------

    def _ask_bin(self) -> None:
        self.bin, self.rows, self.versions = None, {}, {}
        self.instruction.set_text(tr("Отсканируйте ячейку", "Scan the bin"))
        self.place.set_visibility(False)
        self.hint.set_text(tr("Этикетка ячейки на стеллаже.", "The bin's label on the rack."))
        self.actions.set_visibility(False)
        self.list.clear()
        self._focus(tr("Сканируйте ячейку", "Scan the bin"))

    def _counting(self) -> None:
        assert self.bin is not None
        self.instruction.set_text(tr("Пересчёт ячейки", "Counting bin"))
        self.place.set_text(self.bin.code)
        self.place.set_visibility(True)
        self.hint.set_text(
            tr("Сканируйте каждую единицу товара (+1) или введите число. Количество по "
               "системе не показывается: считайте то, что лежит.",
               "Scan every unit (+1) or type the number. The system's figure is not shown: "
               "count what is there.")
        )  # fmt: skip
        self.actions.set_visibility(True)
        self._show_rows()
        self._focus(tr("Сканируйте товар", "Scan the product"))

    def _focus(self, label: str) -> None:
        self.scan.ask(label)

    # --- the list ------------------------------------------------------------------------

    def _show_rows(self) -> None:
        self.list.clear()
        with self.list:
            if not self.rows:
                ui.label(
                    tr("По системе ячейка пуста. Сканируйте, что в ней лежит, или проведите "
                       "пустой пересчёт.",
                       "The system has this bin empty. Scan what lies there, or book it empty.")
                ).classes("text-h6 text-grey-7").mark("count-empty")  # fmt: skip
            for row in self.rows.values():
                self._row(row)

    def _row(self, row: Row) -> None:
        pid = row.product_id
        with (
            ui.card().classes(f"w-full q-pa-sm gap-1 {ROW_CLASSES[row.state]}")
            .props(f"bordered data-state={row.state}").mark(f"count-row-{pid}")
        ):  # fmt: skip
            with ui.row().classes("w-full items-center no-wrap gap-2"):
                with ui.column().classes("grow gap-0"):
                    ui.label(row.name).classes("text-h6 leading-tight")
                    extra = "" if row.listed else tr(" · не числится в ячейке", " · not listed")
                    ui.label(f"{row.sku} · {row.barcode}{extra}").classes("text-body2 text-grey-8")
                if row.pending:
                    ui.button(icon="remove", on_click=lambda r=row: self._step(r, -1)).props(
                        "outline round size=lg"
                    ).mark(f"count-minus-{pid}")
                    number = (
                        ui.number(value=row.counted, min=0, step=1, precision=0,
                                  placeholder=tr("шт.", "units"))
                        .props("outlined input-class='text-h5 text-center'")
                        .classes("w-28").mark(f"count-qty-{pid}")
                    )  # fmt: skip
                    number.on_value_change(lambda e, r=row: self._typed(r, e.value))
                    ui.button(icon="add", on_click=lambda r=row: self._step(r, 1)).props(
                        "unelevated round size=lg"
                    ).mark(f"count-plus-{pid}")
                else:
                    ui.label(f"{quantity(row.counted)} {tr('шт.', 'units')}").classes("text-h5")
            if row.note:
                ui.label(row.note).classes("text-body1 text-weight-medium").mark(
                    f"count-note-{pid}"
                )

    def _step(self, row: Row, by: int) -> None:
        row.counted = max(0, (row.counted or 0) + by)
        self._show_rows()
        self.scan.run_method("focus")

    def _typed(self, row: Row, value: Any) -> None:
        row.counted = int(value) if isinstance(value, int | float) and value >= 0 else None

    # --- scans ---------------------------------------------------------------------------

    async def _scanned(self, _user: Identity, code: str) -> None:
        if self.bin is None:
            await self._bin_scanned(code)
        else:
            await self._product_scanned(code)

    async def _bin_scanned(self, scanned: str) -> None:
        code = typed_code(scanned)
        place = await run.io_bound(SqlPutawayStore(self.ctx.db.engine).place_by_code, code)
        try:
            self.bin = check_count_bin(place, code)
        except DomainError as refusal:
            self.feedback.error(refusal.message)
            return
        positions = await run.io_bound(bin_positions, self.ctx.db.engine, self.bin.id) or []
        self.versions = {p.product_id: (p.version, p.quantity) for p in positions}
        self.rows = {
            p.product_id: Row(
                p.product_id, p.sku, p.name, p.barcode, p.gtin, p.version, True, p.quantity
            )
            for p in positions
            if p.quantity > 0
        }
        self.feedback.done()
        self._counting()

    async def _product_scanned(self, code: str) -> None:
        row = next((r for r in self.rows.values() if code in {r.barcode, r.gtin}), None)
        if row is None:
            product = await run.io_bound(product_by_code, self.ctx.db.engine, code)
            if product is None:
                await self._not_a_product(code)
                return
            pid = product["id"]
            version, seen = self.versions.get(pid, (0, 0))  # (0, 0): the bin had none
            row = self.rows[pid] = Row(
                pid, product["sku"], product["name"], product["barcode"], product["gtin"],
                version, False, seen,
            )  # fmt: skip
        if not row.pending:
            self.feedback.error(
                tr(f"«{row.name}» уже проведён. Для нового пересчёта отсканируйте ячейку заново",
                   f"“{row.name}” is booked already. Scan the bin again for a new count")
            )  # fmt: skip
            return
        self.feedback.done()
        self._step(row, 1)

    async def _not_a_product(self, code: str) -> None:
        """An unknown barcode; a bin's label gets its own answer (the worker moved on)."""
        store = SqlPutawayStore(self.ctx.db.engine)
        place = await run.io_bound(store.place_by_code, typed_code(code))
        if place is None or self.bin is None:
            self.feedback.not_found(code)
            return
        self.feedback.error(
            tr(f"«{place.code}» — это место, не товар. Сначала проведите пересчёт ячейки "
               f"{self.bin.code} (или «Другая ячейка»)",
               f"“{place.code}” is a place, not a product. Book the count of {self.bin.code} "
               "first (or “Another bin”)")
        )  # fmt: skip

    # --- submit --------------------------------------------------------------------------

    def _zero_dialog(self) -> None:
        with ui.dialog() as self.zero_dialog, ui.card().classes("w-[32rem] max-w-full gap-3"):
            self.zero_text = ui.label().classes("text-h6").mark("count-zero-text")
            with ui.row().classes("w-full justify-end gap-2"):
                ui.button(tr("Досчитать", "Keep counting"), on_click=self.zero_dialog.close).props(
                    "flat size=lg"
                )
                ui.button(
                    tr("Да, их нет", "Yes, none there"),
                    on_click=guarded(self.ctx, ACTION, self._submit_with_zeros),
                ).props("unelevated size=lg").mark("count-zero-confirm")

    async def _submit(self, user: Identity, *_: Any) -> None:
        pending = [r for r in self.rows.values() if r.pending]
        uncounted = [r for r in pending if r.counted is None]
        if self.bin is None or (self.rows and not pending):
            return
        if uncounted:
            names = ", ".join(r.name for r in uncounted[:3]) + ("…" if len(uncounted) > 3 else "")
            self.zero_text.set_text(
                tr(f"Не посчитано товаров: {len(uncounted)} ({names}). В ячейке их нет? "
                   "Они будут проведены как 0 шт.",
                   f"{len(uncounted)} products not counted ({names}). None there? They will "
                   "be booked as 0 units.")
            )  # fmt: skip
            self.zero_dialog.open()
            return
        await self._book(user, pending)

    async def _submit_with_zeros(self, user: Identity, *_: Any) -> None:
        self.zero_dialog.close()
        pending = [r for r in self.rows.values() if r.pending]
        for row in pending:
            row.counted = row.counted or 0
        await self._book(user, pending)

    async def _book(self, user: Identity, pending: list[Row]) -> None:
        assert self.bin is not None
        if not pending:  # an empty bin, nothing found in it: nothing to book
            self.feedback.done(tr(f"Ячейка {self.bin.code}: пусто, сходится",
                                  f"Bin {self.bin.code}: empty, as listed"))  # fmt: skip
            return
        lines = [CountLine(r.product_id, r.counted, r.version, r.seen) for r in pending]
        self.submit.disable()
        try:
            results = await run.io_bound(
                submit_count, self.ctx.db.unit_of_work, self.bin.id, lines, user_id=user.id,
                reason=f"Пересчёт ячейки {self.bin.code}", key=uuid.uuid4().hex,
            )  # fmt: skip
        except DomainError as refusal:
            self.feedback.error(refusal.message)
            return
        finally:
            self.submit.enable()
        if results is None:
            return
        for result in results:
            self._apply(self.rows[result.product_id], result)
        self._show_rows()
        self._tell([r.outcome for r in results])
        self.scan.run_method("focus")  # the recount goes on by scans

    def _apply(self, row: Row, result: LineResult) -> None:
        row.version, row.seen = result.version, result.stock
        if result.outcome == Outcome.BOOKED:
            assert result.counted is not None
            was, now = quantity(result.stock), quantity(result.counted)
            change = result.counted - result.stock
            row.state = "booked"
            row.note = tr(
                f"Проведено: было {was}, стало {now} ({change:+d})",
                f"Booked: was {was}, now {now} ({change:+d})",
            )
        elif result.outcome == Outcome.MATCHED:
            row.state, row.note = "matched", tr("Сходится", "Matches")
        elif result.outcome == Outcome.RECOUNT:
            row.state, row.counted = "recount", None
            row.note = tr(
                f"Остаток изменился, пока шёл пересчёт: в системе теперь {quantity(result.stock)} "
                "шт. Пересчитайте этот товар",
                f"The stock changed during the count: the system now has "
                f"{quantity(result.stock)}. Count this product again",
            )
        else:
            row.state, row.note = "refused", result.message

    def _tell(self, outcomes: list[Outcome]) -> None:
        assert self.bin is not None
        if Outcome.RECOUNT in outcomes:
            self.feedback.warn(
                tr("Часть позиций изменилась — пересчитайте оранжевые строки",
                   "Some positions changed — count the orange lines again")
            )  # fmt: skip
        elif Outcome.REFUSED in outcomes:
            self.feedback.error(tr("Часть строк не проведена — см. красные строки",
                                   "Some lines were refused — see the red lines"))  # fmt: skip
        else:
            self.feedback.done(tr(f"Пересчёт ячейки {self.bin.code} проведён",
                                  f"Bin {self.bin.code} count booked"))  # fmt: skip
            self.actions.set_visibility(False)
            self.hint.set_text(tr("Готово. Отсканируйте следующую ячейку.",
                                  "Done. Scan the next bin."))  # fmt: skip
            self._focus(tr("Сканируйте следующую ячейку", "Scan the next bin"))
            self.bin = None  # the next scan is a bin
