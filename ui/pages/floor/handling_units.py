"""Pallets and boxes (managers, /handling-units): the open units, newest first, where each
stands and how much lies in it; create one or several at a place (a box right on a
pallet), open a unit's card to see its contents and nested boxes, print its label (ZPL or
a PDF; an SSCC as GS1-128, core.floor.unit_labels), take a box off its pallet, close an empty
unit. The rules are core's (core.floor.handling_units); a refusal is shown with its
Russian message."""

from typing import Any

from nicegui import run, ui

from core.errors import DomainError
from core.floor.handling_units import KIND_LABELS, close_unit, create_unit, nest_unit
from core.floor.unit_codes import human_readable
from core.floor.unit_labels import UnitLabel, unit_labels_zpl
from core.users.auth import Identity
from core.users.policy import Action
from data.files.labels import PDF_MEDIA_TYPE, ZPL_MEDIA_TYPE
from data.files.unit_labels import unit_labels_pdf
from data.floor.handling_unit_queries import UnitFilter, unit_row, units
from data.floor.handling_units import handling_unit_work
from data.floor.locations import LocationFilter, locations
from ui.components.downloads import offer_bytes
from ui.components.feedback import show_done, show_error
from ui.context import AppContext
from ui.formatting import quantity
from ui.i18n import tr
from ui.layout import frame
from ui.live import refresh_on_ledger_change
from ui.pages.floor.location_dialogs import dialog_card
from ui.session import guarded, protected_page

PATH = "/handling-units"
MANAGE = Action.MANAGE_LOCATIONS  # as the storage map and the API's unit routes
SHOWN = 200  # newest first; a search finds the others
MAX_AT_ONCE = 100


def register(ctx: AppContext) -> None:
    @protected_page(ctx, PATH, MANAGE)
    def handling_units_page(user: Identity) -> None:
        with frame(user, tr("Паллеты и коробки", "Pallets and boxes"), PATH):
            UnitsPage(ctx, user).build()


def kind_name(kind: str) -> str:
    return {"pallet": tr("Паллета", "Pallet"), "box": tr("Коробка", "Box")}.get(
        kind, KIND_LABELS.get(kind, kind)
    )


def unit_labels(rows: list[dict[str, Any]]) -> list[UnitLabel]:
    return [UnitLabel(r["code"], kind_name(r["kind"]), r.get("location_code") or "") for r in rows]


def offer_labels(user: Identity, labels: list[UnitLabel], form: str, stem: str) -> None:
    """The labels (an SSCC as GS1-128) as PDF pages or ZPL, downloaded by this browser once."""
    if form == "pdf":
        offer_bytes(user, unit_labels_pdf(labels), f"{stem}.pdf", PDF_MEDIA_TYPE)
    else:
        offer_bytes(user, unit_labels_zpl(labels).encode(), f"{stem}.zpl", ZPL_MEDIA_TYPE)


COLUMNS = [
    {"name": "code", "label": tr("Код", "Code"), "field": "code", "align": "left"},
    {"name": "kind", "label": tr("Вид", "Kind"), "field": "kind_name", "align": "left"},
    {"name": "place", "label": tr("Место", "Place"), "field": "location_code", "align": "left"},
    {"name": "on", "label": tr("На паллете", "On"), "field": "parent_code", "align": "left"},
    {"name": "units", "label": tr("Товара, шт.", "Units"), "field": "units_text"},
    {"name": "children", "label": tr("Вложено", "Nested"), "field": "children"},
    {"name": "state", "label": tr("Состояние", "State"), "field": "state", "align": "left"},
]


