"""The unit tier's storage in memory (tests/unit/fakes.py) answers as the database does.

The same repository calls, and the same random sequences of use cases, run on the fake
and on the database (SQLite, and PostgreSQL when configured); every answer and the
stock, the ledger and the outbox after each step must agree. A rule the fake forgets or
gets wrong fails here, not silently in the unit tests that trust it.
"""

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from typing import Any

import pytest
import sqlalchemy as sa
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from core.catalog.ports import ProductData
from core.catalog.products import create_product
from core.errors import DomainError
from core.events import EventType
from core.model import MovementDraft
from core.stock.inventory import CountRequest, post_count
from core.stock.movements import post_movement, reverse_movement
from core.stock.ports import StockUnitOfWork
from core.stock.requests import MovementRequest, Posted
from data.catalog.store import SqlProductStore
from data.database import Database
from data.users.store import SqlUserAdminStore
from tests.conftest import DatabaseFactory
from tests.unit.fakes import FakeDatabase, FakeProductStore

AT = datetime(2026, 3, 2, 9, tzinfo=UTC)
BARCODES = ("4600000000008", "4600000000015")  # valid EAN-13


@dataclass
class Storage:
    """One side of the comparison: its units of work and what a test reads back."""

    unit_of_work: Callable[[], StockUnitOfWork]
    stock: Callable[[], dict[tuple[int, str], tuple[int, int, int]]]  # → q, reserved, version
    ledger_size: Callable[[], int]
    events: Callable[[], list[str]]
    reserve: Callable[[int, str, int], None]  # product #, location code, reserved
    products: list[int] = field(default_factory=list)  # by number
    users: list[int | None] = field(default_factory=list)
    dc: int = 0
    source: int = 0
    movements: list[int] = field(default_factory=list)  # ids, in posting order


def fake_storage() -> Storage:
    fake = FakeDatabase()
    store = FakeProductStore(fake)
    storage = Storage(
        unit_of_work=fake.unit_of_work,
        stock=lambda: {
            (storage.products.index(p), fake.locations[loc].code): (
                q.quantity,
                q.reserved,
                q.version,
            )
            for (p, loc), q in fake.tables.quants.items()
            if q.quantity or q.reserved
        },
        ledger_size=lambda: len(fake.tables.movements),
        events=lambda: [str(event) for event, _ in fake.tables.events],
        reserve=lambda number, code, n: fake.reserve(storage.products[number], code, n),
        users=[None, 101, 102],
        dc=fake.dc_id(),
        source=fake.source_id(),
    )
    storage.products = [create_product(store, _product(code)).id for code in BARCODES]
    return storage


def database_storage(db: Database) -> Storage:
    def rows(sql: str, **params: Any) -> list[Any]:
        with db.engine.begin() as conn:
            result = conn.execute(sa.text(sql), params)
            return list(result.all()) if result.returns_rows else []

    def stock() -> dict[tuple[int, str], tuple[int, int, int]]:
        # The version too: the fake must raise it exactly as the statements do.
        quants = rows(
            "SELECT q.product_id, l.code, q.quantity, q.reserved, q.version FROM quant q "
            "JOIN location l ON l.id = q.location_id WHERE q.quantity > 0 OR q.reserved > 0"
        )
        return {(storage.products.index(p), code): (q, r, v) for p, code, q, r, v in quants}

    def reserve(number: int, code: str, n: int) -> None:
        rows(
            "UPDATE quant SET reserved = :n WHERE product_id = :p AND location_id = "
            "(SELECT id FROM location WHERE code = :c)",
            n=n, p=storage.products[number], c=code,
        )  # fmt: skip

    admin = SqlUserAdminStore(db.engine)  # a hash is not needed: nobody signs in
    storage = Storage(
        unit_of_work=db.unit_of_work,
        stock=stock,
        ledger_size=lambda: rows("SELECT count(*) FROM movement")[0][0],
        events=lambda: [r[0] for r in rows("SELECT event_type FROM outbox_event ORDER BY id")],
        reserve=reserve,
        users=[None, *(admin.insert(f"u{i}", "", "worker", "-").id for i in (1, 2))],
        dc=rows("SELECT id FROM distribution_center WHERE name = 'WB Коледино'")[0][0],
        source=rows("SELECT id FROM source WHERE name = 'Wildberries'")[0][0],
    )
    store = SqlProductStore(db.engine)
    storage.products = [create_product(store, _product(code)).id for code in BARCODES]
    return storage


def _product(barcode: str) -> ProductData:
    return ProductData(sku=f"SKU-{barcode[-3:]}", name=f"Товар {barcode[-3:]}", barcode=barcode)


