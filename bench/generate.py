"""Fill a fresh database with a realistic catalogue and a year of consistent stock history.

Run from the project root:

    uv run python -m bench.generate --url sqlite:////tmp/wms-big.sqlite3
    uv run python -m bench.generate --url postgresql+psycopg://postgres@127.0.0.1:5432/wms_big \
        --products 50000 --movements 1000000 --days 365

The database is migrated and seeded first (data.migrate.upgrade, data.seed); one that
already has products is refused. Products get Russian names, seller SKUs and valid EAN-13
barcodes (GS1 prefix 46x, Russia); some also a GTIN-14. Movements of every operation kind
are spread over the last `days` days. The ledger is generated in time order while the
balance of every (product, warehouse) is tracked, so a decrement never takes more than is
there; the final balances are written as quants, equal to the ledger sums by construction
(checked afterwards with data.stock.ledger_checks.ledger_discrepancies unless --no-check).

Bulk writes bypass the use cases on purpose: a million postings one by one would take
hours. PostgreSQL rows go in with COPY, SQLite rows with executemany in one transaction.
`generate()` is the reusable core (the dashboard benchmark uses it too).
"""

import argparse
import io
import random
import sqlite3
import sys
import time
from collections import Counter, deque
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import psycopg
import sqlalchemy as sa
from sqlmodel import Session, select

from core.catalog.products import gtin_check_digit_ok
from core.stock.operations import OPERATIONS
from core.users.passwords import hash_password
from data.db import create_engine
from data.migrate import upgrade
from data.models import User
from data.seed import seed_reference_data
from data.stock.ledger_checks import ledger_discrepancies

# ---------------------------------------------------------------- catalogue vocabulary

# Adjective forms by grammatical gender of the noun: masculine, feminine, neuter, plural.
Forms = tuple[str, str, str, str]
GENDER = {"m": 0, "f": 1, "n": 2, "p": 3}

ADJECTIVES: dict[str, Forms] = {
    "мужской": ("мужской", "мужская", "мужское", "мужские"),
    "женский": ("женский", "женская", "женское", "женские"),
    "детский": ("детский", "детская", "детское", "детские"),
    "хлопковый": ("хлопковый", "хлопковая", "хлопковое", "хлопковые"),
    "утеплённый": ("утеплённый", "утеплённая", "утеплённое", "утеплённые"),
    "базовый": ("базовый", "базовая", "базовое", "базовые"),
    "спортивный": ("спортивный", "спортивная", "спортивное", "спортивные"),
    "оверсайз": ("оверсайз", "оверсайз", "оверсайз", "оверсайз"),
    "кожаный": ("кожаный", "кожаная", "кожаное", "кожаные"),
    "демисезонный": ("демисезонный", "демисезонная", "демисезонное", "демисезонные"),
    "махровый": ("махровый", "махровая", "махровое", "махровые"),
    "декоративный": ("декоративный", "декоративная", "декоративное", "декоративные"),
    "керамический": ("керамический", "керамическая", "керамическое", "керамические"),
    "стальной": ("стальной", "стальная", "стальное", "стальные"),
    "антипригарный": ("антипригарный", "антипригарная", "антипригарное", "антипригарные"),
    "беспроводной": ("беспроводной", "беспроводная", "беспроводное", "беспроводные"),
    "быстрый": ("быстрый", "быстрая", "быстрое", "быстрые"),
    "увлажняющий": ("увлажняющий", "увлажняющая", "увлажняющее", "увлажняющие"),
    "питательный": ("питательный", "питательная", "питательное", "питательные"),
    "восстанавливающий": (
        "восстанавливающий", "восстанавливающая", "восстанавливающее", "восстанавливающие",
    ),
    "развивающий": ("развивающий", "развивающая", "развивающее", "развивающие"),
    "деревянный": ("деревянный", "деревянная", "деревянное", "деревянные"),
    "мягкий": ("мягкий", "мягкая", "мягкое", "мягкие"),
    "складной": ("складной", "складная", "складное", "складные"),
}  # fmt: skip

