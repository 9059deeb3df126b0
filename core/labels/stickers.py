"""Marketplace stickers (DESIGN.md §6 "Marking codes and stickers"): what a product sticker
and a supply's box sticker say, and their ZPL. Pure: the PDFs are data.files.stickers'.

- A product sticker is 58 × 40 mm (the marketplaces' size): the product's barcode as
  EAN-13 when it is a valid EAN-13, else Code 128; the article; the name; size and colour
  when the name says them (the catalogue writes variants into the name: «Футболка Brand,
  чёрный, размер M»); the country when known (products have no country field yet, so it is
  left off rather than guessed). `count` copies are one label format with `^PQ`.
- A box sticker of a supply to a marketplace DC (FBO) is core.floor.box_stickers' (it
  prints the box's code by core.floor.unit_labels' rule).

Text fields use core.labels.package's escaping (`^FH`, `^CI28`): an article like `A^XZ`
prints as itself.
"""

import re
from collections.abc import Sequence
from dataclasses import dataclass

from core.catalog.products import gtin_check_digit_ok
from core.errors import ValidationError
from core.labels.package import (
    DOTS_PER_MM,
    MAX_BARCODE,
    code128_modules,
    cut,
    zpl_code128,
    zpl_text,
)

MAX_COUNT = 1000  # stickers of one product in one job (a receipt of a few cartons)
MAX_JOB = 5000  # stickers in one job (one PDF, one printer job)
STICKER_MM = (58, 40)
WIDTH, HEIGHT = STICKER_MM[0] * DOTS_PER_MM, STICKER_MM[1] * DOTS_PER_MM  # 464 × 320 dots
MARGIN = 2 * DOTS_PER_MM
ROOM = WIDTH - 2 * MARGIN

# Variants as the catalogue writes them after the name's first comma.
_SIZE = re.compile(r"^(?:размер|рост|р\.)\s*(.+)$", re.IGNORECASE)
_COLOURS = (
    "чёрный", "черный", "белый", "бежевый", "серый", "графит", "хаки", "молочный", "пудровый",
    "тёмно-синий", "темно-синий", "синий", "голубой", "оливковый", "красный", "зелёный",
    "зеленый", "жёлтый", "желтый", "розовый", "коричневый", "фиолетовый", "оранжевый",
    "бордовый", "серый меланж",
)  # fmt: skip


@dataclass(frozen=True)
class ProductSticker:
    barcode: str
    sku: str
    name: str
    size: str | None = None
    colour: str | None = None
    country: str | None = None
    count: int = 1

    @property
    def symbology(self) -> str:
        """`ean13` for a valid EAN-13 (13 digits, GS1 check digit), else `code128`."""
        return "ean13" if is_ean13(self.barcode) else "code128"

    @property
    def details(self) -> str:
        """«Размер M · чёрный»: what the sticker says of the variant ("" when nothing)."""
        parts = [f"Размер {self.size}" if self.size else "", self.colour or ""]
        return " · ".join(part for part in parts if part)


def is_ean13(code: str) -> bool:
    return len(code) == 13 and code.isascii() and code.isdigit() and gtin_check_digit_ok(code)


def variant_of(name: str) -> tuple[str | None, str | None]:
    """(size, colour) as the product's name says them after its first comma, else None."""
    size = colour = None
    for part in (p.strip() for p in name.split(",")[1:]):
        if size is None and (found := _SIZE.match(part)):
            size = found[1].strip()
        elif colour is None and part.lower() in _COLOURS:
            colour = part
    return size, colour


def product_sticker(barcode: str, sku: str, name: str, count: int = 1,
                    country: str | None = None) -> ProductSticker:  # fmt: skip
    size, colour = variant_of(name)
    return ProductSticker(barcode.strip(), sku, name, size, colour, country, check_count(count))


def check_count(count: int, field: str = "count") -> int:
    if isinstance(count, bool) or not isinstance(count, int) or not 1 <= count <= MAX_COUNT:
        raise ValidationError(
            "invalid_count", f"Количество стикеров: от 1 до {MAX_COUNT}", field=field
        )
    return count


def check_job(stickers: Sequence[ProductSticker]) -> None:
    if not stickers:
        raise ValidationError("stickers_empty", "Нет стикеров для печати: укажите количество")
    total = sum(s.count for s in stickers)
    if total > MAX_JOB:
        raise ValidationError(
            "too_many_stickers", f"Слишком много стикеров за раз: {total} (не больше {MAX_JOB})"
        )
    for sticker in stickers:
        check_count(sticker.count)
        code = sticker.barcode
        if not code or len(code) > MAX_BARCODE or not all(" " <= ch <= "~" for ch in code):
            raise ValidationError(
                "label_barcode_invalid", f"Штрихкод товара {sticker.sku} не напечатать"
            )


def text_field(x: int, y: int, size: int, text: str, room: int, lines: int = 1) -> str:
    """A text block (`^FB`) cut to what `lines` lines of font 0 at `size` hold."""
    data = zpl_text(cut(text, lines * room * 2 // size)).replace("\\", "\\\\")
    return f"^FO{x},{y}^A0N,{size},{size}^FB{room},{lines},0,L,0^FH^FD{data}^FS"


def sticker_zpl(sticker: ProductSticker) -> str:
    """One 58 × 40 mm label format, printed `count` times (`^PQ`)."""
    fields = ["^XA", "^CI28", f"^PW{WIDTH}", f"^LL{HEIGHT}", "^LH0,0"]
    bar_top, bar_height = MARGIN, 13 * DOTS_PER_MM
    if sticker.symbology == "ean13":
        # ^BE takes the 12 digits and adds the check digit itself; 3 dots = 0.375 mm.
        left = (WIDTH - 95 * 3) // 2
        fields.append(f"^FO{left},{bar_top}^BY3^BEN,{bar_height},Y,N^FD{sticker.barcode[:12]}^FS")
    else:
        modules = code128_modules(sticker.barcode)
        module = max(1, min(3, ROOM // modules))
        left = max(MARGIN, (WIDTH - modules * module) // 2)
        data = zpl_code128(sticker.barcode)
        fields.append(
            f"^FO{left},{bar_top}^BY{module},3,{bar_height}^BCN,{bar_height},Y,N,N^FH^FD{data}^FS"
        )
    y = bar_top + bar_height + 32  # under the human-readable line
    fields.append(text_field(MARGIN, y, 24, f"Арт.: {sticker.sku}", ROOM))
    y += 28
    fields.append(text_field(MARGIN, y, 22, sticker.name, ROOM, lines=2))
    y += 50
    extra = [sticker.details, f"Страна: {sticker.country}" if sticker.country else ""]
    if line := " · ".join(part for part in extra if part):
        fields.append(text_field(MARGIN, y, 22, line, ROOM))
    fields += [f"^PQ{sticker.count}", "^XZ"]
    return "\n".join(fields)


def stickers_zpl(stickers: Sequence[ProductSticker]) -> str:
    """One printer job: each product's format with its count."""
    check_job(stickers)
    return "".join(sticker_zpl(s) + "\n" for s in stickers)
