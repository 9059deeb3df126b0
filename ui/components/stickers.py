"""Sticker dialogs (core.labels.stickers, core.floor.box_stickers): where stickers go and
how many.

- `StickerOutput`: a packing station's label printer (stations with a printer address,
  data.stickers.queries.stations) gets the ZPL as one job (core.labels.printing.print_zpl,
  after everything is committed, never in a transaction); or the stickers are downloaded
  as PDF or ZPL. A printer that cannot be reached is said in Russian; the downloads stay.
- `product_stickers_dialog`: products with a count each (a receipt's quantities preset,
  editable; one product from its card) → 58 × 40 mm stickers.
- `box_stickers_dialog`: a supply's (FBO) box stickers, and the marketplace's own PDF
  labels uploaded and converted to ZPL (data.files.marketplace_labels) for the same printer.
"""

from collections.abc import Callable, Sequence
from typing import Any

from nicegui import events, run, ui

from core.errors import DomainError, ValidationError
from core.floor.box_stickers import box_sticker, box_stickers_zpl
from core.labels.printing import print_zpl
from core.labels.stickers import MAX_COUNT, ProductSticker, product_sticker, stickers_zpl
from core.users.auth import Identity
from core.users.policy import Action
from data.files.labels import PDF_MEDIA_TYPE, ZPL_MEDIA_TYPE
from data.files.marketplace_labels import MAX_BYTES, pdf_to_zpl
from data.files.stickers import box_stickers_pdf, product_stickers_pdf
from data.packing.queries import task_labels
from data.printing.zebra import ZebraPrinter
from data.stickers.queries import ReceiptLine, station, stations
from ui.components.downloads import offer_bytes
from ui.components.feedback import show_done, show_error
from ui.context import AppContext
from ui.formatting import quantity
from ui.i18n import tr
from ui.middleware import UPLOAD_PATHS
from ui.session import guarded

Make = Callable[[], Any]


def _dialog(title: str, mark: str) -> tuple[ui.dialog, ui.card]:
    with ui.dialog() as dialog, ui.card().classes("w-full max-w-3xl gap-3").mark(mark) as card:
        ui.label(title).classes("text-h6")
    dialog.on("hide", lambda: dialog.delete())  # not on close: its handler still runs in it
    return dialog, card


class StickerOutput:
    """A station's printer select and «Печать» / «Скачать PDF» / «Скачать ZPL». `zpl` and
    `pdf` build the job when pressed (they may refuse: the refusal is shown)."""

    def __init__(self, ctx: AppContext, action: Action, zpl: Make, pdf: Make | None,
                 stem: str, what: str, mark: str = "stickers") -> None:  # fmt: skip
        self.ctx, self.zpl, self.pdf, self.stem, self.what = ctx, zpl, pdf, stem, what
        found = stations(ctx.db.engine)
        options = {s.id: f"{s.name} ({s.code}) · {s.printer_address}" for s in found}
        with ui.row().classes("w-full items-center gap-3"):
            self.station = (
                ui.select(options, value=next(iter(options), None),
                          label=tr("Принтер стола упаковки", "Packing station's printer"))
                .props("outlined").classes("grow min-w-64").mark(f"{mark}-station")
            )  # fmt: skip
            printing = ui.button(tr("Печать", "Print"), icon="print",
                                 on_click=guarded(ctx, action, self._print))  # fmt: skip
            printing.props("unelevated size=lg").mark(f"{mark}-print")
            if pdf is not None:
                ui.button("PDF", icon="picture_as_pdf",
                          on_click=guarded(ctx, action, self._download_pdf)).props(
                    "outline size=lg").mark(f"{mark}-pdf")  # fmt: skip
            ui.button("ZPL", icon="download",
                      on_click=guarded(ctx, action, self._download_zpl)).props(
                "outline size=lg").mark(f"{mark}-zpl")  # fmt: skip
        if not found:
            printing.disable()
            ui.label(tr("Ни у одного стола упаковки не указан принтер этикеток (Места хранения → "
                        "стол упаковки). Скачайте PDF или ZPL.",
                        "No packing station has a label printer. Download the PDF or ZPL.")
                     ).classes("text-body2 text-grey-8").mark(f"{mark}-no-printer")  # fmt: skip

    async def _job(self) -> str | None:
        try:
            return await run.io_bound(self.zpl)
        except DomainError as refusal:
            show_error(refusal)
            return None

    async def _print(self, _user: Identity, *_: Any) -> None:
        chosen = station(self.ctx.db.engine, int(self.station.value or 0))
        if chosen is None:
            show_error(ValidationError("station_required", "Выберите стол упаковки с принтером"))
            return
        job = await self._job()
        if job is None:
            return
        printer = ZebraPrinter(self.ctx.settings.printer_timeout_seconds)
        try:
            await run.io_bound(print_zpl, printer, chosen.printer_address, job)
        except DomainError as refusal:  # printer_unavailable
            show_error(refusal)
            return
        show_done(tr(f"{self.what}: отправлено на принтер {chosen.printer_address}",
                     f"{self.what}: sent to {chosen.printer_address}"))  # fmt: skip

    async def _download_zpl(self, user: Identity, *_: Any) -> None:
        job = await self._job()
        if job is not None:
            offer_bytes(user, job.encode("utf-8"), f"{self.stem}.zpl", ZPL_MEDIA_TYPE)

    async def _download_pdf(self, user: Identity, *_: Any) -> None:
        assert self.pdf is not None
        try:
            content = await run.io_bound(self.pdf)
        except DomainError as refusal:
            show_error(refusal)
            return
        offer_bytes(user, content, f"{self.stem}.pdf", PDF_MEDIA_TYPE)


