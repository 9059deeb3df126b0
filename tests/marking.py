"""Real-looking Честный ЗНАК codes for tests: the shapes of core.marking.codes'
SERIAL_GROUPS, a fresh serial each call, GS as \\x1d."""

import base64
import itertools
import string

from core.catalog.products import gtin_check_digit_ok

GS = "\x1d"
_serials = itertools.count(1)
_ALPHABET = string.ascii_letters + string.digits + "!%&()*+,-.:;<=>?_"


def valid_ean13(body12: str) -> str:
    return next(body12 + str(d) for d in range(10) if gtin_check_digit_ok(body12 + str(d)))


def serial(length: int) -> str:
    n, out = next(_serials) * 7919, []
    for _ in range(length):
        n, r = divmod(n * 31 + 17, len(_ALPHABET))
        out.append(_ALPHABET[r])
    return "".join(out)


def shoes_code(barcode: str, serial_text: str | None = None) -> str:
    """Clothes, shoes, tyres…: 01 GTIN-14, 21 serial (13), GS 91 key (4), GS 92 crypto (44)."""
    s = serial_text or serial(13)
    crypto = base64.b64encode(s.encode() * 3).decode()[:44].ljust(44, "A")
    return f"01{barcode.zfill(14)}21{s}{GS}91EE06{GS}92{crypto}"


def dairy_code(barcode: str, serial_text: str | None = None) -> str:
    """Dairy: 01 GTIN-14, 21 serial (6), GS 93 crypto (4)."""
    return f"01{barcode.zfill(14)}21{serial_text or serial(6)}{GS}93dGVz"


def water_code(barcode: str, serial_text: str | None = None) -> str:
    """Water, cosmetics…: 01 GTIN-14, 21 serial (13), GS 93 crypto (4)."""
    return f"01{barcode.zfill(14)}21{serial_text or serial(13)}{GS}93Ab1+"
