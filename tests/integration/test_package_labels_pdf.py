"""Package labels as PDF (data.files.labels.package_labels_pdf): one 100 × 150 mm page a
label, saying what the ZPL label says, read back with pypdf."""

import io
from dataclasses import replace
from decimal import Decimal

import pypdf
import pytest

from core.errors import ValidationError
from core.labels.package import PackageLabel
from data.files.labels import package_labels_pdf

LABEL = PackageLabel(
    order_external_id="ЗК-2026-0042",
    order_kind="supply",
    package_number=1,
    package_count=3,
    carrier_name="Деловые Линии",
    tracking_number=None,
    package_barcode="HU-000777",
    weight_kg=Decimal("12.5"),
    destination="РЦ Коледино, Московская обл.",
)


def test_each_label_is_one_100_by_150_mm_page_saying_the_order_box_carrier_and_weight() -> None:
    labels = [replace(LABEL, package_number=n, package_barcode=f"HU-00077{n}") for n in (1, 2, 3)]
    pdf = package_labels_pdf(labels)
    assert pdf.startswith(b"%PDF-")
    reader = pypdf.PdfReader(io.BytesIO(pdf))
    assert len(reader.pages) == 3
    for n, page in enumerate(reader.pages, start=1):
        box = page.mediabox
        assert (round(float(box.width) / 72 * 25.4), round(float(box.height) / 72 * 25.4)) == (
            100, 150,
        )  # fmt: skip
        text = page.extract_text()
        assert f"Коробка {n} из 3" in text  # a Cyrillic font is embedded (fonts-dejavu-core)
        assert "ЗК-2026-0042" in text and "Перевозчик: Деловые Линии" in text
        assert "Вес: 12,5 кг" in text and "РЦ Коледино" in text
        assert "Поставка на склад МП" in text
        assert "Штрихкод коробки" in text and f"HU-00077{n}" in text


def test_once_known_the_tracking_number_is_printed_under_its_barcode() -> None:
    reader = pypdf.PdfReader(
        io.BytesIO(package_labels_pdf([replace(LABEL, tracking_number="1Z999")]))
    )
    text = reader.pages[0].extract_text()
    assert "Трек-номер" in text and "1Z999" in text and "HU-000777" not in text


def test_a_label_whose_barcode_cannot_be_code128_is_refused_as_in_zpl() -> None:
    with pytest.raises(ValidationError) as refused:
        package_labels_pdf([replace(LABEL, tracking_number="ТРЕК")])
    assert refused.value.code == "label_barcode_invalid"


def test_no_labels_is_one_page_saying_so() -> None:
    reader = pypdf.PdfReader(io.BytesIO(package_labels_pdf([])))
    assert len(reader.pages) == 1 and "Нет коробок для печати" in reader.pages[0].extract_text()
