"""A scanned Честный ЗНАК DataMatrix read into GTIN, serial and tail, offline.

The code is GS1: AI 01 (GTIN-14), 21 (serial), then the verification key and crypto
tail — 91 (4 chars) and 92 (44 chars) for clothes, shoes, tyres, perfume, medicines…,
or 93 (4 chars) for dairy, water, cosmetics, beverages…; GS (\\x1d) ends each variable
element. The AIs' patterns and the GTIN check digit come from biip (GS1's tables); a code
of the common shapes is matched with biip's patterns compiled once, anything else (more
AIs, e.g. 3103 weight or 17 expiry) goes through biip's full `GS1Message.parse`.

Keyboard-mode scanners mangle the code: the `]d2` symbology prefix arrives, GS is sent as
a stand-in (`<GS>`, `^]`, `~1`, `↔` from Alt+029, `ъ` from Ctrl+] in the Russian layout),
or is dropped altogether. Stand-ins become GS; without any GS the serial is cut at its
group's fixed length (SERIAL_GROUPS) where the tail that follows fits exactly. A code
still unreadable is refused with `marking_code_invalid` and how to set the scanner up.
The code is kept normalised: prefix gone, GS as \\x1d.
"""

import re
from dataclasses import dataclass

from biip import ParseError
from biip.checksums import gs1_standard_check_digit
from biip.gs1_application_identifiers import GS1ApplicationIdentifier
from biip.gs1_messages import GS1Message

from core.errors import ValidationError

GS = "\x1d"
# What keyboard-mode scanners send for GS. None of these can be part of a real code:
# GS1's character set 82 has no ~ ^ [ ] { } and no Cyrillic; «<GS>» could in theory be
# serial text, but no Честный ЗНАК serial seen carries it.
SEPARATOR_STAND_INS = ("<GS>", "<gs>", "{GS}", "[GS]", "^]", "~1", "\\x1d", "\\u001d",
                       "\u2194", "\u001e", "ъ", "Ъ")  # fmt: skip
# Symbology identifiers a scanner may prepend (ISO/IEC 15424); «ъв2» is «]d2» typed
# through the Russian layout.
SYMBOLOGY_PREFIXES = ("]d2", "]D2", "]d1", "]C1", "]Q3", "ъв2", "ЪВ2", "Ъв2")


@dataclass(frozen=True)
class SerialGroup:
    """Product groups whose codes share one serial length and tail (used only when the
    scanner dropped every GS)."""

    name: str
    serial_length: int
    tail: tuple[tuple[str, int], ...]  # (AI, length) in order


# Source: Честный ЗНАК's published code structures per group (GS1 DataMatrix, «Структура
# кода маркировки»). Assumption where groups share a shape they are listed once; a group
# whose shape is missing here still works when the scanner sends GS.
SERIAL_GROUPS = (
    SerialGroup("Одежда, обувь, текстиль, шины, духи, фототехника, медизделия, лекарства",
                13, (("91", 4), ("92", 44))),
    SerialGroup("Вода, косметика и бытовая химия, БАДы, антисептики, соки", 13, (("93", 4),)),
    SerialGroup("Пиво и слабоалкогольные напитки", 7, (("93", 4),)),
    SerialGroup("Молочная продукция", 6, (("93", 4),)),
)  # fmt: skip
TAIL_LENGTHS = {"91": (4,), "92": (44, 88), "93": (4,)}
SCANNER_HELP = (
    "Код маркировки не читается. Настройте сканер: режим GS1 DataMatrix, символ "
    "разделителя GS передавать (как ^] или <GS>), раскладка клавиатуры — английская; "
    "затем отсканируйте код ещё раз"
)


def _pattern(ai: str) -> "re.Pattern[str]":
    """biip's pattern of the AI's element string (the AI included), compiled once."""
    return re.compile(GS1ApplicationIdentifier.extract(ai).pattern)


_SERIAL = _pattern("21")
_TAIL = {ai: _pattern(ai) for ai in TAIL_LENGTHS}


@dataclass(frozen=True)
class ScannedCode:
    code: str  # normalised: no prefix, GS as \x1d
    gtin: str  # GTIN-14
    serial: str
    key: str  # AI 91 (verification key) or "" when the group has only 93
    crypto: str  # AI 92 or 93


def invalid(message: str = SCANNER_HELP) -> ValidationError:
    return ValidationError("marking_code_invalid", message, field="code")


def clean_scan(raw: str) -> str:
    """The scan without symbology prefix, line ends and stand-ins: GS as \\x1d."""
    text = raw.strip(" \r\n\t")
    for prefix in SYMBOLOGY_PREFIXES:
        if text.startswith(prefix):
            text = text[len(prefix) :]
            break
    if not text.isascii() or any(c in text for c in "<^~{[\\"):
        for stand_in in SEPARATOR_STAND_INS:
            text = text.replace(stand_in, GS)
    return text.strip(GS)  # a leading GS is the FNC1 the symbol starts with