def _count(value: Any, sku: str) -> int:
    """A count field's whole number (0 leaves the product out); a refusal names the product."""
    text = str(value if value is not None else "").strip().replace(",", ".")
    try:
        number = float(text or "0")
    except ValueError:
        number = -1
    if not number.is_integer() or not 0 <= number <= MAX_COUNT:
        raise ValidationError(
            "invalid_count", f"{sku}: количество стикеров — целое число от 0 до {MAX_COUNT}"
        )
    return int(number)


def product_stickers_dialog(ctx: AppContext, action: Action, title: str,
                            lines: Sequence[ReceiptLine], stem: str,
                            *, received: bool = True) -> None:  # fmt: skip
    """A count per product, preset from `lines` (a receipt's quantities; from a product's
    card `received=False` and the count given), then print or download. An empty receipt
    says so and offers nothing."""
    dialog, card = _dialog(title, "stickers-dialog")
    counts: list[tuple[ReceiptLine, ui.number]] = []
    with card:
        if not lines:
            ui.label(tr("В поступлении нет товаров для стикеров", "Nothing received to label"))
        for line in lines:
            with ui.row().classes("w-full items-center gap-3 no-wrap").mark("stickers-line"):
                with ui.column().classes("grow min-w-0 gap-0"):
                    ui.label(line.name).classes("text-body1 break-words")
                    got = (
                        tr(
                            f" · принято {quantity(line.quantity)} шт.",
                            f" · received {quantity(line.quantity)} pcs",
                        )
                        if received
                        else ""
                    )
                    ui.label(f"{line.sku} · {line.barcode}{got}").classes(
                        "text-caption text-grey-7")  # fmt: skip
                field = ui.number(tr("Стикеров", "Stickers"), value=min(line.quantity, MAX_COUNT),
                                  min=0, max=MAX_COUNT, precision=0, format="%.0f")  # fmt: skip
                field.props("outlined dense").classes("w-32").mark(
                    f"stickers-count-{line.product_id}"
                )
                counts.append((line, field))

        def chosen() -> list[ProductSticker]:
            wanted = [(line, _count(field.value, line.sku)) for line, field in counts]
            return [product_sticker(line.barcode, line.sku, line.name, n)
                    for line, n in wanted if n > 0]  # fmt: skip

        if lines:
            StickerOutput(ctx, action, lambda: stickers_zpl(chosen()),
                          lambda: product_stickers_pdf(chosen()), stem,
                          tr("Стикеры", "Stickers"))  # fmt: skip
        ui.button(tr("Закрыть", "Close"), on_click=dialog.close).props("flat").classes("self-end")
    dialog.open()