COLORS: dict[str, tuple[str, Forms]] = {
    "BLK": ("чёрный", ("чёрный", "чёрная", "чёрное", "чёрные")),
    "WHT": ("белый", ("белый", "белая", "белое", "белые")),
    "GRY": ("серый", ("серый", "серая", "серое", "серые")),
    "BEI": ("бежевый", ("бежевый", "бежевая", "бежевое", "бежевые")),
    "BLU": ("синий", ("синий", "синяя", "синее", "синие")),
    "RED": ("красный", ("красный", "красная", "красное", "красные")),
    "GRN": ("зелёный", ("зелёный", "зелёная", "зелёное", "зелёные")),
    "PNK": ("розовый", ("розовый", "розовая", "розовое", "розовые")),
    "LBL": ("голубой", ("голубой", "голубая", "голубое", "голубые")),
    "BRN": ("коричневый", ("коричневый", "коричневая", "коричневое", "коричневые")),
    "KHK": ("хаки", ("хаки", "хаки", "хаки", "хаки")),
    "BRD": ("бордовый", ("бордовый", "бордовая", "бордовое", "бордовые")),
}

CLOTHES_SIZES = ("XS", "S", "M", "L", "XL", "XXL", "42", "44", "46", "48", "50", "52")


@dataclass(frozen=True)
class Category:
    code: str
    types: tuple[tuple[str, str], ...]  # (noun, gender)
    adjectives: tuple[str, ...]
    variants: tuple[str, ...]
    brands: tuple[str, ...]
    weight_g: tuple[int, int]


CATEGORIES = (
    Category(
        "CL",
        (("Футболка", "f"), ("Толстовка", "f"), ("Рубашка", "f"), ("Свитшот", "m"),
         ("Лонгслив", "m"), ("Платье", "n"), ("Джинсы", "p"), ("Брюки", "p"), ("Шорты", "p"),
         ("Куртка", "f"), ("Пижама", "f"), ("Худи", "n")),
        ("мужской", "женский", "детский", "хлопковый", "утеплённый", "базовый", "спортивный",
         "оверсайз"),
        tuple(f"размер {s}" for s in CLOTHES_SIZES),
        ("URBAN TIGER", "Северный ветер", "Modo", "VELVET", "Tvoe Style", "Ivanovo Textile",
         "ProFit", "MIRA"),
        (150, 1200),
    ),
    Category(
        "SH",
        (("Кроссовки", "p"), ("Ботинки", "p"), ("Кеды", "p"), ("Тапочки", "p"),
         ("Сапоги", "p"), ("Сандалии", "p")),
        ("мужской", "женский", "детский", "демисезонный", "кожаный", "спортивный"),
        tuple(f"размер {s}" for s in range(35, 47)),
        ("Шаг вперёд", "RUNLAB", "Comfort Step", "Ralf", "Бегунок"),
        (300, 1500),
    ),
    Category(
        "HM",
        (("Полотенце", "n"), ("Плед", "m"), ("Подушка", "f"), ("Одеяло", "n"),
         ("Покрывало", "n"), ("Ковёр", "m"), ("Штора", "f"), ("Скатерть", "f")),
        ("махровый", "декоративный", "мягкий", "хлопковый", "детский"),
        ("50×70 см", "70×140 см", "150×200 см", "200×220 см", "40×40 см", "160×230 см"),
        ("Фабрика уюта", "Home Comfort", "Текстиль Иваново", "Sonno", "Дом и сад"),
        (200, 3000),
    ),
    Category(
        "KT",
        (("Кружка", "f"), ("Сковорода", "f"), ("Термос", "m"), ("Кастрюля", "f"),
         ("Контейнер для еды", "m"), ("Бутылка для воды", "f"), ("Набор ножей", "m")),
        ("керамический", "стальной", "антипригарный", "складной"),
        ("0,35 л", "0,5 л", "0,75 л", "1 л", "2,5 л", "24 см", "26 см", "28 см", "4 предмета"),
        ("Kukhnya Pro", "Сталь-М", "Ecoline", "Chef Lab", "Уралочка"),
        (150, 2500),
    ),
    Category(
        "EL",
        (("Наушники", "p"), ("Чехол для телефона", "m"), ("Зарядное устройство", "n"),
         ("Кабель USB Type-C", "m"), ("Внешний аккумулятор", "m"), ("Колонка портативная", "f"),
         ("Умные часы", "p")),
        ("беспроводной", "быстрый", "спортивный", "детский"),
        ("1 м", "2 м", "20 Вт", "65 Вт", "10000 мА·ч", "20000 мА·ч", "для iPhone 15",
         "для Samsung Galaxy A54", "для Xiaomi Redmi Note 13"),
        ("TechPro", "Voltix", "Lumi", "SoundWay", "Энергия+"),
        (30, 600),
    ),
    Category(
        "BT",
        (("Крем для лица", "m"), ("Шампунь", "m"), ("Маска для волос", "f"),
         ("Сыворотка для лица", "f"), ("Бальзам для губ", "m"), ("Гель для душа", "m")),
        ("увлажняющий", "питательный", "восстанавливающий"),
        ("15 мл", "30 мл", "50 мл", "250 мл", "400 мл", "1 л"),
        ("Сибирская сила", "Natura Verde", "Beauty Lab", "Чистая линия", "Aqua Fresh"),
        (20, 1100),
    ),
    Category(
        "TY",
        (("Конструктор", "m"), ("Пазл", "m"), ("Игрушка мягкая", "f"), ("Машинка", "f"),
         ("Кукла", "f"), ("Набор для творчества", "m")),
        ("развивающий", "деревянный", "мягкий", "детский"),
        ("3+", "5+", "30 см", "60 см", "500 деталей", "1000 деталей", "120 деталей"),
        ("Kids Joy", "Умка", "Мир игрушек", "Brickland", "Весёлый мишка"),
        (100, 1500),
    ),
)  # fmt: skip


