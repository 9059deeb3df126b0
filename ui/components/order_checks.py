"""The order card's quality checks (issue 15; core.orders.quality): each check with its
count, its defects and what became of them (re-picked from a bin, or shorted), and its
photos. Nothing when the order was never checked."""

from collections.abc import Sequence

from nicegui import ui

from core.orders.quality import QcStatus
from core.orders.quality_ports import QcTask
from ui.components.qc_photos import photo_strip
from ui.formatting import format_time, quantity
from ui.i18n import tr

COLOURS = {"passed": "positive", "failed": "negative", "cancelled": "grey-7"}


def checks_section(checks: Sequence[QcTask], zone: str) -> None:
    if not checks:
        return
    ui.label(tr("Контроль качества", "Quality control")).classes("text-subtitle1")
    with ui.column().classes("w-full gap-2").mark("order-qc"):
        for t in checks:
            with ui.card().classes("w-full q-pa-sm gap-1").props("flat bordered"):
                with ui.row().classes("w-full items-center gap-2"):
                    ui.label(tr(f"Проверка №{t.id}", f"Check {t.id}")).classes("text-body1")
                    state = QcStatus(t.status)
                    ui.badge(tr(state.label_ru, state.label_en),
                             color=COLOURS.get(t.status, "primary"))  # fmt: skip
                    when = t.finished_at or t.started_at or t.created_at
                    ui.label(format_time(when, zone)).classes("text-body2 text-grey-7")
                    ui.label(tr(f"проверено {quantity(t.checked_units)} из "
                                f"{quantity(t.total_units)}",
                                f"checked {t.checked_units} of {t.total_units}")
                             ).classes("text-body2")  # fmt: skip
                for d in t.defects:
                    outcome = {
                        "repicked": tr(f"пересборка из {d.repick_location_code}",
                                       f"re-picked from {d.repick_location_code}"),
                        "shorted": tr("недостача", "shorted"),
                    }.get(d.outcome or "", tr("ждёт завершения", "until finished"))  # fmt: skip
                    ui.label(tr(f"Брак {d.sku}: {d.reason} — {outcome}",
                                f"Defect {d.sku}: {d.reason} — {outcome}")
                             ).classes("text-body2 text-negative")  # fmt: skip
                if t.photos:
                    with ui.row().classes("gap-2"):
                        photo_strip(t.photos)
