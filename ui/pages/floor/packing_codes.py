"""Marking codes on the packing tablet (ui.pages.floor.packing_run): what a packer needs to
put a wrong DataMatrix scan right and never be stuck at `marking_codes_missing`.

- The open box's codes stay on the page until the box is sent (core checks them then):
  each is listed with a big «✕», and «Отменить последний код» takes the last one out; a
  marked unit is counted by its code, so its unit leaves the box with it.
- The codes in the task's closed packages (data.marking.queries.task_codes) are listed
  under each package with «✕» (core.orders.marking.remove_code: the unit stays in its
  package without a code), and a package's units still without a code are shown.
- A DataMatrix of a product with uncoded units in a closed package, while the open box
  holds none of it, goes to that package (core.orders.marking.add_code): a product
  flagged «requires marking» after some of its units were packed."""

import uuid
from collections import Counter
from collections.abc import Callable

from nicegui import run, ui

from core.errors import DomainError
from core.marking.codes import ScannedCode, parse_code, product_gtin
from core.orders.marking import add_code, remove_code
from core.orders.packing_ports import Package, PackItem, PackTask
from core.users.auth import Identity
from core.users.policy import Action
from data.marking.queries import CodeRow, code_in_use, task_codes
from ui.components.feedback import ScanFeedback
from ui.context import AppContext
from ui.formatting import quantity
from ui.i18n import tr
from ui.session import guarded

REMOVE = 'outline size=lg color=negative aria-label="Снять код"'
Key = tuple[str, str]  # (gtin, serial)


def _name(item: PackItem) -> str:
    return item.sku or item.product_name