def ean13_check_digit(body: str) -> str:
    """GS1 mod-10 check digit for 12 (EAN-13) or 13 (GTIN-14) body digits."""
    total = sum(int(d) * (3 if i % 2 == 0 else 1) for i, d in enumerate(reversed(body)))
    return str((10 - total % 10) % 10)


@dataclass(frozen=True)
class ProductRow:
    id: int
    sku: str
    name: str
    barcode: str
    gtin: str | None
    min_stock: int
    weight_g: int | None
    length_mm: int | None
    width_mm: int | None
    height_mm: int | None
    is_deleted: bool
    created_at: datetime


def make_products(n: int, rng: random.Random, start: datetime) -> list[ProductRow]:
    """`n` products; barcodes are unique EAN-13 (46x…), a third also have a GTIN-14."""
    bodies = rng.sample(range(10**10), n)  # unique 10-digit tails after the "46" prefix
    rows: list[ProductRow] = []
    for i, tail in enumerate(bodies, start=1):
        cat = CATEGORIES[rng.randrange(len(CATEGORIES))]
        noun, gender = cat.types[rng.randrange(len(cat.types))]
        g = GENDER[gender]
        adjective = ADJECTIVES[rng.choice(cat.adjectives)][g]
        color_code, (_, color_forms) = rng.choice(list(COLORS.items()))
        brand = rng.choice(cat.brands)
        variant = rng.choice(cat.variants)
        name = f"{noun} {adjective} {brand}, {color_forms[g]}, {variant}"
        body = f"46{tail:010d}"
        barcode = body + ean13_check_digit(body)
        gtin = None
        if rng.random() < 0.33:  # the case GTIN: indicator digit 1 + the item's 12 digits
            gtin_body = "1" + body
            gtin = gtin_body + ean13_check_digit(gtin_body)
        has_size = rng.random() < 0.7
        rows.append(
            ProductRow(
                id=i,
                sku=f"{cat.code}-{i:06d}-{color_code}",
                name=name,
                barcode=barcode,
                gtin=gtin,
                min_stock=rng.choice((0, 0, 0, 0, 0, 0, 5, 10, 20, 50, 100)),
                weight_g=rng.randint(*cat.weight_g) if has_size else None,
                length_mm=rng.randint(50, 600) if has_size else None,
                width_mm=rng.randint(30, 400) if has_size else None,
                height_mm=rng.randint(10, 300) if has_size else None,
                is_deleted=rng.random() < 0.01,
                created_at=start - timedelta(seconds=rng.randint(0, 30 * 86400)),
            )
        )
    assert all(gtin_check_digit_ok(r.barcode) for r in rows[:1000])
    assert all(gtin_check_digit_ok(r.gtin) for r in rows[:1000] if r.gtin)
    return rows


# ---------------------------------------------------------------- ledger

