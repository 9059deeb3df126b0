"""The demo's catalogue: the categories a fulfillment center's sellers sell, their brands,
the families of goods with their sizes and colours, and how each sells.

`data.demo.plan` draws the products from it."""

from dataclasses import dataclass

from core.catalog.products import ProductData, gtin_check_digit_ok

# --- The catalogue -----------------------------------------------------------------


@dataclass(frozen=True)
class Variant:
    label: str  # as it reads in the name
    code: str  # as it reads in the SKU
    weight: float = 1.0  # share of the family's demand (sizes: M and L sell most)


def _variants(*items: tuple[str, str] | tuple[str, str, float]) -> tuple[Variant, ...]:
    return tuple(Variant(*item) for item in items)


_COLOURS = _variants(
    ("чёрный", "BLK"), ("белый", "WHT"), ("бежевый", "BEG"), ("серый меланж", "GRM"),
    ("графит", "GRF"), ("хаки", "KHK"), ("молочный", "MLK"), ("пудровый", "PDR"),
    ("тёмно-синий", "NVY"), ("оливковый", "OLV"),
)  # fmt: skip
_DARK_LIGHT = _variants(("чёрный", "BLK"), ("белый", "WHT"))
_SIZES = _variants(
    ("размер XS", "XS", 0.5), ("размер S", "S", 0.9), ("размер M", "M", 1.4),
    ("размер L", "L", 1.3), ("размер XL", "XL", 0.9), ("размер XXL", "XXL", 0.5),
)  # fmt: skip
_KIDS = _variants(
    ("рост 56", "56", 0.7), ("рост 62", "62", 1.0), ("рост 68", "68", 1.2),
    ("рост 74", "74", 1.2), ("рост 80", "80", 1.0), ("рост 86", "86", 0.8),
)  # fmt: skip
_SOCKS = _variants(("размер 36–40", "3640", 1.2), ("размер 41–45", "4145", 1.0))
_BEDDING = _variants(("1,5-спальный", "15", 1.0), ("2-спальный", "20", 1.2), ("евро", "EU", 0.8))
_PHONES = _variants(
    ("для iPhone 13", "IP13", 0.8), ("для iPhone 14", "IP14", 0.9), ("для iPhone 15", "IP15", 1.3),
    ("для iPhone 15 Pro", "IP15P", 1.1), ("для iPhone 16", "IP16", 1.2),
    ("для Samsung Galaxy A55", "SA55", 0.7), ("для Xiaomi Redmi Note 13", "RN13", 0.8),
)  # fmt: skip
_SCENTS = _variants(
    ("лаванда", "LAV"), ("ваниль", "VAN"), ("сандал", "SND"), ("хлопок", "CTN"),
    ("грейпфрут", "GRP"), ("кокос", "COC"),
)  # fmt: skip
_LIPS = _variants(("вишня", "CHR"), ("мята", "MNT"), ("ваниль", "VAN"), ("без запаха", "NEU"))
_CREAM = _variants(("50 мл", "50"), ("75 мл", "75"))
_CABLES = _variants(("1 м", "1M", 1.3), ("2 м", "2M", 0.8))
_PET_SIZES = _variants(("50 см", "50"), ("60 см", "60", 1.2), ("70 см", "70", 0.8))

# How many of an axis a family takes: (fewest, most); sizes are taken as a run.
AXES: dict[int, tuple[int, int]] = {
    id(_COLOURS): (1, 3), id(_DARK_LIGHT): (1, 2), id(_SIZES): (3, 5), id(_KIDS): (3, 5),
    id(_SOCKS): (2, 2), id(_BEDDING): (2, 3), id(_PHONES): (3, 6), id(_SCENTS): (2, 4),
    id(_LIPS): (2, 4), id(_CREAM): (1, 2), id(_CABLES): (1, 2), id(_PET_SIZES): (2, 3),
}  # fmt: skip
RUNS = {id(_SIZES), id(_KIDS), id(_PET_SIZES)}  # contiguous sizes, not a random pick


@dataclass(frozen=True)
class Item:
    code: str  # SKU prefix
    name: str  # "{b}" is the brand
    axes: tuple[tuple[Variant, ...], ...]
    weight_g: int
    dims: tuple[int, int, int]  # packed, mm
    pack: int  # units in the supplier's carton: receipts come in whole cartons
    popularity: float


def _item(
    code: str,
    name: str,
    axes: tuple[tuple[Variant, ...], ...],
    weight_g: int,
    dims: tuple[int, int, int],
    pack: int,
    popularity: float,
) -> Item:
    return Item(code, name, axes, weight_g, dims, pack, popularity)


