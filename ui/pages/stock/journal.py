"""/journal: every movement, newest first, filtered and paged on the server.

Filters come from the page and from the address too (the product card and the dashboard
link here), e.g. /journal?product_id=5&operation_type=RECEIPT&date_from=2026-11-01.
Dates are days in the configured time zone; stored times are UTC. A manager can reverse a
movement after a confirmation; core decides whether that is still possible. Live: the
page the user is on is read again after any movement (ui.live), with the same filters.
"""

from dataclasses import replace
from datetime import date
from typing import Any

from nicegui import events, run, ui

from core.stock.operations import OPERATIONS, VIRTUAL_LOCATIONS, reversal_refusal
from core.users.auth import Identity
from core.users.policy import Action
from data.catalog.queries import distribution_centers, sources
from data.reads import Page
from data.stickers.queries import receipt_lines
from data.stock.journal import JournalRow, journal
from data.stock.locations import internal_locations
from data.users.queries import users
from ui.components.downloads import export_button
from ui.components.product_picker import ProductPicker
from ui.components.stickers import product_stickers_dialog
from ui.components.tables import CLAMP_CSS
from ui.context import AppContext
from ui.formatting import format_time
from ui.i18n import language, number, tr
from ui.layout import frame
from ui.live import refresh_on_ledger_change
from ui.pages.stock.journal_cells import (
    ACTIONS_CELL,
    CARD,
    COLUMNS,
    NO_WRAP,
    NOTES_CELL,
    OPERATION_CELL,
    PRODUCT_CELL,
    REFERENCE_CELL,
    import_reference,
)
from ui.pages.stock.journal_filters import DATE_MASK, Filters, parse_day, show_day
from ui.pages.stock.journal_reversal import ReverseDialog
from ui.session import guarded, protected_page

PATH = "/journal"
ACTION = Action.KEEP_JOURNAL
PAGE_SIZES = (25, 50, 100)


