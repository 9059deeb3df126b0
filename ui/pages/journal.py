"""/journal: every movement, newest first, filtered and paged on the server.

Filters come from the page and from the address too (the product card and the dashboard
link here), e.g. /journal?product_id=5&operation_type=RECEIPT&date_from=2026-11-01.
Dates are days in the configured time zone; stored times are UTC. A manager can reverse a
movement after a confirmation; core decides whether that is still possible. Live: the
page the user is on is read again after any movement (ui.live), with the same filters.
"""

import logging
from dataclasses import dataclass, fields, replace
from datetime import date, datetime, timedelta
from typing import Any
from urllib.parse import urlencode
from uuid import uuid4

from nicegui import events, run, ui
from sqlalchemy.exc import SQLAlchemyError

from core.auth import Identity
from core.errors import DomainError
from core.movements import reverse_movement
from core.operations import OPERATIONS, VIRTUAL_LOCATIONS
from core.periods import day_start
from core.policy import Action
from data.queries import (
    JournalFilter,
    Page,
    distribution_centers,
    internal_locations,
    journal,
    sources,
    users,
)
from ui.context import AppContext
from ui.downloads import export_button
from ui.feedback import show_done, show_error
from ui.formatting import format_time, zone
from ui.i18n import language, number, tr
from ui.layout import frame
from ui.live import refresh_on_ledger_change
from ui.product_picker import ProductPicker, product_label
from ui.session import guarded, protected_page
from ui.tables import CLAMP_CSS

PATH = "/journal"
IMPORT_HISTORY_PATH = "/import/history"  # ui.pages.imports.HISTORY_PATH
ACTION = Action.KEEP_JOURNAL
PAGE_SIZES = (25, 50, 100)
DATE_MASK = "DD.MM.YYYY"  # what the date fields show; the address uses ISO dates

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Filters:
    """The journal's filters as the address carries them (ids as ints, days as dates)."""

    operation_type: str | None = None
    product_id: int | None = None
    user_id: int | None = None
    source_id: int | None = None
    distribution_center_id: int | None = None
    date_from: date | None = None
    date_to: date | None = None

    @classmethod
    def from_query(cls, params: dict[str, str | None]) -> "Filters":
        """Lenient: a value that does not parse is ignored, never an error page."""
        values: dict[str, Any] = {}
        for f in fields(cls):
            raw = (params.get(f.name) or "").strip()
            if not raw:
                continue
            if f.name == "operation_type":
                values[f.name] = raw if raw in OPERATIONS else None
            elif f.name.startswith("date_"):
                values[f.name] = parse_day(raw)
            else:
                values[f.name] = int(raw) if raw.isdigit() else None
        return cls(**values)

    def query(self) -> str:
        params = {
            f.name: value.isoformat() if isinstance(value, date) else value
            for f in fields(self)
            if (value := getattr(self, f.name)) is not None
        }
        return urlencode(params)

    def journal_filter(self, tz_name: str) -> JournalFilter:
        """Whole local days: `date_to` includes all of its day (up to the next midnight)."""
        tz = zone(tz_name)
        start = day_start(self.date_from, tz) if self.date_from else None
        end = day_start(self.date_to + timedelta(days=1), tz) if self.date_to else None
        return JournalFilter(
            operation_type=self.operation_type,
            product_id=self.product_id,
            user_id=self.user_id,
            source_id=self.source_id,
            distribution_center_id=self.distribution_center_id,
            date_from=start,
            date_to=end,
        )


def parse_day(text: str) -> date | None:
    """'22.11.2026' (as typed or picked) or '2026-11-22' (as linked); None if neither."""
    for form in ("%d.%m.%Y", "%Y-%m-%d"):
        try:
            return datetime.strptime(text.strip(), form).date()
        except ValueError:
            continue
    return None


def show_day(day: date | None) -> str:
    return day.strftime("%d.%m.%Y") if day else ""


COLUMNS = (
    ("id", "№", "#", "left"),
    ("created_at", "Дата и время", "Date and time", "left"),
    ("operation", "Операция", "Operation", "left"),
    ("product", "Товар", "Product", "left"),
    ("quantity", "Кол-во", "Qty", "right"),
    ("route", "Откуда → куда", "From → to", "left"),
    ("reference", "Источник / РЦ", "Source / DC", "left"),
    ("user", "Пользователь", "User", "left"),
    ("notes", "Комментарий", "Notes", "left"),
    ("actions", "", "", "right"),
)