@dataclass(frozen=True)
class Category:
    name: str
    brands: tuple[str, ...]
    return_rate: float  # share of shipped units that come back from pickup points
    share: float  # share of the catalogue's families
    items: tuple[Item, ...]
    damage_notes: tuple[str, ...]


_COMMON_DAMAGE = ("Повреждена упаковка при хранении", "Брак обнаружен при сборке отгрузки")

CATEGORIES: tuple[Category, ...] = (
    Category("Одежда", ("URBAN TREND", "Nordline", "MOOD basic", "Лён и Хлопок", "SOFTWEAR"),
        0.14, 0.30, (
        _item("TSH", "Футболка оверсайз {b} из хлопка",
              (_COLOURS, _SIZES), 190, (300, 250, 20), 20, 1.6),
        _item("HDY", "Худи {b} с капюшоном на флисе",
              (_COLOURS, _SIZES), 560, (350, 300, 60), 10, 1.0),
        _item("SWT", "Свитшот {b} базовый", (_COLOURS, _SIZES), 430, (330, 280, 50), 10, 0.9),
        _item("JOG", "Брюки-джоггеры {b} трикотажные",
              (_COLOURS, _SIZES), 380, (330, 260, 40), 10, 0.8),
        _item("PJM", "Пижама женская {b} со штанами",
              (_COLOURS, _SIZES), 350, (300, 250, 50), 10, 0.7),
        _item("LEG", "Легинсы {b} спортивные с высокой посадкой",
              (_COLOURS, _SIZES), 220, (280, 200, 30), 20, 0.9),
        _item("DRS", "Платье-рубашка {b} из льна",
              (_COLOURS, _SIZES), 310, (320, 260, 40), 10, 0.5),
        _item("SCK", "Носки {b} хлопковые, 5 пар",
              (_COLOURS, _SOCKS), 160, (200, 120, 30), 50, 2.0),
    ), (*_COMMON_DAMAGE, "Пятно на изделии", "Распорот шов")),
    Category("Дом", ("Uyut Home", "Домовита", "Nordhaus", "Сонный кот"), 0.04, 0.18, (
        _item("TWL", "Полотенце махровое {b} 70×140 см", (_COLOURS,), 450, (300, 250, 60), 20, 1.0),
        _item("BED", "Комплект постельного белья {b}, сатин",
              (_BEDDING,), 1300, (400, 300, 80), 6, 0.6),
        _item("PLD", "Плед {b} флисовый 150×200 см", (_COLOURS,), 700, (350, 300, 80), 10, 0.6),
        _item("ORG", "Органайзер для хранения {b} с крышкой, 3 шт",
              (), 600, (400, 300, 150), 8, 0.5),
        _item("CNT", "Контейнеры для продуктов {b} стеклянные, 3 шт",
              (), 1500, (250, 200, 150), 6, 0.6),
        _item("CND", "Свеча ароматическая {b} в стакане", (_SCENTS,), 260, (90, 90, 100), 24, 0.8),
        _item("HNG", "Вешалки-плечики {b} деревянные, 10 шт", (), 1200, (450, 250, 60), 10, 0.5),
        _item("MAT", "Коврик для ванной {b} противоскользящий 50×80 см",
              (_COLOURS,), 600, (400, 150, 150), 10, 0.5),
    ), (*_COMMON_DAMAGE, "Бой стекла", "Деформирована коробка")),
    Category("Косметика", ("SKINLAB", "Vitamina Skin", "Белый лотос", "GLOW UP", "Травы Алтая"),
        0.02, 0.20, (
        _item("SRM", "Сыворотка для лица {b} с гиалуроновой кислотой, 30 мл",
              (), 90, (120, 50, 50), 24, 1.3),
        _item("HCR", "Крем для рук {b} питательный", (_CREAM,), 70, (160, 50, 35), 48, 1.2),
        _item("SHP", "Шампунь {b} для объёма волос, 400 мл", (), 450, (220, 80, 60), 12, 1.0),
        _item("HMS", "Маска для волос {b} восстанавливающая, 250 мл",
              (), 300, (100, 100, 80), 12, 0.7),
        _item("PTC", "Патчи под глаза {b} гидрогелевые, 60 шт", (), 120, (90, 90, 40), 36, 1.4),
        _item("LPB", "Бальзам для губ {b}", (_LIPS,), 15, (80, 20, 20), 100, 1.0),
        _item("SHG", "Гель для душа {b}", (_SCENTS,), 280, (190, 70, 50), 12, 0.8),
        _item("SCR", "Скраб для тела {b} кофейный, 250 мл", (), 300, (100, 100, 70), 12, 0.6),
    ), (*_COMMON_DAMAGE, "Протёк флакон", "Истекает срок годности")),
    Category("Электроника и аксессуары", ("TechPro", "VOLTEX", "Smartline", "GoCharge"),
        0.05, 0.16, (
        _item("CBL", "Кабель {b} USB-C — Lightning",
              (_DARK_LIGHT, _CABLES), 40, (150, 80, 20), 100, 1.5),
        _item("CHG", "Сетевое зарядное устройство {b} 20 Вт USB-C",
              (_DARK_LIGHT,), 60, (100, 60, 40), 50, 1.2),
        _item("CSE", "Чехол {b} силиконовый с MagSafe", (_PHONES,), 40, (180, 100, 20), 50, 1.3),
        _item("GLS", "Защитное стекло {b} 9H", (_PHONES,), 30, (190, 100, 10), 100, 1.5),
        _item("EAR", "Беспроводные наушники {b} TWS с шумоподавлением",
              (_DARK_LIGHT,), 150, (120, 100, 50), 20, 0.8),
        _item("PWB", "Внешний аккумулятор {b} 10000 мА·ч",
              (_DARK_LIGHT,), 230, (150, 80, 30), 20, 0.7),
        _item("HLD", "Держатель для телефона {b} в автомобиль, магнитный",
              (), 90, (120, 80, 60), 50, 0.6),
        _item("LMP", "Кольцевая лампа {b} 26 см со штативом", (), 1100, (300, 300, 80), 6, 0.4),
    ), (*_COMMON_DAMAGE, "Не включается", "Разбит корпус")),
    Category("Детские товары", ("BabyBoom", "Мамино солнышко", "Little Fox", "Умка и Ко"),
        0.08, 0.10, (
        _item("BDY", "Боди {b} с длинным рукавом, хлопок",
              (_COLOURS, _KIDS), 90, (200, 150, 20), 20, 1.2),
        _item("ROM", "Комбинезон-слип {b} на молнии",
              (_COLOURS, _KIDS), 160, (250, 200, 30), 10, 0.8),
        _item("BIB", "Нагрудник {b} силиконовый с карманом",
              (_COLOURS,), 80, (200, 150, 20), 30, 0.7),
        _item("BTL", "Бутылочка для кормления {b} антиколиковая, 240 мл",
              (), 120, (180, 70, 70), 24, 0.6),
        _item("PZL", "Пазл {b} «Животные леса», 60 элементов", (), 350, (300, 220, 50), 12, 0.5),
        _item("CNS", "Конструктор {b} магнитный, 64 детали", (), 900, (350, 250, 80), 6, 0.6),
        _item("TOY", "Игрушка-сортер {b} деревянная", (), 600, (250, 250, 120), 8, 0.5),
    ), (*_COMMON_DAMAGE, "Некомплект", "Пятно на изделии")),
    Category("Спорт", ("FitRise", "Спортлайн"), 0.05, 0.04, (
        _item("YGM", "Коврик для йоги {b} 183×61 см, 6 мм",
              (_COLOURS,), 900, (620, 150, 150), 10, 0.7),
        _item("BND", "Фитнес-резинки {b}, набор 5 шт", (), 150, (150, 100, 40), 40, 1.0),
        _item("BTW", "Бутылка для воды {b} с таймером, 1 л",
              (_COLOURS,), 200, (280, 90, 90), 24, 0.8),
    ), _COMMON_DAMAGE),
    Category("Зоотовары", ("КотоДом", "PetJoy"), 0.03, 0.02, (
        _item("PBD", "Лежанка для кошек и собак {b} круглая",
              (_PET_SIZES,), 700, (500, 500, 150), 6, 0.5),
        _item("SCT", "Когтеточка-столбик {b} с игрушкой", (), 1500, (400, 300, 300), 4, 0.4),
        _item("BWL", "Миска {b} керамическая на подставке",
              (_COLOURS,), 500, (200, 200, 120), 12, 0.5),
    ), _COMMON_DAMAGE),
)  # fmt: skip


def ean13(body: str) -> str:
    """Twelve digits and the GS1 check digit that makes them a valid EAN-13."""
    assert len(body) == 12 and body.isdigit()
    return next(body + d for d in "0123456789" if gtin_check_digit_ok(body + d))


@dataclass(frozen=True)
class Brand:
    name: str
    category: Category
    gs1_prefix: str | None  # a Russian GS1 company prefix (460–469); None: WB barcodes only
    supply_weekday: int  # Monday = 0
    supply_weeks: int  # 1: weekly, 2: fortnightly
    delayed_from: int | None  # the day its supplier stops delivering (an alert in the making)


@dataclass
class CatalogueProduct:
    data: ProductData
    brand: Brand
    pack: int
    demand: float  # units per day across all marketplaces
    trend: float  # demand at the end of the period ÷ at its start
    listed: dict[str, float]  # marketplace → share of the demand
