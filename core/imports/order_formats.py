"""The shapes an orders file comes in: the marketplaces' own exports and our template.

Columns are found by their header text, never by position (the samples' README,
/work/shared/samples/README.md at the time of writing, says the column order of WB's
export is not known). A file's format is recognised from the set of headers it has:

| format       | what it is                                  | one order is            |
|--------------|---------------------------------------------|-------------------------|
| wb_fbs       | WB «Сборочные задания» (one row = one unit)  | an assembly task        |
| ozon_fbs     | Ozon postings report (CSV)                  | a posting               |
| yandex       | Yandex Market «Отчёт по заказам отгрузки»   | a «Номер заказа»        |
| wb_fbo       | WB supply template: Баркод + Количество     | the whole file (supply) |
| wb_fbo_boxes | WB box composition (упаковочный лист)       | the whole file (supply) |
| ozon_fbo     | Ozon supply request: артикул + количество   | the whole file (supply) |
| template     | our own «Образец файла»                     | a «Номер заказа»        |

WB's export has no cart id (the API's orderUid is not in it), and WB ships every assembly
task on its own sticker, so each «№ задания» is an order of one unit: a re-export books
nothing twice whatever else it holds (grouping by «Дата создания» would merge two buyers
who ordered in the same second). Statuses and other columns the README marks unconfirmed
are not read.
"""

import re
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, timezone

from core.imports.sheet import Cell, CellError, Sheet
from core.stock.operations import header_key

# Field → the header names that mean it (compared by core.stock.operations.header_key:
# case, «ё», spaces and punctuation do not matter). The first name is the template's.
ORDER_COLUMNS: dict[str, tuple[str, ...]] = {
    "order": ("Номер заказа", "Order"),
    "barcode": ("Штрихкод", "Баркод", "ШК единицы товара", "Barcode", "Штрих-код", "EAN"),
    "sku": ("Артикул", "Артикул продавца", "Ваш SKU", "Article"),
    "quantity": ("Количество", "Кол-во", "Кол-во товаров", "Quantity"),
    "source": ("Маркетплейс", "Источник", "Source"),
    "distribution_center": ("РЦ", "Склад назначения", "Distribution center"),
    "task": ("№ задания",),
    "posting": ("Номер отправления",),
    "own_order": ("Ваш номер заказа",),
    "created": ("Дата создания", "Принят в обработку", "Дата оформления", "Дата заказа"),
    "seller_warehouse": ("Склад продавца",),
    "box": ("Уникальный ШК короба/Палеты",),
    "optional_name": ("имя (необязательно)",),
}
# A header row names one of these (and at least one more known column).
ORDER_ITEM_FIELDS = ("barcode", "sku")
# The template's columns, in the order the example file writes them.
TEMPLATE_COLUMNS = ("order", "barcode", "quantity", "source", "distribution_center")

WILDBERRIES, OZON, YANDEX = "Wildberries", "Ozon", "Яндекс Маркет"


@dataclass(frozen=True)
class OrderFormat:
    code: str
    label_ru: str
    label_en: str
    source: str | None  # the marketplace (a source's name); None: the file's «Маркетплейс»
    supply: bool  # a supply to a DC: the whole file is one order
    item: str  # "barcode" | "sku": how a row names its product
    order_field: str | None  # the column naming the order (None: a supply)
    unit_rows: bool = False  # one row = one unit (no quantity column)


FORMATS: dict[str, OrderFormat] = {
    f.code: f
    for f in (
        OrderFormat("wb_fbs", "Wildberries FBS: «Сборочные задания»",
                    "Wildberries FBS: assembly tasks", WILDBERRIES, False, "barcode", "task",
                    unit_rows=True),
        OrderFormat("ozon_fbs", "Ozon FBS: отчёт об отправлениях", "Ozon FBS: postings report",
                    OZON, False, "sku", "posting"),
        OrderFormat("yandex", "Яндекс Маркет: отчёт по заказам отгрузки",
                    "Yandex Market: shipment orders report", YANDEX, False, "sku", "order"),
        OrderFormat("wb_fbo", "Wildberries FBO: шаблон поставки (баркод и количество)",
                    "Wildberries FBO: supply template", WILDBERRIES, True, "barcode", None),
        OrderFormat("wb_fbo_boxes", "Wildberries FBO: упаковочный лист поставки",
                    "Wildberries FBO: box composition", WILDBERRIES, True, "barcode", None),
        OrderFormat("ozon_fbo", "Ozon FBO: шаблон заявки на поставку",
                    "Ozon FBO: supply request template", OZON, True, "sku", None),
        OrderFormat("template", "Образец файла WMS", "The WMS template", None, False,
                    "barcode", "order"),
    )
}  # fmt: skip


