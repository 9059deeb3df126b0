"""Storage in memory, behind the same Protocols as data/: the unit tier runs core's use
cases on it in milliseconds.

`FakeDatabase` holds what the tables would (seeded like data.seed: the warehouses, the
virtual locations, marketplaces and their DCs) and hands out a unit of work and the
catalog's and users' stores. It honours the rules the database enforces and core relies
on: a decrement only takes unreserved stock, an idempotency key is its user's own, a
movement is reversed once, a barcode or a name is unique, and a unit of work commits
whole or not at all. tests/integration/test_fakes_match_the_database.py runs the same
scenarios on this and on the database, so the two cannot drift apart silently.

One unit of work at a time: the fake has no concurrency to speak of.
"""

from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from types import TracebackType
from typing import Any, Protocol, Self

from core.catalog.ports import Kind, ProductData, ProductRecord, ReferenceRecord
from core.errors import Conflict
from core.events import EventType
from core.model import (
    HandlingUnitRef,
    LocationRef,
    Movement,
    MovementDraft,
    ProductRef,
    Reference,
)
from core.stock.operations import VIRTUAL_LOCATIONS, WAREHOUSES
from core.users.ports import Attempt, Counter, StoredUser, UserRecord

SOURCES = ("Wildberries", "Ozon", "Яндекс Маркет")
DISTRIBUTION_CENTERS = {"WB Коледино": "Wildberries", "Ozon Хоругвино": "Ozon"}
STALE = timedelta(days=1)  # as data.users.store: throttle rows untouched this long go


@dataclass(frozen=True)
class Quant:
    quantity: int
    reserved: int
    received_at: datetime
    version: int = 0  # raised by one on every change, as the statements in the database do


@dataclass
class Tables:
    """What the database's tables hold. Values are immutable records, so a shallow copy
    of every table is a snapshot a unit of work can change and throw away."""

    products: dict[int, ProductRecord] = field(default_factory=dict)
    sources: dict[int, ReferenceRecord] = field(default_factory=dict)
    dcs: dict[int, ReferenceRecord] = field(default_factory=dict)
    quants: dict[tuple[int, int], Quant] = field(default_factory=dict)  # loose stock
    # Stock in handling units, by (product, location, unit), and the units themselves.
    unit_quants: dict[tuple[int, int, int], Quant] = field(default_factory=dict)
    units: dict[int, HandlingUnitRef] = field(default_factory=dict)
    movements: dict[int, Movement] = field(default_factory=dict)
    events: list[tuple[EventType, dict[str, Any]]] = field(default_factory=list)
    batches: dict[int, Any] = field(default_factory=dict)  # core.imports.BatchRecord
    users: dict[int, StoredUser] = field(default_factory=dict)
    throttle: dict[tuple[str, str], tuple[int, datetime]] = field(default_factory=dict)
    last_id: dict[str, int] = field(default_factory=dict)

    def copy(self) -> "Tables":
        return Tables(
            **{
                name: value.copy()
                for name, value in self.__dict__.items()  # every table a dict or list
            }
        )

    def new_id(self, table: str) -> int:
        self.last_id[table] = self.last_id.get(table, 0) + 1
        return self.last_id[table]


class FakeDatabase:
    def __init__(self) -> None:
        self.tables = Tables()
        codes = [*WAREHOUSES, *VIRTUAL_LOCATIONS]
        self.locations = {
            i: LocationRef(
                id=i,
                code=code,
                name=WAREHOUSES.get(code) or VIRTUAL_LOCATIONS[code],
                is_internal=code in WAREHOUSES,
                warehouse_code=code if code in WAREHOUSES else None,
                is_active=True,
                kind="default" if code in WAREHOUSES else "virtual",
            )
            for i, code in enumerate(codes, start=1)
        }
        sources = FakeReferenceStore(self)
        by_name = {name: sources.insert("source", name, None).id for name in SOURCES}
        for name, source in DISTRIBUTION_CENTERS.items():
            sources.insert("distribution_center", name, by_name[source])

    def unit_of_work(self) -> "FakeUnitOfWork":
        return FakeUnitOfWork(self)

    # --- what tests read and arrange, as a test on the database would with SQL ---

    def location_id(self, code: str) -> int:
        return next(loc.id for loc in self.locations.values() if loc.code == code)

    def source_id(self, name: str = "Wildberries") -> int:
        return next(s.id for s in self.tables.sources.values() if s.name == name)

    def dc_id(self, name: str = "WB Коледино") -> int:
        return next(d.id for d in self.tables.dcs.values() if d.name == name)

    def add_product(self, number: int, **fields: Any) -> int:
        values = {"sku": f"SKU-{number}", "name": f"Товар {number}"}
        values["barcode"] = f"46000000{number:05d}"
        return FakeProductStore(self).insert(ProductData(**{**values, **fields})).id

    def on_hand(self, product_id: int, code: str) -> int:
        quant = self.tables.quants.get((product_id, self.location_id(code)))
        return quant.quantity if quant else 0

    def reserve(self, product_id: int, code: str, reserved: int) -> None:
        """Reservations come with orders; until then a test sets `reserved` itself."""
        key = (product_id, self.location_id(code))
        if key in self.tables.quants:  # as an UPDATE: no quant, nothing to change
            self.tables.quants[key] = replace(self.tables.quants[key], reserved=reserved)


