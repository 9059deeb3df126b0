"""/alerts' operational part (core.dashboard.alerts says which rows are alerts): a section
per kind — picking too long, packing without weights and dimensions, reservations expired
but not released, events not reaching Redis — each row a link to its order's card. Shown
above low stock; a kind with nothing to report is not shown (one line says when none is).
"""

from datetime import datetime

from nicegui import run, ui

from core.dashboard.alerts import AlertKind, AlertThresholds
from core.periods import now_utc
from data.dashboard.alerts import (
    OperationalAlerts,
    OutboxBacklog,
    ReservationAlert,
    ServiceAlert,
    TaskAlert,
    operational_alerts,
)
from data.events.carriers import DELIVERY, LISTINGS
from ui.context import AppContext
from ui.formatting import format_time, quantity
from ui.i18n import tr

SHOWN = 25  # rows a kind on the page; the section's count says how many there are

CSS = """
.op-alerts .op-alert-row { border-top: 1px solid rgba(127,127,127,.2); padding: 6px 0; }
.op-alerts .op-alert-row:first-of-type { border-top: none; }
"""


def duration(since: datetime, now: datetime) -> str:
    """How long ago: '2 ч 15 мин', '45 мин', '3 д 4 ч'."""
    minutes = max(0, int((now - since).total_seconds() // 60))
    days, rest = divmod(minutes, 24 * 60)
    hours, minutes = divmod(rest, 60)
    if days:
        return tr(f"{days} д {hours} ч", f"{days} d {hours} h")
    if hours:
        return tr(f"{hours} ч {minutes} мин", f"{hours} h {minutes} min")
    return tr(f"{minutes} мин", f"{minutes} min")


def limit(minutes: int) -> str:
    """A threshold as set: '2 ч' for 120 minutes, '90 мин' for 90."""
    if minutes % 60 == 0:
        return tr(f"{minutes // 60} ч", f"{minutes // 60} h")
    return tr(f"{minutes} мин", f"{minutes} min")


def _titles(t: AlertThresholds) -> dict[AlertKind, str]:
    picking, packing, outbox = (limit(t.picking_minutes), limit(t.packing_minutes),
                                limit(t.outbox_minutes))  # fmt: skip
    service = limit(t.service_minutes)
    return {
        AlertKind.PICKING: tr(f"Сборка дольше {picking}", f"Picking longer than {picking}"),
        AlertKind.PACKING: tr(f"Упаковка без веса и размеров дольше {packing}",
                              f"Packing without weight and size over {packing}"),
        AlertKind.RESERVATION: tr("Резерв истёк, но не снят",
                                  "Reservation expired but not released"),
        AlertKind.OUTBOX: tr(f"События не доходят до Redis дольше {outbox}",
                             f"Events not reaching Redis for over {outbox}"),
        AlertKind.SERVICE: tr(f"Внешний сервис недоступен дольше {service}",
                              f"An external service unavailable for over {service}"),
    }  # fmt: skip


def _order_link(order_id: int, external_id: str) -> None:
    ui.link(tr(f"Заказ {external_id}", f"Order {external_id}"), f"/orders/{order_id}").classes(
        "text-weight-medium"
    ).mark(f"alert-order-{order_id}")


def _task_row(kind: AlertKind, row: TaskAlert, now: datetime, zone: str) -> None:
    task = tr("сборка", "picking") if kind == AlertKind.PICKING else tr("упаковка", "packing")
    late = duration(row.started_at, now)
    with ui.row().classes("op-alert-row w-full items-center gap-x-4 gap-y-0 wrap"):
        _order_link(row.order_id, row.external_id)
        ui.label(f"{task} №{row.task_id}").classes("text-grey-7")
        in_work = tr(f"в работе {late}", f"in progress {late}")
        ui.label(in_work).classes("text-negative text-weight-bold")
        started = tr("начата ", "started ") + format_time(row.started_at, zone)
        ui.label(started).classes("text-grey-7")
        if row.executor:
            ui.label(row.executor)
        if kind == AlertKind.PACKING and not row.packages:
            ui.label(tr("нет коробок", "no packages"))
        elif kind == AlertKind.PACKING:
            ui.label(tr(f"без веса/размеров: {row.unmeasured} из {row.packages}",
                        f"unmeasured: {row.unmeasured} of {row.packages}"))  # fmt: skip


def _reservation_row(item: ReservationAlert, now: datetime, zone: str) -> None:
    ago = duration(item.reserved_until, now)
    with ui.row().classes("op-alert-row w-full items-center gap-x-4"):
        _order_link(item.order_id, item.external_id)
        ui.label(tr("резерв до ", "reserved until ") + format_time(item.reserved_until, zone))
        expired = tr(f"истёк {ago} назад", f"expired {ago} ago")
        ui.label(expired).classes("text-negative text-weight-bold")


def _outbox_row(backlog: OutboxBacklog, now: datetime) -> None:
    waiting, ago = quantity(backlog.waiting), duration(backlog.oldest_at, now)
    text = tr(
        f"Ждут отправки: {waiting}; самое старое — {ago} назад. Проверьте Redis (WMS_REDIS_URL).",
        f"Waiting: {waiting}; the oldest {ago} ago. Check Redis (WMS_REDIS_URL).",
    )
    ui.label(text).classes("op-alert-row")


def _service_name(name: str) -> str:
    names = {LISTINGS: tr("Listings (статусы заказов)", "Listings (order statuses)"),
             DELIVERY: tr("Служба доставки", "Delivery service")}  # fmt: skip
    return names.get(name, name)


def _service_row(service: ServiceAlert, now: datetime, zone: str) -> None:
    name = _service_name(service.name)
    since, ago = format_time(service.failing_since, zone), duration(service.failing_since, now)
    with ui.row().classes("op-alert-row items-center gap-3").mark(f"alert-service-{service.name}"):
        ui.label(name).classes("text-weight-medium")
        ui.label(tr(f"недоступен с {since} ({ago})", f"unavailable since {since} ({ago})"))
        ui.link(tr("Подробнее", "Details"), "/events")
    if service.last_error:
        ui.label(service.last_error).classes("text-grey-7 text-caption")


def _section(kind: AlertKind, title: str, count: int, found: OperationalAlerts,
             now: datetime, zone: str) -> None:  # fmt: skip
    with ui.card().classes("w-full q-pa-md").mark(f"alerts-{kind}"):
        with ui.row().classes("items-center gap-2"):
            ui.icon("warning", color="negative")
            ui.label(title).classes("text-subtitle1 text-weight-medium")
            ui.badge(quantity(count), color="negative").mark(f"alerts-{kind}-count")
        if kind == AlertKind.PICKING:
            for row in found.picking:
                _task_row(kind, row, now, zone)
        elif kind == AlertKind.PACKING:
            for row in found.packing:
                _task_row(kind, row, now, zone)
        elif kind == AlertKind.RESERVATION:
            for item in found.reservations:
                _reservation_row(item, now, zone)
        elif kind == AlertKind.SERVICE:
            for service in found.services:
                _service_row(service, now, zone)
        elif found.outbox is not None:
            _outbox_row(found.outbox, now)
        if kind in (AlertKind.PICKING, AlertKind.PACKING, AlertKind.RESERVATION) and count > SHOWN:
            more = tr(f"Показаны первые {SHOWN} из {quantity(count)}",
                      f"The first {SHOWN} of {quantity(count)}")  # fmt: skip
            ui.label(more).classes("text-grey-7")


def show_alerts(box: ui.column, found: OperationalAlerts, thresholds: AlertThresholds,
                now: datetime, zone: str) -> None:  # fmt: skip
    """Fill `box` with the sections of the kinds that have alerts."""
    titles = _titles(thresholds)
    box.clear()
    with box:
        if not found.total:
            ui.label(
                tr("Работа склада: нет задач дольше срока и неснятых резервов",
                   "Operations: no task past its limit and no reservation left behind")
            ).classes("text-body2 text-positive").mark("alerts-none")  # fmt: skip
        for kind in AlertKind:
            count = found.counts.get(kind, 0)
            if count:
                _section(kind, titles[kind], count, found, now, zone)


def operational_section(ctx: AppContext) -> "Loader":
    """The section's box here, and the loader that fills it."""
    ui.add_css(CSS)
    box = ui.column().classes("op-alerts w-full gap-3").mark("operational-alerts")
    return Loader(ctx, box)


class Loader:
    """Reads the alerts off the event loop and shows them; only the newest answer counts."""

    def __init__(self, ctx: AppContext, box: ui.column) -> None:
        self._ctx, self._box = ctx, box
        self._thresholds = AlertThresholds.from_settings(ctx.settings)
        self._request_no = 0

    def read(self) -> tuple[OperationalAlerts, datetime]:
        now = now_utc()
        return operational_alerts(self._ctx.db.engine, self._thresholds, now, limit=SHOWN), now

    def show(self, found: OperationalAlerts, now: datetime) -> None:
        show_alerts(self._box, found, self._thresholds, now, self._ctx.settings.time_zone)

    async def reload(self) -> None:
        self._request_no += 1
        mine = self._request_no
        found, now = await run.io_bound(self.read)
        if mine == self._request_no and not self._box.is_deleted:
            self.show(found, now)
