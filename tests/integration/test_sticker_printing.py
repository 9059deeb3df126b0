"""Stickers on a real network printer (a TCP server the test starts on 127.0.0.1, as in
test_label_printing) and a marketplace's PDF turned into ZPL by zebrafy: the graphic each
page becomes is decoded back to an image and its barcode read by zxing-cpp."""

import base64
import re
import threading
import zlib
from collections.abc import Iterator

import pytest
import zxingcpp
from PIL import Image, ImageOps

from core.errors import ValidationError
from core.labels.printing import PrinterUnavailable, print_zpl
from core.labels.stickers import product_sticker, stickers_zpl
from data.files.marketplace_labels import MAX_BYTES, check_pdf, pdf_to_zpl
from data.files.stickers import product_stickers_pdf
from data.printing.zebra import ZebraPrinter
from tests.integration.test_label_printing import Printer, closed_port

EAN = "4601234567893"
GRAPHIC = re.compile(r"\^GFA,(\d+),(\d+),(\d+),:Z64:([A-Za-z0-9+/=]+):[0-9a-fA-F]{4}")


@pytest.fixture
def printer() -> Iterator[Printer]:
    server = Printer()
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server
    server.shutdown()
    server.server_close()


def graphics(zpl: str) -> list[Image.Image]:
    """Each `^GFA…:Z64:` field as the black-on-white image the printer would print."""
    images = []
    for _size, total, per_row, data in GRAPHIC.findall(zpl):
        raw = zlib.decompress(base64.b64decode(data))
        assert len(raw) == int(total)
        rows = int(total) // int(per_row)
        bits = Image.frombytes("1", (int(per_row) * 8, rows), raw)  # 1 = a black dot in ZPL
        images.append(ImageOps.expand(ImageOps.invert(bits.convert("L")), 40, fill=255))
    return images


def test_stickers_reach_the_printer_as_one_zpl_job(printer: Printer) -> None:
    job = stickers_zpl([product_sticker(EAN, "TS-1", "Футболка, белый, размер S", 5)])
    print_zpl(ZebraPrinter(timeout=3), printer.address, job)
    assert printer.received.wait(3)
    (sent,) = printer.jobs
    assert sent == job.encode("utf-8") and b"^PQ5" in sent and b"^FD460123456789^FS" in sent


def test_a_station_without_a_printer_or_a_printer_that_refuses_is_said() -> None:
    with pytest.raises(PrinterUnavailable, match="не указан принтер"):
        print_zpl(ZebraPrinter(timeout=1), None, "^XA^XZ")
    with pytest.raises(PrinterUnavailable, match="не принимает подключений"):
        print_zpl(ZebraPrinter(timeout=1), f"127.0.0.1:{closed_port()}", "^XA^XZ")


def test_a_marketplace_pdf_becomes_one_zpl_label_a_page_that_still_scans(
    printer: Printer,
) -> None:
    pdf = product_stickers_pdf([product_sticker(EAN, "WB", "Этикетка маркетплейса", 2)])
    zpl = pdf_to_zpl(pdf)
    assert zpl.count("^XA") == 2 and zpl.count("^XZ") == 2
    assert "^PW464" in zpl and "^LL320" in zpl  # 58 × 40 mm at 203 dpi: its own size
    images = graphics(zpl)
    assert len(images) == 2
    for image in images:
        assert [(b.format.name, b.text) for b in zxingcpp.read_barcodes(image)] == [("EAN13", EAN)]
    print_zpl(ZebraPrinter(timeout=3), printer.address, zpl)
    assert printer.received.wait(3) and printer.jobs == [zpl.encode("utf-8")]


def test_what_is_not_a_readable_pdf_is_refused_in_russian() -> None:
    cases = [
        (b"", "file_empty"),
        (b"PK\x03\x04 an xlsx", "not_a_pdf"),
        (b"%PDF-1.7\n garbage", "pdf_unreadable"),
        (b"%PDF-1.4" + b" " * MAX_BYTES, "file_too_large"),
    ]
    for content, code in cases:
        with pytest.raises(ValidationError) as refused:
            check_pdf(content)
        assert refused.value.code == code
        assert re.search("[а-яА-Я]", refused.value.message)
