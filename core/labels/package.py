"""A package's shipping label (DESIGN.md §2b.4, the `/label` route of §6): the order's
external id, «Коробка n из m», the carrier, the tracking number once known (else the
package's own barcode) as Code 128 with its human-readable line, the weight.

`zpl_label` writes one `^XA … ^XZ` label for a 100 × 150 mm (4 × 6 in) label at 203 dpi
(8 dots a mm: 800 × 1200 dots), the common size of carriers' labels.

- Text is UTF-8 (`^CI28`) in font `0` (`^A0`, the printer's scalable font): with `^CI28`
  it prints Cyrillic on current Zebra (Link-OS) firmware. An old printer whose font 0 has
  no Cyrillic needs a font that has it (e.g. `E:TT0003M_.TTF`) mapped in its place with
  `^CW0,…` once on the printer; the label itself stays the same.
- Every text field is written with `^FH` (hex escapes after `_`): `^`, `~` and `_` in the
  data become `_5E`, `_7E`, `_5F`, so an order id like `A^XZ~JA` prints as itself and
  can neither end the label nor send a command. Line breaks become spaces.
- The barcode is Code 128 (`^BC`, no mode: the printer picks the subsets): printable
  ASCII only (anything else is refused, a scanner could not read it back); `>` starts an
  invocation code in `^BC` data, so a literal `>` is written `><`.
"""

from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Literal

from core.errors import ValidationError

OrderKind = Literal["customer", "supply"]
ORDER_KINDS: dict[str, str] = {"customer": "Заказ клиента", "supply": "Поставка на склад МП"}

DOTS_PER_MM = 8  # 203 dpi
WIDTH, HEIGHT = 100 * DOTS_PER_MM, 150 * DOTS_PER_MM
MARGIN = 5 * DOTS_PER_MM
ROOM = WIDTH - 2 * MARGIN
MAX_BARCODE = 48  # longer than any carrier's tracking number or an SSCC; fits 100 mm
HEX_ESCAPED = {"_": "_5F", "^": "_5E", "~": "_7E"}


@dataclass(frozen=True)
class PackageLabel:
    order_external_id: str
    order_kind: OrderKind
    package_number: int  # 1, 2, … (the package's sequence number)
    package_count: int
    carrier_name: str | None
    tracking_number: str | None  # None until the carrier's service or a person gives it
    package_barcode: str  # the package's own code (SSCC or internal)
    weight_kg: Decimal | None
    destination: str | None  # the customer's address or the marketplace DC

    @property
    def barcode(self) -> str:
        """What the Code 128 says: the tracking number once known, else the package's code."""
        return (self.tracking_number or "").strip() or self.package_barcode.strip()

    @property
    def barcode_caption(self) -> str:
        return "Трек-номер" if (self.tracking_number or "").strip() else "Штрихкод коробки"


def package_of(label: PackageLabel) -> str:
    return f"Коробка {label.package_number} из {label.package_count}"


def weight_text(weight_kg: Decimal | None) -> str | None:
    """«Вес: 1,25 кг» (Russian decimal comma, no trailing zeros), None when not weighed."""
    if weight_kg is None:
        return None
    value = format(weight_kg.quantize(Decimal("0.001")).normalize(), "f")
    return f"Вес: {value.replace('.', ',')} кг"


def check_label(label: PackageLabel) -> None:
    if label.order_kind not in ORDER_KINDS:
        raise ValidationError("invalid_order_kind", "Вид заказа: customer или supply")
    if not 1 <= label.package_number <= label.package_count:
        message = f"Номер коробки {label.package_number} вне 1…{label.package_count}"
        raise ValidationError("invalid_package_number", message)
    code = label.barcode
    if not code:
        raise ValidationError("label_barcode_missing", "У коробки нет ни трек-номера, ни штрихкода")
    if len(code) > MAX_BARCODE or not all(" " <= ch <= "~" for ch in code):
        message = (
            f"Штрихкод «{code[:MAX_BARCODE]}» не напечатать в Code 128: до {MAX_BARCODE} "
            "символов, только латиница, цифры и знаки"
        )
        raise ValidationError("label_barcode_invalid", message)


