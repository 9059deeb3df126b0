"""The storage map's dialogs: a new location, a rack from a pattern, and a location's card
(contents, edit, deactivate, label); bins from Excel are ui.pages.floor.bin_import_dialog.
The rules and their Russian messages are core.floor's; a message naming a field appears
under that field."""

from collections.abc import Awaitable, Callable
from typing import Any

from nicegui import run, ui

from core.errors import DomainError
from core.floor.locations import (
    CREATABLE_KINDS,
    KIND_LABELS,
    LocationData,
    LocationKind,
    LocationRecord,
    create_location,
    get_location,
    typed_code,
    update_location,
)
from core.floor.racks import ROUTE_LABELS, RackPattern, RouteOrder, create_rack, preview
from core.labels.printing import RAW_PORT
from core.stock.operations import WAREHOUSES
from core.users.auth import Identity
from core.users.policy import Action
from data.files.labels import PDF_MEDIA_TYPE, ZPL_MEDIA_TYPE, Label, bin_labels_pdf, bin_labels_zpl
from data.floor.locations import contents
from ui.components.downloads import offer_bytes
from ui.components.feedback import show_done, show_error
from ui.context import AppContext
from ui.formatting import plural, quantity
from ui.i18n import tr
from ui.session import guarded

MANAGE = Action.MANAGE_LOCATIONS
Done = Callable[[], Awaitable[None]]


def kind_label(kind: str) -> str:
    ru, en = KIND_LABELS.get(kind, (kind, kind))
    return tr(ru, en)


def warehouse_label(code: str) -> str:
    return tr(WAREHOUSES.get(code, code), {"MAIN": "Good", "DEFECT": "Defect"}.get(code, code))


def offer_labels(user: Identity, labels: list[Label], form: str, stem: str) -> None:
    """The labels as a PDF sheet or ZPL, downloaded by this browser once."""
    if form == "pdf":
        offer_bytes(user, bin_labels_pdf(labels), f"{stem}.pdf", PDF_MEDIA_TYPE)
    else:
        offer_bytes(user, bin_labels_zpl(labels).encode(), f"{stem}.zpl", ZPL_MEDIA_TYPE)


def dialog_card(title: str, width: str = "max-w-xl") -> tuple[ui.dialog, ui.card]:
    with ui.dialog() as dialog, ui.card().classes(f"w-full {width} gap-3") as card:
        ui.label(title).classes("text-h6")
    # Deleted once hidden (not on close: the handler that closed it still runs in it).
    dialog.on("hide", lambda: dialog.delete())
    return dialog, card


def _show_field_error(inputs: dict[str, Any], error: DomainError) -> None:
    target = inputs.get(error.field or "")
    if target is None:
        show_error(error)
        return
    target.error = error.message
    target.run_method("focus")


