"""The form a manager creates a mission with (/missions/new) or edits a draft with
(/missions/{id}/edit): kind, priority, the lines (product, quantity, from → to, and
optionally a pallet or box: the goods go into it where it stands at the target, or out of
it where it stands at the source) — or a whole pallet or box moved with everything in it
(«Паллета или коробка целиком»: the unit and where it goes; it is taken from where it
stands) — and, on creation, the executor to give it to at once.
core.floor.missions checks everything and the form shows its message (a line's message
names the line)."""

from typing import Any

from nicegui import ui

from core.errors import DomainError
from core.floor.mission_lines import LineRequest
from core.floor.mission_rules import Actor
from core.floor.missions import MissionRequest, create_mission, update_mission
from core.floor.ports import Mission
from core.users.auth import Identity
from core.users.policy import Action
from data.floor.executors import executors
from data.floor.handling_unit_queries import UnitFilter, units
from data.floor.missions import mission_work
from data.reads import MAX_PAGE
from data.stock.locations import internal_locations
from ui.components.product_picker import ProductPicker
from ui.context import AppContext
from ui.i18n import tr
from ui.pages.floor.handling_units import kind_name
from ui.pages.floor.mission_labels import kind_options, priority_options
from ui.session import guarded

NOBODY = 0  # the executor select's «not yet»
GOODS, WHOLE = "goods", "unit"  # what a line moves


def _what() -> dict[str, str]:
    return {GOODS: tr("Товар", "Goods"), WHOLE: tr("Паллета или коробка целиком", "A whole unit")}


def _unit_label(whole: bool) -> str:
    if whole:
        return tr("Паллета или коробка", "Pallet or box")
    return tr("В паллету / из коробки (необязательно)", "Into / out of a pallet or box (optional)")


class LineEditor:
    """One line of the form: its fields, read back when the form is saved."""

    def __init__(self, form: "MissionForm", number: int) -> None:
        self.form = form
        self.product_id: int | None = None
        places = form.places
        with ui.card().classes("w-full gap-2").props("flat bordered").mark("line-editor") as card:
            self.card = card
            with ui.row().classes("w-full items-center no-wrap"):
                self.title = ui.label(tr(f"Строка {number}", f"Line {number}")).classes(
                    "text-subtitle2 grow"
                )
                self.what = (
                    ui.toggle(_what(), value=GOODS, on_change=lambda _: self._switch())
                    .props("no-caps unelevated")
                    .mark("line-what")
                )
                ui.button(icon="delete", on_click=lambda: form.remove(self)).props(
                    f'flat round aria-label="{tr("Удалить строку", "Remove the line")}"'
                ).mark("line-remove")
            self.picker = ProductPicker(
                form.ctx,
                Action.MANAGE_MISSIONS,
                label=tr("Товар", "Product"),
                on_pick=self._picked,
            )
            self.picker.select.mark("line-product")
            with ui.row().classes("w-full items-start gap-2 flex-wrap"):
                self.quantity = (
                    ui.number(tr("Количество, шт.", "Quantity, units"), min=1, step=1, precision=0)
                    .props("outlined")
                    .classes("w-40")
                    .mark("line-quantity")
                )
                self.source = (
                    ui.select(places, label=tr("Откуда", "From"), with_input=True)
                    .props("outlined")
                    .classes("grow min-w-56")
                    .mark("line-from")
                )
                self.target = (
                    ui.select(places, label=tr("Куда", "To"), with_input=True)
                    .props("outlined")
                    .classes("grow min-w-56")
                    .mark("line-to")
                )
                self.unit = (
                    ui.select(dict(form.units), label=_unit_label(False), with_input=True,
                              clearable=True)
                    .props("outlined").classes("grow min-w-56").mark("line-unit")
                )  # fmt: skip

    @property
    def whole(self) -> bool:
        return self.what.value == WHOLE

    def _switch(self) -> None:
        """A whole unit: no product, no quantity, and it is taken from where it stands."""
        for field in (self.picker.select, self.quantity, self.source):
            field.set_visibility(not self.whole)
        self.unit.props(f'label="{_unit_label(self.whole)}"')

    def _picked(self, product_id: int | None) -> None:
        self.product_id = product_id

    def fill(self, line: Any) -> None:
        self.what.set_value(WHOLE if line.whole_unit else GOODS)
        self.product_id = line.product_id
        if not line.whole_unit:
            self.picker.show(
                {
                    "id": line.product_id,
                    "name": line.product_name,
                    "sku": line.sku,
                    "barcode": line.barcode,
                }
            )
        self.quantity.set_value(line.quantity)
        self.source.set_value(line.from_location_id)
        self.target.set_value(line.to_location_id)
        if line.handling_unit_id is not None:
            if line.handling_unit_id not in self.unit.options:  # closed since: still named
                self.unit.set_options(
                    {**self.unit.options, line.handling_unit_id: f"№{line.handling_unit_id}"}
                )
            self.unit.set_value(line.handling_unit_id)

    def request(self) -> LineRequest:
        if self.whole:
            return LineRequest(None, None, None, self.target.value, self.unit.value, True)
        value = self.quantity.value
        quantity = int(value) if isinstance(value, float) and value.is_integer() else value
        return LineRequest(
            self.product_id, quantity, self.source.value, self.target.value, self.unit.value
        )


