"""The printable code of a handling unit, and reading a scanned one.

With the company's GS1 company prefix (`WMS_GS1_PREFIX`) a unit's code is an SSCC-18:
extension digit, company prefix, serial reference (the unit's number, zero-padded to fill
17 digits) and the GS1 check digit. Without one it is an internal code `HU-000123`.
A scanner reading the GS1-128 label sends `00` + the SSCC (maybe with a symbology
identifier `]C1` or in brackets `(00)`); `biip` reads those.
"""

import re

from biip import ParseError, parse

from core.errors import ValidationError

INTERNAL_PREFIX = "HU-"
_PREFIX = re.compile(r"\d{7,10}")


def gs1_check_digit(digits: str) -> int:
    """The GS1 mod-10 check digit of a number without it: from the right, weights 3, 1, …"""
    total = sum(int(d) * (3 if i % 2 == 0 else 1) for i, d in enumerate(reversed(digits)))
    return (10 - total % 10) % 10


def check_prefix(prefix: str) -> str:
    if not _PREFIX.fullmatch(prefix):
        raise ValidationError(
            "invalid_gs1_prefix", "Префикс GS1 компании — от 7 до 10 цифр", field="gs1_prefix"
        )
    return prefix


def sscc(prefix: str, serial: int, extension: int = 0) -> str:
    """The SSCC-18 of unit number `serial` under the company's GS1 prefix."""
    check_prefix(prefix)
    width = 16 - len(prefix)  # 17 digits before the check digit
    if not 0 <= extension <= 9 or not 0 <= serial < 10**width:
        raise ValidationError(
            "sscc_exhausted", "Номера SSCC для этого префикса закончились", field="gs1_prefix"
        )
    body = f"{extension}{prefix}{serial:0{width}d}"
    return body + str(gs1_check_digit(body))


def unit_code(unit_id: int, gs1_prefix: str = "", extension: int = 0) -> str:
    if gs1_prefix:
        return sscc(gs1_prefix, unit_id, extension)
    return f"{INTERNAL_PREFIX}{unit_id:06d}"


def is_sscc(code: str) -> bool:
    return len(code) == 18 and code.isdigit() and gs1_check_digit(code[:-1]) == int(code[-1])


def read_scan(text: str | None) -> str:
    """The unit code a scan names: an SSCC from `00…`, `(00)…`, `]C100…` or the 18 digits,
    otherwise the text in capitals (an internal code typed in lower case too)."""
    value = (text or "").strip()
    if value.startswith("(00)"):  # typed from the label's human-readable line
        value = "00" + value[4:].replace(" ", "")
    if is_sscc(value):
        return value
    if value and (value[0] in "(]" or value.startswith("00")):
        try:
            message = parse(value).gs1_message
        except ParseError:
            message = None
        if message is not None:
            for element in message.element_strings:
                if element.ai.ai == "00" and is_sscc(element.value):
                    return element.value
    return value.upper()


def human_readable(code: str) -> str:
    """What a label prints under the barcode: `(00) 1 4601234 000000123 5` for an SSCC."""
    if not is_sscc(code):
        return code
    return f"(00) {code}"
