"""Pallet and box labels: an SSCC prints as GS1-128 (FNC1, AI 00, the 18 digits) in the
ZPL and in the PDF, and reads back — the PDF's bars are redrawn as an image and decoded by
zxing-cpp, what it reads is parsed by biip; an internal code is plain Code 128."""

import io
import re

import zxingcpp
from biip import parse
from PIL import Image, ImageDraw
from pypdf import PdfReader

from core.floor.unit_codes import read_scan, sscc
from core.floor.unit_labels import UnitLabel, unit_label_zpl, unit_labels_zpl
from data.files.unit_labels import unit_labels_pdf

CODE = sscc("4601234", 123)  # 046012340000001236
BARS = re.compile(r"n ([\d.]+) 0 ([\d.]+) [\d.]+ re f\*")  # reportlab's filled bars


def decoded(pdf: bytes, page: int = 0) -> zxingcpp.Barcode:
    """The barcode on a PDF page, read from its bars as a scanner would see them."""
    content = PdfReader(io.BytesIO(pdf)).pages[page].get_contents()
    assert content is not None
    bars = [(float(x), float(w)) for x, w in BARS.findall(content.get_data().decode("latin1"))]
    scale, quiet = 4, 60  # px a point; a white margin round the symbol
    image = Image.new("L", (int(max(x + w for x, w in bars) * scale) + 2 * quiet, 140), 255)
    draw = ImageDraw.Draw(image)
    for x, w in bars:
        left = quiet + round(x * scale)
        draw.rectangle((left, 20, quiet + round((x + w) * scale) - 1, 120), fill=0)
    (barcode,) = zxingcpp.read_barcodes(image)
    return barcode


def zpl_scan(zpl: str) -> str:
    """What a scanner sends for the `^BC` field: `>;` (subset C) is no data, `>8` is FNC1,
    which a scanner reports as the symbology identifier `]C1` at the start."""
    (data,) = re.findall(r"\^BC[^\^]*\^FD([^\^]*)\^FS", zpl)
    data = data.removeprefix(">;")
    return "]C1" + data.removeprefix(">8") if data.startswith(">8") else data


def test_an_sscc_prints_as_gs1_128_in_zpl() -> None:
    zpl = unit_label_zpl(UnitLabel(CODE, "Паллета", "A-01-1-1"))
    assert zpl.startswith("^XA") and zpl.rstrip().endswith("^XZ")
    scanned = zpl_scan(zpl)
    assert scanned == f"]C100{CODE}"
    message = parse(scanned).gs1_message
    assert message is not None
    (element,) = message.element_strings
    assert (element.ai.ai, element.value) == ("00", CODE)
    assert read_scan(scanned) == CODE  # the unit move page finds the unit by it
    assert f"(00) {CODE}" in zpl and "Паллета · A-01-1-1" in zpl
    assert "^BY4," in zpl  # a 0.5 mm module: GS1's minimum for an SSCC


def test_an_sscc_prints_as_gs1_128_in_the_pdf_and_decodes_back() -> None:
    other = sscc("4601234", 124)
    pdf = unit_labels_pdf([UnitLabel(CODE, "Паллета", "MAIN"), UnitLabel(other, "Коробка")])
    reader = PdfReader(io.BytesIO(pdf))
    assert len(reader.pages) == 2
    assert f"(00) {CODE}" in reader.pages[0].extract_text()
    for page, code in enumerate((CODE, other)):
        barcode = decoded(pdf, page)
        assert barcode.format == zxingcpp.BarcodeFormat.Code128
        assert barcode.symbology_identifier == "]C1"  # FNC1 first: GS1-128
        message = parse("]C1" + barcode.bytes.decode()).gs1_message
        assert message is not None
        assert [(e.ai.ai, e.value) for e in message.element_strings] == [("00", code)]


def test_an_internal_code_is_plain_code_128() -> None:
    label = UnitLabel("HU-000123", "Коробка")
    assert zpl_scan(unit_labels_zpl([label])) == "HU-000123"
    barcode = decoded(unit_labels_pdf([label]))
    assert (barcode.text, barcode.symbology_identifier) == ("HU-000123", "]C0")
