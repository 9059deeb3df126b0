"""Picking waves (/waves): a manager picks released orders — reserved, picking not started
— by cut-off time, carrier, marketplace, priority or zone, sees how many match, and
releases them in one step (core.orders.waves.release_wave): small orders go in batches of
the chosen size, the rest one by one. The list below shows each wave's progress and
updates as items are picked (ui.live); a wave's card is /waves/{id} (ui.pages.orders.wave_card)."""

import uuid
from datetime import datetime
from typing import Any

from nicegui import run, ui

from core.errors import DomainError
from core.orders.wave_ports import WaveCriteria
from core.orders.waves import MAX_BATCH, MAX_WAVE, criteria, release_wave
from core.users.auth import Identity
from core.users.policy import Action
from data.catalog.queries import sources
from data.orders.queries import carriers
from data.waves.queries import Wave, preview, waves
from ui.components.feedback import show_error
from ui.context import AppContext
from ui.formatting import address_id, format_time, zone
from ui.i18n import tr
from ui.layout import frame
from ui.live import refresh_on_ledger_change
from ui.pages.orders.labels import priority_label
from ui.pages.orders.wave_card import WaveCard, status_badge
from ui.session import guarded, protected_page

PATH = "/waves"


def register(ctx: AppContext) -> None:
    @protected_page(ctx, PATH, Action.MANAGE_ORDERS)
    def waves_page(user: Identity) -> None:
        with frame(user, tr("Волны сборки", "Picking waves"), PATH):
            WavesPage(ctx, user).build()

    @protected_page(ctx, PATH + "/{wave_id}", Action.MANAGE_ORDERS)
    def wave_page(user: Identity, wave_id: str) -> None:
        number = address_id(wave_id)
        with frame(user, tr(f"Волна №{number}", f"Wave {number}"), PATH):
            WaveCard(ctx, number).build()