NO_WRAP = {"id", "quantity", "actions"}
IMPORT_LINK = r"""
<a v-if="props.row.import_link" :href="props.row.import_link" class="text-primary"
   @click.stop>{{ props.row.import_text }}</a>
"""
OPERATION_CELL = rf"""
<q-td :props="props">
  <div>{{{{ props.row.operation }}}}</div>{IMPORT_LINK}
  <q-badge v-if="props.row.reversal_text" color="orange-9" class="q-mt-xs"
           :label="props.row.reversal_text" />
  <q-badge v-if="props.row.reversed_text" color="grey-7" class="q-mt-xs"
           :label="props.row.reversed_text" />
</q-td>
"""
# Long names and notes take a few lines at most (the whole text on hover), and a long
# word breaks: the table must fit a 1366 px screen with «Сторно» in view.
PRODUCT_CELL = r"""
<q-td :props="props" style="min-width: 160px; max-width: 300px">
  <div class="wms-clamp-2" :title="props.row.product">{{ props.row.product }}</div>
  <div class="text-caption text-grey-7">{{ props.row.sku }}</div>
</q-td>
"""
REFERENCE_CELL = r"""
<q-td :props="props" style="overflow-wrap: break-word">
  <div>{{ props.row.reference }}</div>
  <div v-if="props.row.reference_caption" class="text-caption text-grey-7">
    {{ props.row.reference_caption }}</div>
</q-td>
"""
NOTES_CELL = r"""
<q-td :props="props" style="min-width: 160px; max-width: 240px">
  <div class="wms-clamp-3" :title="props.row.notes">{{ props.row.notes }}</div>
</q-td>
"""
REVERSE_BUTTON = r"""
<q-btn v-if="props.row.can_reverse" outline no-caps no-wrap color="negative" icon="undo"
       class="q-px-sm" style="min-height: 44px"
       :label="props.row.reverse_label"
       @click="() => $parent.$emit('reverse', props.row.id)" />
"""
ACTIONS_CELL = f'<q-td :props="props">{REVERSE_BUTTON}</q-td>'
# Below 1000 px (tablets upright) each movement is a card instead of a wide row.
CARD = f"""
<div class="q-pa-xs col-12">
  <q-card flat bordered>
    <q-card-section class="q-py-sm">
      <div class="row items-start no-wrap q-gutter-x-sm">
        <div class="col">
          <div class="text-subtitle1 text-weight-medium">
            №{{{{ props.row.id }}}} · {{{{ props.row.operation }}}}
            <q-badge v-if="props.row.reversal_text" color="orange-9"
                     :label="props.row.reversal_text" />
            <q-badge v-if="props.row.reversed_text" color="grey-7"
                     :label="props.row.reversed_text" />
          </div>
          <div class="text-caption text-grey-7">
            {{{{ props.row.created_at }}}} · {{{{ props.row.user }}}}</div>
          <div v-if="props.row.import_link">{IMPORT_LINK}</div>
        </div>
        <div class="text-h6 text-no-wrap">{{{{ props.row.quantity_text }}}}</div>
      </div>
      <div class="text-body1 q-mt-xs wms-clamp-2" :title="props.row.product">
        {{{{ props.row.product }}}}
        <span class="text-caption text-grey-7">{{{{ props.row.sku }}}}</span></div>
      <div class="text-body2">{{{{ props.row.route }}}}</div>
      <div v-if="props.row.reference" class="text-body2">{{{{ props.row.reference }}}}
        <span class="text-grey-7">{{{{ props.row.reference_caption }}}}</span></div>
      <div v-if="props.row.notes" class="text-body2 text-grey-8 wms-clamp-3"
           :title="props.row.notes">{{{{ props.row.notes }}}}</div>
    </q-card-section>
    <q-card-actions v-if="props.row.can_reverse" align="right">{REVERSE_BUTTON}</q-card-actions>
  </q-card>
</div>
"""


def import_reference(document: str | None) -> dict[str, str]:
    """An imported movement (document "import:<id>", core.imports) links back to its
    import in the history: «Импорт №12»."""
    prefix, _, number_text = (document or "").partition(":")
    if prefix != "import" or not number_text.isdigit():
        return {"import_link": "", "import_text": ""}
    return {
        "import_link": f"{IMPORT_HISTORY_PATH}?import_id={number_text}",
        "import_text": tr(f"Импорт №{number_text}", f"Import #{number_text}"),
    }


