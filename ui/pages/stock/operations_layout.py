"""The operations form's widgets: the operation buttons, the scan field and the product
picker, the product's card, the fields an operation may need and the submit button. What
they do is the subclasses' (`operations_product`, `operations_posting`, `operations`: the
event handlers named here)."""

from nicegui import ui

from core.stock.operations import (
    MANUAL_OPERATIONS,
    WAREHOUSES,
    Requirement,
)
from core.stock.rules import GOOD_WAREHOUSE
from core.users import policy
from core.users.auth import Identity
from data.catalog.queries import distribution_centers, sources
from data.stock.locations import internal_locations
from ui.components.feedback import ScanFeedback
from ui.components.product_picker import ProductPicker
from ui.components.scan_field import ScanField
from ui.context import AppContext
from ui.i18n import language, tr
from ui.pages.stock.operations_input import (
    KEEP_FOCUS,
    STOCK_TILES,
    WAREHOUSE_EN,
    dc_label,
    quantity_problem,
)
from ui.session import guarded

ACTION = policy.Action.POST_MOVEMENTS  # ui.pages.stock.operations.ACTION


class OperationsLayout:
    """Builds the form; the subclass supplies the handlers (`_choose`, `_scan`, `_pick`,
    `_create_product`, `_form_changed`, `_step`, `_submit_from_enter`, `_submit`)."""

    ctx: AppContext
    user: Identity

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
            for op in MANUAL_OPERATIONS.values():  # SHIPMENT_ORDER: shipping posts it
                self.buttons[op.code] = (
                    ui.button(op.label(language()), on_click=lambda _, c=op.code: self._choose(c))
                    .props("no-caps outline color=primary")
                    .classes("w-full h-12 text-body1 leading-tight")
                    .mark(f"operation-{op.code}")
                )
        self.route = ui.label().classes("text-body2 text-grey-8 -mt-2").mark("route")

    def _build_scan(self) -> None:
        # The shared scan field (ui.components.scan_field): the browser empties it at Enter
        # and sends the code, scans are handled one at a time in order, and the server never
        # writes it — a fast scanner's next code is never wiped. Keys typed while nothing
        # editable has focus (after a click on a button) go to it too.
        self.scan = (
            ScanField(
                tr("Штрихкод или GTIN — отсканируйте", "Barcode or GTIN — scan"),
                guarded(self.ctx, ACTION, self._scan),
            )
            .props('clearable autocomplete=off input-class="text-h6"')
            .classes("w-full")
            .mark("scan")
        )
        self.feedback = ScanFeedback(
            self.user, on_create=guarded(self.ctx, ACTION, self._create_product)
        )
        self.picker = ProductPicker(
            self.ctx,
            ACTION,
            label=tr("…или найдите товар по названию или артикулу", "…or search by name or SKU"),
            on_pick=guarded(self.ctx, ACTION, self._pick),
        )
        self.picker.select.mark("product-search")

    def _build_product_card(self) -> None:
        with ui.card().classes("w-full").props("flat bordered").mark("product-card") as card:
            self.product_name = ui.label().classes("text-h6 leading-tight").mark("shown-product")
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
        self.requirement_rows: dict[Requirement, ui.element] = {}
        with ui.column().classes("w-full gap-1") as row:
            ui.label(tr("Склад", "Warehouse")).classes("text-caption text-grey-8")
            self.warehouse = (
                ui.toggle(
                    {code: tr(name, WAREHOUSE_EN.get(code, code))
                     for code, name in WAREHOUSES.items()},
                    value=GOOD_WAREHOUSE, on_change=changed,
                )
                .props("spread no-caps toggle-color=primary padding='12px 8px'")
                .classes("w-full").mark("warehouse")
            )  # fmt: skip
        self.requirement_rows[Requirement.WAREHOUSE_AND_DIRECTION] = row
        with ui.row().classes("w-full items-start gap-2 no-wrap"):
            ui.button(icon="remove", on_click=lambda: self._step(-1)).props(
                f'round outline size=lg aria-label="{tr("Меньше", "Less")}"'
            ).classes("mt-1").on("mousedown", js_handler=KEEP_FOCUS).mark("quantity-less")
            # A text field, not a number field: what was typed is exactly what is checked,
            # so «2,5» is refused instead of being read by the browser as 25 or 2.5.
            self.quantity = (
                ui.input(tr("Количество, шт.", "Quantity, pcs"), value="1",
                         validation=quantity_problem, on_change=self._form_changed)
                .props('outlined inputmode=numeric autocomplete=off '
                       'input-class="text-h6 text-center"')
                .classes("grow")
                .mark("quantity")
            )  # fmt: skip
            ui.button(icon="add", on_click=lambda: self._step(1)).props(
                f'round outline size=lg aria-label="{tr("Больше", "More")}"'
            ).classes("mt-1").on("mousedown", js_handler=KEEP_FOCUS).mark("quantity-more")
        self.quantity.on("keydown.enter", self._submit_from_enter)
        # Inventory: the stock, the count and the difference, big enough to read standing.
        with (
            ui.element("div")
            .classes("w-full grid grid-cols-3 gap-2 bg-blue-1 rounded-borders q-pa-md")
            .mark("count-panel") as self.count_panel
        ):
            self.count_labels: dict[str, tuple[ui.label, ui.label]] = {}
            for key in ("stock", "counted", "difference"):
                with ui.column().classes("gap-0"):
                    caption = ui.label().classes("text-caption text-grey-8")
                    value = ui.label().classes("text-h5 text-weight-medium").mark(f"count-{key}")
                    self.count_labels[key] = (caption, value)

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
            "click", guarded(self.ctx, ACTION, self._submit), throttle=1.0, trailing_events=False
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
        # The receipts posted on this page are one supply: its stickers (ui.components.stickers).
        with ui.row().classes("w-full items-center gap-2") as self.stickers_row:
            self.stickers_button = (
                ui.button(icon="sell", on_click=guarded(self.ctx, ACTION, self._print_stickers))
                .props("outline no-caps size=lg")
                .mark("receipt-stickers")
            )
            ui.button(
                tr("Новая поставка", "New supply"),
                on_click=guarded(self.ctx, ACTION, self._new_supply),
            ).props("flat no-caps").mark("receipt-stickers-clear")
        self.stickers_row.set_visibility(False)

    def _source_options(self) -> dict[int, str]:
        return {s["id"]: s["name"] for s in sources(self.ctx.db.engine, active_only=True)}

    def _dc_options(self) -> dict[int, str]:
        # Sorted by marketplace, then name: the list reads grouped.
        return {
            dc["id"]: dc_label(dc)
            for dc in distribution_centers(self.ctx.db.engine, active_only=True)
        }

    def _location_options(self) -> dict[int, str]:
        options: dict[int, str] = {}
        for loc in internal_locations(self.ctx.db.engine):
            warehouse = WAREHOUSES.get(loc["warehouse"], loc["warehouse"])
            is_default = loc["code"] == loc["warehouse"]  # the warehouse's own location
            options[loc["id"]] = loc["name"] if is_default else f"{loc['name']} ({warehouse})"
        return options