class UnitsPage:
    def __init__(self, ctx: AppContext, user: Identity) -> None:
        self.ctx = ctx
        self.user = user
        self.q = ""
        self.closed = False

    def build(self) -> None:
        with ui.row().classes("w-full items-center gap-3"):
            search = (
                ui.input(tr("Код паллеты или коробки", "Pallet or box code"))
                .props("outlined dense clearable debounce=300")
                .classes("w-72")
                .mark("units-search")
            )
            search.on_value_change(lambda e: self._search(e.value))
            ui.switch(tr("Закрытые", "Closed"), on_change=lambda e: self._closed(e.value)).mark(
                "units-closed"
            )
            ui.space()
            ui.button(
                tr("Создать", "Create"), icon="add",
                on_click=guarded(self.ctx, MANAGE, lambda _u, *_: self._create_form()),
            ).props("unelevated").mark("units-create")  # fmt: skip
        self.table = (
            ui.table(columns=COLUMNS, rows=[], row_key="id", pagination=25)
            .props("flat bordered")
            .classes("w-full cursor-pointer")
            .mark("units-table")
        )
        self.table.props["no-data-label"] = tr("Паллет и коробок нет", "No pallets or boxes")
        self.table.props[":dense"] = "window.innerWidth < 1024"
        self.table.on("rowClick", lambda e: self._open(e.args[1]["id"]))
        self.total = ui.label().classes("text-body2 text-grey-7").mark("units-total")
        self.load()
        refresh_on_ledger_change(self.ctx, self.load, action=MANAGE)

    def _search(self, value: str | None) -> None:
        self.q = value or ""
        self.load()

    def _closed(self, value: bool) -> None:
        self.closed = bool(value)
        self.load()

    def load(self) -> None:
        flt = UnitFilter(q=self.q, is_open=not self.closed)
        page = units(self.ctx.db.engine, flt, limit=SHOWN)
        for row in page.items:
            row["kind_name"] = kind_name(row["kind"])
            row["units_text"] = quantity(row["units"])
            row["state"] = tr("открыта", "open") if row["is_open"] else tr("закрыта", "closed")
        self.table.rows = page.items
        self.table.update()
        self.total.set_text(tr(f"Всего: {page.total}", f"Total: {page.total}"))

    # --- create ---------------------------------------------------------------------------

    def _create_form(self) -> None:
        engine = self.ctx.db.engine
        places = locations(engine, LocationFilter(active=True), limit=500).items
        options = {p["id"]: f"{p['code']} · {p['name']}" for p in places}
        dialog, card = dialog_card(tr("Новая паллета или коробка", "New pallet or box"))
        with card:
            kind = ui.toggle({"pallet": tr("Паллета", "Pallet"), "box": tr("Коробка", "Box")},
                             value="pallet").props("size=lg").mark("create-kind")  # fmt: skip
            place = ui.select(options, label=tr("Где стоит", "Place"), with_input=True,
                              value=next(iter(options), None)).classes("w-full")  # fmt: skip
            place.mark("create-place")
            parent = ui.select({}, label=tr("На паллету (для коробки)", "On a pallet (a box)"),
                               clearable=True).classes("w-full").mark("create-parent")  # fmt: skip
            count = ui.number(tr("Сколько создать", "How many"), value=1, min=1,
                              max=MAX_AT_ONCE, precision=0).mark("create-count")  # fmt: skip

            def pallets_here() -> None:
                here = units(engine, UnitFilter(kind="pallet", location_id=place.value), limit=100)
                parent.set_options({u["id"]: u["code"] for u in here.items}, value=None)
                parent.set_visibility(kind.value == "box")

            kind.on_value_change(lambda _e: pallets_here())
            place.on_value_change(lambda _e: pallets_here())
            pallets_here()

            async def create(_user: Identity, *_: Any) -> None:
                many = int(count.value or 1)
                if not 1 <= many <= MAX_AT_ONCE:
                    count.error = tr(f"От 1 до {MAX_AT_ONCE}", f"1 to {MAX_AT_ONCE}")
                    return
                made: list[dict[str, Any]] = []
                try:
                    for _ in range(many):
                        created = await run.io_bound(
                            create_unit, handling_unit_work(self.ctx.db), kind.value, place.value,
                            user_id=self.user.id, parent_id=parent.value if kind.value == "box"
                            else None,
                        )  # fmt: skip
                        if created is None:
                            return
                        made.append({"code": created.unit.code, "kind": created.unit.kind})
                except DomainError as refusal:
                    show_error(refusal)
                    return
                finally:
                    self.load()
                dialog.close()
                show_done(tr(f"Создано: {len(made)}", f"Created: {len(made)}"))
                self._offer_print(made)

            with ui.row().classes("w-full justify-end gap-2"):
                ui.button(tr("Отмена", "Cancel"), on_click=dialog.close).props("flat")
                ui.button(tr("Создать", "Create"), on_click=guarded(self.ctx, MANAGE, create)
                          ).props("unelevated").mark("create-save")  # fmt: skip
        dialog.open()

    def _offer_print(self, made: list[dict[str, Any]]) -> None:
        dialog, card = dialog_card(tr("Напечатать этикетки?", "Print the labels?"))
        with card:
            ui.label(", ".join(m["code"] for m in made[:10]) + (" …" if len(made) > 10 else ""))
            self._print_buttons(made, dialog)
        dialog.open()

    def _print_buttons(self, rows: list[dict[str, Any]], dialog: ui.dialog | None = None) -> None:
        def printed(form: str) -> Any:
            def go(_user: Identity, *_: Any) -> None:
                stem = rows[0]["code"] if len(rows) == 1 else "handling-units"
                offer_labels(self.user, unit_labels(rows), form, f"label-{stem}")
                if dialog is not None:
                    dialog.close()

            return guarded(self.ctx, MANAGE, go)

        with ui.row().classes("w-full justify-end gap-2"):
            ui.button(tr("Этикетка PDF", "Label PDF"), icon="picture_as_pdf",
                      on_click=printed("pdf")).props("outline").mark("unit-label-pdf")  # fmt: skip
            ui.button(tr("Этикетка ZPL", "Label ZPL"), icon="print",
                      on_click=printed("zpl")).props("outline").mark("unit-label-zpl")  # fmt: skip

    # --- a unit's card --------------------------------------------------------------------

    def _open(self, unit_id: int) -> None:
        unit = unit_row(self.ctx.db.engine, unit_id)
        if unit is None:
            self.load()
            return
        title = f"{kind_name(unit['kind'])} {unit['code']}"
        dialog, card = dialog_card(title, "max-w-2xl")
        with card:
            where = tr(f"Место: {unit['location_code']}", f"Place: {unit['location_code']}")
            if unit["parent_code"]:
                where += tr(f" · на паллете {unit['parent_code']}", f" · on {unit['parent_code']}")
            if not unit["is_open"]:
                where += tr(" · закрыта", " · closed")
            ui.label(where).classes("text-subtitle1").mark("unit-card-where")
            if human_readable(unit["code"]) != unit["code"]:  # an SSCC: as its label reads
                ui.label(human_readable(unit["code"])).classes("text-body2 text-grey-8")
            rows = [{**c, "units": quantity(c["quantity"])} for c in unit["contents"]]
            for nested in unit["nested"]:
                for c in nested["contents"]:
                    sku = f"{c['sku']} ({nested['code']})"
                    rows.append({**c, "sku": sku, "units": quantity(c["quantity"])})
            ui.table(
                columns=[
                    {"name": "sku", "label": tr("Артикул", "SKU"), "field": "sku", "align": "left"},
                    {"name": "name", "label": tr("Товар", "Product"), "field": "name",
                     "align": "left"},
                    {"name": "units", "label": tr("Шт.", "Units"), "field": "units"},
                ],
                rows=rows, row_key="sku",
            ).props("flat bordered dense").classes("w-full").mark("unit-contents")  # fmt: skip
            if not rows:
                ui.label(tr("Пусто", "Empty")).classes("text-grey-7").mark("unit-empty")
            if unit["nested"]:
                codes = ", ".join(n["code"] for n in unit["nested"])
                ui.label(tr(f"Вложены: {codes}", f"Nested: {codes}")).mark("unit-nested")
            self._print_buttons([unit])
            with ui.row().classes("w-full justify-end gap-2"):
                if unit["parent_id"] and unit["is_open"]:
                    ui.button(
                        tr("Снять с паллеты", "Take off the pallet"),
                        on_click=guarded(self.ctx, MANAGE, lambda _u, *_: self._act(
                            dialog, nest_unit, unit["id"], None)),
                    ).props("flat").mark("unit-unnest")  # fmt: skip
                if unit["is_open"]:
                    ui.button(
                        tr("Закрыть упаковку", "Close the unit"), icon="lock",
                        on_click=guarded(self.ctx, MANAGE, lambda _u, *_: self._act(
                            dialog, close_unit, unit["id"])),
                    ).props("unelevated color=negative").mark("unit-close")  # fmt: skip
                ui.button(tr("Готово", "Done"), on_click=dialog.close).props("flat")
        dialog.open()

    async def _act(self, dialog: ui.dialog, action: Any, *args: Any) -> None:
        try:
            done = await run.io_bound(action, handling_unit_work(self.ctx.db), *args)
        except DomainError as refusal:
            show_error(refusal)
            return
        if done is None:
            return
        dialog.close()
        show_done(tr(f"Готово: {done.code}", f"Done: {done.code}"))
        self.load()