# (operation, weight, quantity range); a fulfilment center ships and receives most.
OPERATION_MIX: tuple[tuple[str, int, tuple[int, int]], ...] = (
    ("RECEIPT", 24, (5, 200)),
    ("RECEIPT_DEFECT", 2, (1, 10)),
    ("RETURN_PICKUP", 9, (1, 3)),
    ("RETURN_DEFECT", 3, (1, 2)),
    ("SELF_PURCHASE", 3, (1, 5)),
    ("SHIPMENT_RC", 44, (1, 60)),
    ("WRITE_OFF", 4, (1, 5)),
    ("RESTORATION", 2, (1, 3)),
    ("UTILIZATION", 3, (1, 10)),
    ("ADJUSTMENT", 3, (1, 5)),
    ("TRANSFER", 3, (1, 10)),
)
REVERSAL_SHARE = 0.003
ADJUSTMENT_REASONS = (
    "Инвентаризация: пересчёт стеллажа",
    "Инвентаризация: пересорт",
    "Плановая инвентаризация",
    "Найдено при пересчёте",
    "Недостача по итогам пересчёта",
)
TRANSFER_NOTES = (None, None, "Перемещение после проверки", "Перенос после пересчёта")
USERS = (
    ("ivanova", "Иванова Мария", "manager"),
    ("petrov", "Петров Алексей", "manager"),
    ("smirnova", "Смирнова Ольга", "manager"),
    ("kuznetsov", "Кузнецов Дмитрий", "admin"),
)


@dataclass
class Reference:
    """Ids the ledger needs: locations by code, sources, DCs with their marketplace, users."""

    locations: dict[str, int]
    source_ids: list[int]
    dcs: list[tuple[int, int]]  # (dc id, source id)
    user_ids: list[int]


# A movement row in table column order (id first, created_at last).
MOVEMENT_COLUMNS = (
    "id", "operation_type", "product_id", "quantity", "from_location_id", "to_location_id",
    "source_id", "distribution_center_id", "user_id", "notes", "idempotency_key", "document",
    "reversal_of", "created_at",
)  # fmt: skip
QUANT_COLUMNS = ("product_id", "location_id", "handling_unit_id", "quantity", "reserved",
                 "received_at")  # fmt: skip


@dataclass
class Ledger:
    movements: list[tuple[Any, ...]]  # created_at as a POSIX timestamp (float)
    quants: list[tuple[int, int, None, int, int, float]]
    by_operation: Counter[str] = field(default_factory=Counter)


def timestamps(m: int, days: int, now: float, rng: random.Random) -> list[float]:
    """`m` sorted times within the last `days` days, mostly in working hours (Moscow)."""
    start_day = now - days * 86400
    start_day -= start_day % 86400  # midnight UTC
    out: list[float] = []
    rand = rng.random
    for _ in range(m):
        day = int(rand() * days)
        # 05:00–19:00 UTC is 08:00–22:00 in Moscow; a few movements at night.
        second = 5 * 3600 + rand() * 14 * 3600 if rand() < 0.95 else rand() * 86400
        out.append(start_day + day * 86400 + second)
    out = [t for t in out if t < now]
    while len(out) < m:  # today's times that fell in the future: put them in the past
        out.append(now - rand() * 3600)
    out.sort()
    return out