# --- The unit of work and its repositories (core.stock.ports.StockUnitOfWork) ---


class FakeUnitOfWork:
    def __init__(self, db: FakeDatabase) -> None:
        self._db = db

    def __enter__(self) -> Self:
        self.tables = self._db.tables.copy()  # this transaction's view
        self.catalog = FakeCatalogLookups(self.tables)
        self.stock = FakeStock(self.tables, self._db.locations)
        self.ledger = FakeLedger(self.tables)
        self.outbox = FakeOutbox(self.tables)
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        del self.tables  # what was not committed goes with it, as a rollback

    def commit(self) -> None:
        self._db.tables = self.tables  # the snapshot, changed, is now what every unit sees


class FakeCatalogLookups:
    def __init__(self, tables: Tables) -> None:
        self._t = tables

    def product(self, product_id: int) -> ProductRef | None:
        p = self._t.products.get(product_id)
        return ProductRef(p.id, p.is_deleted, p.sku, p.name, p.barcode) if p else None

    def product_by_barcode(self, barcode: str) -> ProductRef | None:
        found = [p.id for p in self._t.products.values() if p.barcode == barcode]
        return self.product(found[0]) if found else None

    def products(self, product_ids: list[int]) -> dict[int, ProductRef]:
        found = (self.product(pid) for pid in product_ids)
        return {p.id: p for p in found if p is not None}

    def products_by_barcode(self, barcodes: list[str]) -> dict[str, ProductRef]:
        found = (self.product_by_barcode(code) for code in barcodes)
        return {p.barcode: p for p in found if p is not None}

    def source(self, source_id: int) -> Reference | None:
        s = self._t.sources.get(source_id)
        return Reference(s.id, s.name, s.is_active) if s else None

    def distribution_center(self, dc_id: int) -> Reference | None:
        d = self._t.dcs.get(dc_id)
        if d is None or d.source_id is None:
            return None
        parent = self._t.sources[d.source_id]
        return Reference(d.id, d.name, d.is_active, parent.id, parent.name)

    def source_id_named(self, name: str) -> int | None:
        return next((s.id for s in self._t.sources.values() if s.name == name), None)

    def distribution_center_id_named(self, name: str) -> int | None:
        return next((d.id for d in self._t.dcs.values() if d.name == name), None)


class FakeStock:
    def __init__(self, tables: Tables, locations: dict[int, LocationRef]) -> None:
        self._t = tables
        self._locations = locations

    def location(self, code: str) -> LocationRef:
        return next(loc for loc in self._locations.values() if loc.code == code)

    def location_by_id(self, location_id: int) -> LocationRef | None:
        return self._locations.get(location_id)

    def _quants(self, product_id: int, location_id: int, unit: int | None) -> tuple[Any, Any]:
        """The table and the key of a quant: loose stock or stock in a unit."""
        if unit is None:
            return self._t.quants, (product_id, location_id)
        return self._t.unit_quants, (product_id, location_id, unit)

    def take(
        self,
        product_id: int,
        location_id: int,
        quantity: int,
        *,
        version: int | None = None,
        handling_unit_id: int | None = None,
    ) -> bool:
        table, key = self._quants(product_id, location_id, handling_unit_id)
        quant = table.get(key)
        if quant is None or quant.quantity - quant.reserved < quantity:
            return False  # what the conditional UPDATE does: nothing
        if version is not None and quant.version != version:
            return False
        table[key] = replace(quant, quantity=quant.quantity - quantity, version=quant.version + 1)
        return True

    def put(
        self,
        product_id: int,
        location_id: int,
        quantity: int,
        at: datetime,
        *,
        version: int | None = None,
        handling_unit_id: int | None = None,
    ) -> bool:
        table, key = self._quants(product_id, location_id, handling_unit_id)
        quant = table.get(key)
        if quant is None:
            table[key] = Quant(quantity, 0, at)
        elif version is not None and quant.version != version:
            return False  # the upsert's WHERE: the quant is at another version
        else:  # an empty quant that refills is new stock: it takes the new arrival time
            arrived = at if quant.quantity == 0 else quant.received_at
            total = quant.quantity + quantity
            table[key] = Quant(total, quant.reserved, arrived, quant.version + 1)
        return True

    def on_hand(
        self, product_id: int, location_id: int, *, handling_unit_id: int | None = None
    ) -> tuple[int, int]:
        table, key = self._quants(product_id, location_id, handling_unit_id)
        quant = table.get(key)
        return (quant.quantity, quant.reserved) if quant else (0, 0)

    def version(
        self, product_id: int, location_id: int, *, handling_unit_id: int | None = None
    ) -> int | None:
        table, key = self._quants(product_id, location_id, handling_unit_id)
        quant = table.get(key)
        return quant.version if quant else None

    def hold(self, location_id: int) -> bool:
        location = self._locations.get(location_id)
        return location is not None and location.is_active

    def handling_unit(self, handling_unit_id: int) -> HandlingUnitRef | None:
        return self._t.units.get(handling_unit_id)