def location_form(ctx: AppContext, on_done: Done, current: LocationRecord | None = None) -> None:
    """A new location (current None) or the change of one: code, name, zone, route order;
    a new one also its kind and warehouse."""
    title = tr("Новое место", "New location") if current is None else current.code
    dialog, card = dialog_card(title)
    inputs: dict[str, Any] = {}
    with card:
        with ui.grid().classes("w-full grid-cols-1 sm:grid-cols-2 gap-3"):
            inputs["code"] = ui.input(tr("Код (со штрихкода)", "Code (on the barcode)"),
                                      value=current.code if current else "")  # fmt: skip
            inputs["zone"] = ui.input(tr("Зона", "Zone"), value=(current and current.zone) or "")
        inputs["name"] = ui.input(tr("Название (пусто — как код)", "Name (blank: the code)"),
                                  value=current.name if current else "")  # fmt: skip
        with ui.grid().classes("w-full grid-cols-1 sm:grid-cols-3 gap-3"):
            if current is None:
                kinds = {k.value: kind_label(k) for k in CREATABLE_KINDS}
                inputs["kind"] = ui.select(kinds, value="bin", label=tr("Тип", "Kind"))
                warehouses = {code: warehouse_label(code) for code in WAREHOUSES}
                stock = tr("Склад", "Stock")
                inputs["warehouse"] = ui.select(warehouses, value="MAIN", label=stock)
            inputs["route_sequence"] = ui.number(
                tr("Порядок обхода", "Route order"),
                value=current.route_sequence if current else None, min=0, step=10, precision=0,
            )  # fmt: skip
        if current is None:
            ui.label(
                tr("Порядок обхода пустой — место встанет в конец маршрута.",
                   "No route order: the location goes to the end of the route.")
            ).classes("text-body2 text-grey-7")  # fmt: skip
        if current is not None and current.kind == "default":
            inputs["code"].disable()  # the warehouse's own location keeps its code
        if current is not None and current.kind == LocationKind.PACKING:
            inputs["printer_address"] = ui.input(
                tr("Принтер этикеток (адрес или адрес:порт)", "Label printer (host or host:port)"),
                value=current.printer_address or "",
                placeholder="192.168.1.50",
            )  # fmt: skip
            ui.label(
                tr(f"Сетевой принтер ZPL, порт {RAW_PORT}, если не указан. Пусто — этикетки "
                   "скачиваются.", f"A network ZPL printer, port {RAW_PORT} if left out. "
                   "Blank: labels are downloaded.")
            ).classes("text-body2 text-grey-7")  # fmt: skip
    for field, element in inputs.items():
        element.props("outlined").classes("w-full").mark(f"location-{field}")
        if isinstance(element, ui.input | ui.number):
            element.on_value_change(lambda _e, el=element: setattr(el, "error", None))
    inputs["code"].props("autofocus")

    async def save(_user: Identity, _event: Any = None) -> None:
        route = inputs["route_sequence"].value
        values: dict[str, Any] = {
            "code": typed_code(inputs["code"].value or ""),
            "name": inputs["name"].value or "",
            "zone": inputs["zone"].value or None,
            "route_sequence": None if route in (None, "") else int(route),
        }
        if "printer_address" in inputs:
            values["printer_address"] = inputs["printer_address"].value or None
        try:
            if current is None:
                data = LocationData(**values, kind=inputs["kind"].value,
                                    warehouse=inputs["warehouse"].value)  # fmt: skip
                saved = (await run.io_bound(create_location, ctx.locations, data)).location
            else:
                if values["route_sequence"] is None:
                    del values["route_sequence"]
                saved = await run.io_bound(update_location, ctx.locations, current.id, values)
        except DomainError as error:
            _show_field_error(inputs, error)
            return
        dialog.close()
        show_done(tr(f"Место {saved.code} сохранено", f"Location {saved.code} saved"))
        await on_done()

    with card, ui.row().classes("w-full justify-end gap-2"):
        ui.button(tr("Отмена", "Cancel"), on_click=dialog.close).props("flat size=lg")
        ui.button(tr("Сохранить", "Save"), on_click=guarded(ctx, MANAGE, save)).props(
            "size=lg"
        ).mark("location-save")
    dialog.open()


