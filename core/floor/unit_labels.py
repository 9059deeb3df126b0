"""The label of a pallet or a box (a handling unit): its code as a barcode that a scanner
reads back to the unit (core.floor.unit_codes.read_scan).

An SSCC prints as GS1-128, the logistic label's symbol: FNC1 first (it makes the Code 128
symbol GS1-128, `]C1` when scanned), then the element string `00` + the 18 digits, and
under it the human-readable line `(00) …`. An internal code `HU-000123` is plain Code 128.
ZPL for a label printer: 100 × 70 mm at 203 dpi; the PDF (data.files.unit_labels) draws
the same barcode data (`barcode_data`).
"""

from collections.abc import Sequence
from dataclasses import dataclass

from core.floor.unit_codes import human_readable, is_sscc
from core.labels.package import DOTS_PER_MM, zpl_code128, zpl_text

SSCC_AI = "00"
FNC1 = "\xf1"  # how the PDF's Code 128 (reportlab) is given FNC1; ZPL's is `>8`

WIDTH, HEIGHT = 100 * DOTS_PER_MM, 70 * DOTS_PER_MM
MARGIN = 4 * DOTS_PER_MM
BAR_HEIGHT = 32 * DOTS_PER_MM  # GS1's logistic label asks for 32 mm
MODULE = 4  # dots: 0.5 mm, within GS1's 0.495–1.016 mm for an SSCC


@dataclass(frozen=True)
class UnitLabel:
    code: str  # SSCC-18 or HU-000123 (core.floor.unit_codes.unit_code)
    kind: str  # «Паллета», «Коробка»
    place: str = ""  # where it stood when printed


def element_string(code: str) -> str:
    """What the barcode carries after FNC1: `00` + the SSCC (or the internal code itself)."""
    return SSCC_AI + code if is_sscc(code) else code


def barcode_data(code: str) -> str:
    """Code 128 input with FNC1 as `\\xf1` (reportlab's convention) for an SSCC."""
    return FNC1 + element_string(code) if is_sscc(code) else code


def zpl_barcode_data(code: str) -> str:
    """`^FD` data of `^BC`: `>;` starts subset C (digit pairs: 20 digits, 10 symbols), `>8`
    is FNC1; an internal code as it is (subset B)."""
    if is_sscc(code):
        return f">;>8{element_string(code)}"
    return zpl_code128(code)


def code128_modules(code: str) -> int:
    """Modules of the symbol: start, the symbols, check, stop (13 for the stop)."""
    symbols = 1 + len(element_string(code)) // 2 if is_sscc(code) else len(code)
    return 11 * (symbols + 2) + 13


def unit_label_zpl(label: UnitLabel) -> str:
    """One `^XA … ^XZ` label, UTF-8 (`^CI28`): what it is and where, the barcode, the code."""
    modules = code128_modules(label.code)
    module = max(1, min(MODULE, (WIDTH - 2 * MARGIN) // modules))
    left = max(MARGIN, (WIDTH - modules * module) // 2)
    title = zpl_text(" · ".join(part for part in (label.kind, label.place) if part))[:40]
    bar_top = MARGIN + 70
    return "\n".join(
        [
            "^XA",
            "^CI28",
            f"^PW{WIDTH}",
            f"^LL{HEIGHT}",
            f"^FO{MARGIN},{MARGIN}^A0N,50,50^FH^FD{title}^FS",
            f"^FO{left},{bar_top}^BY{module},3,{BAR_HEIGHT}"
            f"^BCN,{BAR_HEIGHT},N,N,N^FD{zpl_barcode_data(label.code)}^FS",
            f"^FO{MARGIN},{bar_top + BAR_HEIGHT + 20}^A0N,46,46^FB{WIDTH - 2 * MARGIN},1,0,C,0"
            f"^FH^FD{zpl_text(human_readable(label.code))}^FS",
            "^XZ",
        ]
    )


def unit_labels_zpl(labels: Sequence[UnitLabel]) -> str:
    return "\n".join(unit_label_zpl(label) for label in labels) + "\n"