def _tail(parts: list[str]) -> tuple[str, str] | None:
    """(key, crypto) from the elements after the serial, or None when they do not fit."""
    found: dict[str, str] = {}
    for part in parts:
        ai, value = part[:2], part[2:]
        if ai == "91" and len(value) > 4 and value[4:6] == "92":  # GS lost inside the tail
            found["91"], ai, value = value[:4], "92", value[6:]
        if ai not in TAIL_LENGTHS or ai in found or len(value) not in TAIL_LENGTHS[ai]:
            return None
        if not _TAIL[ai].match(ai + value):
            return None
        found[ai] = value
    if "93" in found and len(found) == 1:
        return "", found["93"]
    if set(found) == {"91", "92"}:
        return found["91"], found["92"]
    return None


def _split(body: str) -> tuple[str, tuple[str, str]] | None:
    """Serial and tail from what follows `01…21`: by GS when there is one, else by the
    fixed serial lengths of SERIAL_GROUPS."""
    if GS in body:
        serial, *parts = body.split(GS)
        tail = _tail(parts)
        if tail is not None:
            return serial, tail
        body = body.replace(GS, "")  # GS in the wrong place: read it as dropped
    for group in SERIAL_GROUPS:
        n = group.serial_length
        parts, at = [], n
        for ai, length in group.tail:
            part = body[at : at + 2 + length]
            if not part.startswith(ai):
                break
            parts.append(part)
            at += 2 + length
        if len(parts) != len(group.tail) or at != len(body):
            continue
        tail = _tail(parts)
        if tail is not None:
            return body[:n], tail
    return None


def _normalised(gtin: str, serial: str, key: str, crypto: str) -> str:
    tail = f"91{key}{GS}92{crypto}" if key else f"93{crypto}"
    return f"01{gtin}21{serial}{GS}{tail}"


def _check_gtin(gtin: str) -> None:
    if not gtin.isdigit() or len(gtin) != 14:
        raise invalid()
    if gs1_standard_check_digit(gtin[:-1]) != int(gtin[-1]):
        raise invalid(f"Код маркировки: неверная контрольная цифра GTIN {gtin} — код "
                      "считан с ошибкой или подделан")  # fmt: skip


def _full_parse(text: str) -> ScannedCode:
    """Anything but the common shapes: biip reads every AI (weight, expiry, …)."""
    try:
        message = GS1Message.parse(text)
    except ParseError:
        raise invalid() from None
    values = {e.ai.ai: e.value for e in message.element_strings}
    gtin, serial = values.get("01", ""), values.get("21", "")
    _check_gtin(gtin)
    if not serial:
        raise invalid("Код маркировки без серийного номера (AI 21): это не код единицы товара")
    parts = [f"{ai}{values[ai]}" for ai in ("91", "92", "93") if ai in values]
    tail = _tail(parts)
    if tail is None:
        raise invalid()
    return ScannedCode(message.value, gtin, serial, *tail)


def parse_code(raw: object) -> ScannedCode:
    """A scan as read by a keyboard-mode scanner → its GTIN, serial and tail; 422
    `marking_code_invalid` with a Russian message when it cannot be read."""
    if not isinstance(raw, str) or not raw.strip():
        raise invalid("Отсканируйте код маркировки (DataMatrix)")
    if len(raw) > 512:
        raise invalid()
    text = clean_scan(raw)
    if len(text) < 16 or not text.startswith("01"):
        raise invalid()
    gtin = text[2:16]
    _check_gtin(gtin)
    if text[16:18] != "21":
        return _full_parse(text)
    found = _split(text[18:])
    if found is None:
        if GS in text:  # more AIs than the common shapes (weight, expiry, …)
            return _full_parse(text)
        raise invalid()
    serial, (key, crypto) = found
    if not serial or not _SERIAL.match("21" + serial):
        raise invalid()
    return ScannedCode(_normalised(gtin, serial, key, crypto), gtin, serial, key, crypto)


def product_gtin(barcode: str, gtin: str | None) -> set[str]:
    """The GTIN-14 forms a product's codes may carry: its GTIN and its barcode (EAN-13,
    UPC-12, EAN-8 or GTIN-14), zero-padded to 14 digits."""
    return {c.zfill(14) for c in (barcode, gtin) if c and c.isdigit() and len(c) <= 14}


def looks_like_marking(scan: str) -> bool:
    """A scan that is a DataMatrix rather than a plain barcode (prefix, or 01… longer
    than any GTIN)."""
    text = scan.strip()
    return text.startswith(SYMBOLOGY_PREFIXES) or (len(text) > 20 and text[:2] == "01")