def rack_form(ctx: AppContext, on_done: Done) -> None:
    """Bins for a whole rack (or row of racks) from a pattern, previewed as it is typed."""
    dialog, card = dialog_card(tr("Стеллажи по шаблону", "Racks from a pattern"), "max-w-2xl")
    fields: dict[str, Any] = {}
    with card:
        ui.label(
            tr("Код ячейки: зона-стеллаж-ярус-место, например A-01-1-1.",
               "Bin code: zone-rack-level-place, e.g. A-01-1-1.")
        ).classes("text-body2 text-grey-8")  # fmt: skip
        with ui.grid().classes("w-full grid-cols-2 sm:grid-cols-4 gap-3 items-start"):
            fields["zone"] = ui.input(tr("Зона", "Zone"), value="A")
            fields["warehouse"] = ui.select(
                {code: warehouse_label(code) for code in WAREHOUSES}, value="MAIN",
                label=tr("Склад", "Stock"),
            )  # fmt: skip
        spans = (("racks", "Стеллажи", "Racks", 20), ("levels", "Ярусы (снизу вверх)", "Levels",
                 5), ("places", "Места на ярусе", "Places on a level", 4))  # fmt: skip
        with ui.grid().classes("w-full grid-cols-1 sm:grid-cols-3 gap-3"):
            for name, ru, en, last in spans:
                with ui.column().classes("gap-1"):
                    ui.label(tr(ru, en)).classes("text-subtitle2")
                    with ui.row().classes("w-full no-wrap gap-2"):
                        fields[f"{name}_from"] = ui.number(tr("с", "from"), value=1)
                        fields[f"{name}_to"] = ui.number(tr("по", "to"), value=last)
        route_options = {r.value: tr(*ROUTE_LABELS[r]) for r in RouteOrder}
        fields["route"] = ui.radio(route_options, value=RouteOrder.SERPENTINE.value)
        outcome = ui.label().classes("text-body1").mark("rack-preview")
    for name, element in fields.items():
        element.mark(f"rack-{name}")
        if isinstance(element, ui.number):
            element.props("outlined min=0 max=999 step=1 precision=0").classes("w-full")
        elif not isinstance(element, ui.radio):
            element.props("outlined").classes("w-full")

    def pattern() -> RackPattern:
        def whole(name: str) -> int:
            value = fields[name].value
            return -1 if value is None else int(value)

        return RackPattern(
            zone=typed_code(fields["zone"].value or ""),
            racks=(whole("racks_from"), whole("racks_to")),
            levels=(whole("levels_from"), whole("levels_to")),
            places=(whole("places_from"), whole("places_to")),
            route=fields["route"].value,
            warehouse=fields["warehouse"].value,
        )

    def show_preview(*_: Any) -> None:
        try:
            count, first, last = preview(pattern())
        except DomainError as error:
            outcome.text = error.message
            outcome.classes(replace="text-body1 text-negative")
            create.disable()
            return
        n = quantity(count)
        outcome.text = tr(
            f"Будет создано {n} {plural(count, 'ячейка', 'ячейки', 'ячеек')}: "
            f"{', '.join(first)} … {last} — в порядке обхода",
            f"{n} bins will be created: {', '.join(first)} … {last} — in route order",
        )
        outcome.classes(replace="text-body1")
        create.enable()

    async def save(_user: Identity, _event: Any = None) -> None:
        create.props("loading")
        try:
            made = await run.io_bound(create_rack, ctx.locations, pattern())
        except DomainError as error:
            outcome.text = error.message
            outcome.classes(replace="text-body1 text-negative")
            return
        finally:
            create.props(remove="loading")
        if made is None:  # the app is stopping
            return
        dialog.close()
        count = len(made)
        show_done(tr(f"Создано: {quantity(count)} {plural(count, 'ячейка', 'ячейки', 'ячеек')}",
                     f"Bins created: {quantity(count)}"))  # fmt: skip
        await on_done()

    with card, ui.row().classes("w-full justify-end gap-2"):
        ui.button(tr("Отмена", "Cancel"), on_click=dialog.close).props("flat size=lg")
        create = (
            ui.button(tr("Создать ячейки", "Create bins"), on_click=guarded(ctx, MANAGE, save))
            .props("size=lg")
            .mark("rack-create")
        )
    for element in fields.values():
        element.on_value_change(show_preview)
    show_preview()
    dialog.open()