# --- ZPL ---


def zpl_text(text: str) -> str:
    """Field data for `^FH^FD…^FS`: one line, ZPL's command and escape characters hex-escaped."""
    line = " ".join(text.split())
    return "".join(HEX_ESCAPED.get(ch, ch) for ch in line if ch >= " ")


def zpl_code128(code: str) -> str:
    """Code 128 field data: a literal `>` is `><` (`>` starts an invocation code)."""
    return zpl_text(code).replace(">", "><")


def code128_modules(code: str) -> int:
    """Modules of the symbol in subset B at worst: start, one per character, check, stop."""
    return 11 * (len(code) + 2) + 13


def cut(text: str, limit: int) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _text(y: int, size: int, text: str, *, lines: int = 1, smallest: int = 30) -> str:
    """A text field at (MARGIN, y) in a block as wide as the label (`^FB`, `lines` lines;
    in a block `\\` is how a backslash is written, `\\&` would break the line). Font 0 is
    about half as wide as high: a text longer than the lines hold at `size` is set smaller,
    down to `smallest`, then cut (a block whose text overflows prints the rest over its
    last line)."""
    text = " ".join(text.split())
    if len(text) * size > lines * ROOM * 2:
        size = max(smallest, lines * ROOM * 2 // max(len(text), 1))
    data = zpl_text(cut(text, lines * ROOM * 2 // size)).replace("\\", "\\\\")
    block = f"^FB{ROOM},{lines},0,L,0"
    return f"^FO{MARGIN},{y}^A0N,{size},{size}{block}^FH^FD{data}^FS"


def zpl_label(label: PackageLabel) -> str:
    """One `^XA … ^XZ` label (100 × 150 mm, 203 dpi, UTF-8)."""
    check_label(label)
    code = label.barcode
    modules = code128_modules(code)
    module = max(1, min(4, ROOM // modules))  # dots a module: as wide as the label allows
    left = max(MARGIN, (WIDTH - modules * module) // 2)
    fields = [
        "^XA",
        "^CI28",  # field data is UTF-8; font 0 (^A0) has Cyrillic on current firmware
        f"^PW{WIDTH}",
        f"^LL{HEIGHT}",
        "^LH0,0",
        _text(MARGIN, 34, ORDER_KINDS[label.order_kind]),
        _text(MARGIN + 45, 70, label.order_external_id, lines=2),  # ids: up to 128 characters
        f"^FO{MARGIN},{MARGIN + 200}^GB{ROOM},4,4^FS",
        _text(MARGIN + 230, 90, package_of(label)),
        _text(MARGIN + 350, 44, f"Перевозчик: {label.carrier_name or '—'}"),
    ]
    if weight := weight_text(label.weight_kg):
        fields.append(_text(MARGIN + 410, 44, weight))
    if label.destination:
        fields.append(_text(MARGIN + 470, 34, f"Куда: {label.destination}", lines=4))
    bar_top = HEIGHT - MARGIN - 330
    fields += [
        f"^FO{MARGIN},{bar_top - 60}^GB{ROOM},4,4^FS",
        _text(bar_top - 40, 34, label.barcode_caption),
        # Code 128, 240 dots high, the human-readable line under it (^BC…,Y,N).
        f"^FO{left},{bar_top + 10}^BY{module},3,240^BCN,240,Y,N,N^FH^FD{zpl_code128(code)}^FS",
        "^PQ1",
        "^XZ",
    ]
    return "\n".join(fields)


def zpl_labels(labels: Sequence[PackageLabel]) -> str:
    """Labels one after another, as a printer takes them in one job."""
    return "".join(zpl_label(label) + "\n" for label in labels)
