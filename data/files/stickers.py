"""Stickers as PDF (core.labels.stickers says what they carry; this draws it with reportlab):
product stickers one 58 × 40 mm page each (a sticker with count N is N pages, as a label
printer's driver or an ordinary printer takes them), supply box stickers one 100 × 70 mm page
each. The barcode data is core's: EAN-13 for a valid EAN-13, Code 128 otherwise; a box's
code as core.floor.unit_labels.barcode_data (an SSCC as GS1-128)."""

import io
from collections.abc import Sequence

from reportlab.graphics import renderPDF
from reportlab.graphics.barcode import createBarcodeDrawing
from reportlab.graphics.barcode.code128 import Code128
from reportlab.lib.units import mm
from reportlab.lib.utils import simpleSplit
from reportlab.pdfgen.canvas import Canvas

from core.floor.box_stickers import BOX_MM, BoxSticker, box_of
from core.floor.unit_codes import human_readable
from core.floor.unit_labels import barcode_data
from core.labels.stickers import STICKER_MM, ProductSticker, check_job
from data.files.labels import fitted, label_fonts

STICKER_PAGE = (STICKER_MM[0] * mm, STICKER_MM[1] * mm)
BOX_PAGE = (BOX_MM[0] * mm, BOX_MM[1] * mm)
PAD = 2 * mm
EAN_MODULE = 0.33 * mm  # EAN-13's nominal module (100 %)
MAX_MODULE = 0.4 * mm


def _shown(text: str, cyrillic: bool) -> str:
    text = " ".join(text.split())
    return text if cyrillic else "".join(ch if ord(ch) < 256 else "?" for ch in text)


def _draw_sticker(canvas: Canvas, sticker: ProductSticker) -> None:
    regular, bold, cyrillic = label_fonts()
    page_w, page_h = STICKER_PAGE
    width = page_w - 2 * PAD
    bar_height = 15 * mm
    top = page_h - PAD
    if sticker.symbology == "ean13":
        drawing = createBarcodeDrawing("EAN13", value=sticker.barcode[:12], barWidth=EAN_MODULE,
                                       barHeight=bar_height, humanReadable=True)  # fmt: skip
        renderPDF.draw(drawing, canvas, (page_w - drawing.width) / 2, top - drawing.height)
        y = top - drawing.height - 1 * mm
    else:
        modules = Code128(sticker.barcode, barWidth=1, quiet=False).width
        symbol = Code128(sticker.barcode, barWidth=min(MAX_MODULE, width / modules),
                         barHeight=bar_height, quiet=False)  # fmt: skip
        symbol.drawOn(canvas, (page_w - symbol.width) / 2, top - bar_height)
        canvas.setFont(regular, 7)
        canvas.drawCentredString(page_w / 2, top - bar_height - 7, sticker.barcode)
        y = top - bar_height - 9
    canvas.setFont(bold, 9)
    article = _shown(f"Арт.: {sticker.sku}", cyrillic)
    canvas.drawString(PAD, y - 9, fitted(canvas, article, bold, 9, width))
    y -= 11
    canvas.setFont(regular, 8)
    for line in simpleSplit(_shown(sticker.name, cyrillic), regular, 8, width)[:2]:
        canvas.drawString(PAD, y - 8, fitted(canvas, line, regular, 8, width))
        y -= 9
    extra = [sticker.details, f"Страна: {sticker.country}" if sticker.country else ""]
    if line := " · ".join(part for part in extra if part):
        canvas.setFont(bold, 8)
        canvas.drawString(PAD, y - 9, fitted(canvas, _shown(line, cyrillic), bold, 8, width))


def product_stickers_pdf(stickers: Sequence[ProductSticker], title: str = "Стикеры") -> bytes:
    """One 58 × 40 mm page a sticker: `count` pages of each product, in the given order."""
    check_job(stickers)
    out = io.BytesIO()
    canvas = Canvas(out, pagesize=STICKER_PAGE, pageCompression=1)
    canvas.setTitle(title)
    canvas.setCreator("WMS")
    for index, sticker in enumerate(stickers):
        # Drawn once as a form, placed on each of its pages: a 1,000-sticker receipt stays
        # a small file made in a moment.
        name = f"sticker{index}"
        canvas.beginForm(name)
        _draw_sticker(canvas, sticker)
        canvas.endForm()
        for _ in range(sticker.count):
            canvas.doForm(name)
            canvas.showPage()
    canvas.save()
    return out.getvalue()


def _draw_box(canvas: Canvas, sticker: BoxSticker) -> None:
    regular, bold, cyrillic = label_fonts()
    page_w, page_h = BOX_PAGE
    pad, width = 4 * mm, page_w - 8 * mm
    top = page_h - pad
    supply = _shown(f"Поставка № {sticker.supply_number}", cyrillic)
    canvas.setFont(bold, 14)
    canvas.drawString(pad, top - 12, fitted(canvas, supply, bold, 14, width))
    where = _shown(f"РЦ: {sticker.distribution_center or '—'}", cyrillic)
    canvas.setFont(regular, 11)
    canvas.drawString(pad, top - 27, fitted(canvas, where, regular, 11, width))
    canvas.setFont(bold, 22)
    canvas.drawString(pad, top - 50, _shown(box_of(sticker), cyrillic))
    data = barcode_data(sticker.barcode)
    modules = Code128(data, barWidth=1, quiet=False).width
    symbol = Code128(data, barWidth=min(0.5 * mm, width / modules), barHeight=22 * mm,
                     quiet=False)  # fmt: skip
    symbol.drawOn(canvas, (page_w - symbol.width) / 2, pad + 7 * mm)
    canvas.setFont(bold, 13)
    canvas.drawCentredString(page_w / 2, pad + 1.5 * mm, human_readable(sticker.barcode))


def box_stickers_pdf(stickers: Sequence[BoxSticker], title: str = "Стикеры коробок") -> bytes:
    out = io.BytesIO()
    canvas = Canvas(out, pagesize=BOX_PAGE, pageCompression=1)
    canvas.setTitle(title)
    canvas.setCreator("WMS")
    for sticker in stickers:
        _draw_box(canvas, sticker)
        canvas.showPage()
    if not stickers:
        canvas.setFont(label_fonts()[0], 12)
        canvas.drawString(4 * mm, BOX_PAGE[1] - 20 * mm, "—")
        canvas.showPage()
    canvas.save()
    return out.getvalue()
