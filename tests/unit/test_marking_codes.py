"""Reading scanned Честный ЗНАК DataMatrix codes (core.marking.codes): the groups' shapes
with and without GS, the scanner stand-ins for GS, the ]d2 prefix, a wrong GTIN check
digit, and what cannot be read."""

import pytest

from core.errors import ValidationError
from core.marking.codes import (
    SCANNER_HELP,
    clean_scan,
    looks_like_marking,
    parse_code,
    product_gtin,
)
from tests.marking import GS, dairy_code, shoes_code, valid_ean13, water_code

SHOES = valid_ean13("460780959150")
MILK = valid_ean13("460123456789")
WATER = valid_ean13("460700000001")


@pytest.mark.parametrize(
    ("make", "barcode", "serial_length", "key"),
    [(shoes_code, SHOES, 13, "EE06"), (dairy_code, MILK, 6, ""), (water_code, WATER, 13, "")],
)
def test_each_groups_code_reads_into_gtin_serial_and_tail(  # type: ignore[no-untyped-def]
    make, barcode, serial_length, key
) -> None:
    code = make(barcode)
    read = parse_code(code)
    assert read.gtin == barcode.zfill(14) and len(read.serial) == serial_length
    assert read.key == key and read.crypto
    assert read.code == code  # stored as scanned: GS as \x1d


@pytest.mark.parametrize("make", [shoes_code, dairy_code, water_code])
def test_a_code_without_any_gs_is_cut_at_its_groups_serial_length(make) -> None:  # type: ignore[no-untyped-def]
    code = make(SHOES)
    read = parse_code(code.replace(GS, ""))
    assert read == parse_code(code)


@pytest.mark.parametrize("stand_in", ["<GS>", "^]", "~1", "{GS}", "\u2194", "ъ", "Ъ", "\\x1d"])
def test_a_scanner_stand_in_for_gs_reads_as_gs(stand_in: str) -> None:
    code = shoes_code(SHOES)
    assert parse_code(code.replace(GS, stand_in)).code == code


@pytest.mark.parametrize("prefix", ["]d2", "]C1", "ъв2"])
def test_the_symbology_prefix_is_dropped(prefix: str) -> None:
    code = dairy_code(MILK)
    assert parse_code(prefix + code).code == code
    assert parse_code(f"{prefix}{GS}{code}\r\n").code == code  # FNC1 first, Enter last


def test_a_serial_that_contains_91_or_93_still_reads_with_gs() -> None:
    code = shoes_code(SHOES, "9193AbcDef(12")
    assert parse_code(code).serial == "9193AbcDef(12"
    assert parse_code(code.replace(GS, "")).serial == "9193AbcDef(12"


def test_gs_lost_inside_the_tail_only_still_reads() -> None:
    code = shoes_code(SHOES)
    serial_part, key, crypto = code.split(GS)
    assert parse_code(f"{serial_part}{GS}{key}{crypto}").code == code


def test_more_ais_go_through_biips_full_parse() -> None:
    code = f"{dairy_code(MILK)}{GS}3103000353"  # a weighted dairy product
    read = parse_code(code)
    assert (read.gtin, read.crypto) == (MILK.zfill(14), "dGVz") and read.code == code


def test_a_wrong_gtin_check_digit_is_refused_as_misread() -> None:
    code = shoes_code(SHOES)
    broken = code[:15] + str((int(code[15]) + 1) % 10) + code[16:]
    with pytest.raises(ValidationError) as refused:
        parse_code(broken)
    assert refused.value.code == "marking_code_invalid"
    assert "контрольная цифра" in refused.value.message


@pytest.mark.parametrize(
    "scan",
    [
        "", "   ", SHOES,  # a plain EAN-13
        "01" + SHOES.zfill(14),  # no serial
        "01" + SHOES.zfill(14) + "21ABCDEFGHIJKL",  # no tail
        "01" + SHOES.zfill(14) + "21ABCDEFGHIJKL93",  # a tail too short
        "01" + SHOES.zfill(14) + "21ABCDEFGHIJKLXY93dGVz",  # no GS, no group's length
        "01" + SHOES.zfill(14) + "21ABCDEFGHIJKLM" + GS + "91EE06",  # 91 without 92
        "01" + SHOES.zfill(14) + "21ABC DEF" + GS + "93dGVz",  # a space in the serial
        "привет",
    ],
)  # fmt: skip
def test_what_cannot_be_read_is_refused_with_how_to_set_up_the_scanner(scan: str) -> None:
    with pytest.raises(ValidationError) as refused:
        parse_code(scan)
    assert refused.value.code == "marking_code_invalid" and refused.value.field == "code"
    if len(scan.strip()) > 20:
        assert refused.value.message == SCANNER_HELP and "сканер" in SCANNER_HELP


def test_a_products_gtins_are_its_barcode_and_gtin_padded_to_14() -> None:
    assert product_gtin("4607809591508", None) == {"04607809591508"}
    assert product_gtin("46078095", "14607809591505") == {"00000046078095", "14607809591505"}


def test_a_datamatrix_is_told_from_a_plain_barcode() -> None:
    assert looks_like_marking(shoes_code(SHOES)) and looks_like_marking("]d2" + "01")
    assert not looks_like_marking(SHOES) and not looks_like_marking("04607809591508")
    assert clean_scan("]d2" + "01<GS>x") == "01" + GS + "x"
