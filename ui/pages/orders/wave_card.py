"""A wave's card (/waves/{id}): every order's progress (picked of total), its batch and
slot, who picks it, and what blocks the wave — short picks, cancelled orders, orders
matching its criteria that still wait for stock. Updates itself as items are picked
(ui.live.refresh_on_ledger_change)."""

from datetime import datetime

from nicegui import run, ui

from core.errors import DomainError
from core.orders.batches import dissolve_batch
from core.users.policy import Action
from data.waves.queries import Wave, wave
from ui.components.feedback import show_error
from ui.context import AppContext
from ui.formatting import format_time
from ui.i18n import tr
from ui.live import refresh_on_ledger_change
from ui.session import guarded

STATUS = {
    "pending": ("Ждёт сборщика", "Waiting", "grey-7"),
    "assigned": ("Назначена", "Assigned", "blue-8"),
    "in_progress": ("Собирается", "Picking", "orange-9"),
    "completed": ("Собрана", "Picked", "positive"),
    "cancelled": ("Отменена", "Cancelled", "negative"),
}
CRITERIA = {
    "cutoff": ("получены до", "received by"), "carrier": ("перевозчик", "carrier"),
    "source_id": ("маркетплейс №", "marketplace"), "priority": ("приоритет от", "priority"),
    "zone": ("зона", "zone"), "limit": ("не больше", "at most"),
}  # fmt: skip
COLUMNS = [
    {"name": "order", "label": "Заказ", "field": "order", "align": "left"},
    {"name": "status", "label": "Сборка", "field": "status", "align": "left"},
    {"name": "zone", "label": "Зона", "field": "zone", "align": "left"},
    {"name": "batch", "label": "Партия · ячейка", "field": "batch", "align": "left"},
    {"name": "executor", "label": "Сборщик", "field": "executor", "align": "left"},
    {"name": "progress", "label": "Собрано", "field": "progress", "align": "right"},
    {"name": "problem", "label": "Проблема", "field": "problem", "align": "left"},
]


def status_badge(status: str) -> None:
    ru, en, color = STATUS.get(status, (status, status, "grey-7"))
    ui.badge(tr(ru, en), color=color).classes("text-body2 px-2 py-1").mark("wave-status")


class WaveCard:
    def __init__(self, ctx: AppContext, wave_id: int) -> None:
        self.ctx = ctx
        self.wave_id = wave_id

    def build(self) -> None:
        self.box = ui.column().classes("w-full max-w-5xl gap-3").mark("wave-card")
        refresh_on_ledger_change(self.ctx, self._load, action=Action.MANAGE_ORDERS)
        self._show(wave(self.ctx.db.engine, self.wave_id))

    async def _load(self) -> None:
        self._show(await run.io_bound(wave, self.ctx.db.engine, self.wave_id))

    def _show(self, found: Wave | None) -> None:
        self.box.clear()
        with self.box:
            if found is None:
                ui.label(tr("Волна не найдена", "Wave not found")).classes("text-h5")
                return
            with ui.row().classes("w-full items-center gap-3"):
                ui.label(found.name).classes("text-h5")
                status_badge(found.status)
                ui.label(format_time(found.created_at, self.ctx.settings.time_zone)).classes(
                    "text-grey-7")  # fmt: skip
            tz = self.ctx.settings.time_zone
            shown = {k: format_time(datetime.fromisoformat(v), tz) if k == "cutoff" else v
                     for k, v in found.criteria.items()}  # fmt: skip
            chosen = ", ".join(f"{tr(*CRITERIA.get(k, (k, k)))} {v}"
                               for k, v in shown.items()) or "—"  # fmt: skip
            ui.label(tr(f"Условия: {chosen}; в партии до {found.batch_size}",
                        f"Criteria: {chosen}; up to {found.batch_size} a batch")
                     ).classes("text-body2 text-grey-8")  # fmt: skip
            ui.label(tr(f"Заказов собрано {found.orders_done} из {found.order_count}; позиций "
                        f"{found.items_done} из {found.items_total}",
                        f"Orders {found.orders_done}/{found.order_count}; items "
                        f"{found.items_done}/{found.items_total}")
                     ).classes("text-h6").mark("wave-progress")  # fmt: skip
            ui.linear_progress(value=found.items_done / max(found.items_total, 1),
                               show_value=False, size="14px", color="positive")  # fmt: skip
            for blocker in found.blockers:
                ui.label(blocker).classes("text-body1 text-deep-orange-9").mark("wave-blocker")
            rows = []
            for o in found.orders:
                problems = []
                if o.short_items:
                    problems.append(tr(f"недостача: {o.short_items}", f"short: {o.short_items}"))
                if o.skipped_items:
                    problems.append(tr(f"пропуск: {o.skipped_items}", f"skip: {o.skipped_items}"))
                if o.task_status == "cancelled":
                    problems.append(tr("заказ отменён", "cancelled"))
                ru, en, _ = STATUS.get(o.task_status, (o.task_status, o.task_status, ""))
                rows.append({
                    "id": o.task_id, "order": o.external_id, "status": tr(ru, en),
                    "zone": o.zone or "—",
                    "batch": f"№{o.batch_id} · {o.slot}" if o.batch_id else "—",
                    "executor": o.executor_name or "—",
                    "progress": f"{o.units_picked} / {o.units_required}",
                    "problem": ", ".join(problems),
                })  # fmt: skip
            ui.table(columns=COLUMNS, rows=rows, row_key="id").classes("w-full").props(
                "flat bordered dense").mark("wave-orders")  # fmt: skip
            waiting = sorted({o.batch_id for o in found.orders if o.batch_id is not None
                              and o.task_status in ("pending", "assigned")})  # fmt: skip
            with ui.row().classes("gap-2"):
                for batch_id in waiting:
                    label = tr(f"Расформировать партию №{batch_id}", f"Break up batch {batch_id}")
                    ui.button(label, icon="call_split",
                              on_click=guarded(self.ctx, Action.MANAGE_ORDERS,
                                               lambda _u, *_a, b=batch_id: self._dissolve(b)),
                              ).props("outline").mark("wave-dissolve")  # fmt: skip

    async def _dissolve(self, batch_id: int) -> None:
        """Its orders not started are picked one by one instead (core.orders.batches)."""
        try:
            _, left = await run.io_bound(dissolve_batch, self.ctx.db.unit_of_work(), batch_id)
        except DomainError as refusal:
            show_error(refusal)
        else:
            ui.notify(tr(f"Партия №{batch_id} расформирована: заказов по одному — {left}",
                         f"Batch {batch_id} broken up: {left} orders alone"),
                      type="positive")  # fmt: skip
        await self._load()
