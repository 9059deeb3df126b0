"""Bin labels: the bin's code as Code 128, big enough to read from a step away, with the
code in letters above it and the bin's name below. Package (shipping) labels as PDF: one
100 × 150 mm page each, the same as `core.labels.package.zpl_label` says (at the end).

- ZPL (text) for a label printer: one `^XA … ^XZ` label per bin, 100 × 50 mm at
  203 dpi (8 dots a mm), UTF-8 (`^CI28`).
- PDF for an ordinary A4 printer: a sheet of 3 × 8 labels of 70 × 37 mm (the common A4
  sticker sheet; on plain paper the thin grey frames are the cutting lines). Drawn with
  reportlab; names in Cyrillic need a TrueType font with it (DejaVu Sans, Debian's
  fonts-dejavu-core; Liberation Sans also does): without one a name is left off the
  label, the code and barcode are always there.
"""

import io
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from reportlab.graphics.barcode.code128 import Code128
from reportlab.lib.colors import Color
from reportlab.lib.pagesizes import A4
from reportlab.lib.units import mm
from reportlab.lib.utils import simpleSplit
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.pdfgen.canvas import Canvas

from core.labels.package import ORDER_KINDS, PackageLabel, check_label, package_of, weight_text

ZPL_MEDIA_TYPE = "text/plain; charset=utf-8"
PDF_MEDIA_TYPE = "application/pdf"


@dataclass(frozen=True)
class Label:
    code: str  # Latin capitals, digits, - _ . (core.floor.locations.check_code)
    name: str


# --- ZPL ---

DOTS_PER_MM = 8  # 203 dpi
ZPL_WIDTH, ZPL_HEIGHT = 100 * DOTS_PER_MM, 50 * DOTS_PER_MM
ZPL_MARGIN = 4 * DOTS_PER_MM


def code128_modules(code: str) -> int:
    """Modules of a Code 128 symbol in subset B: start, one per character, check, stop."""
    return 11 * (len(code) + 2) + 13


def _zpl_text(text: str) -> str:
    """Field data without ZPL's command characters (`^`, `~`) and line breaks."""
    return " ".join(text.replace("^", " ").replace("~", " ").split())


