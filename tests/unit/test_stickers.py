"""Product and box stickers (core.labels.stickers, core.floor.box_stickers,
data.files.stickers): the ZPL read as text (fields and barcode commands with their data),
the PDF rendered to an image by pdfium and its barcode decoded by zxing-cpp."""

import io
import re

import pypdfium2 as pdfium
import pytest
import zxingcpp

from core.errors import Conflict, ValidationError
from core.floor.box_stickers import BoxSticker, box_sticker, box_sticker_zpl, box_stickers_zpl
from core.floor.unit_codes import sscc
from core.labels.package import PackageLabel
from core.labels.stickers import (
    MAX_COUNT,
    MAX_JOB,
    product_sticker,
    sticker_zpl,
    stickers_zpl,
    variant_of,
)
from data.files.stickers import box_stickers_pdf, product_stickers_pdf

EAN = "4601234567893"
SHIRT = "Футболка хлопковая Basic, чёрный, размер M"


def read_pages(pdf: bytes) -> list[list[tuple[str, str]]]:
    """(format, text) of the barcodes on each page, rendered at 300 dpi."""
    document = pdfium.PdfDocument(io.BytesIO(pdf))
    pages = []
    for page in document:
        image = page.render(scale=300 / 72).to_pil()
        pages.append([(b.format.name, b.text) for b in zxingcpp.read_barcodes(image)])
    return pages


def page_sizes_mm(pdf: bytes) -> list[tuple[int, int]]:
    document = pdfium.PdfDocument(io.BytesIO(pdf))
    return [(round(p.get_width() / 72 * 25.4), round(p.get_height() / 72 * 25.4)) for p in document]


def test_a_valid_ean13_prints_as_ean13_with_the_article_name_size_and_colour() -> None:
    zpl = sticker_zpl(product_sticker(EAN, "TS-12-BLK-M", SHIRT, 4))
    assert zpl.startswith("^XA") and zpl.endswith("^XZ")
    assert "^PW464" in zpl and "^LL320" in zpl  # 58 × 40 mm at 8 dots a mm
    (ean,) = re.findall(r"\^BEN,\d+,Y,N\^FD(\d+)\^FS", zpl)
    assert ean == EAN[:12]  # the printer adds the check digit
    assert "^FDАрт.: TS-12-BLK-M^FS" in zpl and f"^FD{SHIRT}^FS" in zpl
    assert "^FDРазмер M · чёрный^FS" in zpl and "^PQ4" in zpl and "Страна" not in zpl


def test_a_barcode_that_is_no_ean13_prints_as_code128() -> None:
    for code in ("46012345", "04601234567896", "4601234567890"):  # EAN-8, GTIN-14, bad check
        zpl = sticker_zpl(product_sticker(code, "SKU", "Кабель USB-C, 1 м"))
        assert "^BE" not in zpl
        (data,) = re.findall(r"\^BCN,\d+,Y,N,N\^FH\^FD([^\^]+)\^FS", zpl)
        assert data == code


def test_the_article_cannot_end_the_label_or_send_a_command() -> None:
    zpl = sticker_zpl(product_sticker(EAN, "A^XZ~JA_1", "Товар"))
    assert "^FDАрт.: A_5EXZ_7EJA_5F1^FS" in zpl and zpl.count("^XZ") == 1


def test_size_and_colour_are_read_from_the_name_only_when_it_says_them() -> None:
    assert variant_of(SHIRT) == ("M", "чёрный")
    assert variant_of("Боди детское, рост 68, молочный") == ("68", "молочный")
    assert variant_of("Носки, размер 41–45") == ("41–45", None)
    assert variant_of("Крем для рук, 50 мл") == (None, None)
    assert variant_of("Чёрный чай") == (None, None)  # a colour before the first comma is the name


def test_counts_and_jobs_are_limited_with_russian_messages() -> None:
    for count in (0, -1, MAX_COUNT + 1):
        with pytest.raises(ValidationError, match="Количество стикеров"):
            product_sticker(EAN, "S", "N", count)
    with pytest.raises(ValidationError) as refused:
        stickers_zpl([product_sticker(EAN, "S", "N", MAX_COUNT)] * (MAX_JOB // MAX_COUNT + 1))
    assert refused.value.code == "too_many_stickers"
    with pytest.raises(ValidationError, match="Нет стикеров"):
        stickers_zpl([])


def test_the_pdf_has_a_58_by_40_mm_page_per_sticker_and_its_barcode_decodes() -> None:
    pdf = product_stickers_pdf([product_sticker(EAN, "TS", SHIRT, 2),
                                product_sticker("46012345", "CB", "Кабель", 1)])  # fmt: skip
    assert page_sizes_mm(pdf) == [(58, 40)] * 3
    assert read_pages(pdf) == [[("EAN13", EAN)], [("EAN13", EAN)], [("Code128", "46012345")]]


SUPPLY = PackageLabel("WB-77", "supply", 2, 3, None, None, sscc("4601234", 9), None, "Коледино")


def test_a_supply_box_sticker_names_the_supply_dc_and_box_with_an_sscc_as_gs1_128() -> None:
    sticker = box_sticker(SUPPLY)
    zpl = box_sticker_zpl(sticker)
    assert "^FDПоставка № WB-77^FS" in zpl and "^FDРЦ: Коледино^FS" in zpl
    assert "^FDКоробка 2 из 3^FS" in zpl
    (data,) = re.findall(r"\^BCN,\d+,N,N,N\^FH\^FD([^\^]+)\^FS", zpl)
    assert data == f">;>800{SUPPLY.package_barcode}"  # subset C, FNC1, AI 00, the SSCC
    assert box_stickers_zpl([sticker, sticker]).count("^XA") == 2
    pdf = box_stickers_pdf([sticker])
    assert page_sizes_mm(pdf) == [(100, 70)]
    assert read_pages(pdf) == [[("Code128", f"(00){SUPPLY.package_barcode}")]]


def test_an_internal_box_code_prints_as_plain_code128() -> None:
    sticker = BoxSticker("OZ-1", None, 1, 1, "HU-000042")
    assert "^FDHU-000042^FS" in box_sticker_zpl(sticker) and "^FDРЦ: —^FS" in box_sticker_zpl(
        sticker
    )
    assert read_pages(box_stickers_pdf([sticker])) == [[("Code128", "HU-000042")]]


def test_a_customer_orders_box_has_no_box_sticker() -> None:
    customer = PackageLabel("OZ-5", "customer", 1, 1, "СДЭК", None, "HU-1", None, "Москва")
    with pytest.raises(Conflict) as refused:
        box_sticker(customer)
    assert refused.value.code == "order_not_supply"
