"""Put-to-order at the packing table (/put-wall/{batch_id}): the cart of a batch is
sorted into its orders' slots. The worker scans a unit; the screen says in big letters
which slot (and order) it goes to — the first slot by number whose order picked more of
it than it was given (core.orders.batches.put_unit). Each slot shows its progress and,
once its order's picking is complete, «Упаковать» opens its packing (/packing/{id}).
/put-wall lists the batches to sort."""

import uuid

from nicegui import run, ui

from core.errors import DomainError
from core.orders.batches import put_unit
from core.orders.wave_ports import Batch
from core.users.auth import Identity
from core.users.policy import Action
from data.waves.queries import batch as read_batch
from data.waves.queries import batches, packing_tasks
from ui.components.feedback import ScanFeedback
from ui.components.scan_field import ScanField
from ui.context import AppContext
from ui.formatting import address_id
from ui.i18n import tr
from ui.layout import frame
from ui.session import guarded, protected_page

PATH = "/put-wall"


def register(ctx: AppContext) -> None:
    @protected_page(ctx, PATH, Action.PACK)
    def put_wall_list(user: Identity) -> None:
        with frame(user, tr("Раскладка по заказам", "Put to orders"), PATH):
            found, _ = batches(ctx.db.engine, limit=30)
            open_ = [b for b in found if b.status in ("in_progress", "completed")]
            with ui.column().classes("w-full max-w-3xl gap-3").mark("put-wall-list"):
                if not open_:
                    ui.label(tr("Собранных партий нет", "No picked batches")).classes(
                        "text-h6 text-grey-7")  # fmt: skip
                for b in open_:
                    ui.button(tr(f"Партия №{b.id}: заказов {b.orders}",
                                 f"Batch {b.id}: {b.orders} orders"), icon="grid_view",
                              on_click=lambda bid=b.id: ui.navigate.to(f"{PATH}/{bid}")
                              ).props("outline size=xl").classes("w-full min-h-16").mark(
                        "put-wall-batch")  # fmt: skip

    @protected_page(ctx, PATH + "/{batch_id}", Action.PACK)
    def put_wall_page(user: Identity, batch_id: str) -> None:
        number = address_id(batch_id)
        with frame(user, tr(f"Раскладка: партия №{number}", f"Put wall: batch {number}"), PATH):
            PutWall(ctx, user, number).build()


class PutWall:
    def __init__(self, ctx: AppContext, user: Identity, batch_id: int) -> None:
        self.ctx = ctx
        self.user = user
        self.batch_id = batch_id

    def build(self) -> None:
        self.feedback = ScanFeedback(self.user)
        self.feedback.banner.classes("max-w-4xl")
        with ui.column().classes("w-full max-w-4xl gap-3"):
            self.scan = ScanField(tr("Сканируйте товар", "Scan a unit"),
                                  guarded(self.ctx, Action.PACK, self._scanned)
                                  ).classes("w-full").mark("put-scan")  # fmt: skip
            self.target = (
                ui.label(tr("Сканируйте штуку из тележки", "Scan a unit from the cart"))
                .classes("text-weight-bold text-primary leading-none")
                .style("font-size: clamp(3rem, 12vw, 7rem)").mark("put-target")
            )  # fmt: skip
            self.order = ui.label().classes("text-h4").mark("put-order")
            self.slots = ui.row().classes("w-full gap-3").mark("put-slots")
        self._slots(read_batch(self.ctx.db.engine, self.batch_id))

    def _slots(self, batch: Batch | None) -> None:
        self.slots.clear()
        with self.slots:
            if batch is None:
                ui.label(tr("Партия не найдена", "Batch not found")).classes("text-h5")
                self.scan.set_visibility(False)
                return
            given = {t: 0 for t in batch.task_ids}
            for task_id, _, n in batch.puts:
                given[task_id] = given.get(task_id, 0) + n
            packing = packing_tasks(self.ctx.db.engine, [x.order_id for x in batch.lines])
            for task_id in batch.task_ids:
                lines = [x for x in batch.lines if x.task_id == task_id]
                first = lines[0]
                picked = sum(x.item.quantity_picked for x in lines)
                with ui.card().classes("w-56 q-pa-md gap-1").props("bordered").mark(
                        "put-slot", f"put-slot-{first.slot}"):  # fmt: skip
                    ui.label(tr(f"Ячейка {first.slot}", f"Slot {first.slot}")).classes(
                        "text-h5 text-weight-bold")  # fmt: skip
                    ui.label(first.order_external_id).classes("text-body1")
                    if first.task_status == "cancelled":
                        ui.label(tr("Заказ отменён", "Order cancelled")).classes(
                            "text-negative")  # fmt: skip
                        continue
                    ui.label(tr(f"Разложено {given[task_id]} из {picked}",
                                f"Put {given[task_id]} of {picked}")
                             ).mark("put-progress")  # fmt: skip
                    packing_id = packing.get(first.order_id)
                    if packing_id is not None and given[task_id] >= picked:
                        ui.button(tr("Упаковать", "Pack"), icon="inventory_2",
                                  on_click=lambda pid=packing_id: ui.navigate.to(
                                      f"/packing/{pid}")
                                  ).props("unelevated").mark("put-pack")  # fmt: skip

    async def _scanned(self, _user: Identity, code: str) -> None:
        try:
            put = await run.io_bound(put_unit, self.ctx.db.unit_of_work(), self.batch_id, code,
                                     self.user.id, idempotency_key=uuid.uuid4().hex)  # fmt: skip
        except DomainError as refusal:
            self.feedback.error(refusal.message)
            return
        self.feedback.done()
        self.target.set_text(tr(f"Ячейка {put.slot}", f"Slot {put.slot}"))
        self.order.set_text(tr(f"Заказ {put.order_external_id} · {put.product_name} · "
                               f"ещё {put.left_for_order} шт.",
                               f"Order {put.order_external_id} · {put.product_name}"))  # fmt: skip
        self._slots(await run.io_bound(read_batch, self.ctx.db.engine, self.batch_id))