def make_ledger(
    n_products: int, m: int, days: int, ref: Reference, rng: random.Random, now: float
) -> Ledger:
    """The ledger in time order, tracking the balance of every (product, warehouse) so no
    decrement exceeds it; the quants are the final balances."""
    main, defect = ref.locations["MAIN"], ref.locations["DEFECT"]
    loc = ref.locations
    internal = {main, defect}
    balance: dict[tuple[int, int], int] = {}
    received: dict[tuple[int, int], float] = {}
    ops = [op for op, _, _ in OPERATION_MIX]
    ranges = {op: r for op, _, r in OPERATION_MIX}
    chosen = rng.choices(ops, [w for _, w, _ in OPERATION_MIX], k=m)
    times = timestamps(m, days, now, rng)
    # Popularity: a few products move a lot, the tail rarely (rank ~ n·u³).
    order = list(range(1, n_products + 1))
    rng.shuffle(order)
    rand, randint = rng.random, rng.randint
    users = ref.user_ids
    recent: deque[tuple[Any, ...]] = deque(maxlen=300)  # reversible candidates
    reversed_ids: set[int] = set()
    movements: list[tuple[Any, ...]] = []
    by_operation: Counter[str] = Counter()
    document_no, document_left = 0, 0

    def put(p: int, location: int, q: int, at: float) -> None:
        key = (p, location)
        before = balance.get(key)
        if not before:  # a new or emptied quant takes the arrival time (FIFO)
            received[key] = at
        balance[key] = (before or 0) + q

    for i in range(m):
        mid = i + 1
        at = times[i]
        user = users[int(rand() * len(users))] if rand() < 0.9 else None
        if rand() < REVERSAL_SHARE and recent:
            original = recent[int(rand() * len(recent))]
            (oid, oop, op_pid, oq, ofrom, oto, osrc, odc, _u, _n, _k, odoc, _r, _at) = original
            if oid not in reversed_ids and (
                oto not in internal or balance.get((op_pid, oto), 0) >= oq
            ):
                reversed_ids.add(oid)
                if oto in internal:
                    balance[(op_pid, oto)] -= oq
                if ofrom in internal:
                    put(op_pid, ofrom, oq, at)
                movements.append((
                    mid, oop, op_pid, oq, oto, ofrom, osrc, odc, user,
                    f"Сторно операции №{oid}", None, odoc, oid, at,
                ))  # fmt: skip
                by_operation["reversal"] += 1
                continue
        p = order[int(n_products * rand() ** 3)]
        op = chosen[i]
        lo, hi = ranges[op]
        q = randint(lo, hi)
        good, bad = balance.get((p, main), 0), balance.get((p, defect), 0)
        notes: str | None = None
        # A decrement the stock cannot cover becomes an arrival instead.
        if op in ("SHIPMENT_RC", "WRITE_OFF") and not good:
            op, q = "RECEIPT", randint(*ranges["RECEIPT"])
        elif op in ("RESTORATION", "UTILIZATION") and not bad:
            op, q = ("WRITE_OFF", randint(1, 5)) if good else ("RECEIPT_DEFECT", randint(1, 10))
        source_id = dc_id = None
        if op == "ADJUSTMENT":
            notes = ADJUSTMENT_REASONS[int(rand() * len(ADJUSTMENT_REASONS))]
            warehouse = main if rand() < 0.8 else defect
            have = good if warehouse == main else bad
            if rand() < 0.5 and have:
                src, dst, q = warehouse, loc["INVENTORY_LOSS"], min(q, have)
            else:
                src, dst = loc["INVENTORY_LOSS"], warehouse
        elif op == "TRANSFER":
            notes = TRANSFER_NOTES[int(rand() * len(TRANSFER_NOTES))]
            if good:
                src, dst, q = main, defect, min(q, good)
            elif bad:
                src, dst, q = defect, main, min(q, bad)
            else:
                op, q = "RECEIPT", randint(*ranges["RECEIPT"])
        if op not in ("ADJUSTMENT", "TRANSFER"):
            spec = OPERATIONS[op]
            assert spec.from_location is not None and spec.to_location is not None
            src, dst = loc[spec.from_location], loc[spec.to_location]
            if src == main:
                q = min(q, good)
            elif src == defect:
                q = min(q, bad)
            if op in ("RETURN_PICKUP", "RETURN_DEFECT", "SELF_PURCHASE"):
                source_id = ref.source_ids[int(rand() * len(ref.source_ids))]
            elif op == "SHIPMENT_RC":
                dc_id, source_id = ref.dcs[int(rand() * len(ref.dcs))]
        if src in internal:
            balance[(p, src)] -= q
        if dst in internal:
            put(p, dst, q, at)
        # Supplies come in documents (a delivery note, an import file) of several lines.
        document = None
        if op in ("RECEIPT", "SHIPMENT_RC"):
            if document_left == 0 and rand() < 0.05:
                document_no, document_left = document_no + 1, randint(3, 40)
            if document_left:
                document_left -= 1
                document = f"import:{document_no}"
        key = f"api-{mid}" if rand() < 0.1 else None  # posted through the API
        row = (mid, op, p, q, src, dst, source_id, dc_id, user, notes, key, document, None, at)
        movements.append(row)
        recent.append(row)
        by_operation[op] += 1
    quants = [
        (p, location, None, qty, 0, received[(p, location)])
        for (p, location), qty in sorted(balance.items())
    ]
    assert all(q[3] >= 0 for q in quants), "a generated balance went negative"
    return Ledger(movements, quants, by_operation)