class JournalView:
    def __init__(self, ctx: AppContext, filters: Filters) -> None:
        self.ctx = ctx
        self.filters = filters
        self.tz_name = ctx.settings.time_zone
        engine = ctx.db.engine
        self.location_names: dict[str, str] = {
            **{str(code): name for code, name in VIRTUAL_LOCATIONS.items()},
            **{loc.code: loc.name for loc in internal_locations(engine)},
        }
        self.rows: dict[int, JournalRow] = {}
        self._loads = 0  # a live refresh shows its answer only if nothing loaded meanwhile
        self._build_filters()
        self._build_table()
        refresh_on_ledger_change(ctx, self.refresh, action=ACTION)  # before the first read
        self.load(page=1)

    # --- filters ----------------------------------------------------------------------

    def _build_filters(self) -> None:
        engine = self.ctx.db.engine
        f = self.filters
        with ui.element("div").classes(
            "w-full grid grid-cols-2 md:grid-cols-3 xl:grid-cols-4 gap-2 items-start"
        ):
            self.date_from = self._date_field(tr("С даты", "From date"), f.date_from, "date-from")
            self.date_to = self._date_field(tr("По дату", "To date"), f.date_to, "date-to")
            self.operation = self._select(
                {code: op.label(language()) for code, op in OPERATIONS.items()},
                tr("Операция", "Operation"),
                f.operation_type,
                "operation",
            )
            self.user = self._select(
                {u.id: u.full_name or u.username for u in users(engine)},
                tr("Пользователь", "User"),
                f.user_id,
                "user",
            )
            with ui.element("div").classes("col-span-2"):
                self.picker = ProductPicker(
                    self.ctx,
                    ACTION,
                    label=tr("Товар: название, артикул, штрихкод", "Product: name, SKU, barcode"),
                    on_pick=guarded(self.ctx, ACTION, self._product_picked),
                    include_deleted=True,
                )
                self.picker.select.mark("product")
                if f.product_id is not None:
                    record = self.ctx.products.get(f.product_id)
                    if record is not None:
                        self.picker.show(
                            {"id": record.id, "name": record.name, "sku": record.sku,
                             "barcode": record.barcode}
                        )  # fmt: skip
            self.source = self._select(
                {s.id: s.name for s in sources(engine)},
                tr("Источник", "Source"),
                f.source_id,
                "source",
            )
            self.distribution_center = self._select(
                {dc.id: f"{dc.source_name} · {dc.name}" for dc in distribution_centers(engine)},
                tr("РЦ", "DC"),
                f.distribution_center_id,
                "distribution-center",
                with_input=True,
            )

    def _date_field(self, label: str, value: date | None, marker: str) -> ui.date_input:
        field = (
            ui.date_input(label, value=show_day(value))
            .props("outlined clearable")
            .classes("w-full")
            .mark(marker)
        )
        field.picker.props(f'mask="{DATE_MASK}"')
        field.props(f'error-message="{tr("Дата вида 22.11.2026", "A date like 22.11.2026")}"')
        # A picked or fully typed date applies at once; a wrong one is flagged when the
        # field is left or Enter pressed (not while the digits are still being typed).
        field.on_value_change(guarded(self.ctx, ACTION, self._dates_typed))
        for event in ("blur", "keydown.enter", "clear"):
            field.on(event, guarded(self.ctx, ACTION, self._dates_done))
        return field

    def _select(
        self,
        options: dict[Any, str],
        label: str,
        value: Any,
        marker: str,
        *,
        with_input: bool = False,
    ) -> ui.select:
        select = (
            ui.select(
                options,
                label=label,
                value=value if value in options else None,
                clearable=True,
                with_input=with_input,
            )
            .props("outlined")
            .classes("w-full")
            .mark(marker)
        )
        select.on_value_change(guarded(self.ctx, ACTION, self._selects_changed))
        return select

    async def _selects_changed(self, _user: Identity, *_: Any) -> None:
        self._apply(
            replace(
                self.filters,
                operation_type=self.operation.value,
                user_id=self.user.value,
                source_id=self.source.value,
                distribution_center_id=self.distribution_center.value,
            )
        )

    async def _product_picked(self, _user: Identity, product_id: int | None) -> None:
        self._apply(replace(self.filters, product_id=product_id))

    def _days(self) -> dict[str, tuple[str, date | None]]:
        return {
            name: ((field.value or "").strip(), parse_day(field.value or ""))
            for name, field in (("date_from", self.date_from), ("date_to", self.date_to))
        }

    async def _dates_typed(self, _user: Identity, *_: Any) -> None:
        days = self._days()
        if all(day is not None or not text for text, day in days.values()):
            self._dates_done_now(days)

    async def _dates_done(self, _user: Identity, *_: Any) -> None:
        self._dates_done_now(self._days())

    def _dates_done_now(self, days: dict[str, tuple[str, date | None]]) -> None:
        for name, (text, day) in days.items():
            field = self.date_from if name == "date_from" else self.date_to
            if text and day is None:
                field.props("error")
            else:
                field.props(remove="error")
        self._apply(replace(self.filters, **{name: day for name, (_, day) in days.items()}))

    async def _reset(self, _user: Identity, *_: Any) -> None:
        for select in (self.operation, self.user, self.source, self.distribution_center):
            select.set_value(None)  # each change would reload; the filters are already empty
        self.picker.show(None)
        for field in (self.date_from, self.date_to):
            field.set_value("")
            field.props(remove="error")
        self._apply(Filters())

    def _apply(self, filters: Filters) -> None:
        if filters == self.filters:
            return
        self.filters = filters
        query = filters.query()
        ui.navigate.history.replace(f"{PATH}?{query}" if query else PATH)
        self.load(page=1)

    # --- table ------------------------------------------------------------------------

    def _build_table(self) -> None:
        with ui.row().classes("w-full items-center justify-between -my-2"):
            self.total = ui.label().classes("text-body1 text-grey-8").mark("total")
            with ui.row().classes("items-center gap-2"):
                ui.button(
                    tr("Сбросить фильтры", "Clear filters"),
                    icon="filter_alt_off",
                    on_click=guarded(self.ctx, ACTION, self._reset),
                ).props("flat no-caps").classes("min-h-12").mark("reset")
                export_button(
                    self.ctx, "journal", lambda: {"flt": self.filters.journal_filter(self.tz_name)}
                )
        columns = [
            {
                "name": name,
                "label": tr(ru, en),
                "field": name,
                "align": align,
                **(
                    {"classes": "text-no-wrap", "headerClasses": "text-no-wrap"}
                    if name in NO_WRAP
                    else {}
                ),
            }
            for name, ru, en, align in COLUMNS
        ]
        self.table = (
            ui.table(
                columns=columns,
                rows=[],
                row_key="id",
                pagination={"page": 1, "rowsPerPage": PAGE_SIZES[0], "rowsNumber": 0},
            )
            .props(
                f':rows-per-page-options="{list(PAGE_SIZES)}" wrap-cells flat bordered '
                ':grid="window.innerWidth < 1000" '
                # Narrower padding below 1440 px: ten columns fit a 1366 px screen.
                ':dense="window.innerWidth < 1440" '
                f'no-data-label="{tr("Операций не найдено", "No movements found")}" '
                f'rows-per-page-label="{tr("Строк на странице:", "Rows per page:")}"'
            )
            .classes("w-full")
            .mark("journal")
        )
        ui.add_css(CLAMP_CSS)
        self.table.add_slot("body-cell-operation", OPERATION_CELL)
        self.table.add_slot("body-cell-product", PRODUCT_CELL)
        self.table.add_slot("body-cell-reference", REFERENCE_CELL)
        self.table.add_slot("body-cell-notes", NOTES_CELL)
        self.table.add_slot("body-cell-actions", ACTIONS_CELL)
        self.table.add_slot("item", CARD)
        self.table.on("request", guarded(self.ctx, ACTION, self._requested))
        self.table.on("reverse", guarded(self.ctx, ACTION, self._ask_reverse))
        self.table.on("stickers", guarded(self.ctx, ACTION, self._stickers))

    async def _requested(self, _user: Identity, e: events.GenericEventArguments) -> None:
        pagination = e.args.get("pagination", {}) if isinstance(e.args, dict) else {}
        size = pagination.get("rowsPerPage")
        self.load(
            page=int(pagination.get("page") or 1),
            size=size if size in PAGE_SIZES else PAGE_SIZES[0],
        )

    def _fetch(self, filters: Filters, page: int, size: int) -> tuple[Page, int]:
        """Page `page` of the journal and its number (the last, if it emptied meanwhile)."""
        flt = filters.journal_filter(self.tz_name)
        result = journal(self.ctx.db.engine, flt, limit=size, offset=(page - 1) * size)
        if not result.items and page > 1 and result.total:
            page = (result.total - 1) // size + 1
            result = journal(self.ctx.db.engine, flt, limit=size, offset=(page - 1) * size)
        return result, page

    def load(self, *, page: int, size: int | None = None) -> None:
        size = size or int(self.table.pagination.get("rowsPerPage") or PAGE_SIZES[0])
        self._loads += 1
        result, page = self._fetch(self.filters, page, size)
        self._show(result, page, size)

    async def refresh(self) -> None:
        """The page the user is on, read again (off the event loop) with the same filters."""
        pagination = self.table.pagination
        page = int(pagination.get("page") or 1)
        size = int(pagination.get("rowsPerPage") or PAGE_SIZES[0])
        loads = self._loads
        fetched = await run.io_bound(self._fetch, self.filters, page, size)
        if fetched is None or loads != self._loads:
            return  # the app is stopping, or the user moved on while this was read
        self._show(*fetched, size)

    def _show(self, result: Page, page: int, size: int) -> None:
        self.rows = {item.id: item for item in result.items}
        self.table.rows = [self._row(item) for item in result.items]
        self.table.pagination = {
            **self.table.pagination,
            "page": page,
            "rowsPerPage": size,
            "rowsNumber": result.total,
        }
        self.total.set_text(tr("Найдено операций: ", "Movements found: ") + number(result.total))

    def _place(self, code: str | None) -> str:
        return self.location_names.get(code or "", code or "")

    def _row(self, item: JournalRow) -> dict[str, Any]:
        op = OPERATIONS.get(item.operation_type)
        reversal_of = item.reversal_of
        reference, caption = item.source_name or "", ""
        if item.distribution_center_name:
            reference, caption = item.distribution_center_name, item.source_name or ""
        quantity = number(item.quantity)
        return {
            "id": item.id,
            "created_at": format_time(item.created_at, self.tz_name),
            "operation": op.label(language()) if op else item.operation_type,
            "reversal_text": tr(f"сторно №{reversal_of}", f"reversal of #{reversal_of}")
            if reversal_of
            else "",
            "reversed_text": tr("сторнирована", "reversed") if item.is_reversed else "",
            "product": item.product_name,
            "sku": item.sku,
            "quantity": quantity,
            "quantity_text": tr(f"{quantity} шт.", f"{quantity} pcs"),
            "route": f"{self._place(item.from_location)} → {self._place(item.to_location)}",
            "reference": reference,
            "reference_caption": caption,
            "user": item.user_name or "",
            "notes": item.notes or "",
            **import_reference(item.document),
            "can_reverse": not reversal_of
            and not item.is_reversed
            and reversal_refusal(item.operation_type, item.document) is None,
            "reverse_label": tr("Сторно", "Reverse"),
            "can_sticker": item.operation_type == "RECEIPT" and not reversal_of,
            "sticker_label": tr("Стикеры", "Stickers"),
        }

    # --- reversal ---------------------------------------------------------------------

    async def _ask_reverse(self, _user: Identity, e: events.GenericEventArguments) -> None:
        movement_id = e.args if isinstance(e.args, int) else None
        item = self.rows.get(movement_id or -1)
        if item is None:
            return
        ReverseDialog(self.ctx, item, self._place, self._reload).open()

    async def _stickers(self, _user: Identity, e: events.GenericEventArguments) -> None:
        """The receipt's supply (its import, or this one receipt) with its quantities."""
        movement_id = e.args if isinstance(e.args, int) else None
        if movement_id not in self.rows:
            return
        lines = await run.io_bound(receipt_lines, self.ctx.db.engine, movement_id)
        if lines is not None:
            title = tr(
                f"Стикеры по поступлению №{movement_id}", f"Stickers for receipt #{movement_id}"
            )
            product_stickers_dialog(self.ctx, ACTION, title, lines, f"receipt-{movement_id}")

    def _reload(self, page: int | None) -> None:
        """The journal read again at `page` (None: the page shown)."""
        self.load(page=page or int(self.table.pagination.get("page") or 1))


def register(ctx: AppContext) -> None:
    @protected_page(ctx, PATH, ACTION)
    def journal_page(
        user: Identity,
        operation_type: str | None = None,
        product_id: str | None = None,
        user_id: str | None = None,
        source_id: str | None = None,
        distribution_center_id: str | None = None,
        date_from: str | None = None,
        date_to: str | None = None,
    ) -> None:
        filters = Filters.from_query(
            {
                "operation_type": operation_type,
                "product_id": product_id,
                "user_id": user_id,
                "source_id": source_id,
                "distribution_center_id": distribution_center_id,
                "date_from": date_from,
                "date_to": date_to,
            }
        )
        with frame(user, tr("Журнал операций", "Movement journal"), PATH):
            JournalView(ctx, filters)
