"""The packing page's box (ui.pages.floor.packing_run): the units scanned into it are
counted here at once, and «Закрыть коробку» asks its weight and dimensions and sends it
to core as one package (core.orders.packing.add_package, one idempotency key a box).

The dialog asks all four measures before a box is sent: `pack` refuses an unmeasured one
(`dimensions_missing`), and a box measured at once needs no second step (programs that
send one without them measure it later: core.orders.package_measures). Volumetric and
chargeable weight are shown as they are typed, computed by core
(core.orders.packing_ports)."""

from collections.abc import Awaitable, Callable
from typing import Any

from nicegui import ui

from core.orders.packing import PACKAGING_LABELS, PackagingType
from core.orders.packing_ports import chargeable_weight, volumetric_weight
from core.users.auth import Identity
from core.users.policy import Action
from ui.context import AppContext
from ui.i18n import tr
from ui.session import guarded

TYPE_EN = {"box": "Box", "bag": "Bag", "envelope": "Envelope", "pallet": "Pallet",
           "custom": "Other"}  # fmt: skip
TYPE_ICONS = {"box": "inventory_2", "bag": "shopping_bag", "envelope": "mail",
              "pallet": "pallet", "custom": "category"}  # fmt: skip
MEASURES = (
    ("weight", "Вес, кг", "Weight, kg"),
    ("length", "Длина, см", "Length, cm"),
    ("width", "Ширина, см", "Width, cm"),
    ("height", "Высота, см", "Height, cm"),
)


def type_label(kind: str) -> str:
    return tr(PACKAGING_LABELS.get(kind, kind), TYPE_EN.get(kind, kind))


def kg(value: float | None) -> str:
    return "—" if value is None else f"{value:g}".replace(".", ",")


def positive(value: Any) -> float | None:
    return float(value) if isinstance(value, int | float) and value > 0 else None


class MeasureDialog:
    """Weight and dimensions of the box being closed; `on_close(kind, measures)` sends it."""

    def __init__(self, ctx: AppContext,
                 on_close: Callable[[dict[str, float]], Awaitable[None]]) -> None:  # fmt: skip
        self.on_close = on_close
        with (
            ui.dialog().mark("box-dialog") as self.dialog,
            ui.card().classes("w-[36rem] max-w-full gap-3"),
        ):
            self.title = ui.label().classes("text-h5").mark("box-title")
            self.fields: dict[str, ui.number] = {}
            with ui.element("div").classes("w-full grid grid-cols-2 gap-3"):
                for name, ru, en in MEASURES:
                    self.fields[name] = (
                        ui.number(tr(ru, en), min=0, step=0.1 if name == "weight" else 1,
                                  on_change=self._computed)
                        .props("outlined inputmode=decimal input-class=text-h5 "
                               "enterkeyhint=next")
                        .classes("w-full").mark(f"box-{name}")
                    )  # fmt: skip
            self.computed = ui.label().classes("text-h6").mark("box-computed")
            self.problem = ui.label().classes("text-body1 text-negative").mark("box-problem")
            with ui.row().classes("w-full justify-end gap-2"):
                ui.button(tr("Назад", "Back"), on_click=self.dialog.close).props(
                    "flat size=lg").classes("min-h-14")  # fmt: skip
                ui.button(tr("Закрыть коробку", "Close the box"), icon="check",
                          on_click=guarded(ctx, Action.PACK, self._confirm)).props(
                    "unelevated size=xl").classes("min-h-16").mark("box-confirm")  # fmt: skip

    def open(self, number: int, kind: str, units: int) -> None:
        self.title.set_text(
            tr(
                f"{type_label(kind)} {number}: {units} шт. — вес и габариты",
                f"{type_label(kind)} {number}: {units} units — weight and size",
            )
        )
        for field in self.fields.values():
            field.set_value(None)
        self.problem.set_text("")
        self._computed()
        self.dialog.open()
        self.fields["weight"].run_method("focus")

    def values(self) -> dict[str, float | None]:
        return {name: positive(field.value) for name, field in self.fields.items()}

    def _computed(self, *_: Any) -> None:
        v = self.values()
        volumetric = volumetric_weight(v["length"], v["width"], v["height"])
        charged = chargeable_weight(v["weight"], volumetric)
        self.computed.set_text(
            tr(
                f"Объёмный вес: {kg(volumetric)} кг · расчётный: {kg(charged)} кг",
                f"Volumetric: {kg(volumetric)} kg · chargeable: {kg(charged)} kg",
            )
        )

    async def _confirm(self, _user: Identity, *_: Any) -> None:
        v = self.values()
        if any(value is None for value in v.values()):
            self.problem.set_text(tr("Укажите вес и все три размера: без них заказ не упаковать",
                                     "Enter the weight and all three dimensions"))  # fmt: skip
            return
        self.dialog.close()
        await self.on_close({k: value for k, value in v.items() if value is not None})


def type_buttons(current: str, choose: Callable[[str], None]) -> None:
    """Packaging types as big buttons, the chosen one filled."""
    with ui.row().classes("w-full gap-2").mark("box-types"):
        for kind in PackagingType:
            chosen = kind.value == current
            ui.button(type_label(kind.value), icon=TYPE_ICONS[kind.value],
                      on_click=lambda _e=None, k=kind.value: choose(k)).props(
                "unelevated size=lg" if chosen else "outline size=lg").classes(
                "grow min-h-14").mark(f"box-type-{kind.value}")  # fmt: skip