class MissionForm:
    def __init__(self, ctx: AppContext, user: Identity, mission: Mission | None) -> None:
        self.ctx = ctx
        self.mission = mission
        self.lines: list[LineEditor] = []
        self.places = {
            row["id"]: f"{row['code']} · {row['name']}" for row in internal_locations(ctx.db.engine)
        }
        # Open units, newest first: «code · kind · where it stands».
        self.units = {
            row["id"]: f"{row['code']} · {kind_name(row['kind'])} · {row['location_code']}"
            for row in units(ctx.db.engine, UnitFilter(), limit=MAX_PAGE).items
        }

    def build(self) -> None:
        mission = self.mission
        with ui.column().classes("w-full max-w-4xl gap-3").mark("mission-form"):
            with ui.row().classes("w-full items-center gap-3 flex-wrap"):
                self.kind = (
                    ui.toggle(kind_options(), value=mission.kind if mission else "putaway")
                    .props("unelevated size=lg")
                    .mark("mission-kind")
                )
                self.priority = (
                    ui.select(
                        priority_options(),
                        value=mission.priority if mission else "normal",
                        label=tr("Приоритет", "Priority"),
                    )
                    .props("outlined")
                    .classes("min-w-48")
                    .mark("mission-priority")
                )
                self.executor = None
                if mission is None:
                    people = executors(self.ctx.db.engine, active=True, limit=MAX_PAGE).items
                    options = {NOBODY: tr("— назначить позже —", "— assign later —")}
                    options |= {row["id"]: f"{row['name']} ({row['code']})" for row in people}
                    self.executor = (
                        ui.select(options, value=NOBODY, label=tr("Исполнитель", "Executor"))
                        .props("outlined")
                        .classes("min-w-64")
                        .mark("mission-executor")
                    )
            ui.label(
                tr(
                    "Размещение: из зоны приёмки (MAIN или DEFECT) в ячейку. Перемещение и "
                    "пополнение: между местами одного склада. Строка может перемещать "
                    "паллету или коробку целиком — со всем, что в ней.",
                    "Putaway: from the receiving zone (MAIN or DEFECT) to a bin. Move and "
                    "replenishment: between places of one warehouse. A line may move a whole "
                    "pallet or box with everything in it.",
                )
            ).classes("text-body2 text-grey-8")
            self.line_column = ui.column().classes("w-full gap-2")
            ui.button(
                tr("Добавить строку", "Add a line"), icon="add", on_click=lambda: self.add()
            ).props("outline size=lg").mark("line-add")
            self.error = ui.label().classes("text-negative text-body1").mark("mission-error")
            self.error.set_visibility(False)
            with ui.row().classes("gap-2"):
                ui.button(
                    tr("Сохранить", "Save") if mission else tr("Создать задание", "Create"),
                    icon="save",
                    on_click=guarded(self.ctx, Action.MANAGE_MISSIONS, self.save),
                ).props("unelevated size=lg").mark("mission-save")
                back = f"/missions/{mission.id}" if mission else "/missions"
                ui.button(tr("Отмена", "Cancel"), on_click=lambda: ui.navigate.to(back)).props(
                    "flat size=lg"
                )
        if mission is None:
            self.add()
        else:
            for line in mission.lines:
                self.add().fill(line)

    def add(self) -> LineEditor:
        with self.line_column:
            editor = LineEditor(self, len(self.lines) + 1)
        self.lines.append(editor)
        return editor

    def remove(self, editor: LineEditor) -> None:
        self.lines.remove(editor)
        self.line_column.remove(editor.card)
        for number, line in enumerate(self.lines, start=1):
            line.title.set_text(tr(f"Строка {number}", f"Line {number}"))

    def save(self, user: Identity, *_: Any) -> None:
        actor = Actor.of(user.id, user.role)
        lines = [editor.request() for editor in self.lines]
        try:
            if self.mission is None:
                executor = self.executor.value if self.executor else NOBODY
                request = MissionRequest(
                    self.kind.value, lines, self.priority.value, executor or None
                )
                saved = create_mission(mission_work(self.ctx.db), request, actor).mission
            else:
                changes = {"kind": self.kind.value, "priority": self.priority.value, "lines": lines}
                saved = update_mission(mission_work(self.ctx.db), self.mission.id, changes, actor)
        except DomainError as failure:
            self.error.set_text(failure.message)
            self.error.set_visibility(True)
            return
        ui.navigate.to(f"/missions/{saved.id}")