# ---------------------------------------------------------------- writing


def _utc(ts: float) -> datetime:
    return datetime.fromtimestamp(ts, UTC)


def _copy_text(rows: Iterable[Sequence[Any]]) -> Iterable[str]:
    """COPY text format; None is \\N, booleans t/f, float timestamps as UTC."""
    for row in rows:
        out = []
        for v in row:
            if v is None:
                out.append("\\N")
            elif v is True or v is False:
                out.append("t" if v else "f")
            elif isinstance(v, float):
                out.append(_utc(v).isoformat(sep=" "))
            elif isinstance(v, datetime):
                out.append(v.isoformat(sep=" "))
            else:
                out.append(str(v))  # our texts have no tabs, newlines or backslashes
        yield "\t".join(out) + "\n"


def _copy(cur: psycopg.Cursor[Any], table: str, columns: Sequence[str], rows: Iterable) -> None:
    with cur.copy(f"COPY {table} ({', '.join(columns)}) FROM STDIN") as copy:
        buf = io.StringIO()
        for n, line in enumerate(_copy_text(rows), start=1):
            buf.write(line)
            if n % 50_000 == 0:
                copy.write(buf.getvalue())
                buf = io.StringIO()
        copy.write(buf.getvalue())


PRODUCT_COLUMNS = (
    "id", "sku", "name", "barcode", "gtin", "min_stock", "weight_g", "length_mm", "width_mm",
    "height_mm", "is_deleted", "created_at", "updated_at",
)  # fmt: skip


def _product_tuple(p: ProductRow) -> tuple[Any, ...]:
    return (p.id, p.sku, p.name, p.barcode, p.gtin, p.min_stock, p.weight_g, p.length_mm,
            p.width_mm, p.height_mm, p.is_deleted, p.created_at, p.created_at)  # fmt: skip


def write_postgres(url: sa.URL, products: list[ProductRow], ledger: Ledger) -> None:
    conninfo = url.set(drivername="postgresql").render_as_string(hide_password=False)
    with psycopg.connect(conninfo) as conn, conn.cursor() as cur:
        _copy(cur, "product", PRODUCT_COLUMNS, (_product_tuple(p) for p in products))
        _copy(cur, "movement", MOVEMENT_COLUMNS, ledger.movements)
        _copy(cur, "quant", QUANT_COLUMNS, ledger.quants)
        for table in ("product", "movement", "quant"):
            cur.execute(
                f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                f"(SELECT coalesce(max(id), 1) FROM {table}))"
            )
        conn.commit()
    # What autovacuum would do a moment later: planner statistics and the visibility map.
    with psycopg.connect(conninfo, autocommit=True) as conn:
        conn.execute("VACUUM ANALYZE")


def _sqlite_time(ts: float | datetime) -> str:
    """How SQLAlchemy stores UtcDateTime on SQLite: naive UTC text with microseconds."""
    dt = _utc(ts) if isinstance(ts, float) else ts.astimezone(UTC)
    return dt.replace(tzinfo=None).isoformat(sep=" ", timespec="microseconds")


def write_sqlite(path: str, products: list[ProductRow], ledger: Ledger) -> None:
    conn = sqlite3.connect(path, isolation_level=None)
    try:
        conn.execute("PRAGMA foreign_keys=ON")
        conn.execute("PRAGMA synchronous=OFF")  # a bulk load: redo it if the machine dies
        conn.execute("BEGIN")
        marks = ", ".join("?" * len(PRODUCT_COLUMNS))
        conn.executemany(
            f"INSERT INTO product ({', '.join(PRODUCT_COLUMNS)}) VALUES ({marks})",
            (
                (*t[:10], int(t[10]), _sqlite_time(t[11]), _sqlite_time(t[12]))
                for t in map(_product_tuple, products)
            ),
        )
        marks = ", ".join("?" * len(MOVEMENT_COLUMNS))
        conn.executemany(
            f"INSERT INTO movement ({', '.join(MOVEMENT_COLUMNS)}) VALUES ({marks})",
            ((*row[:-1], _sqlite_time(row[-1])) for row in ledger.movements),
        )
        marks = ", ".join("?" * len(QUANT_COLUMNS))
        conn.executemany(
            f"INSERT INTO quant ({', '.join(QUANT_COLUMNS)}) VALUES ({marks})",
            ((*row[:-1], _sqlite_time(row[-1])) for row in ledger.quants),
        )
        conn.execute("COMMIT")
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    finally:
        conn.close()