class JournalView:
    def __init__(self, ctx: AppContext, filters: Filters) -> None:
        self.ctx = ctx
        self.filters = filters
        self.tz_name = ctx.settings.time_zone
        engine = ctx.db.engine
        self.location_names: dict[str, str] = {
            **{str(code): name for code, name in VIRTUAL_LOCATIONS.items()},
            **{loc["code"]: loc["name"] for loc in internal_locations(engine)},
        }
        self.rows: dict[int, dict[str, Any]] = {}
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
                {u["id"]: u["full_name"] or u["username"] for u in users(engine)},
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
                {s["id"]: s["name"] for s in sources(engine)},
                tr("Источник", "Source"),
                f.source_id,
                "source",
            )
            self.distribution_center = self._select(
                {
                    dc["id"]: f"{dc['source_name']} · {dc['name']}"
                    for dc in distribution_centers(engine)
                },
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
        self.rows = {item["id"]: item for item in result.items}
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

    def _row(self, item: dict[str, Any]) -> dict[str, Any]:
        op = OPERATIONS.get(item["operation_type"])
        reversal_of = item["reversal_of"]
        reference, caption = item["source_name"] or "", ""
        if item["distribution_center_name"]:
            reference, caption = item["distribution_center_name"], item["source_name"] or ""
        quantity = number(item["quantity"])
        return {
            "id": item["id"],
            "created_at": format_time(item["created_at"], self.tz_name),
            "operation": op.label(language()) if op else item["operation_type"],
            "reversal_text": tr(f"сторно №{reversal_of}", f"reversal of #{reversal_of}")
            if reversal_of
            else "",
            "reversed_text": tr("сторнирована", "reversed") if item.get("is_reversed") else "",
            "product": item["product_name"],
            "sku": item["sku"],
            "quantity": quantity,
            "quantity_text": tr(f"{quantity} шт.", f"{quantity} pcs"),
            "route": f"{self._place(item['from_location'])} → {self._place(item['to_location'])}",
            "reference": reference,
            "reference_caption": caption,
            "user": item["user_name"] or "",
            "notes": item["notes"] or "",
            **import_reference(item["document"]),
            "can_reverse": not reversal_of and not item.get("is_reversed"),
            "reverse_label": tr("Сторно", "Reverse"),
        }

    # --- reversal ---------------------------------------------------------------------

    async def _ask_reverse(self, _user: Identity, e: events.GenericEventArguments) -> None:
        movement_id = e.args if isinstance(e.args, int) else None
        item = self.rows.get(movement_id or -1)
        if item is None:
            return
        ReverseDialog(self, item).open()


class ReverseDialog:
    """Confirm, then book the mirror movement; core refuses what is no longer possible."""

    def __init__(self, view: JournalView, item: dict[str, Any]) -> None:
        self.view = view
        self.item = item
        self.key = f"ui-reverse-{uuid4().hex}"  # one per dialog: a second click books once
        self.busy = False
        ctx = view.ctx
        op = OPERATIONS.get(item["operation_type"])
        label = op.label(language()) if op else item["operation_type"]
        there = view._place(item["from_location"])
        here = view._place(item["to_location"])
        with (
            ui.dialog() as self.dialog,
            ui.card().classes("w-full max-w-lg").mark("reverse-dialog"),
        ):
            ui.label(
                tr(f"Сторнировать операцию №{item['id']}?", f"Reverse movement #{item['id']}?")
            ).classes("text-h6")
            product = {k: item[k] for k in ("sku", "barcode")} | {"name": item["product_name"]}
            ui.label(
                f"{label}: {product_label(product)}, "
                + tr(f"{number(item['quantity'])} шт.", f"{number(item['quantity'])} pcs")
            ).classes("text-body1")
            ui.label(
                tr(
                    f"Будет проведена обратная операция: {here} → {there}.",
                    f"A mirror movement will be posted: {here} → {there}.",
                )
            ).classes("text-body2 text-grey-8")
            self.notes = (
                ui.input(tr("Причина сторно (необязательно)", "Reason (optional)"))
                .props("outlined maxlength=1000")
                .classes("w-full")
                .mark("reverse-notes")
            )
            self.error = (
                ui.label()
                .classes("w-full text-body1 text-negative bg-red-1 rounded-borders q-pa-md")
                .mark("reverse-error")
            )
            self.error.set_visibility(False)
            with ui.row().classes("w-full justify-end gap-2"):
                ui.button(tr("Отмена", "Cancel"), on_click=self.dialog.close).props(
                    "flat no-caps size=lg"
                ).mark("reverse-cancel")
                self.confirm = (
                    ui.button(tr("Сторнировать", "Reverse"), icon="undo")
                    .props("unelevated no-caps size=lg color=negative")
                    .mark("reverse-confirm")
                )
                self.confirm.on(
                    "click",
                    guarded(ctx, ACTION, self._confirm),
                    throttle=1.0,
                    trailing_events=False,
                )
        self.dialog.on("hide", lambda: self.dialog.delete())

    def open(self) -> None:
        self.dialog.open()

    async def _confirm(self, user: Identity, *_: Any) -> None:
        if self.busy:
            return
        self.busy = True
        self.confirm.props("loading").disable()
        self.error.set_visibility(False)
        ctx = self.view.ctx
        try:
            posted = await run.io_bound(
                reverse_movement,
                ctx.db.unit_of_work(),
                self.item["id"],
                user_id=user.id,
                notes=self.notes.value or None,
                idempotency_key=self.key,
            )
        except DomainError as error:
            self._fail(error.message)
            show_error(error)
            self.view.load(page=int(self.view.table.pagination.get("page") or 1))
            return
        except SQLAlchemyError as error:
            log.warning("reversing a movement failed: %s", error)
            self._fail(
                tr(
                    "Не удалось сторнировать: база данных недоступна. Повторите.",
                    "Could not reverse: the database is unavailable. Try again.",
                )
            )
            return
        finally:
            self.busy = False
            self.confirm.props(remove="loading").enable()
        self.dialog.close()
        show_done(
            tr(
                f"Операция №{self.item['id']} сторнирована: №{posted.movement.id}",
                f"Movement #{self.item['id']} reversed: #{posted.movement.id}",
            )
        )
        self.view.load(page=1)

    def _fail(self, message: str) -> None:
        self.error.set_text(message)
        self.error.set_visibility(True)


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