def location_card(ctx: AppContext, location_id: int, on_done: Done) -> None:
    """What lies at a location, its facts, and what a manager does with it."""
    try:
        location = get_location(ctx.locations, location_id)
    except DomainError as error:
        show_error(error)
        return
    dialog, card = dialog_card(f"{location.code} — {location.name}", "max-w-3xl")
    items = contents(ctx.db.engine, location_id)
    with card:
        facts = [(tr("Тип", "Kind"), kind_label(location.kind)),
                 (tr("Склад", "Stock"), warehouse_label(location.warehouse)),
                 (tr("Зона", "Zone"), location.zone or "—"),
                 (tr("Порядок обхода", "Route order"), quantity(location.route_sequence)),
                 (tr("Состояние", "State"), tr("действует", "active") if location.is_active
                  else tr("отключено", "inactive"))]  # fmt: skip
        if location.kind == LocationKind.PACKING:
            printer = location.printer_address or tr("не указан", "none")
            facts.append((tr("Принтер этикеток", "Label printer"), printer))
        with ui.row().classes("gap-x-6 gap-y-1 text-body1"):
            for label, value in facts:
                with ui.row().classes("gap-1 items-baseline no-wrap"):
                    ui.label(f"{label}:").classes("text-grey-7")
                    ui.label(value)
        if items:
            rows = [
                {"n": i, "product_id": r["product_id"],
                 "product": r["name"] or tr("(пустая)", "(empty)"), "sku": r["sku"] or "",
                 "unit": r["handling_unit"] or "—", "quantity": quantity(r["quantity"]),
                 "reserved": quantity(r["reserved"]) if r["reserved"] else ""}
                for i, r in enumerate(items)
            ]  # fmt: skip
            columns = [
                {"name": "product", "label": tr("Товар", "Product"), "field": "product",
                 "align": "left", "classes": "whitespace-normal"},
                {"name": "sku", "label": tr("Артикул", "SKU"), "field": "sku", "align": "left"},
                {"name": "unit", "label": tr("Паллета / коробка", "Pallet / box"),
                 "field": "unit", "align": "left"},
                {"name": "quantity", "label": tr("Кол-во", "Qty"), "field": "quantity"},
                {"name": "reserved", "label": tr("Резерв", "Reserved"), "field": "reserved"},
            ]  # fmt: skip
            table = (
                ui.table(columns=columns, rows=rows, row_key="n")
                .props("flat bordered dense hide-bottom")
                .classes("w-full max-h-96")
                .mark("location-contents")
            )
            table.on("row-click", lambda e: e.args and ui.navigate.to(f"/products/{e.args}"),
                     js_handler="(evt, row) => row.product_id && emit(row.product_id)")  # fmt: skip
        else:
            ui.label(tr("Пусто: здесь ничего не лежит.", "Empty: nothing lies here.")).classes(
                "text-body1 text-grey-7"
            ).mark("location-empty")
        refusal = (
            ui.label()
            .classes("w-full text-body1 text-negative bg-red-1 rounded-borders q-pa-md")
            .mark("location-refused")
        )
        refusal.set_visibility(False)

    async def toggle(_user: Identity, _event: Any = None) -> None:
        try:
            await run.io_bound(
                update_location, ctx.locations, location_id, {"is_active": not location.is_active}
            )
        except DomainError as error:
            refusal.text = error.message  # stays in view: what to do before trying again
            refusal.set_visibility(True)
            return
        dialog.close()
        show_done(tr(f"Место {location.code}: ", f"Location {location.code}: ")
                  + (tr("отключено", "deactivated") if location.is_active
                     else tr("снова действует", "active again")))  # fmt: skip
        await on_done()

    def edit(_user: Identity, _event: Any = None) -> None:
        dialog.close()
        location_form(ctx, on_done, location)

    def label(user: Identity, form: str) -> None:
        offer_labels(user, [Label(location.code, location.name)], form, f"label-{location.code}")

    with card, ui.row().classes("w-full justify-end gap-2 flex-wrap"):
        ui.button(tr("Этикетка PDF", "Label PDF"), icon="print",
                  on_click=guarded(ctx, MANAGE, lambda u, _e=None: label(u, "pdf"))
                  ).props("outline").mark("location-label-pdf")  # fmt: skip
        ui.button(tr("Этикетка ZPL", "Label ZPL"), icon="qr_code_2",
                  on_click=guarded(ctx, MANAGE, lambda u, _e=None: label(u, "zpl"))
                  ).props("outline").mark("location-label-zpl")  # fmt: skip
        ui.button(tr("Изменить", "Edit"), icon="edit", on_click=guarded(ctx, MANAGE, edit)).props(
            "outline"
        ).mark("location-edit")
        if location.kind != "default":
            text = tr("Отключить", "Deactivate") if location.is_active else tr(
                "Вернуть в работу", "Activate")  # fmt: skip
            ui.button(text, icon="block" if location.is_active else "check_circle",
                      color="negative" if location.is_active else "positive",
                      on_click=guarded(ctx, MANAGE, toggle)).props("outline").mark(
                "location-toggle")  # fmt: skip
        ui.button(tr("Закрыть", "Close"), on_click=dialog.close).props("flat")
    dialog.open()