class PackingCodes:
    def __init__(self, ctx: AppContext, user: Identity, task_id: int, feedback: ScanFeedback,
                 take_unit: Callable[[int], None], reload: Callable[[], None]) -> None:  # fmt: skip
        self.ctx = ctx
        self.user = user
        self.task_id = task_id
        self.feedback = feedback
        self.take_unit = take_unit  # one unit of this product out of the open box
        self.reload = reload
        self.box: dict[Key, tuple[str, int, str]] = {}  # the open box: code, product, SKU
        self.stored: list[CodeRow] = []  # in the closed packages

    def load(self, t: PackTask | None) -> None:
        self.stored = task_codes(self.ctx.db.engine, t.id) if t is not None else []

    def keep(self, read: ScannedCode, item: PackItem) -> None:
        self.box[(read.gtin, read.serial)] = (read.code, item.product_id, _name(item))

    async def scanned(self, t: PackTask, scan: str,
                      in_box: dict[int, int]) -> tuple[PackItem, ScannedCode] | None:  # fmt: skip
        """A DataMatrix scan: read offline (core.marking), its product in the order, not
        in this box yet nor in use elsewhere — then the unit to count; None when refused,
        or when it went to a closed package with that product's units uncoded."""
        try:
            read = parse_code(scan)
        except DomainError as refusal:
            self.feedback.error(refusal.message)
            return None
        item = next((i for i in t.items if read.gtin in product_gtin(i.barcode, i.gtin)), None)
        if item is None:
            other = f"Код маркировки другого товара: GTIN {read.gtin} нет в заказе"
            self.feedback.error(tr(other, f"Another product's code: GTIN {read.gtin}"))
            return None
        if (read.gtin, read.serial) in self.box or code_in_use(
            self.ctx.db.engine, read.gtin, read.serial) is not None:  # fmt: skip
            self.feedback.error(tr("Этот код маркировки уже отсканирован или отгружен",
                                   "This marking code is already scanned or shipped"))  # fmt: skip
            return None
        target = None if in_box.get(item.product_id) else self.uncoded(t, item.product_id)
        if target is not None:  # a unit packed before its product was flagged
            await self.attach(target, read, _name(item))
            return None
        return item, read

    def sent(self) -> list[str]:
        return [code for code, _, _ in self.box.values()]

    # --- the closed packages -----------------------------------------------------------

    def missing(self, t: PackTask, package: Package) -> dict[int, int]:
        """Units of marked products in the package without a code, by product."""
        marked = {i.product_id for i in t.items if i.requires_marking}
        units: Counter[int] = Counter()
        for line in package.items:
            if line.product_id in marked:
                units[line.product_id] += line.quantity
        units.subtract(c.product_id for c in self.stored if c.package_id == package.id)
        return {pid: n for pid, n in units.items() if n > 0}

    def uncoded(self, t: PackTask, product_id: int) -> Package | None:
        return next((p for p in t.packages if self.missing(t, p).get(product_id)), None)

    def note(self, t: PackTask, product_id: int) -> str:
        """A marked product's card: scan each unit's code, and where units lack one."""
        gaps = [(p.sequence_number, n) for p in t.packages
                if (n := self.missing(t, p).get(product_id))]  # fmt: skip
        if not gaps:
            return tr("Маркировка: сканируйте DataMatrix каждой единицы",
                      "Marked: scan each unit's DataMatrix")  # fmt: skip
        ru = ", ".join(f"в коробке {number} — {quantity(n)} шт." for number, n in gaps)
        en = ", ".join(f"box {number}: {quantity(n)}" for number, n in gaps)
        return tr(f"Маркировка: без кода {ru} Сканируйте DataMatrix этих единиц",
                  f"Marked: no code in {en}. Scan these units' DataMatrix")  # fmt: skip

    async def attach(self, package: Package, read: ScannedCode, sku: str) -> None:
        try:
            await run.io_bound(add_code, self.ctx.db.unit_of_work(), self.task_id, read.code,
                               package.id, self.user.id,
                               idempotency_key=uuid.uuid4().hex)  # fmt: skip
        except DomainError as refusal:
            self.feedback.error(refusal.message)
            return
        self.feedback.done(tr(f"Код {sku} добавлен в коробку {package.sequence_number}",
                              f"{sku} code added to box {package.sequence_number}"))  # fmt: skip
        self.reload()

    def package_codes(self, t: PackTask, package: Package, can_remove: bool) -> None:
        """Under a closed package: its codes (each with «✕» while packing), its uncoded units."""
        names = {i.product_id: i.sku or i.product_name for i in t.items}
        for code in (c for c in self.stored if c.package_id == package.id):
            with ui.row().classes("w-full items-center gap-2 no-wrap pl-4"):
                ui.icon("qr_code_2", size="sm").classes("text-grey-7")
                ui.label(f"{code.sku} · {code.serial}").classes("text-body1 grow break-all")
                if can_remove:
                    ui.button(icon="close", on_click=guarded(
                        self.ctx, Action.PACK, lambda _u, *_, c=code: self._remove(c))).props(
                        REMOVE).classes("min-h-14 min-w-14").mark(
                        f"pack-code-remove-{code.id}")  # fmt: skip
        for pid, n in self.missing(t, package).items():
            ui.label(tr(f"{names.get(pid, pid)}: без кода маркировки {quantity(n)} шт. — "
                        "сканируйте DataMatrix, код добавится в эту коробку",
                        f"{names.get(pid, pid)}: {quantity(n)} without a marking code — "
                        "scan the DataMatrix, it goes to this box")).classes(
                "text-body1 text-deep-orange-9 pl-4").mark(
                f"pack-uncoded-{package.sequence_number}-{pid}")  # fmt: skip

    async def _remove(self, code: CodeRow) -> None:
        try:
            await run.io_bound(remove_code, self.ctx.db.unit_of_work(), self.task_id, code.id,
                               self.user.id)  # fmt: skip
        except DomainError as refusal:
            self.feedback.error(refusal.message)
        else:
            what, box = f"{code.sku} · {code.serial}", code.package_number
            self.feedback.done(tr(f"Код снят: {what} (коробка {box})",
                                  f"Code removed: {what} (box {box})"))  # fmt: skip
        self.reload()

    # --- the open box ------------------------------------------------------------------

    def box_codes(self) -> None:
        """The open box's codes, each with «✕», and «Отменить последний код» while any
        code (here or in a closed package) can be taken out."""
        for n, (key, (_, _, sku)) in enumerate(self.box.items(), start=1):
            with ui.row().classes("w-full items-center gap-2 no-wrap pl-4"):
                ui.icon("qr_code_2", size="sm").classes("text-grey-7")
                ui.label(f"{sku} · {key[1]}").classes("text-body1 grow break-all")
                ui.button(icon="close", on_click=guarded(
                    self.ctx, Action.PACK, lambda _u, *_, k=key: self._take_out(k))).props(
                    REMOVE).classes("min-h-14 min-w-14").mark(
                    f"pack-box-code-remove-{n}")  # fmt: skip
        if self.box or self.stored:
            ui.button(tr("Отменить последний код", "Undo the last code"), icon="undo",
                      on_click=guarded(self.ctx, Action.PACK, self._undo_last)).props(
                "outline size=lg color=negative").classes("w-full min-h-16 mt-2").mark(
                "pack-undo-code")  # fmt: skip

    def _take_out(self, key: Key) -> None:
        found = self.box.pop(key, None)
        if found is None:  # a double tap
            return
        _, product_id, sku = found
        self.feedback.done(tr(f"Код снят: {sku} · {key[1]}, единица вынута из коробки",
                              f"Code removed: {sku} · {key[1]}, unit out of the box"))  # fmt: skip
        self.take_unit(product_id)

    async def _undo_last(self, _user: Identity, *_: object) -> None:
        if self.box:
            self._take_out(next(reversed(self.box)))
        elif self.stored:
            await self._remove(max(self.stored, key=lambda c: c.id))
