"""/operations: managers post stock movements, scanner first.

A USB scanner types the barcode and Enter into the focused scan field; Enter looks the
product up and shows its stock. Which fields an operation needs comes from
core.operations.OPERATIONS (its Requirement set); the rules themselves are checked by
core.movements.post_movement, and its Russian message is shown beside the form.
"""

import logging
import time
from collections.abc import Mapping
from dataclasses import asdict
from typing import Any
from uuid import uuid4

from nicegui import events, run, ui
from sqlalchemy.exc import SQLAlchemyError

from core.auth import Identity
from core.errors import DomainError
from core.movements import MovementRequest, Posted, post_movement
from core.operations import (
    OPERATIONS,
    VIRTUAL_LOCATIONS,
    WAREHOUSES,
    Direction,
    Loc,
    Operation,
    Requirement,
)
from data.queries import (
    distribution_centers,
    internal_locations,
    product_by_code,
    product_stock,
    sources,
)
from ui.context import AppContext
from ui.feedback import show_done
from ui.i18n import language, number, tr
from ui.layout import MANAGERS, frame
from ui.product_picker import ProductPicker
from ui.session import guarded, protected_page

PATH = "/operations"
ROLES = MANAGERS
DEFAULT_OPERATION = "RECEIPT"

log = logging.getLogger(__name__)

WAREHOUSE_EN = {"MAIN": "Good stock", "DEFECT": "Defect"}
DIRECTION_LABELS = {
    Direction.GAIN: ("Излишек (+)", "Surplus (+)"),
    Direction.LOSS: ("Недостача (−)", "Shortage (−)"),
}
STOCK_TILES = (
    ("good", "Годный", "Good"),
    ("defect", "Брак", "Defect"),
    ("reserved", "В резерве", "Reserved"),
    ("available", "Доступно", "Available"),
)
SCAN_ROUTER = """<script>
document.addEventListener("keydown", (e) => {
  if (e.key.length !== 1 || e.ctrlKey || e.altKey || e.metaKey) return;
  const here = document.activeElement;
  if (here && (here.isContentEditable || ["INPUT", "TEXTAREA", "SELECT"].includes(here.tagName)))
    return;
  const scan = document.getElementById("SCAN_ID");
  if (scan) { scan.focus(); scan.select(); }
});
</script>"""
KEEP_FOCUS = "(e) => e.preventDefault()"  # a click on this button leaves the focus where it is
DB_ERROR = (
    "Не удалось провести операцию: база данных недоступна. Повторите — "
    "повторное нажатие не проведёт операцию дважды.",
    "Could not post: the database is unavailable. Try again — a retry will not post it twice.",
)


def location_name(code: Loc | None) -> str:
    if code is None:
        return ""
    return WAREHOUSES.get(code) or VIRTUAL_LOCATIONS.get(code, str(code))


def whole_quantity(value: Any) -> Any:
    """1.0 → 1; anything else is passed on unchanged for core to accept or refuse."""
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value


