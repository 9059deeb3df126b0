"""The run page of a tablet picking task (a single order's, a batch's): what every such
page shows, drawn and marked one way. From the top: the head (title, how far, a progress
bar), the scan feedback banner (ui.components.feedback), the box for the current stop —
a counter, the bin in big letters, what the page asks for, the scan field, the quantity
with −/+ and the big buttons — and the footer with the task's own buttons. Every mark is
f"{prefix}-…" (pick-place, batch-scan…), the one the browser tests find it by.

`TaskRunLayout` draws the parts in the order the page calls them (a page puts its own
labels between them) and keeps the rules two pages would otherwise each keep: the right
bin, a «Не хватает» that is not all, a quantity kept between 0 and what is needed."""

from collections.abc import Callable
from typing import Any

from nicegui import ui

from core.users.auth import Identity
from core.users.policy import Action
from ui.components.feedback import ScanFeedback
from ui.components.scan_field import ScanField
from ui.context import AppContext
from ui.i18n import tr
from ui.session import guarded

BIG = "unelevated size=xl"
WIDE = "w-full max-w-3xl"
PLACE_STYLE = "font-size: clamp(3rem, 12vw, 6.5rem); letter-spacing: .04em"


class QuantityRow:
    """− [quantity] +, the buttons big enough for a gloved finger; −/+ keep the number
    between 0 and `most()` (None: nothing asked now, the buttons do nothing)."""

    def __init__(self, label: str, prefix: str, most: Callable[[], Any]) -> None:
        self.most = most
        with ui.row().classes("w-full items-center gap-3 no-wrap") as self.row:
            ui.button(icon="remove", on_click=lambda: self.bump(-1)).props(
                "outline size=xl").classes("min-h-16 min-w-16").mark(f"{prefix}-minus")  # fmt: skip
            self.field = (
                ui.number(label, min=0, step=1, precision=0)
                .props("outlined input-class='text-h4 text-center'").classes("grow")
                .mark(f"{prefix}-quantity")
            )  # fmt: skip
            ui.button(icon="add", on_click=lambda: self.bump(1)).props(
                "outline size=xl").classes("min-h-16 min-w-16").mark(f"{prefix}-plus")  # fmt: skip

    def bump(self, by: int) -> None:
        most = self.most()
        if most is None:
            return
        value = int(self.field.value or 0) + by
        self.field.set_value(max(0, min(most, value)))

    def amount(self) -> Any:
        """The number typed, a whole one as an int (core checks the rest)."""
        value = self.field.value
        return int(value) if isinstance(value, float) and value.is_integer() else value


class TaskRunLayout:
    """The parts of a run page; `__init__` draws the head and the feedback banner."""

    def __init__(self, ctx: AppContext, user: Identity, action: Action, prefix: str) -> None:
        self.ctx = ctx
        self.action = action
        self.prefix = prefix
        self.head = ui.column().classes(f"{WIDE} gap-2").mark(f"{prefix}-head")
        self.feedback = ScanFeedback(user)
        self.feedback.banner.classes("max-w-3xl")

    # --- the box of the current stop, top to bottom ---------------------------------------

    def stop_box(self, mark: str) -> ui.column:
        """The box, opened with the counter and the bin in big letters; the page goes on
        filling it (`with box:`)."""
        with ui.column().classes(f"{WIDE} gap-3").mark(mark) as box:
            self.counter = ui.label().classes("text-subtitle1 text-grey-8").mark(
                f"{self.prefix}-counter")  # fmt: skip
            self.place = (
                ui.label().classes("text-weight-bold leading-none").style(PLACE_STYLE)
                .mark(f"{self.prefix}-place")
            )  # fmt: skip
        return box

    def instruction(self) -> ui.label:
        return ui.label().classes("text-h5 text-primary").mark(f"{self.prefix}-instruction")

    def scan_field(self, on_scan: Callable[..., Any]) -> ScanField:
        return (
            ScanField(tr("Сканируйте", "Scan"), guarded(self.ctx, self.action, on_scan))
            .classes("w-full")
            .mark(f"{self.prefix}-scan")
        )

    def quantity_row(self, label: str, most: Callable[[], Any]) -> QuantityRow:
        return QuantityRow(label, self.prefix, most)

    def confirm_button(self, on_confirm: Callable[..., Any]) -> ui.button:
        return ui.button(tr("Подтвердить", "Confirm"), icon="check",
                         on_click=guarded(self.ctx, self.action, on_confirm)).props(
            BIG).classes("grow min-h-16").mark(f"{self.prefix}-confirm")  # fmt: skip

    def short_button(self, on_short: Callable[..., Any]) -> ui.button:
        """«Не хватает»: the page sizes it for its row."""
        return ui.button(tr("Не хватает", "Short"), icon="production_quantity_limits",
                         on_click=guarded(self.ctx, self.action, on_short)).props(
            "outline size=lg color=deep-orange-9").mark(f"{self.prefix}-short")  # fmt: skip

    def footer(self) -> ui.column:
        return ui.column().classes(f"{WIDE} gap-2").mark(f"{self.prefix}-footer")

    # --- what is drawn again at each load -------------------------------------------------

    def show_head(self, title: str, progress: str, share: float, *, zone: str = "") -> None:
        """The head anew: the title, the zone of a split order, how far, the bar."""
        self.head.clear()
        with self.head:
            with ui.row().classes("w-full items-center gap-2"):
                ui.label(title).classes("text-h5 grow")
                if zone:
                    ui.badge(tr(f"Зона {zone}", f"Zone {zone}"), color="teal").classes(
                        "text-h6 px-2 py-1").mark(f"{self.prefix}-zone")  # fmt: skip
                ui.label(progress).classes("text-h6")
            ui.linear_progress(value=share, show_value=False, size="14px",
                               color="positive").mark(f"{self.prefix}-progress")  # fmt: skip

    def show_missing(self, text: str) -> None:
        """The head says the task is not there (a wrong number in the address)."""
        self.head.clear()
        with self.head:
            ui.label(text).classes("text-h5")

    def big_button(self, text: str, icon: str, on_click: Callable[..., Any], mark: str) -> None:
        """A footer's step for the whole task (start, complete, take, go on)."""
        ui.button(text, icon=icon, on_click=on_click).props(BIG).classes(
            "w-full min-h-20").mark(mark)  # fmt: skip

    def all_done(self, text: str) -> None:
        ui.label(text).classes("text-h5 text-positive").mark(f"{self.prefix}-all-done")

    def back_button(self, text: str, path: str) -> None:
        ui.button(text, icon="arrow_back", on_click=lambda: ui.navigate.to(path)).props(
            "flat size=lg")  # fmt: skip

    # --- the rules of a scan and of a short -----------------------------------------------

    def is_the_bin(self, code: str, location_code: str) -> bool:
        """A scanned bin is the one asked for (letters in either case); if not, says so."""
        if code.upper() == location_code.upper():
            return True
        self.feedback.error(tr(f"Не та ячейка: нужна {location_code}",
                               f"Wrong bin: {location_code} is needed"))  # fmt: skip
        return False

    def is_short(self, amount: Any, need: Any) -> bool:
        """«Не хватает» takes less than asked; with all of it, it asks for what was found."""
        if isinstance(amount, int) and amount >= need:
            self.feedback.error(tr("Уменьшите количество: сколько нашли на самом деле",
                                   "Lower the quantity to what you found"))  # fmt: skip
            return False
        return True