@pytest.fixture
def both(db: Database) -> list[Storage]:
    return [fake_storage(), database_storage(db)]


# --- The repositories, call by call ---


@contextmanager
def unit(storage: Storage) -> Iterator[StockUnitOfWork]:
    with storage.unit_of_work() as uow:
        yield uow


def test_take_refuses_more_than_the_unreserved_stock_on_both(both: list[Storage]) -> None:
    answers = []
    for storage in both:
        product = storage.products[0]
        with unit(storage) as uow:
            main = uow.stock.location("MAIN").id
            uow.stock.put(product, main, 5, AT)
            uow.commit()
        storage.reserve(0, "MAIN", 3)
        with unit(storage) as uow:
            answers.append(
                (
                    uow.stock.take(product, main, 3),  # only 2 unreserved
                    uow.stock.take(product, main, 2),
                    uow.stock.take(product, uow.stock.location("DEFECT").id, 1),  # no quant
                    uow.stock.on_hand(product, main),
                )
            )
    assert answers[0] == answers[1] == (False, True, False, (3, 3))


def test_keys_are_each_users_own_and_a_movement_is_reversed_once_on_both(
    both: list[Storage],
) -> None:
    answers = []
    for storage in both:
        _, first_user, second_user = storage.users
        with unit(storage) as uow:
            vendor, main = uow.stock.location("VENDOR").id, uow.stock.location("MAIN").id
            receipt = MovementDraft(
                "RECEIPT", storage.products[0], 1, vendor, main, None, None, None, None, None,
                None, None, AT,
            )  # fmt: skip
            first = uow.ledger.add(_as(receipt, "k", first_user))
            assert first is not None
            answers.append(
                (
                    uow.ledger.add(_as(receipt, "k", first_user)) is None,
                    uow.ledger.add(_as(receipt, "k", second_user)) is None,
                    uow.ledger.add(_as(receipt, "k", None)) is None,
                    uow.ledger.add(_as(receipt, None, None, reversal_of=first.id)) is None,
                    uow.ledger.add(_as(receipt, None, None, reversal_of=first.id)) is None,
                    uow.ledger.movement_by_key("k", first_user) == first,
                    uow.ledger.movement(first.id) == first,
                )
            )
    assert answers[0] == answers[1] == (True, False, False, False, True, True, True)


def _as(
    draft: MovementDraft, key: str | None, user: int | None, reversal_of: int | None = None
) -> MovementDraft:
    return replace(draft, idempotency_key=key, user_id=user, reversal_of=reversal_of)


def test_what_a_unit_did_not_commit_is_gone_on_both(both: list[Storage]) -> None:
    for storage in both:
        with unit(storage) as uow:
            uow.stock.put(storage.products[0], uow.stock.location("MAIN").id, 5, AT)
            uow.outbox.add(EventType.MOVEMENT_POSTED, {"created_at": AT.isoformat()})
        assert (storage.stock(), storage.events()) == ({}, [])


def test_events_added_together_keep_their_order_on_both(both: list[Storage]) -> None:
    payload = {"created_at": AT.isoformat()}
    many = [(EventType.PICKING_CREATED, payload), (EventType.MOVEMENT_POSTED, payload),
            (EventType.INVENTORY_RESERVED, payload)]  # fmt: skip
    for storage in both:
        with unit(storage) as uow:
            uow.outbox.add(EventType.PICKING_ASSIGNED, payload)
            uow.outbox.add_many(many)
            uow.commit()
        assert storage.events() == ["picking.assigned", "picking.created", "movement.posted",
                                    "inventory.reserved"]  # fmt: skip


def test_the_catalogs_look_ups_agree(both: list[Storage]) -> None:
    answers = []
    for storage in both:
        with unit(storage) as uow:
            product = uow.catalog.product_by_barcode(BARCODES[1])
            dc = uow.catalog.distribution_center(storage.dc)
            source = uow.catalog.source(storage.source)
            assert product is not None and dc is not None and source is not None
            answers.append(
                (
                    product.id == storage.products[1],
                    (product.sku, product.name, product.barcode, product.is_deleted),
                    (dc.name, dc.is_active, dc.parent_id == storage.source, dc.parent_name),
                    (source.name, source.is_active),
                    uow.catalog.product(10_000),
                    uow.catalog.product_by_barcode("1"),
                    sorted(uow.catalog.products_by_barcode([BARCODES[0], "1", BARCODES[1]])),
                    uow.catalog.distribution_center(10_000),
                )
            )
    assert answers[0] == answers[1]


# --- The use cases on random sequences ---

