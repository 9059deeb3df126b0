"""Move a pallet or a box on the tablet (/unit-move): scan the unit, scan the target bin —
the whole unit moves with everything in it (boxes on a pallet too) as one document
(core.floor.handling_units.move_unit). Scanner first: the scan field has the focus, a key
typed elsewhere goes to it; a wrong scan (an unknown code, a bin where a unit is wanted,
a closed unit, the bin it already stands in) is refused at once with a red flash and a
buzz (ui.components.feedback), and nothing moves."""

import uuid
from typing import Any

from nicegui import run, ui

from core.errors import DomainError
from core.floor.handling_units import KIND_LABELS, move_unit
from core.floor.unit_codes import read_scan
from core.users.auth import Identity
from core.users.policy import Action
from data.floor.handling_unit_queries import place_by_code, unit_row
from data.floor.handling_units import handling_unit_work
from ui.components.feedback import ScanFeedback
from ui.components.scan_field import ScanField
from ui.context import AppContext
from ui.formatting import quantity
from ui.i18n import tr
from ui.layout import frame
from ui.session import guarded, protected_page

PATH = "/unit-move"
ACTION = Action.WORK_MISSIONS  # floor work: whoever works missions moves pallets


def register(ctx: AppContext) -> None:
    @protected_page(ctx, PATH, ACTION)
    def unit_move_page(user: Identity) -> None:
        with frame(user, tr("Переместить паллету", "Move a pallet"), PATH):
            UnitMove(ctx, user).build()


def kind_name(kind: str) -> str:
    return KIND_LABELS.get(kind, tr("Упаковка", "Unit")) if kind in KIND_LABELS else kind


class UnitMove:
    def __init__(self, ctx: AppContext, user: Identity) -> None:
        self.ctx = ctx
        self.user = user
        self.unit: dict[str, Any] | None = None
        self.key = ""  # one per unit scanned: a repeated scan of the bin moves once

    def build(self) -> None:
        self.feedback = ScanFeedback(self.user)
        self.feedback.banner.classes("max-w-3xl")
        with ui.column().classes("w-full max-w-3xl gap-3").mark("unit-move"):
            self.instruction = ui.label().classes("text-h5").mark("unit-instruction")
            self.big = (
                ui.label()
                .classes("wms-run-place text-weight-bold leading-none")
                .style("font-size: clamp(2.5rem, 8vw, 5rem); letter-spacing: .03em")
                .mark("unit-big")
            )
            self.details = ui.column().classes("w-full gap-1").mark("unit-details")
            self.scan = (
                ScanField(tr("Сканируйте", "Scan"), guarded(self.ctx, ACTION, self._scanned))
                .classes("w-full")
                .mark("unit-scan")
            )
            self.again = (
                ui.button(
                    tr("Другая паллета", "Another unit"),
                    icon="replay",
                    on_click=lambda: self._reset(),
                )
                .props("outline size=xl")
                .classes("w-full min-h-16")
                .mark("unit-reset")
            )
        self._reset()

    def _reset(self) -> None:
        self.unit = None
        self.key = ""
        self.instruction.set_text(tr("Отсканируйте паллету или коробку", "Scan a pallet or box"))
        self.big.set_text("")
        self.big.set_visibility(False)
        self.details.clear()
        self.again.set_visibility(False)
        self._ask(tr("Сканируйте паллету или коробку", "Scan the pallet or box"))

    def _ask(self, label: str) -> None:
        self.scan.props(f'label="{label}"')
        self.scan.run_method("focus")

    def _show_unit(self, unit: dict[str, Any]) -> None:
        self.unit = unit
        self.key = uuid.uuid4().hex
        self.instruction.set_text(tr("Отвезите в ячейку и отсканируйте её", "Take it to a bin "
                                     "and scan the bin"))  # fmt: skip
        self.big.set_text(unit["code"])
        self.big.set_visibility(True)
        self.details.clear()
        units = unit["units"] + sum(n["units"] for n in unit["nested"])
        products = {c["product_id"] for c in unit["contents"]}
        products |= {c["product_id"] for n in unit["nested"] for c in n["contents"]}
        with self.details:
            ui.label(
                f"{kind_name(unit['kind'])} · {tr('сейчас в', 'now at')} {unit['location_code']}"
            ).classes("text-h6").mark("unit-where")
            text = tr(
                f"Товаров: {len(products)}, всего {quantity(units)} шт.",
                f"Products: {len(products)}, {quantity(units)} units in all",
            )
            if unit["nested"]:
                text += tr(f"; вложено упаковок: {len(unit['nested'])}",
                           f"; nested units: {len(unit['nested'])}")  # fmt: skip
            ui.label(text).classes("text-body1 text-grey-8").mark("unit-summary")
        self.again.set_visibility(True)
        self._ask(tr("Сканируйте ячейку", "Scan the bin"))

    async def _scanned(self, _user: Identity, code: str) -> None:
        if self.unit is None:
            self._unit_scanned(code)
        else:
            await self._bin_scanned(code)

    def _unit_scanned(self, code: str) -> None:
        unit = unit_row(self.ctx.db.engine, code=code)
        if unit is None:
            if place_by_code(self.ctx.db.engine, code) is not None:
                self.feedback.error(tr(
                    f"«{code}» — это ячейка. Сначала отсканируйте паллету или коробку",
                    f"“{code}” is a bin. Scan the pallet or box first",
                ))  # fmt: skip
            else:
                self.feedback.error(tr(f"Паллета или коробка «{code}» не найдена",
                                       f"No pallet or box “{code}”"))  # fmt: skip
            return
        if not unit["is_open"]:
            self.feedback.error(tr(f"{unit['code']} закрыта: её не перемещают",
                                   f"{unit['code']} is closed"))  # fmt: skip
            return
        self.feedback.done()
        self._show_unit(unit)

    async def _bin_scanned(self, code: str) -> None:
        unit = self.unit
        assert unit is not None
        place = place_by_code(self.ctx.db.engine, code)
        if place is None:
            if unit_row(self.ctx.db.engine, code=code) is not None:
                message = tr(f"«{read_scan(code)}» — это упаковка. Отсканируйте ячейку",
                             f"“{read_scan(code)}” is a unit. Scan the bin")  # fmt: skip
            else:
                message = tr(f"Ячейка «{code}» не найдена", f"No bin “{code}”")
            self.feedback.error(message)
            return
        if place["id"] == unit["location_id"]:
            self.feedback.warn(tr(f"{unit['code']} уже в {place['code']}",
                                  f"{unit['code']} is at {place['code']} already"))  # fmt: skip
            return
        try:
            moved = await run.io_bound(
                move_unit, handling_unit_work(self.ctx.db), unit["id"], place["id"],
                user_id=self.user.id, idempotency_key=self.key,
            )  # fmt: skip
        except DomainError as refusal:
            self.feedback.error(refusal.message)
            return
        if moved is None:  # the app is stopping
            return
        self.feedback.done(tr(
            f"{kind_name(unit['kind'])} {unit['code']} перемещена в {place['code']}",
            f"{unit['code']} moved to {place['code']}",
        ))  # fmt: skip
        self._reset()