# ---------------------------------------------------------------- the reusable core


@dataclass
class Generated:
    products: int
    movements: int
    quants: int
    by_operation: Counter[str]
    seconds: dict[str, float]


def _reference(engine: sa.Engine, rng: random.Random) -> Reference:
    with Session(engine) as session:
        for username, full_name, role in USERS:
            if session.exec(select(User).where(User.username == username)).first() is None:
                session.add(
                    User(
                        username=username,
                        full_name=full_name,
                        role=role,
                        password_hash=hash_password(f"{username}-{rng.random()}"),
                    )
                )
        session.commit()
    with engine.connect() as conn:
        locations = dict(conn.execute(sa.text("SELECT code, id FROM location")).all())
        source_ids = list(conn.execute(sa.text("SELECT id FROM source ORDER BY id")).scalars())
        dcs = [
            (int(a), int(b))
            for a, b in conn.execute(
                sa.text("SELECT id, source_id FROM distribution_center ORDER BY id")
            ).all()
        ]
        user_ids = list(
            conn.execute(
                sa.text("SELECT id FROM app_user WHERE username IN :names").bindparams(
                    sa.bindparam("names", expanding=True)
                ),
                {"names": [u for u, _, _ in USERS]},
            ).scalars()
        )
    return Reference(locations, source_ids, dcs, user_ids)


class NotEmpty(RuntimeError):
    pass


def generate(
    url: str,
    *,
    products: int = 50_000,
    movements: int = 1_000_000,
    days: int = 365,
    seed: int = 20261122,
    check: bool = True,
) -> Generated:
    """Migrate and seed the database at `url`, then fill it. Raises NotEmpty when the
    database already has products."""
    seconds: dict[str, float] = {}
    t0 = time.perf_counter()
    engine = create_engine(url)
    try:
        upgrade(engine)
        seed_reference_data(engine)
        with engine.connect() as conn:
            count = conn.execute(sa.text("SELECT count(*) FROM product")).scalar_one()
        if count:
            raise NotEmpty(f"the database already has {count} products; give an empty one")
        rng = random.Random(seed)
        ref = _reference(engine, rng)
        seconds["migrate and seed"] = time.perf_counter() - t0
        now = time.time()
        t = time.perf_counter()
        catalogue = make_products(products, rng, _utc(now - days * 86400))
        ledger = make_ledger(products, movements, days, ref, rng, now)
        seconds["generate in Python"] = time.perf_counter() - t
        t = time.perf_counter()
        if engine.dialect.name == "sqlite":
            write_sqlite(str(engine.url.database), catalogue, ledger)
        else:
            write_postgres(engine.url, catalogue, ledger)
        seconds["write"] = time.perf_counter() - t
        if check:
            t = time.perf_counter()
            wrong = ledger_discrepancies(engine)
            if wrong:
                raise AssertionError(f"quants differ from the ledger: {wrong[:5]}")
            seconds["check ledger = quants"] = time.perf_counter() - t
    finally:
        engine.dispose()
    seconds["total"] = time.perf_counter() - t0
    return Generated(
        products, len(ledger.movements), len(ledger.quants), ledger.by_operation, seconds
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--url", required=True, help="SQLAlchemy URL of an empty database")
    parser.add_argument("--products", type=int, default=50_000)
    parser.add_argument("--movements", type=int, default=1_000_000)
    parser.add_argument("--days", type=int, default=365)
    parser.add_argument("--seed", type=int, default=20261122)
    parser.add_argument("--no-check", action="store_true", help="skip ledger = quants check")
    args = parser.parse_args()
    try:
        result = generate(
            args.url,
            products=args.products,
            movements=args.movements,
            days=args.days,
            seed=args.seed,
            check=not args.no_check,
        )
    except NotEmpty as error:
        sys.exit(str(error))
    print(f"{result.products:,} products, {result.movements:,} movements, {result.quants:,} quants")
    for op, n in result.by_operation.most_common():
        print(f"  {op:<16} {n:>9,}")
    for step, s in result.seconds.items():
        print(f"{step:<24} {s:8.1f} s")


if __name__ == "__main__":
    main()
