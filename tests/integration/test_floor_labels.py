"""Bin labels (data.files.labels): Code 128 of the bin code as ZPL for a label printer and
as an A4 sheet for an ordinary printer."""

import io
import re

import pypdf

from data.files.labels import (
    ZPL_WIDTH,
    Label,
    bin_label_zpl,
    bin_labels_pdf,
    bin_labels_zpl,
    code128_modules,
)


def test_a_zpl_label_holds_the_code_as_code128_and_in_letters() -> None:
    zpl = bin_label_zpl(Label("A-01-1-1", "Зона A, стеллаж 01, ярус 1, место 1"))
    lines = zpl.splitlines()
    assert (lines[0], lines[-1]) == ("^XA", "^XZ")
    assert "^CI28" in lines  # UTF-8: the Russian name prints as written
    barcode = next(line for line in lines if "^BC" in line)
    assert barcode.endswith("^BCN,170,N,N,N^FDA-01-1-1^FS")
    assert "^A0N,80,80^FDA-01-1-1^FS" in zpl
    assert "^FDЗона A, стеллаж 01, ярус 1, место 1^FS" in zpl


def test_a_long_code_gets_narrower_bars_and_stays_on_the_label() -> None:
    for code in ("A-1", "VERYLONGCODE-1234567890-ABCDEFG"):
        zpl = bin_label_zpl(Label(code, ""))
        origin, module = re.search(r"\^FO(\d+),\d+\^BY(\d+)", zpl).groups()  # type: ignore[union-attr]
        assert int(origin) + code128_modules(code) * int(module) <= ZPL_WIDTH


def test_zpl_command_characters_in_a_name_cannot_break_the_label() -> None:
    zpl = bin_label_zpl(Label("A-1", "полка ^XZ~JA\nвторая строка"))
    assert zpl.count("^XZ") == 1 and "~JA" not in zpl
    assert "^FDполка XZ JA вторая строка^FS" in zpl


def test_many_labels_are_one_zpl_document_a_label_each() -> None:
    zpl = bin_labels_zpl([Label(f"B-{n}", "") for n in range(5)])
    assert zpl.count("^XA") == zpl.count("^XZ") == 5


def test_the_pdf_sheet_opens_with_24_labels_a_page() -> None:
    labels = [Label(f"A-{n:02d}-1-1", f"Зона A, стеллаж {n:02d}") for n in range(1, 31)]
    reader = pypdf.PdfReader(io.BytesIO(bin_labels_pdf(labels)))
    assert len(reader.pages) == 2
    first = reader.pages[0]
    assert (round(float(first.mediabox.width)), round(float(first.mediabox.height))) == (595, 842)
    text = first.extract_text()
    assert "A-01-1-1" in text and "A-24-1-1" in text and "A-25-1-1" not in text
    assert "Зона A, стеллаж 01" in text  # a Cyrillic font is embedded (fonts-dejavu-core)
    assert "A-30-1-1" in reader.pages[1].extract_text()


def test_an_empty_pdf_says_there_is_nothing_to_print() -> None:
    reader = pypdf.PdfReader(io.BytesIO(bin_labels_pdf([])))
    assert len(reader.pages) == 1
    assert "Нет мест для печати" in reader.pages[0].extract_text()
