"""Packing on the tablet at the packing table (/packing): the queue — the worker's own
tasks first, then the others, oldest first — as big cards; «Взять» starts a pending task
as the executor linked to the worker and opens the run page (/packing/{id},
ui.pages.floor.packing_run). Scanning an order's external id or a task's number opens
that task. New tasks appear without a reload."""

from nicegui import run, ui

from core.errors import DomainError
from core.orders.packing import start_task
from core.orders.packing_ports import PackTask
from core.states import PackingStatus
from core.users.auth import Identity
from core.users.policy import Action
from data.packing.queries import find_task, queue
from data.picking.queries import executor_of
from ui.components.feedback import ScanFeedback
from ui.components.scan_field import ScanField
from ui.context import AppContext
from ui.i18n import language, tr
from ui.layout import frame
from ui.pages.floor.packing_run import PackingRun
from ui.session import guarded, protected_page

PATH = "/packing"
POLL_SECONDS = 3.0


def register(ctx: AppContext) -> None:
    @protected_page(ctx, PATH, Action.PACK)
    def packing_page(user: Identity) -> None:
        with frame(user, tr("Упаковка и отгрузка", "Packing and shipping"), PATH):
            PackingQueue(ctx, user).build()

    @protected_page(ctx, PATH + "/{task_id}", Action.PACK)
    def packing_run_page(user: Identity, task_id: str) -> None:
        number = int(task_id) if task_id.isdigit() and len(task_id) < 10 else 0
        with frame(user, tr(f"Упаковка №{number}", f"Packing {number}"), PATH):
            PackingRun(ctx, user, number).build()


class PackingQueue:
    def __init__(self, ctx: AppContext, user: Identity) -> None:
        self.ctx = ctx
        self.user = user
        self.shown: list[tuple[int, str, int | None]] = []

    def build(self) -> None:
        self.executor = executor_of(self.ctx.db.engine, self.user.id)
        if self.executor is None:
            ui.label(
                tr("Вы не привязаны к исполнителю: взять упаковку нельзя. Попросите менеджера "
                   "привязать вас на странице «Исполнители».",
                   "You are not linked to an active executor. Ask a manager to link you.")
            ).classes("text-h6 text-negative max-w-3xl").mark("no-executor")  # fmt: skip
        self.feedback = ScanFeedback(self.user)
        self.feedback.banner.classes("max-w-3xl")
        self.scan = (
            ScanField(
                tr("Сканируйте номер заказа", "Scan the order's number"),
                guarded(self.ctx, Action.PACK, self._scanned),
            )
            .props("enterkeyhint=go")
            .classes("w-full max-w-3xl")
            .mark("packing-scan")
        )
        self.cards()
        ui.timer(POLL_SECONDS, guarded(self.ctx, Action.PACK, self._poll))

    async def _scanned(self, _user: Identity, code: str) -> None:
        found = await run.io_bound(find_task, self.ctx.db.engine, code)
        if found is None:
            self.feedback.error(tr(f"Нет задания на упаковку для «{code}»",
                                   f"No packing task for “{code}”"))  # fmt: skip
            return
        self._open(found)

    async def _poll(self, _user: Identity) -> None:
        found = await run.io_bound(queue, self.ctx.db.engine)
        if _seen(found) != self.shown:
            self.cards.refresh(found)

    @ui.refreshable_method
    def cards(self, found: list[PackTask] | None = None) -> None:
        found = queue(self.ctx.db.engine) if found is None else found
        self.shown = _seen(found)
        mine = [t for t in found if self._mine(t)]
        rest = [t for t in found if not self._mine(t)]
        with ui.column().classes("w-full max-w-3xl gap-3").mark("packing-queue"):
            if not found:
                ui.label(tr("Заказов на упаковку нет. Новые появятся здесь сами.",
                            "Nothing to pack. New orders appear here by themselves.")
                         ).classes("text-h6 text-grey-7").mark("no-packing")  # fmt: skip
            for task in mine + rest:
                self._card(task)

    def _mine(self, t: PackTask) -> bool:
        return t.executor_id is not None and t.executor_id == self.executor

    def _card(self, t: PackTask) -> None:
        mine = self._mine(t)
        with (
            ui.card().classes("w-full q-pa-md gap-2").props("bordered")
            .mark("packing-task", f"packing-task-{t.id}")
        ):  # fmt: skip
            with ui.row().classes("w-full items-center gap-2"):
                ui.label(tr(f"Заказ {t.order_external_id}", f"Order {t.order_external_id}")
                         ).classes("text-h5 grow")  # fmt: skip
                ui.badge(
                    PackingStatus(t.status).label(language()), color="primary" if mine else "grey-7"
                ).classes("text-body2 px-2 py-1")
            units = sum(i.quantity for i in t.items)
            packed = sum(i.packed_quantity for i in t.items)
            ui.label(tr(f"№{t.id} · {t.station_code} · товаров: {len(t.items)}, "
                        f"штук: {units}, упаковано: {packed}",
                        f"No. {t.id} · {t.station_code} · products: {len(t.items)}, "
                        f"units: {units}, packed: {packed}")
                     ).classes("text-body1 text-grey-8")  # fmt: skip
            if t.status == PackingStatus.PENDING:
                label, icon = tr("Взять", "Take"), "inventory_2"
                handler = guarded(self.ctx, Action.PACK, lambda _u, *_a, tid=t.id: self._take(tid))
            else:
                label = (tr("Отгрузить", "Ship") if t.status == PackingStatus.PACKED
                         else tr("Продолжить", "Continue"))  # fmt: skip
                icon = "local_shipping" if t.status == PackingStatus.PACKED else "inventory_2"
                handler = guarded(self.ctx, Action.PACK, lambda _u, *_a, tid=t.id: self._open(tid))
            ui.button(label, icon=icon, on_click=handler).props("unelevated size=xl").classes(
                "w-full min-h-16").mark("packing-take")  # fmt: skip

    def _open(self, task_id: int) -> None:
        ui.navigate.to(f"{PATH}/{task_id}")

    async def _take(self, task_id: int) -> None:
        if self.executor is None:
            self.feedback.error(tr("Нет исполнителя", "No executor"))
            return
        try:
            await run.io_bound(start_task, self.ctx.db.unit_of_work(), task_id, self.executor,
                               self.user.id)  # fmt: skip
        except DomainError as refusal:
            self.feedback.error(refusal.message)
            self.cards.refresh()
            return
        self._open(task_id)


def _seen(found: list[PackTask]) -> list[tuple[int, str, int | None]]:
    return [(t.id, t.status, t.executor_id) for t in found]