def detect_format(sheet: Sheet) -> OrderFormat | None:
    """The format a header row says the file is; None when it is none of them."""
    has = sheet.columns.keys()

    def header(name: str) -> str:
        return header_key(sheet.columns[name].header) if name in has else ""

    if "task" in has and "barcode" in has:
        return FORMATS["wb_fbs"]
    if "posting" in has and "sku" in has and "quantity" in has:
        return FORMATS["ozon_fbs"]
    if header("sku") == header_key("Ваш SKU") and "order" in has and "quantity" in has:
        return FORMATS["yandex"]
    if "order" in has and "quantity" in has and ("barcode" in has or "sku" in has):
        template = FORMATS["template"]
        return template if "barcode" in has else _by_sku(template)
    if "box" in has and "barcode" in has and "quantity" in has:
        return FORMATS["wb_fbo_boxes"]
    if "quantity" in has and "barcode" in has:
        return FORMATS["wb_fbo"]
    if "quantity" in has and "sku" in has:
        return FORMATS["ozon_fbo"]
    return None


def _by_sku(template: OrderFormat) -> OrderFormat:
    return OrderFormat(template.code, template.label_ru, template.label_en, None, False, "sku",
                       "order")  # fmt: skip


# --- Dates: every style the marketplaces write, Moscow time ---

MOSCOW = timezone(timedelta(hours=3))
_EXCEL_EPOCH = datetime(1899, 12, 30)
_TEXT_DATES = (
    "%Y-%m-%d %H:%M:%S", "%Y-%m-%d %H:%M", "%Y-%m-%d", "%Y-%m-%dT%H:%M:%S",
    "%d.%m.%Y %H:%M:%S", "%d.%m.%Y %H:%M", "%d.%m.%Y",
    "%H:%M:%S %d.%m.%Y", "%H:%M %d.%m.%Y",
)  # fmt: skip
_OFFSET = re.compile(r"(Z|[+-]\d\d:?\d\d)$")


def cell_datetime(value: Cell) -> datetime | None:
    """A date (and time) as the marketplaces write it, as an aware datetime; None when
    empty. Text «2024-06-10 09:38:03», «10.06.2024 09:38», WB's time-first «09:38:03
    10.06.2024», a date alone, RFC 3339 with its offset, or an Excel date (a cell or its
    serial number). Without an offset the time is Moscow time."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    if isinstance(value, bool | time | timedelta):
        raise CellError("invalid_date", "ожидается дата")
    if isinstance(value, datetime):
        return value if value.tzinfo else value.replace(tzinfo=MOSCOW)
    if isinstance(value, date):
        return datetime(value.year, value.month, value.day, tzinfo=MOSCOW)
    if isinstance(value, int | float):
        if not 1 <= value < 2958466:  # 1900-01-01 … 9999-12-31
            raise CellError("invalid_date", f"ожидается дата, а в ячейке {value}")
        return (_EXCEL_EPOCH + timedelta(days=float(value))).replace(tzinfo=MOSCOW)
    text = " ".join(value.split())
    if _OFFSET.search(text):
        try:
            return datetime.fromisoformat(text.replace("Z", "+00:00"))
        except ValueError:
            pass
    for layout in _TEXT_DATES:
        try:
            return datetime.strptime(text, layout).replace(tzinfo=MOSCOW)
        except ValueError:
            continue
    raise CellError(
        "invalid_date",
        f"не удалось прочитать дату «{text}»: ожидается, например, 10.06.2024 09:38 "
        "или 2024-06-10 09:38:03",
    )


def stem(file_name: str) -> str:
    """The file's name without its extension (a supply's number when none is given)."""
    name = file_name.rsplit("/", 1)[-1]
    return name.rsplit(".", 1)[0].strip() if "." in name else name.strip()