OPERATIONS = ("RECEIPT", "RECEIPT_DEFECT", "RETURN_PICKUP", "SHIPMENT_RC", "WRITE_OFF",
              "RESTORATION", "UTILIZATION", "ADJUSTMENT", "TRANSFER")  # fmt: skip
products_ = st.integers(0, len(BARCODES) - 1)
keys = st.sampled_from([None, "a", "b"])
users = st.integers(0, 2)
steps = st.one_of(
    st.tuples(st.just("post"), st.sampled_from(OPERATIONS), products_, st.integers(1, 8),
              keys, users, st.booleans()),
    st.tuples(st.just("reverse"), st.integers(0, 30), keys, users),
    st.tuples(st.just("count"), products_, st.sampled_from(["MAIN", "DEFECT"]),
              st.integers(0, 12), keys),
    st.tuples(st.just("reserve"), products_, st.sampled_from(["MAIN", "DEFECT"]),
              st.integers(0, 4)),
)  # fmt: skip


def _request(storage: Storage, op: str, number: int, quantity: int, key: Any, flag: bool) -> Any:
    fields: dict[str, Any] = {}
    if op == "RETURN_PICKUP":
        fields["source_id"] = storage.source
    elif op == "SHIPMENT_RC":
        fields["distribution_center_id"] = storage.dc
    elif op == "ADJUSTMENT":  # `flag`: gain in MAIN, or loss in DEFECT
        fields.update(warehouse="MAIN" if flag else "DEFECT", notes="пересчёт",
                      direction="gain" if flag else "loss")  # fmt: skip
    elif op == "TRANSFER":
        with unit(storage) as uow:
            main, defect = uow.stock.location("MAIN").id, uow.stock.location("DEFECT").id
        fields.update(from_location_id=main if flag else defect,
                      to_location_id=defect if flag else main)  # fmt: skip
    return MovementRequest(op, quantity, product_id=storage.products[number],
                           idempotency_key=key, **fields)  # fmt: skip


def _outcome(storage: Storage, posted: Posted) -> tuple[Any, ...]:
    m = posted.movement
    if not posted.replayed:
        storage.movements.append(m.id)
    number = storage.movements.index(m.id)  # ids differ between backends; order does not
    target = storage.movements.index(m.reversal_of) if m.reversal_of is not None else None
    names = posted.names
    said = (names.from_location, names.to_location, names.sku) if names else None
    notes = m.notes  # a reversal's default note names the id: compare the order instead
    if m.reversal_of is not None and notes:
        notes = notes.replace(f"№{m.reversal_of}", f"of #{target}")
    return ("posted", number, m.operation_type, m.quantity, notes, target, posted.replayed,
            said)  # fmt: skip


def _step(storage: Storage, step: tuple[Any, ...]) -> tuple[Any, ...]:
    try:
        if step[0] == "post":
            _, op, number, quantity, key, user, flag = step
            request = _request(storage, op, number, quantity, key, flag)
            posted = post_movement(storage.unit_of_work(), request, user_id=storage.users[user])
            return _outcome(storage, posted)
        if step[0] == "reverse":
            _, index, key, user = step
            if not storage.movements:
                return ("nothing to reverse",)
            target = storage.movements[index % len(storage.movements)]
            posted = reverse_movement(storage.unit_of_work(), target, user_id=storage.users[user],
                                      idempotency_key=key, at=AT)  # fmt: skip
            return _outcome(storage, posted)
        if step[0] == "count":
            _, number, warehouse, counted, key = step
            request = CountRequest(storage.products[number], warehouse, counted, notes="пересчёт",
                                   idempotency_key=key)  # fmt: skip
            result = post_count(storage.unit_of_work, request, user_id=None)
            posted = _outcome(storage, result.posted) if result.posted else None
            return ("counted", result.stock, result.counted, posted)
        _, number, code, reserved = step
        quantity = storage.stock().get((number, code), (0, 0))[0]
        storage.reserve(number, code, min(reserved, quantity))
        return ("reserved",)
    except DomainError as error:
        return ("refused", error.code, error.message)


def test_random_use_cases_answer_and_leave_the_same_on_the_fake_and_the_database(
    databases: DatabaseFactory,
) -> None:
    @settings(
        max_examples=20,
        deadline=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
    )
    @given(st.lists(steps, min_size=1, max_size=25))
    def check(sequence: list[tuple[Any, ...]]) -> None:
        fake, real = fake_storage(), database_storage(databases.fresh())
        for step in sequence:
            assert _step(fake, step) == _step(real, step), step
            assert fake.stock() == real.stock(), step
            assert fake.ledger_size() == real.ledger_size(), step
            assert fake.events() == real.events(), step

    check()
