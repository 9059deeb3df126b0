"""The order card's packing (ui.pages.orders.order_card): its packing task's state and
its packages — number, type, weight, dimensions, chargeable weight, barcode — each with
its label to download as ZPL (data.packing.queries.task_labels, the labels the packing
table prints and the API's /label route answers)."""

from typing import Any

from nicegui import run, ui

from core.errors import DomainError
from core.labels.package import zpl_label
from core.orders.packing_ports import PackTask
from core.states import PackingStatus
from core.users.auth import Identity
from core.users.policy import Action
from data.files.labels import ZPL_MEDIA_TYPE
from data.packing.queries import task_labels
from ui.components.downloads import offer_bytes
from ui.components.feedback import show_error
from ui.components.stickers import box_stickers_button
from ui.context import AppContext
from ui.i18n import language, tr
from ui.pages.floor.packing_box import kg, type_label
from ui.session import guarded


def packing_summary(t: PackTask | None) -> str:
    """№, state, units packed of those brought to packing."""
    if t is None:
        return ""
    state = PackingStatus(t.status).label(language())
    total = sum(i.quantity for i in t.items)
    packed = sum(i.packed_quantity for i in t.items)
    return f"№{t.id} · {state} · {packed}/{total}"


def packages_table(ctx: AppContext, t: PackTask | None) -> None:
    if t is None or not t.packages:
        return
    with ui.row().classes("w-full items-center gap-3"):
        ui.label(tr("Посылки", "Packages")).classes("text-subtitle1")
        if t.order_kind == "supply":  # FBO: each box gets the supply's sticker
            box_stickers_button(ctx, t.id, Action.MANAGE_ORDERS).props(
                "outline no-caps").mark("order-box-stickers")  # fmt: skip
    with ui.column().classes("w-full gap-1").mark("order-packages"):
        for p in t.packages:
            size = (f"{kg(p.length_cm)}×{kg(p.width_cm)}×{kg(p.height_cm)} см"
                    if p.length_cm else tr("без габаритов", "no dimensions"))  # fmt: skip
            with ui.row().classes("w-full items-center gap-3"):
                ui.label(
                    f"{p.sequence_number}. {type_label(p.packaging_type)} · {kg(p.weight_kg)} кг · "
                    f"{size} · {tr('расчётный', 'chargeable')} {kg(p.chargeable_weight_kg)} кг · "
                    f"{p.barcode}"
                ).classes("text-body1 grow").mark(f"order-package-{p.sequence_number}")
                ui.button(tr("Этикетка ZPL", "Label ZPL"), icon="download",
                          on_click=_download(ctx, t.id, p.sequence_number)).props(
                    "flat size=md").mark(f"order-package-label-{p.sequence_number}")  # fmt: skip


def _download(ctx: AppContext, task_id: int, number: int) -> Any:
    async def download(user: Identity, *_: Any) -> None:
        found = await run.io_bound(task_labels, ctx.db.engine, task_id)
        wanted = [lb for lb in (found.labels if found else []) if lb.package_number == number]
        if not wanted:
            return
        try:
            payload = zpl_label(wanted[0]).encode("utf-8")
        except DomainError as refusal:
            show_error(refusal)
            return
        name = f"label-{task_id}-{number}.zpl"
        offer_bytes(user, payload, name, ZPL_MEDIA_TYPE)

    return guarded(ctx, Action.MANAGE_ORDERS, download)
