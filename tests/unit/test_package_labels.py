"""A package's shipping label in ZPL (core.labels.package), read back by parsing the text
the way a printer does: the labels balanced, every field's data decoded from its `^FH`
hex escapes, the Code 128's data, and nothing in the data able to become a command."""

import re
from dataclasses import replace
from decimal import Decimal

import pytest

from core.errors import ValidationError
from core.labels.package import PackageLabel, zpl_label, zpl_labels

LABEL = PackageLabel(
    order_external_id="WB-2026-000123",
    order_kind="customer",
    package_number=2,
    package_count=3,
    carrier_name="СДЭК",
    tracking_number=None,
    package_barcode="HU-000042",
    weight_kg=Decimal("1.250"),
    destination="Москва, ул. Льва Толстого, 16",
)
FIELD = re.compile(
    r"\^FO\d+,\d+(?P<format>(?:\^(?!FD)[A-Z0-9]{2}[^\^~]*)*)\^FD(?P<data>.*?)\^FS", re.S
)


def unhex(data: str) -> str:
    """`^FH` field data as the printer reads it: `_XX` is the byte XX (UTF-8 under ^CI28)."""
    raw = re.sub(rb"_([0-9A-Fa-f]{2})", lambda m: bytes([int(m[1], 16)]), data.encode())
    return raw.decode("utf-8")


def fields(zpl: str) -> list[tuple[str, str]]:
    """(format commands, decoded data) of each field, in order."""
    found = []
    for match in FIELD.finditer(zpl):
        data = match["data"]
        if "^FH" in match["format"]:
            data = unhex(data)
        if "^FB" in match["format"]:
            data = data.replace("\\\\", "\\")
        found.append((match["format"], data))
    return found


def texts(zpl: str) -> list[str]:
    return [data for fmt, data in fields(zpl) if "^A0" in fmt]


def barcode(zpl: str) -> str:
    (data,) = [data for fmt, data in fields(zpl) if "^BC" in fmt]
    return data.replace("><", ">")


def test_a_label_says_the_order_the_package_of_the_count_the_carrier_and_the_weight() -> None:
    zpl = zpl_label(LABEL)
    assert texts(zpl) == [
        "Заказ клиента",
        "WB-2026-000123",
        "Коробка 2 из 3",
        "Перевозчик: СДЭК",
        "Вес: 1,25 кг",
        "Куда: Москва, ул. Льва Толстого, 16",
        "Штрихкод коробки",
    ]
    assert zpl.startswith("^XA\n^CI28\n^PW800\n^LL1200")  # 100 × 150 mm at 8 dots a mm


def test_without_a_tracking_number_the_barcode_is_the_packages_own_code() -> None:
    zpl = zpl_label(LABEL)
    assert barcode(zpl) == "HU-000042"
    assert re.search(r"\^BCN,\d+,Y,N,N", zpl)  # Code 128 with its human-readable line


def test_once_known_the_tracking_number_is_the_barcode() -> None:
    zpl = zpl_label(replace(LABEL, tracking_number="1234567890RU"))
    assert barcode(zpl) == "1234567890RU"
    assert "Трек-номер" in texts(zpl) and "HU-000042" not in zpl


def test_cyrillic_survives_as_utf8_declared_before_any_field() -> None:
    label = replace(LABEL, order_external_id="ЗАКАЗ-Ёж-17", carrier_name="Почта России")
    zpl = zpl_label(label)
    assert zpl.index("^CI28") < zpl.index("^FD")
    assert "ЗАКАЗ-Ёж-17" in texts(zpl) and "Перевозчик: Почта России" in texts(zpl)
    zpl.encode("utf-8")  # what is sent to the printer