def box_stickers_dialog(ctx: AppContext, task_id: int, action: Action) -> None:
    """A supply's box stickers (every package of the task), and the marketplace's PDF."""
    found = task_labels(ctx.db.engine, task_id)
    dialog, card = _dialog(tr("Стикеры коробок поставки", "Supply box stickers"),
                           "box-stickers-dialog")  # fmt: skip
    with card:
        try:
            boxes = [box_sticker(label) for label in (found.labels if found else [])]
        except DomainError as refusal:  # a customer order: its boxes get the carrier's label
            ui.label(refusal.message).classes("text-body1 text-negative")
            boxes = None
        if boxes == []:
            ui.label(tr("У задания нет коробок", "The task has no boxes")).classes("text-body1")
        if boxes:
            first = boxes[0]
            ui.label(tr(f"Поставка № {first.supply_number} · РЦ: {first.distribution_center or '—'}"
                        f" · коробок: {len(boxes)}",
                        f"Supply {first.supply_number} · DC {first.distribution_center or '—'}"
                        f" · boxes: {len(boxes)}")).classes("text-body1")  # fmt: skip
            stem = f"box-stickers-{task_id}"
            StickerOutput(ctx, action, lambda: box_stickers_zpl(boxes),
                          lambda: box_stickers_pdf(boxes), stem,
                          tr("Стикеры коробок", "Box stickers"))  # fmt: skip
        ui.separator()
        marketplace_pdf_section(ctx, action)
        ui.button(tr("Закрыть", "Close"), on_click=dialog.close).props("flat").classes("self-end")
    dialog.open()


def box_stickers_button(ctx: AppContext, task_id: int, action: Action) -> ui.button:
    """«Стикеры коробок»: opens `box_stickers_dialog` (for a supply's packing task)."""

    def open_dialog(_user: Identity, *_: Any) -> None:
        box_stickers_dialog(ctx, task_id, action)

    return ui.button(tr("Стикеры коробок", "Box stickers"), icon="sell",
                     on_click=guarded(ctx, action, open_dialog))  # fmt: skip


def marketplace_pdf_section(ctx: AppContext, action: Action) -> None:
    """A marketplace's PDF labels (e.g. WB's box labels): uploaded, converted to ZPL,
    printed on a station's Zebra printer or downloaded as ZPL."""
    ui.label(tr("Этикетки маркетплейса (PDF)", "Marketplace labels (PDF)")).classes("text-h6")
    ui.label(tr(f"Загрузите PDF из кабинета маркетплейса (до {MAX_BYTES // 2**20} МБ): каждая "
                "страница станет этикеткой того же размера на принтере Zebra.",
                f"Upload the marketplace's PDF (up to {MAX_BYTES // 2**20} MB): each page "
                "prints as a label of its size.")).classes("text-body2 text-grey-8")  # fmt: skip
    held: dict[str, str] = {}
    upload = (
        ui.upload(label=tr("Перетащите PDF или нажмите «+»", "Drop a PDF or press «+»"),
                  auto_upload=True, max_file_size=MAX_BYTES)
        .props('accept=".pdf,application/pdf" flat bordered color=primary')
        .classes("w-full").mark("marketplace-upload")
    )  # fmt: skip
    url = str(upload.props["url"])
    UPLOAD_PATHS.add(url)  # the server cuts off a larger body while it arrives
    upload.client.on_delete(lambda: UPLOAD_PATHS.discard(url))
    status = ui.label().classes("text-body1").mark("marketplace-status")
    output = ui.column().classes("w-full")
    output.set_visibility(False)

    def job() -> str:
        if "zpl" not in held:
            raise ValidationError("file_required", "Сначала загрузите PDF")
        return held["zpl"]

    with output:
        StickerOutput(ctx, action, job, None, "marketplace-labels",
                      tr("Этикетки маркетплейса", "Marketplace labels"), "marketplace")  # fmt: skip

    async def uploaded(_user: Identity, event: events.UploadEventArguments) -> None:
        content = await event.file.read()
        upload.reset()
        held.clear()
        try:
            held["zpl"] = await run.io_bound(pdf_to_zpl, content)
        except DomainError as refusal:  # not a PDF, too large, unreadable
            status.set_text(refusal.message)
            status.classes(replace="text-body1 text-negative")
            output.set_visibility(False)
            return
        pages = held["zpl"].count("^XA")
        status.set_text(tr(f"«{event.file.name}»: этикеток {quantity(pages)}, готово к печати",
                           f"“{event.file.name}”: {quantity(pages)} labels ready"))  # fmt: skip
        status.classes(replace="text-body1 text-positive")
        output.set_visibility(True)

    upload.on_upload(guarded(ctx, action, uploaded))