class OperationsForm:
    """One form per open page: the chosen operation, the product and the posting state."""

    def __init__(self, ctx: AppContext, operation: str, product_id: int | None) -> None:
        self.ctx = ctx
        self.operation: Operation = OPERATIONS[operation]
        self.product: dict[str, Any] | None = None
        # One key per form submission: kept while the same form is retried, so a retry
        # (or a second click) is booked once; a new one once it succeeded or the form changed.
        self.key: str | None = None
        self.posting = False
        self.just_posted = False  # the next scan starts a new count
        self._build()
        self._choose(operation)
        if product_id is not None:
            self._show_product_by_id(product_id)

    # --- building ---------------------------------------------------------------------

    def _build(self) -> None:
        # Wide screens: operations across the top, then scan and product beside the form.
        # Narrow screens stack them in the order they are used.
        self._build_operations()
        with ui.element("div").classes("w-full grid grid-cols-1 lg:grid-cols-2 gap-4 items-start"):
            with ui.column().classes("w-full gap-3"):
                self._build_scan()
                self._build_product_card()
            with ui.column().classes("w-full gap-3"):
                self._build_fields()

    def _build_operations(self) -> None:
        self.buttons: dict[str, ui.button] = {}
        with (
            ui.element("div")
            .classes("w-full grid grid-cols-2 sm:grid-cols-3 md:grid-cols-4 xl:grid-cols-6 gap-2")
            .mark("operations")
        ):
            for op in OPERATIONS.values():
                self.buttons[op.code] = (
                    ui.button(op.label(language()), on_click=lambda _, c=op.code: self._choose(c))
                    .props("no-caps outline color=primary")
                    .classes("w-full h-12 text-body1 leading-tight")
                    .mark(f"operation-{op.code}")
                )
        self.route = ui.label().classes("text-body2 text-grey-8 -mt-2").mark("route")

    def _build_scan(self) -> None:
        self.scan = (
            ui.input(
                tr("Штрихкод или GTIN — отсканируйте", "Barcode or GTIN — scan"),
                on_change=self._scan_typed,
            )
            .props('autofocus outlined clearable input-class="text-h6" autocomplete=off')
            .classes("w-full")
            .mark("scan")
        )
        with self.scan.add_slot("prepend"):
            ui.icon("qr_code_scanner")
        # The browser sends the field's text with Enter itself: a scanner types faster than
        # value updates are guaranteed to have arrived.
        self.scan.on(
            "keydown.enter",
            guarded(self.ctx, ROLES, self._scan),
            js_handler="(e) => emit(e.target.value)",
        )
        # Keys typed while nothing editable has focus (after a click on a button) go to the
        # scan field: a scan must never be lost because the focus wandered.
        ui.add_body_html(SCAN_ROUTER.replace("SCAN_ID", self.scan.html_id))
        self.scan_message = ui.label().classes("text-body1 text-negative w-full").mark("scan-error")
        self.scan_message.set_visibility(False)
        self.picker = ProductPicker(
            self.ctx,
            ROLES,
            label=tr("…или найдите товар по названию или артикулу", "…or search by name or SKU"),
            on_pick=guarded(self.ctx, ROLES, self._pick),
        )
        self.picker.select.mark("product-search")

    def _build_product_card(self) -> None:
        with ui.card().classes("w-full").props("flat bordered").mark("product-card") as card:
            self.product_name = ui.label().classes("text-h6 leading-tight").mark("product-name")
            self.product_codes = ui.label().classes("text-body2 text-grey-8")
            self.stock_labels: dict[str, ui.label] = {}
            with ui.element("div").classes("w-full grid grid-cols-4 gap-2"):
                for key, ru, en in STOCK_TILES:
                    with ui.column().classes("gap-0 items-start"):
                        ui.label(tr(ru, en)).classes("text-caption text-grey-7")
                        self.stock_labels[key] = (
                            ui.label().classes("text-h5 text-weight-medium").mark(f"stock-{key}")
                        )
            self.repeat_hint = ui.label().classes("text-body2 text-primary").mark("repeat-hint")
            self.repeat_hint.set_visibility(False)
            self.journal_link = ui.link(tr("Журнал по товару", "Product journal"), "/journal")
        self.product_card = card
        card.set_visibility(False)
        self.no_product = ui.label(
            tr(
                "Отсканируйте штрихкод товара или найдите его поиском.",
                "Scan the product's barcode or search for it.",
            )
        ).classes("text-body1 text-grey-7")

    def _build_fields(self) -> None:
        changed = self._form_changed
        with ui.row().classes("w-full items-center gap-2 no-wrap"):
            ui.button(icon="remove", on_click=lambda: self._step(-1)).props(
                f'round outline size=lg aria-label="{tr("Меньше", "Less")}"'
            ).on("mousedown", js_handler=KEEP_FOCUS).mark("quantity-less")
            self.quantity = (
                ui.number(tr("Количество, шт.", "Quantity, pcs"), value=1, min=1, step=1,
                          on_change=changed)
                .props('outlined input-class="text-h6 text-center"')
                .classes("grow")
                .mark("quantity")
            )  # fmt: skip
            ui.button(icon="add", on_click=lambda: self._step(1)).props(
                f'round outline size=lg aria-label="{tr("Больше", "More")}"'
            ).on("mousedown", js_handler=KEEP_FOCUS).mark("quantity-more")
        self.quantity.on("keydown.enter", self._submit_from_enter)

        self.requirement_rows: dict[Requirement, ui.element] = {}
        with ui.column().classes("w-full gap-3") as row:
            self.source = (
                ui.select(self._source_options(), label=tr("Источник", "Source"),
                          on_change=changed)
                .props("outlined").classes("w-full").mark("source")
            )  # fmt: skip
        self.requirement_rows[Requirement.SOURCE] = row
        with ui.column().classes("w-full gap-3") as row:
            self.distribution_center = (
                ui.select(self._dc_options(), label=tr("РЦ назначения", "Destination DC"),
                          with_input=True, on_change=changed)
                .props("outlined").classes("w-full").mark("distribution-center")
            )  # fmt: skip
        self.requirement_rows[Requirement.DISTRIBUTION_CENTER] = row
        with ui.element("div").classes("w-full grid grid-cols-2 gap-3") as row:
            with ui.column().classes("w-full gap-1"):
                ui.label(tr("Склад", "Warehouse")).classes("text-caption text-grey-8")
                self.warehouse = (
                    ui.toggle(
                        {code: tr(name, WAREHOUSE_EN.get(code, code))
                         for code, name in WAREHOUSES.items()},
                        value="MAIN", on_change=changed,
                    )
                    .props("spread no-caps toggle-color=primary padding='12px 8px'")
                    .classes("w-full").mark("warehouse")
                )  # fmt: skip
            with ui.column().classes("w-full gap-1"):
                ui.label(tr("Расхождение", "Difference")).classes("text-caption text-grey-8")
                self.direction = (
                    ui.toggle(
                        {d.value: tr(ru, en) for d, (ru, en) in DIRECTION_LABELS.items()},
                        value=None, on_change=changed,
                    )
                    .props("spread no-caps toggle-color=primary padding='12px 8px'")
                    .classes("w-full").mark("direction")
                )  # fmt: skip
        self.requirement_rows[Requirement.WAREHOUSE_AND_DIRECTION] = row
        with ui.row().classes("w-full gap-3 no-wrap") as row:
            locations = self._location_options()
            self.from_location = (
                ui.select(locations, label=tr("Откуда", "From"), on_change=changed)
                .props("outlined").classes("w-1/2").mark("from-location")
            )  # fmt: skip
            self.to_location = (
                ui.select(locations, label=tr("Куда", "To"), on_change=changed)
                .props("outlined").classes("w-1/2").mark("to-location")
            )  # fmt: skip
        self.requirement_rows[Requirement.LOCATIONS] = row

        self.notes = (
            ui.input(tr("Комментарий", "Notes"), on_change=changed)
            .props("outlined clearable maxlength=1000")
            .classes("w-full")
            .mark("notes")
        )
        self.submit_button = (
            ui.button(icon="check")
            .props("unelevated no-caps size=lg color=positive")
            .classes("w-full h-16 text-h6")
            .on("mousedown", js_handler=KEEP_FOCUS)
            .mark("submit")
        )
        # A double click sends one event: the browser drops clicks within a second of the
        # first. The server refuses a second post while one runs, and the key does the rest.
        self.submit_button.on(
            "click", guarded(self.ctx, ROLES, self._submit), throttle=1.0, trailing_events=False
        )
        self.error = (
            ui.label().classes(
                "w-full text-body1 text-negative bg-red-1 rounded-borders q-pa-md"
            ).mark("form-error")
        )  # fmt: skip
        self.error.set_visibility(False)
        self.result = (
            ui.label().classes(
                "w-full text-body1 text-positive bg-green-1 rounded-borders q-pa-md"
            ).mark("result")
        )  # fmt: skip
        self.result.set_visibility(False)

    def _source_options(self) -> dict[int, str]:
        return {s["id"]: s["name"] for s in sources(self.ctx.db.engine, active_only=True)}

    def _dc_options(self) -> dict[int, str]:
        # Labelled by marketplace first, so the list reads grouped (it is sorted that way).
        return {
            dc["id"]: f"{dc['source_name']} · {dc['name']}"
            for dc in distribution_centers(self.ctx.db.engine, active_only=True)
        }

    def _location_options(self) -> dict[int, str]:
        options: dict[int, str] = {}
        for loc in internal_locations(self.ctx.db.engine):
            warehouse = WAREHOUSES.get(loc["warehouse"], loc["warehouse"])
            is_default = loc["code"] == loc["warehouse"]  # the warehouse's own location
            options[loc["id"]] = loc["name"] if is_default else f"{loc['name']} ({warehouse})"
        return options

    # --- events -----------------------------------------------------------------------

    def _choose(self, code: str) -> None:
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
        self.route.set_text(self._route_text())
        self.submit_button.set_text(tr("Провести: ", "Post: ") + op.label(language()))
        self._form_changed()

    def _route_text(self) -> str:
        op = self.operation
        if op.from_location is not None and op.to_location is not None:
            return f"{location_name(op.from_location)} → {location_name(op.to_location)}"
        if op.needs(Requirement.WAREHOUSE_AND_DIRECTION):
            return tr(
                "Излишек добавляется на склад, недостача списывается со склада",
                "A surplus is added to stock, a shortage is taken from it",
            )
        return tr("Между местами хранения", "Between storage locations")

    def _form_changed(self) -> None:
        """Any edit makes the next submission a new one (a new idempotency key)."""
        self.key = None
        self.error.set_visibility(False)

    def _scan_typed(self) -> None:
        self.scan_message.set_visibility(False)

    def _step(self, delta: int) -> None:
        current = whole_quantity(self.quantity.value)
        current = current if isinstance(current, int) else 0
        self.quantity.value = max(1, current + delta)

    async def _scan(self, _user: Identity, e: events.GenericEventArguments) -> None:
        code = e.args if isinstance(e.args, str) else (self.scan.value or "")
        code = code.strip()
        self.scan.value = code
        if not code:
            return
        started = time.perf_counter()
        product = product_by_code(self.ctx.db.engine, code)
        if product is None:
            self._clear_product()
            self.scan_message.set_text(
                tr(f"Товар со штрихкодом или GTIN «{code}» не найден",
                   f"No product with barcode or GTIN “{code}”")
            )  # fmt: skip
            self.scan_message.set_visibility(True)
        else:
            self._set_product(self._with_stock(product), repeat_adds=True)
        self.scan.run_method("select")  # the next scan replaces the text
        log.debug("scan %s looked up in %.1f ms", code, (time.perf_counter() - started) * 1000)

    async def _pick(self, _user: Identity, product_id: int | None) -> None:
        if product_id is None:
            self._clear_product(keep_picker=True)
            return
        if self._show_product_by_id(product_id):
            self.scan.value = ""

    def _show_product_by_id(self, product_id: int) -> bool:
        record = self.ctx.products.get(product_id)
        if record is None:
            return False
        self._set_product(self._with_stock(asdict(record)), repeat_adds=False)
        return True

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
            self.quantity.value = 1
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

    def _request(self) -> MovementRequest:
        """The fields this operation uses; fields it does not use are left out."""
        op = self.operation
        adjusts = op.needs(Requirement.WAREHOUSE_AND_DIRECTION)
        moves = op.needs(Requirement.LOCATIONS)
        return MovementRequest(
            operation_type=op.code,
            quantity=whole_quantity(self.quantity.value),
            product_id=self.product["id"] if self.product else None,
            source_id=self.source.value if op.needs(Requirement.SOURCE) else None,
            distribution_center_id=(
                self.distribution_center.value
                if op.needs(Requirement.DISTRIBUTION_CENTER)
                else None
            ),
            notes=self.notes.value or None,
            warehouse=self.warehouse.value if adjusts else None,
            direction=self.direction.value if adjusts else None,
            from_location_id=self.from_location.value if moves else None,
            to_location_id=self.to_location.value if moves else None,
            idempotency_key=self.key,
        )

    async def _submit(self, user: Identity, *_: Any) -> None:
        if self.posting:
            return  # a second click while the first is being booked
        self.key = self.key or f"ui-{uuid4().hex}"
        request = self._request()
        self.posting = True
        self.submit_button.props("loading").disable()
        self.error.set_visibility(False)
        self.result.set_visibility(False)
        try:
            # A write can wait for the database's lock: keep the page's event loop free.
            posted = await run.io_bound(
                post_movement, self.ctx.db.unit_of_work(), request, user_id=user.id
            )
        except DomainError as error:
            self._fail(error.message)
            return
        except SQLAlchemyError as error:
            log.warning("posting a movement failed: %s", error)
            self._fail(tr(*DB_ERROR))  # the key is kept: a retry cannot book twice
            return
        finally:
            self.posting = False
            self.submit_button.props(remove="loading").enable()
        self._succeeded(posted)

    def _fail(self, message: str) -> None:
        self.error.set_text(message)
        self.error.set_visibility(True)
        ui.notify(message, type="negative", position="top", multi_line=True)

    def _succeeded(self, posted: Posted) -> None:
        movement = posted.movement
        self.key = None
        self.just_posted = True
        op = OPERATIONS[movement.operation_type]
        text = tr(
            f"Проведено: {op.label_ru} №{movement.id}, {number(movement.quantity)} шт.",
            f"Posted: {op.label_en} #{movement.id}, {number(movement.quantity)} pcs",
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
        self.repeat_hint.set_visibility(False)
        self.quantity.value = 1
        self.key = None  # the quantity reset above counts as an edit too; stays new
        show_done(text)
        self.scan.run_method("focus")
        self.scan.run_method("select")


def register(ctx: AppContext) -> None:
    @protected_page(ctx, PATH, ROLES)
    def operations_page(
        user: Identity, operation_type: str | None = None, product_id: str | None = None
    ) -> None:
        """`?operation_type=SHIPMENT_RC&product_id=5` preselect (links from other pages)."""
        operation = operation_type if operation_type in OPERATIONS else DEFAULT_OPERATION
        product = int(product_id) if product_id and product_id.isdigit() else None
        with frame(user, tr("Операции", "Operations"), PATH):
            OperationsForm(ctx, operation, product)