class WavesPage:
    def __init__(self, ctx: AppContext, user: Identity) -> None:
        self.ctx = ctx
        self.user = user
        self.key = uuid.uuid4().hex  # a double click releases one wave

    def build(self) -> None:
        engine = self.ctx.db.engine
        with ui.card().classes("w-full max-w-5xl q-pa-md gap-3").props("bordered"):
            ui.label(tr("Новая волна", "New wave")).classes("text-h6")
            with ui.row().classes("w-full items-start gap-3 flex-wrap"):
                self.name = ui.input(tr("Название", "Name")).props("outlined maxlength=100")
                self.cutoff = ui.input(tr("Заказы, полученные до", "Orders received by")).props(
                    "outlined type=datetime-local stack-label").mark("wave-cutoff")  # fmt: skip
                names = {c.code: c.name for c in carriers(engine, active_only=True)}
                self.carrier = ui.select({None: "—", **names}, value=None,
                                         label=tr("Перевозчик", "Carrier")).props(
                    "outlined").classes("min-w-48").mark("wave-carrier")  # fmt: skip
                markets = {s["id"]: s["name"] for s in sources(engine, active_only=True)}
                self.source = ui.select({None: "—", **markets}, value=None,
                                        label=tr("Маркетплейс", "Marketplace")).props(
                    "outlined").classes("min-w-48").mark("wave-source")  # fmt: skip
                levels = {p: priority_label(p) for p in ("urgent", "high", "normal", "low")}
                self.priority = ui.select({None: "—", **levels}, value=None,
                                          label=tr("Приоритет не ниже", "Priority at least")
                                          ).props("outlined").classes("min-w-44").mark(
                    "wave-priority")  # fmt: skip
                self.zone = ui.input(tr("Зона", "Zone")).props("outlined maxlength=32").mark(
                    "wave-zone")  # fmt: skip
            with ui.row().classes("w-full items-center gap-3 flex-wrap"):
                self.limit = ui.number(tr("Заказов не больше", "At most orders"), value=500,
                                       min=1, max=MAX_WAVE, precision=0).props(
                    "outlined").classes("w-44").mark("wave-limit")  # fmt: skip
                self.batch_size = ui.number(tr("Мелких заказов в партии", "Small orders a batch"),
                                            value=6, min=1, max=MAX_BATCH, precision=0).props(
                    "outlined").classes("w-56").mark("wave-batch-size")  # fmt: skip
                self.split_zones = ui.checkbox(tr("Задание на каждую зону", "A task per zone"),
                                               value=True).mark("wave-split-zones")  # fmt: skip
                ui.button(tr("Сколько подходит", "How many match"), icon="search",
                          on_click=guarded(self.ctx, Action.MANAGE_ORDERS, self._preview)
                          ).props("outline").mark("wave-preview")  # fmt: skip
                ui.button(tr("Выпустить волну", "Release the wave"), icon="play_arrow",
                          on_click=guarded(self.ctx, Action.MANAGE_ORDERS, self._release)
                          ).props("unelevated").mark("wave-release")  # fmt: skip
                self.matching = ui.label().classes("text-body1").mark("wave-matching")
        self.table = ui.column().classes("w-full max-w-5xl gap-2").mark("wave-list")
        refresh_on_ledger_change(self.ctx, self._list, action=Action.MANAGE_ORDERS)
        self._render(*waves(self.ctx.db.engine, limit=50))

    def _chosen(self) -> WaveCriteria:
        cutoff = None
        if self.cutoff.value:
            local = datetime.fromisoformat(str(self.cutoff.value))
            cutoff = local.replace(tzinfo=zone(self.ctx.settings.time_zone))
        limit = int(self.limit.value) if isinstance(self.limit.value, float | int) else 0
        return criteria(cutoff=cutoff, carrier=self.carrier.value,
                        source_id=self.source.value, priority=self.priority.value,
                        zone=self.zone.value, limit=limit)  # fmt: skip

    async def _preview(self, _user: Identity, *_: Any) -> None:
        try:
            count = await run.io_bound(preview, self.ctx.db.engine, self._chosen())
        except (DomainError, ValueError) as refusal:
            self.matching.set_text(getattr(refusal, "message", tr("Проверьте время", "Bad time")))
            return
        self.matching.set_text(tr(f"Подходит заказов: {count}", f"Matching orders: {count}"))

    async def _release(self, user: Identity, *_: Any) -> None:
        size = int(self.batch_size.value) if isinstance(self.batch_size.value, float | int) else 0
        try:
            done = await run.io_bound(release_wave, self.ctx.db.unit_of_work(), self._chosen(),
                                      user.id, name=self.name.value or None, batch_size=size,
                                      split_zones=bool(self.split_zones.value),
                                      idempotency_key=self.key)  # fmt: skip
        except DomainError as refusal:
            show_error(refusal)
            return
        except ValueError:
            ui.notify(tr("Проверьте время отсечки", "Check the cut-off"), type="negative")
            return
        self.key = uuid.uuid4().hex
        zones = tr(f", заданий по зонам +{done.zone_tasks}",
                   f", zone tasks +{done.zone_tasks}") if done.zone_tasks else ""  # fmt: skip
        ui.notify(tr(f"Волна выпущена: заказов {done.orders}, партий {done.batches}",
                     f"Wave released: {done.orders} orders, {done.batches} batches") + zones,
                  type="positive")  # fmt: skip
        ui.navigate.to(f"{PATH}/{done.wave_id}")

    async def _list(self) -> None:
        self._render(*await run.io_bound(waves, self.ctx.db.engine, limit=50))

    def _render(self, found: list[Wave], total: int) -> None:
        self.table.clear()
        with self.table:
            ui.label(tr(f"Волны: {total}", f"Waves: {total}")).classes("text-h6")
            if not found:
                ui.label(tr("Волн пока нет", "No waves yet")).classes("text-grey-7")
            for w in found:
                self._row(w)

    def _row(self, w: Wave) -> None:
        tz = self.ctx.settings.time_zone
        with ui.card().classes("w-full q-pa-sm").props("bordered flat").mark("wave-row"):
            with ui.row().classes("w-full items-center gap-3"):
                ui.link(f"№{w.id} · {w.name}", f"{PATH}/{w.id}").classes("text-h6")
                status_badge(w.status)
                ui.label(format_time(w.created_at, tz)).classes("text-grey-7")
                ui.space()
                ui.label(tr(f"Заказов {w.orders_done} из {w.order_count} · партий "
                            f"{w.batch_count} · позиций {w.items_done} из {w.items_total}",
                            f"Orders {w.orders_done}/{w.order_count}, batches "
                            f"{w.batch_count}, items {w.items_done}/{w.items_total}"))  # fmt: skip
            ui.linear_progress(value=w.items_done / max(w.items_total, 1), show_value=False,
                               size="10px", color="positive")  # fmt: skip
            for blocker in w.blockers:
                ui.label(blocker).classes("text-deep-orange-9").mark("wave-blocker")