def test_a_caret_or_tilde_in_the_data_cannot_end_the_label_or_send_a_command() -> None:
    evil = "X^XZ^XA^FO0,0^GB800,1200,800^FS~JA_5E"
    label = replace(LABEL, order_external_id=evil, carrier_name="~JR^XZ", destination="\\&^XZ")
    zpl = zpl_label(label)
    assert zpl.count("^XA") == 1 and zpl.count("^XZ") == 1
    assert "~" not in zpl and "^GB800" not in zpl
    assert evil in texts(zpl)  # printed as itself, `_5E` too
    assert "Перевозчик: ~JR^XZ" in texts(zpl) and "Куда: \\&^XZ" in texts(zpl)


def test_a_caret_or_a_greater_than_sign_in_the_barcode_is_data_not_a_command() -> None:
    zpl = zpl_label(replace(LABEL, tracking_number="AB^XZ>5~1_"))
    assert zpl.count("^XZ") == 1 and "~" not in zpl
    assert barcode(zpl) == "AB^XZ>5~1_"


def test_line_breaks_in_the_data_become_spaces() -> None:
    zpl = zpl_label(replace(LABEL, destination="Москва\nул. Ленина\r\n1"))
    assert "Куда: Москва ул. Ленина 1" in texts(zpl)


def test_a_long_order_id_is_cut_to_the_lines_it_has() -> None:
    zpl = zpl_label(replace(LABEL, order_external_id="9" * 128))
    (order_id,) = [t for t in texts(zpl) if t.startswith("99")]
    assert order_id.endswith("…") and len(order_id) < 128


def test_a_long_line_is_set_smaller_before_anything_is_cut() -> None:
    zpl = zpl_label(replace(LABEL, package_number=100, package_count=100))
    ((fmt, _),) = [(f, d) for f, d in fields(zpl) if d == "Коробка 100 из 100"]
    size = int(re.search(r"\^A0N,(\d+),", fmt)[1])  # type: ignore[index]
    assert 30 <= size < 90  # the usual size is 90


def test_without_weight_or_destination_those_lines_are_left_off() -> None:
    zpl = zpl_label(replace(LABEL, weight_kg=None, destination=None, carrier_name=None))
    assert texts(zpl) == [
        "Заказ клиента", "WB-2026-000123", "Коробка 2 из 3", "Перевозчик: —", "Штрихкод коробки",
    ]  # fmt: skip


def test_a_supply_is_named_so() -> None:
    assert texts(zpl_label(replace(LABEL, order_kind="supply")))[0] == "Поставка на склад МП"


def test_many_labels_are_one_job_of_balanced_labels() -> None:
    labels = [replace(LABEL, package_number=n, package_barcode=f"HU-{n}") for n in (1, 2, 3)]
    zpl = zpl_labels(labels)
    assert re.fullmatch(r"(\^XA[^\n]*\n(?:(?!\^XA)[^\n]*\n)*?\^XZ\n){3}", zpl)
    assert [barcode(part) for part in zpl.split("^XZ")[:-1]] == ["HU-1", "HU-2", "HU-3"]
    assert [t for t in texts(zpl) if t.startswith("Коробка")] == [
        "Коробка 1 из 3", "Коробка 2 из 3", "Коробка 3 из 3",
    ]  # fmt: skip


@pytest.mark.parametrize(
    ("change", "code"),
    [
        ({"tracking_number": "ТРЕК-1"}, "label_barcode_invalid"),  # Code 128 has no Cyrillic
        ({"tracking_number": "A" * 49}, "label_barcode_invalid"),
        ({"tracking_number": " ", "package_barcode": ""}, "label_barcode_missing"),
        ({"package_number": 4}, "invalid_package_number"),
        ({"package_number": 0}, "invalid_package_number"),
        ({"order_kind": "return"}, "invalid_order_kind"),
    ],
)
def test_a_label_that_cannot_be_printed_right_is_refused(change: dict, code: str) -> None:
    with pytest.raises(ValidationError) as refused:
        zpl_label(replace(LABEL, **change))
    assert refused.value.code == code