class FakeLedger:
    def __init__(self, tables: Tables) -> None:
        self._t = tables

    def movement(self, movement_id: int) -> Movement | None:
        return self._t.movements.get(movement_id)

    def movement_by_key(self, idempotency_key: str, user_id: int | None) -> Movement | None:
        for m in self._t.movements.values():
            if m.idempotency_key == idempotency_key and (m.user_id or 0) == (user_id or 0):
                return m
        return None

    def add(self, draft: MovementDraft) -> Movement | None:
        # The two unique indexes: (coalesce(user_id, 0), idempotency_key) and reversal_of.
        key = draft.idempotency_key
        if key is not None and self.movement_by_key(key, draft.user_id) is not None:
            return None
        target = draft.reversal_of
        if target is not None and any(m.reversal_of == target for m in self._t.movements.values()):
            return None
        movement = Movement(**draft.__dict__, id=self._t.new_id("movement"))
        self._t.movements[movement.id] = movement
        return movement


class FakeOutbox:
    def __init__(self, tables: Tables) -> None:
        self._t = tables

    def add(self, event: EventType, payload: dict[str, Any]) -> None:
        self._t.events.append((event, payload))

    def add_many(self, events: list[tuple[EventType, dict[str, Any]]]) -> None:
        self._t.events.extend(events)


# --- The catalog's stores (core.catalog.ports): each call its own transaction ---


class HasTables(Protocol):
    tables: Tables


class FakeProductStore:
    def __init__(self, db: HasTables) -> None:
        self._db = db  # a database, or an import's transaction (fake_imports)

    def get(self, product_id: int) -> ProductRecord | None:
        return self._db.tables.products.get(product_id)

    def holder_of_code(self, code: str, *, except_id: int | None) -> ProductRecord | None:
        for p in self._db.tables.products.values():
            if code in (p.barcode, p.gtin) and p.id != except_id:
                return p
        return None

    def _check_unique(self, data: ProductData, product_id: int | None) -> None:
        for p in self._db.tables.products.values():
            if p.id != product_id and (
                p.barcode == data.barcode or (data.gtin is not None and p.gtin == data.gtin)
            ):
                raise Conflict("barcode_taken", "Штрихкод или GTIN уже занят другим товаром")

    def insert(self, data: ProductData) -> ProductRecord:
        self._check_unique(data, None)
        record = ProductRecord(**data.__dict__, id=self._db.tables.new_id("product"))
        self._db.tables.products[record.id] = record
        return record

    def update(self, product_id: int, data: ProductData) -> ProductRecord:
        self._check_unique(data, product_id)
        current = self._db.tables.products[product_id]
        record = ProductRecord(**data.__dict__, id=product_id, is_deleted=current.is_deleted)
        self._db.tables.products[product_id] = record
        return record

    def delete(self, product_id: int) -> ProductRecord | None:
        quants = self._db.tables.quants
        if any(q.quantity > 0 for (p, _), q in quants.items() if p == product_id):
            return None
        return self._mark(product_id, deleted=True)

    def restore(self, product_id: int) -> ProductRecord:
        return self._mark(product_id, deleted=False)

    def _mark(self, product_id: int, *, deleted: bool) -> ProductRecord:
        record = replace(self._db.tables.products[product_id], is_deleted=deleted)
        self._db.tables.products[product_id] = record
        return record


