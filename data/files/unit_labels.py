"""Pallet and box labels as PDF: one 100 × 70 mm page each, as the ZPL of
core.floor.unit_labels: what the unit is and where it stood, its code as GS1-128 (an SSCC, FNC1
then `00` + the 18 digits) or Code 128 (an internal code), and the human-readable line.
Drawn with reportlab, whose Code 128 takes FNC1 as `\\xf1` and switches to subset C for the
digits itself."""

import io
from collections.abc import Sequence

from reportlab.graphics.barcode.code128 import Code128
from reportlab.lib.units import mm
from reportlab.pdfgen.canvas import Canvas

from core.floor.unit_codes import human_readable
from core.floor.unit_labels import UnitLabel, barcode_data
from data.files.labels import label_fonts

UNIT_PAGE = (100 * mm, 70 * mm)
PAD = 4 * mm
BAR_HEIGHT = 32 * mm
MODULE = 0.5 * mm  # GS1's logistic label: 0.495–1.016 mm


def _shown(text: str, cyrillic: bool) -> str:
    text = " ".join(text.split())
    return text if cyrillic else "".join(ch if ord(ch) < 256 else "?" for ch in text)


def _draw_unit(canvas: Canvas, label: UnitLabel) -> None:
    _, bold, cyrillic = label_fonts()
    page_w, page_h = UNIT_PAGE
    title = " · ".join(part for part in (label.kind, label.place) if part)
    canvas.setFont(bold, 16)
    canvas.drawString(PAD, page_h - PAD - 14, _shown(title, cyrillic))
    data = barcode_data(label.code)
    modules = Code128(data, barWidth=1, quiet=False).width
    symbol = Code128(
        data, barWidth=min(MODULE, (page_w - 2 * PAD) / modules), barHeight=BAR_HEIGHT,
        quiet=False,
    )  # fmt: skip
    bar_y = PAD + 10 * mm
    symbol.drawOn(canvas, (page_w - symbol.width) / 2, bar_y)
    canvas.setFont(bold, 15)
    canvas.drawCentredString(page_w / 2, PAD + 3 * mm, human_readable(label.code))


def unit_labels_pdf(labels: Sequence[UnitLabel], title: str = "Этикетки паллет и коробок") -> bytes:
    out = io.BytesIO()
    canvas = Canvas(out, pagesize=UNIT_PAGE, pageCompression=1)
    canvas.setTitle(title)
    canvas.setCreator("WMS")
    for label in labels:
        _draw_unit(canvas, label)
        canvas.showPage()
    if not labels:
        canvas.setFont(label_fonts()[0], 12)
        empty = "Нет упаковок для печати" if label_fonts()[2] else "No units to print"
        canvas.drawString(PAD, UNIT_PAGE[1] - 20 * mm, empty)
        canvas.showPage()
    canvas.save()
    return out.getvalue()