def bin_label_zpl(label: Label) -> str:
    modules = code128_modules(label.code)
    room = ZPL_WIDTH - 2 * ZPL_MARGIN
    module = max(1, min(4, room // modules))  # dots a module: as wide as the label allows
    left = max(ZPL_MARGIN, (ZPL_WIDTH - modules * module) // 2)
    name = _zpl_text(label.name)[:60]
    return "\n".join(
        [
            "^XA",
            "^CI28",  # field data is UTF-8
            f"^PW{ZPL_WIDTH}",
            f"^LL{ZPL_HEIGHT}",
            f"^FO{ZPL_MARGIN},{ZPL_MARGIN}^A0N,80,80^FD{label.code}^FS",
            f"^FO{left},{ZPL_MARGIN + 100}^BY{module},3,170^BCN,170,N,N,N^FD{label.code}^FS",
            f"^FO{ZPL_MARGIN},{ZPL_HEIGHT - ZPL_MARGIN - 34}^A0N,30,30^FD{name}^FS",
            "^XZ",
        ]
    )


def bin_labels_zpl(labels: Sequence[Label]) -> str:
    return "\n".join(bin_label_zpl(label) for label in labels) + "\n"


# --- PDF: an A4 sheet of labels ---

COLUMNS, ROWS = 3, 8
LABEL_W, LABEL_H = A4[0] / COLUMNS, A4[1] / ROWS  # 70 × 37.1 mm
PAD = 3 * mm
BAR_HEIGHT = 15 * mm
MAX_BAR = 0.5 * mm  # a module wider than this only makes the symbol longer
FRAME = Color(0.75, 0.75, 0.75)
FONT_FILES = (
    ("/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf",
     "/usr/share/fonts/truetype/dejavu/DejaVuSans-Bold.ttf"),
    ("/usr/share/fonts/TTF/DejaVuSans.ttf", "/usr/share/fonts/TTF/DejaVuSans-Bold.ttf"),
    ("/usr/share/fonts/truetype/liberation/LiberationSans-Regular.ttf",
     "/usr/share/fonts/truetype/liberation/LiberationSans-Bold.ttf"),
    ("C:/Windows/Fonts/arial.ttf", "C:/Windows/Fonts/arialbd.ttf"),
)  # fmt: skip


@lru_cache(maxsize=1)
def label_fonts() -> tuple[str, str, bool]:
    """(regular, bold, has Cyrillic): a TrueType pair found on this machine, registered
    once, or reportlab's built-in Helvetica (Latin only)."""
    for regular, bold in FONT_FILES:
        if Path(regular).is_file() and Path(bold).is_file():
            pdfmetrics.registerFont(TTFont("LabelSans", regular))
            pdfmetrics.registerFont(TTFont("LabelSans-Bold", bold))
            return "LabelSans", "LabelSans-Bold", True
    return "Helvetica", "Helvetica-Bold", False


def fitted(canvas: Canvas, text: str, font: str, size: float, width: float) -> str:
    """`text` cut with an ellipsis to fit `width`."""
    if canvas.stringWidth(text, font, size) <= width:
        return text
    while text and canvas.stringWidth(text + "…", font, size) > width:
        text = text[:-1]
    return text + "…"


def _draw_label(canvas: Canvas, label: Label, x: float, y: float) -> None:
    regular, bold, cyrillic = label_fonts()
    canvas.setStrokeColor(FRAME)
    canvas.setLineWidth(0.3)
    canvas.rect(x, y, LABEL_W, LABEL_H)
    width = LABEL_W - 2 * PAD
    size = 16.0
    while size > 9 and canvas.stringWidth(label.code, bold, size) > width:
        size -= 1
    canvas.setFillColorRGB(0, 0, 0)
    canvas.setFont(bold, size)
    canvas.drawCentredString(x + LABEL_W / 2, y + LABEL_H - PAD - size * 0.8, label.code)
    modules = Code128(label.code, barWidth=1, quiet=False).width  # modules at width 1
    bar = min(MAX_BAR, width / modules)
    symbol = Code128(label.code, barWidth=bar, barHeight=BAR_HEIGHT, quiet=False)
    symbol.drawOn(canvas, x + (LABEL_W - symbol.width) / 2, y + PAD + 4 * mm)
    name = label.name if cyrillic or label.name.isascii() else ""
    if name:
        canvas.setFont(regular, 7)
        canvas.drawCentredString(x + LABEL_W / 2, y + PAD, fitted(canvas, name, regular, 7, width))


def bin_labels_pdf(labels: Sequence[Label], title: str = "Этикетки ячеек") -> bytes:
    """An A4 PDF, 24 labels a page, left to right and top to bottom in the given order."""
    out = io.BytesIO()
    canvas = Canvas(out, pagesize=A4, pageCompression=1)
    canvas.setTitle(title)
    canvas.setCreator("WMS")
    per_page = COLUMNS * ROWS
    for index, label in enumerate(labels):
        if index and index % per_page == 0:
            canvas.showPage()
        spot = index % per_page
        column, row = spot % COLUMNS, spot // COLUMNS
        _draw_label(canvas, label, column * LABEL_W, A4[1] - (row + 1) * LABEL_H)
    if not labels:
        canvas.setFont(label_fonts()[0], 12)
        empty = "Нет мест для печати" if label_fonts()[2] else "No locations to print"
        canvas.drawString(20 * mm, A4[1] - 20 * mm, empty)
    canvas.showPage()
    canvas.save()
    return out.getvalue()


# --- PDF: package labels, one 100 × 150 mm page each ---

PACKAGE_PAGE = (100 * mm, 150 * mm)
PACKAGE_PAD = 5 * mm
PACKAGE_BAR_HEIGHT = 32 * mm


def _shown(text: str, cyrillic: bool) -> str:
    """Text the font can draw: without a Cyrillic font, what it lacks is a `?`."""
    text = " ".join(text.split())
    return text if cyrillic else "".join(ch if ord(ch) < 256 else "?" for ch in text)


def _line(
    canvas: Canvas, text: str, font: str, size: float, y: float, *, shrink: float = 0
) -> None:
    """A line at the left margin, `y` its top; smaller down to `shrink` to fit, then cut."""
    width = PACKAGE_PAGE[0] - 2 * PACKAGE_PAD
    while shrink and size > shrink and canvas.stringWidth(text, font, size) > width:
        size -= 1
    canvas.setFont(font, size)
    canvas.drawString(PACKAGE_PAD, y - size * 0.8, fitted(canvas, text, font, size, width))


def _draw_package(canvas: Canvas, label: PackageLabel) -> None:
    regular, bold, cyrillic = label_fonts()
    page_w, page_h = PACKAGE_PAGE
    width = page_w - 2 * PACKAGE_PAD
    top = page_h - PACKAGE_PAD
    _line(canvas, _shown(ORDER_KINDS[label.order_kind], cyrillic), regular, 10, top)
    _line(canvas, _shown(label.order_external_id, cyrillic), bold, 24, top - 5 * mm, shrink=11)
    canvas.setLineWidth(1)
    canvas.line(PACKAGE_PAD, top - 16 * mm, page_w - PACKAGE_PAD, top - 16 * mm)
    _line(canvas, _shown(package_of(label), cyrillic), bold, 28, top - 20 * mm)
    carrier = f"Перевозчик: {label.carrier_name or '—'}"
    _line(canvas, _shown(carrier, cyrillic), regular, 14, top - 34 * mm)
    if weight := weight_text(label.weight_kg):
        _line(canvas, _shown(weight, cyrillic), regular, 14, top - 41 * mm)
    if label.destination:
        where = _shown(f"Куда: {label.destination}", cyrillic)
        canvas.setFont(regular, 10)
        for n, part in enumerate(simpleSplit(where, regular, 10, width)[:4]):
            canvas.drawString(PACKAGE_PAD, top - 52 * mm - n * 12, part)
    code = label.barcode
    bar_y = PACKAGE_PAD + 8 * mm
    canvas.line(PACKAGE_PAD, bar_y + PACKAGE_BAR_HEIGHT + 12 * mm, page_w - PACKAGE_PAD,
                bar_y + PACKAGE_BAR_HEIGHT + 12 * mm)  # fmt: skip
    _line(canvas, _shown(label.barcode_caption, cyrillic), regular, 10,
          bar_y + PACKAGE_BAR_HEIGHT + 9 * mm)  # fmt: skip
    modules = Code128(code, barWidth=1, quiet=False).width
    bar = min(MAX_BAR, width / modules)
    symbol = Code128(code, barWidth=bar, barHeight=PACKAGE_BAR_HEIGHT, quiet=False)
    symbol.drawOn(canvas, (page_w - symbol.width) / 2, bar_y)
    canvas.setFont(bold, 14)
    canvas.drawCentredString(page_w / 2, PACKAGE_PAD + 2 * mm, code)


def package_labels_pdf(labels: Sequence[PackageLabel], title: str = "Этикетки коробок") -> bytes:
    """A PDF of 100 × 150 mm pages, one label each in the given order (for an ordinary
    printer, or a label printer driven by its system driver)."""
    for label in labels:
        check_label(label)  # the same refusals as the ZPL (a barcode Code 128 cannot carry)
    out = io.BytesIO()
    canvas = Canvas(out, pagesize=PACKAGE_PAGE, pageCompression=1)
    canvas.setTitle(title)
    canvas.setCreator("WMS")
    for label in labels:
        _draw_package(canvas, label)
        canvas.showPage()
    if not labels:
        canvas.setFont(label_fonts()[0], 12)
        empty = "Нет коробок для печати" if label_fonts()[2] else "No packages to print"
        canvas.drawString(PACKAGE_PAD, PACKAGE_PAGE[1] - 20 * mm, empty)
        canvas.showPage()
    canvas.save()
    return out.getvalue()
