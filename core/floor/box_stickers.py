"""A supply's box sticker (DESIGN.md §6 "Marking codes and stickers", the `/box-sticker`
route): each box of a supply to a marketplace DC (FBO) gets the supply's number (the
order's external id), the DC, «Коробка n из m» and the box's code as a barcode, by the rule
of the pallet and box labels (core.floor.unit_labels: an SSCC as GS1-128). 100 × 70 mm at
203 dpi, as those labels; the PDF is data.files.stickers'."""

from collections.abc import Sequence
from dataclasses import dataclass

from core.errors import Conflict
from core.floor.unit_codes import human_readable
from core.floor.unit_labels import code128_modules, zpl_barcode_data
from core.labels.package import DOTS_PER_MM, PackageLabel, zpl_text
from core.labels.stickers import text_field

BOX_MM = (100, 70)
BOX_WIDTH, BOX_HEIGHT = BOX_MM[0] * DOTS_PER_MM, BOX_MM[1] * DOTS_PER_MM
SUPPLY_KIND = "supply"


@dataclass(frozen=True)
class BoxSticker:
    supply_number: str  # the order's external id
    distribution_center: str | None
    box_number: int
    box_count: int
    barcode: str  # the package's code (SSCC or internal)


def box_sticker(label: PackageLabel) -> BoxSticker:
    """A supply's package as its box sticker; 409 `order_not_supply` for a customer order
    (its box carries the carrier's label, /label)."""
    if label.order_kind != SUPPLY_KIND:
        raise Conflict(
            "order_not_supply",
            "Стикер коробки печатается для поставки на склад маркетплейса (FBO); "
            "у заказа клиента — этикетка перевозчика",
        )
    return BoxSticker(label.order_external_id, label.destination, label.package_number,
                      label.package_count, label.package_barcode)  # fmt: skip


def box_of(sticker: BoxSticker) -> str:
    return f"Коробка {sticker.box_number} из {sticker.box_count}"


def box_sticker_zpl(sticker: BoxSticker) -> str:
    """One 100 × 70 mm label: supply, DC, box n of m, the box barcode and its code."""
    margin, room = 4 * DOTS_PER_MM, BOX_WIDTH - 8 * DOTS_PER_MM
    modules = code128_modules(sticker.barcode)
    module = max(1, min(4, room // modules))
    left = max(margin, (BOX_WIDTH - modules * module) // 2)
    bar_top, bar_height = 250, 200
    return "\n".join([
        "^XA", "^CI28", f"^PW{BOX_WIDTH}", f"^LL{BOX_HEIGHT}", "^LH0,0",
        text_field(margin, margin, 40, f"Поставка № {sticker.supply_number}", room),
        text_field(margin, margin + 55, 32, f"РЦ: {sticker.distribution_center or '—'}", room),
        text_field(margin, margin + 105, 70, box_of(sticker), room),
        f"^FO{margin},{margin + 190}^GB{room},3,3^FS",
        f"^FO{left},{bar_top}^BY{module},3,{bar_height}"
        f"^BCN,{bar_height},N,N,N^FH^FD{zpl_barcode_data(sticker.barcode)}^FS",
        f"^FO{margin},{bar_top + bar_height + 14}^A0N,36,36^FB{room},1,0,C,0"
        f"^FH^FD{zpl_text(human_readable(sticker.barcode))}^FS",
        "^PQ1", "^XZ",
    ])  # fmt: skip


def box_stickers_zpl(stickers: Sequence[BoxSticker]) -> str:
    return "".join(box_sticker_zpl(s) + "\n" for s in stickers)