class FakeReferenceStore:
    def __init__(self, db: FakeDatabase) -> None:
        self._db = db

    def _table(self, kind: Kind) -> dict[int, ReferenceRecord]:
        return self._db.tables.sources if kind == "source" else self._db.tables.dcs

    def get(self, kind: Kind, item_id: int) -> ReferenceRecord | None:
        return self._table(kind).get(item_id)

    def name_taken(self, kind: Kind, name: str, *, except_id: int | None) -> bool:
        table = self._table(kind)
        return any(r.name.lower() == name.lower() and r.id != except_id for r in table.values())

    def _store(self, kind: Kind, record: ReferenceRecord) -> ReferenceRecord:
        if any(r.name == record.name and r.id != record.id for r in self._table(kind).values()):
            raise Conflict("name_taken", "Такое название уже есть")
        self._table(kind)[record.id] = record
        return record

    def insert(self, kind: Kind, name: str, source_id: int | None) -> ReferenceRecord:
        new_id = self._db.tables.new_id(kind)
        return self._store(kind, ReferenceRecord(new_id, name, True, source_id))

    def update(
        self, kind: Kind, item_id: int, name: str, is_active: bool, source_id: int | None
    ) -> ReferenceRecord:
        return self._store(kind, ReferenceRecord(item_id, name, is_active, source_id))


# --- Users (core.users.ports) ---


class FakeUserStore:
    """Sign-in: the users and the failed sign-in counters."""

    def __init__(self, db: FakeDatabase) -> None:
        self._db = db

    def find(self, username: str) -> StoredUser | None:
        users = self._db.tables.users.values()
        return next((u for u in users if u.username == username), None)

    def get(self, user_id: int) -> StoredUser | None:
        return self._db.tables.users.get(user_id)

    def reserve(
        self, counters: Sequence[Counter], now: datetime, window: timedelta
    ) -> list[Attempt] | None:
        before = self._db.tables.throttle.copy()  # all or none
        throttle = self._db.tables.throttle
        attempts = []
        for counter in sorted(counters, key=lambda c: (c.username, c.address)):
            failures, until = throttle.get((counter.username, counter.address), (0, now))
            expired = until <= now  # the count (or the lock) is over: start again
            if not expired and failures >= counter.limit:
                self._db.tables.throttle = before
                return None
            counted = 1 if expired else failures + 1
            if expired or counted >= counter.limit:  # a new count, or a new lock
                until = now + window
            throttle[(counter.username, counter.address)] = (counted, until)
            attempts.append(Attempt(counter, counted))
        return attempts

    def release(self, attempts: Sequence[Attempt], now: datetime) -> None:
        throttle = self._db.tables.throttle
        for attempt in attempts:
            counter = attempt.counter
            key = (counter.username, counter.address)
            failures, until = throttle.get(key, (0, now))
            # not locked, or locked by this attempt itself (no one counted since)
            if failures > 0 and (failures < counter.limit or failures == attempt.failures):
                throttle[key] = (0 if counter.forgive else failures - 1, until)
        for key, (_, until) in list(throttle.items()):
            if until < now - STALE:
                del throttle[key]


class FakeUserAdminStore:
    def __init__(self, db: FakeDatabase) -> None:
        self._db = db

    def get(self, user_id: int) -> UserRecord | None:
        u = self._db.tables.users.get(user_id)
        return UserRecord(u.id, u.username, u.full_name, u.role, u.is_active) if u else None

    def password_hash(self, user_id: int) -> str:
        return self._db.tables.users[user_id].password_hash

    def username_taken(self, username: str) -> bool:
        return FakeUserStore(self._db).find(username) is not None

    def active_admins(self) -> int:
        users = self._db.tables.users.values()
        return sum(1 for u in users if u.role == "admin" and u.is_active)

    def insert(self, username: str, full_name: str, role: str, password_hash: str) -> UserRecord:
        if self.username_taken(username):
            raise Conflict("username_taken", "Такое имя пользователя уже есть")
        user_id = self._db.tables.new_id("user")
        user = StoredUser(user_id, username, full_name, role, password_hash, True, 0)
        self._db.tables.users[user_id] = user
        return self._record(user_id)

    def update(self, user_id: int, full_name: str, role: str, is_active: bool) -> UserRecord:
        users = self._db.tables.users
        users[user_id] = replace(users[user_id], full_name=full_name, role=role,
                                 is_active=is_active)  # fmt: skip
        return self._record(user_id)

    def set_password(self, user_id: int, password_hash: str) -> int:
        users = self._db.tables.users
        user = users[user_id] = replace(
            users[user_id],
            password_hash=password_hash,
            credentials_version=users[user_id].credentials_version + 1,
        )
        # A new password lifts the user's locks, from every address.
        throttle = self._db.tables.throttle
        for key in [k for k in throttle if k[0] == user.username]:
            del throttle[key]
        return user.credentials_version

    def _record(self, user_id: int) -> UserRecord:
        record = self.get(user_id)
        assert record is not None
        return record
