"""Movements over the API: posting (idempotent), the journal and reversal."""

from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import jsonschema_rs
import psycopg
import pytest
import sqlalchemy as sa
from nicegui.testing import User

import core.stock.movements
from core.errors import ValidationError
from core.settings import get_settings
from data.database import Database
from data.stock.locations import internal_locations
from data.uow import SqlUnitOfWork
from tests.api_client import Api, assert_error, signed_in
from tests.conftest import BACKENDS, POSTGRES_URL, DatabaseFactory
from tests.helpers import dc_id, source_id, stock
from ui.api.movements import moment

MOSCOW = ZoneInfo("Europe/Moscow")


def ledger_rows(db: Database) -> int:
    with db.engine.connect() as conn:
        return conn.execute(sa.text("SELECT count(*) FROM movement")).scalar_one()


async def admin_with_product(visitor: User, db: Database) -> tuple[Api, int]:
    api = await signed_in(visitor.http_client, db)
    return api, (await api.new_product())["id"]


async def test_a_receipt_is_201_with_the_movement(visitor: User, app_database: Database) -> None:
    api, product = await admin_with_product(visitor, app_database)
    response = await api.move("RECEIPT", product, 12, notes="Поставка 7")
    assert response.status_code == 201
    movement = response.json()
    assert {k: movement[k] for k in ("operation_type", "product_id", "quantity", "user")} == {
        "operation_type": "RECEIPT",
        "product_id": product,
        "quantity": 12,
        "user": "admin",
    }
    assert movement["notes"] == "Поставка 7"
    assert movement["reversal_of"] is None
    assert movement["source_id"] is None and movement["distribution_center_id"] is None
    assert movement["created_at"].endswith("Z")  # ISO 8601 in UTC
    assert movement["from_location"] == "VENDOR" and movement["to_location"] == "MAIN"
    assert stock(app_database, product)["good"] == 12


async def test_a_retry_with_the_same_key_is_applied_once(
    visitor: User, app_database: Database
) -> None:
    api, product = await admin_with_product(visitor, app_database)
    first = await api.move("RECEIPT", product, 5, key="delivery-42")
    again = await api.move("RECEIPT", product, 5, key="delivery-42")
    assert (first.status_code, again.status_code) == (201, 200)
    assert again.json() == first.json()
    assert ledger_rows(app_database) == 1
    assert stock(app_database, product)["good"] == 5


async def test_a_key_reused_for_another_request_is_409(
    visitor: User, app_database: Database
) -> None:
    api, product = await admin_with_product(visitor, app_database)
    await api.move("RECEIPT", product, 5, key="k-1")
    other = await api.move("RECEIPT", product, 6, key="k-1")
    assert_error(other, 409, "idempotency_key_reused")
    assert ledger_rows(app_database) == 1


async def test_without_a_key_each_post_is_a_new_movement(
    visitor: User, app_database: Database
) -> None:
    api, product = await admin_with_product(visitor, app_database)
    await api.move("RECEIPT", product, 5)
    await api.move("RECEIPT", product, 5)
    assert stock(app_database, product)["good"] == 10


async def test_the_product_may_be_named_by_barcode(visitor: User, app_database: Database) -> None:
    api = await signed_in(visitor.http_client, app_database)
    product = await api.new_product()
    body = {"operation_type": "RECEIPT_DEFECT", "barcode": product["barcode"], "quantity": 2}
    response = await api.post("/movements", json=body)
    assert response.status_code == 201
    assert response.json()["product_id"] == product["id"]
    assert stock(app_database, product["id"])["defect"] == 2


async def test_shortage_is_409_and_changes_nothing(visitor: User, app_database: Database) -> None:
    api, product = await admin_with_product(visitor, app_database)
    await api.move("RECEIPT", product, 3)
    dc = dc_id(app_database)
    short = await api.move("SHIPMENT_RC", product, 4, distribution_center_id=dc)
    error = assert_error(short, 409, "insufficient_stock")
    assert error["message"] == "Недостаточно товара для отгрузки: доступно 3, запрошено 4"
    assert stock(app_database, product)["good"] == 3
    shipped = await api.move("SHIPMENT_RC", product, 3, distribution_center_id=dc)
    assert shipped.status_code == 201
    assert shipped.json()["source_id"] == source_id(app_database)  # the DC's marketplace


async def test_what_an_operation_needs_is_checked_by_core(
    visitor: User, app_database: Database
) -> None:
    api, product = await admin_with_product(visitor, app_database)
    assert_error(await api.move("SHIPMENT_RC", product, 1), 422, "distribution_center_required")
    assert_error(await api.move("RETURN_PICKUP", product, 1), 422, "source_required")
    assert_error(await api.move("BOGUS", product, 1), 422, "unknown_operation")
    assert_error(await api.move("RECEIPT", product, 0), 422, "invalid_quantity")
    assert_error(await api.move("RECEIPT", product, 10**12), 422, "quantity_too_large")
    # Not a whole number, however it is spelled: refused, nothing booked as 2 or 25. (2.0 is
    # JSON Schema's integer 2: see test_a_whole_quantity_written_as_5_0_is_5.)
    for not_whole in ("2,5", "2.5", 2.5, "25", "1e3"):
        refused = await api.move("RECEIPT", product, not_whole)  # type: ignore[arg-type]
        assert refused.status_code == 422, not_whole
        assert refused.json()["error"]["field"] == "quantity", not_whole
    assert stock(app_database, product)["good"] == 0
    assert_error(await api.move("RECEIPT", 999_999, 1), 422, "product_not_found")
    returned = await api.move("RETURN_PICKUP", product, 1, source_id=source_id(app_database))
    assert returned.status_code == 201
    assert ledger_rows(app_database) == 1


async def test_adjustment_gain_and_loss(visitor: User, app_database: Database) -> None:
    api, product = await admin_with_product(visitor, app_database)
    gain = await api.move(
        "ADJUSTMENT", product, 7, warehouse="MAIN", direction="gain", notes="пересчёт"
    )
    assert gain.status_code == 201
    loss = await api.move(
        "ADJUSTMENT", product, 2, warehouse="MAIN", direction="loss", notes="пересчёт"
    )
    assert loss.status_code == 201
    assert stock(app_database, product)["good"] == 5
    no_reason = await api.move("ADJUSTMENT", product, 1, warehouse="MAIN", direction="gain")
    assert_error(no_reason, 422, "reason_required")
    no_direction = await api.move("ADJUSTMENT", product, 1, warehouse="MAIN", notes="x")
    assert_error(no_direction, 422, "invalid_direction")


async def test_transfer_between_internal_locations(visitor: User, app_database: Database) -> None:
    api, product = await admin_with_product(visitor, app_database)
    await api.move("RECEIPT", product, 4)
    locations = {row["code"]: row["id"] for row in internal_locations(app_database.engine)}
    moved = await api.move(
        "TRANSFER", product, 3, from_location_id=locations["MAIN"],
        to_location_id=locations["DEFECT"],
    )  # fmt: skip
    assert moved.status_code == 201
    assert moved.json()["from_location_id"] == locations["MAIN"]
    assert stock(app_database, product) == {"good": 1, "defect": 3, "reserved": 0, "available": 1}
    no_target = await api.move("TRANSFER", product, 1, from_location_id=locations["MAIN"])
    assert_error(no_target, 422, "locations_required")


async def test_journal_is_newest_first_with_filters_and_paging(
    visitor: User, app_database: Database
) -> None:
    api, mug = await admin_with_product(visitor, app_database)
    plate = (await api.new_product())["id"]
    ids = [
        (await api.move(op, product, qty)).json()["id"]
        for op, product, qty in [
            ("RECEIPT", mug, 5), ("RECEIPT", plate, 6), ("WRITE_OFF", mug, 1),
        ]
    ]  # fmt: skip
    everything = (await api.get("/movements")).json()
    assert everything["total"] == 3
    assert [m["id"] for m in everything["items"]] == ids[::-1]
    assert everything["items"][0]["user"] == "admin"
    receipts = (await api.get("/movements", params={"operation_type": "RECEIPT"})).json()
    assert [m["id"] for m in receipts["items"]] == [ids[1], ids[0]]
    of_mug = (await api.get("/movements", params={"product_id": mug})).json()
    assert [m["id"] for m in of_mug["items"]] == [ids[2], ids[0]]
    page = (await api.get("/movements", params={"limit": 1, "offset": 1})).json()
    assert (page["total"], [m["id"] for m in page["items"]]) == (3, [ids[1]])
    one = await api.get(f"/movements/{ids[0]}")
    assert one.json() == everything["items"][2]
    assert_error(await api.get("/movements/999"), 404, "movement_not_found")
    assert_error(await api.get("/movements", params={"operation_type": "X"}), 422)


async def test_journal_dates_are_days_in_the_warehouse_time_zone(
    visitor: User, app_database: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    api, product = await admin_with_product(visitor, app_database)
    # 22:30 UTC on 31 May is already 01:30 on 1 June in Moscow.
    late = datetime(2024, 5, 31, 22, 30, tzinfo=UTC)
    monkeypatch.setattr(core.stock.movements, "now_utc", lambda: late)
    posted = (await api.move("RECEIPT", product, 1)).json()["id"]

    async def found(**params: str) -> bool:
        response = await api.get("/movements", params=params)
        assert response.status_code == 200, response.text
        return [m["id"] for m in response.json()["items"]] == [posted]

    assert await found(date_from="2024-06-01", date_to="2024-06-01")
    assert not await found(date_to="2024-05-31")
    assert not await found(date_from="2024-06-02")
    assert await found(date_from="2024-06-01T01:30:00", date_to="2024-06-01T01:30:00")
    assert not await found(date_from="2024-06-01T01:30:01")
    assert await found(date_to="2024-05-31T22:30:00Z")
    assert not await found(date_to="2024-05-31T22:29:59+00:00")
    bad = await api.get("/movements", params={"date_from": "31.05.2024"})
    assert assert_error(bad, 422, "invalid_date")["field"] == "date_from"


def test_date_bounds() -> None:
    assert moment("2024-05-31", "d", MOSCOW, end=False) == datetime(2024, 5, 30, 21, tzinfo=UTC)
    assert moment("2024-05-31", "d", MOSCOW, end=True) == datetime(2024, 5, 31, 21, tzinfo=UTC)
    assert moment("9999-12-31", "d", MOSCOW, end=True) is None  # no upper bound
    assert moment(" ", "d", MOSCOW, end=False) is None
    with pytest.raises(ValidationError):
        moment("2024-13-01", "d", MOSCOW, end=False)


async def test_reverse_books_the_mirror_image_once(visitor: User, app_database: Database) -> None:
    api, product = await admin_with_product(visitor, app_database)
    receipt = (await api.move("RECEIPT", product, 5)).json()
    reversed_ = await api.post(f"/movements/{receipt['id']}/reverse", json={"notes": "ошибка"})
    assert reversed_.status_code == 201
    mirror = reversed_.json()
    assert mirror["reversal_of"] == receipt["id"]
    assert (mirror["from_location_id"], mirror["to_location_id"]) == (
        receipt["to_location_id"],
        receipt["from_location_id"],
    )
    assert mirror["notes"] == "ошибка"
    assert stock(app_database, product)["good"] == 0
    assert (await api.get(f"/movements/{receipt['id']}")).json()["is_reversed"] is True
    again = await api.post(f"/movements/{receipt['id']}/reverse")
    assert_error(again, 409, "already_reversed")
    of_reversal = await api.post(f"/movements/{mirror['id']}/reverse")
    assert_error(of_reversal, 409, "cannot_reverse_reversal")
    assert_error(await api.post("/movements/999/reverse"), 404, "movement_not_found")
    assert ledger_rows(app_database) == 2


async def test_reverse_is_refused_when_the_stock_is_gone(
    visitor: User, app_database: Database
) -> None:
    api, product = await admin_with_product(visitor, app_database)
    receipt = (await api.move("RECEIPT", product, 5)).json()
    await api.move("WRITE_OFF", product, 4)
    refused = await api.post(f"/movements/{receipt['id']}/reverse")
    assert_error(refused, 409, "insufficient_stock")
    assert stock(app_database, product) == {"good": 1, "defect": 4, "reserved": 0, "available": 1}


async def test_a_retried_reverse_returns_the_same_reversal(
    visitor: User, app_database: Database
) -> None:
    api, product = await admin_with_product(visitor, app_database)
    receipt = (await api.move("RECEIPT", product, 5)).json()
    headers = {"Idempotency-Key": "undo-1"}
    first = await api.post(f"/movements/{receipt['id']}/reverse", headers=headers)
    again = await api.post(f"/movements/{receipt['id']}/reverse", headers=headers)
    assert (first.status_code, again.status_code) == (201, 200)
    assert again.json()["id"] == first.json()["id"]
    assert ledger_rows(app_database) == 2


# --- Idempotency keys are each user's own ---


async def test_another_users_equal_key_books_their_own_movement(
    visitor: User, app_database: Database
) -> None:
    alice, product = await admin_with_product(visitor, app_database)
    bob = await signed_in(visitor.http_client, app_database, "manager")
    first = await alice.move("RECEIPT", product, 5, key="delivery-1")
    bobs = await bob.move("RECEIPT", product, 5, key="delivery-1")
    assert (first.status_code, bobs.status_code) == (201, 201)
    assert bobs.json()["id"] != first.json()["id"]
    assert bobs.json()["user"].startswith("manager-")
    # Bob's key may even carry another request: it is not Alice's key.
    assert (await bob.move("RECEIPT", product, 7, key="k-2")).status_code == 201
    assert (await alice.move("RECEIPT", product, 1, key="k-2")).status_code == 201
    again = await alice.move("RECEIPT", product, 5, key="delivery-1")
    assert again.status_code == 200 and again.json() == first.json()
    assert stock(app_database, product)["good"] == 18
    assert ledger_rows(app_database) == 4


# --- The answer after a commit is built from the transaction, not read back ---


async def test_the_answer_to_a_posting_is_the_journal_entry(
    visitor: User, app_database: Database
) -> None:
    api, product = await admin_with_product(visitor, app_database)
    main, defect = (internal_locations(app_database.engine)[i]["id"] for i in (0, 1))
    answers = [
        await api.move("RECEIPT", product, 10, notes="  поставка  "),
        await api.move("SHIPMENT_RC", product, 2, distribution_center_id=dc_id(app_database)),
        await api.move("RETURN_PICKUP", product, 1, source_id=source_id(app_database)),
        await api.move("ADJUSTMENT", product, 1, warehouse="DEFECT", direction="gain",
                       notes="пересчёт"),
        await api.move("TRANSFER", product, 1, from_location_id=main, to_location_id=defect),
    ]  # fmt: skip
    answers.append(await api.post(f"/movements/{answers[0].json()['id']}/reverse"))
    for answer in answers:
        assert answer.status_code == 201, answer.text
        body = answer.json()
        if body["id"] == answers[0].json()["id"]:
            body["is_reversed"] = True  # by the reversal, since
        assert body == (await api.get(f"/movements/{body['id']}")).json()
    assert answers[1].json()["source_name"] and answers[1].json()["distribution_center_name"]


@pytest.fixture(params=BACKENDS)
def app_db(
    request: pytest.FixtureRequest,
    app_database: Database,
    tmp_path: Path,
    sqlite_template: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> Database:
    """The app's database: the SQLite copy, or PostgreSQL when WMS_TEST_POSTGRES_URL is set."""
    if request.param == "sqlite":
        return app_database
    engine = request.getfixturevalue("postgres_engine")
    db = DatabaseFactory("postgres", tmp_path, sqlite_template, lambda: engine).fresh()
    monkeypatch.setenv("WMS_DATABASE_URL", POSTGRES_URL)
    get_settings.cache_clear()
    return db


def _terminate_other_backends(engine: sa.Engine) -> None:
    """pg_terminate_backend on every connection to the database but the ledger watch's,
    from a connection of our own, waiting until each has ended."""
    conninfo = engine.url.set(drivername="postgresql").render_as_string(hide_password=False)
    with psycopg.connect(conninfo, autocommit=True) as conn:
        conn.execute(
            "SELECT pg_terminate_backend(pid, 5000) FROM pg_stat_activity "
            "WHERE datname = current_database() AND pid <> pg_backend_pid() "
            "AND application_name <> 'wms-ledger-watch'"
        )


def lose_connections_after_each_commit(monkeypatch: pytest.MonkeyPatch, db: Database) -> None:
    """From now on, right after a unit of work commits, the app loses its database: on
    PostgreSQL its connections are terminated; on SQLite every later statement fails."""
    commit: Callable[[SqlUnitOfWork], None] = SqlUnitOfWork.commit

    def gone(*_args: Any) -> None:
        raise sa.exc.OperationalError("SELECT", {}, Exception("the database has gone away"))

    def commit_then_lose(self: SqlUnitOfWork) -> None:
        commit(self)
        if self._engine.dialect.name == "postgresql":
            _terminate_other_backends(self._engine)
        elif not sa.event.contains(self._engine, "before_cursor_execute", gone):
            sa.event.listen(self._engine, "before_cursor_execute", gone)

    monkeypatch.setattr(SqlUnitOfWork, "commit", commit_then_lose)


def booked(db: Database, movement_id: int) -> dict[str, Any] | None:
    db.engine.dispose()  # PostgreSQL: the test's own pooled connections were terminated too
    with db.engine.connect() as conn:
        query = sa.text("SELECT product_id, quantity, reversal_of FROM movement WHERE id = :i")
        row = conn.execute(query, {"i": movement_id}).mappings().first()
    return dict(row) if row else None


async def test_a_movement_committed_before_the_connections_die_is_answered_201(
    app_db: Database, visitor: User, monkeypatch: pytest.MonkeyPatch
) -> None:
    api, product = await admin_with_product(visitor, app_db)
    lose_connections_after_each_commit(monkeypatch, app_db)
    response = await api.move("RECEIPT", product, 7)  # no key: a retry would book it twice
    assert response.status_code == 201, response.text
    movement = response.json()
    assert (movement["product_id"], movement["quantity"], movement["user"]) == (product, 7, "admin")
    assert booked(app_db, movement["id"]) == {"product_id": product, "quantity": 7,
                                             "reversal_of": None}  # fmt: skip
    assert stock(app_db, product)["good"] == 7


async def test_a_reversal_committed_before_the_connections_die_is_answered_201(
    app_db: Database, visitor: User, monkeypatch: pytest.MonkeyPatch
) -> None:
    api, product = await admin_with_product(visitor, app_db)
    receipt = (await api.move("RECEIPT", product, 4)).json()
    lose_connections_after_each_commit(monkeypatch, app_db)
    response = await api.post(f"/movements/{receipt['id']}/reverse")
    assert response.status_code == 201, response.text
    mirror = response.json()
    assert (mirror["reversal_of"], mirror["quantity"]) == (receipt["id"], 4)
    assert booked(app_db, mirror["id"]) == {"product_id": product, "quantity": 4,
                                           "reversal_of": receipt["id"]}  # fmt: skip
    assert stock(app_db, product)["good"] == 0


# --- The documented request schema says what the API accepts ---


async def test_the_documented_movement_schema_agrees_with_the_api(
    visitor: User, app_database: Database
) -> None:
    api, product = await admin_with_product(visitor, app_database)
    await api.move("RECEIPT", product, 100)
    openapi = (await visitor.http_client.get("/openapi.json")).json()
    schema = jsonschema_rs.validator_for(openapi["components"]["schemas"]["MovementIn"])
    source, dc = source_id(app_database), dc_id(app_database)
    where = {loc["code"]: loc["id"] for loc in internal_locations(app_database.engine)}
    main, defect = where["MAIN"], where["DEFECT"]
    base: dict[str, Any] = {"product_id": product, "quantity": 1}
    bodies: list[dict[str, Any]] = [
        {"operation_type": "RECEIPT"},
        {"operation_type": "RECEIPT", "quantity": 2.0},  # JSON Schema's integer: 2
        {"operation_type": "RECEIPT", "quantity": 2.5},
        {"operation_type": "RECEIPT", "quantity": 0},
        {"operation_type": "RECEIPT", "source_id": source},
        {"operation_type": "RECEIPT", "source_id": None, "notes": "   "},
        {"operation_type": "RECEIPT", "product_id": None},
        {"operation_type": "RECEIPT", "product_id": None, "barcode": "  "},
        {"operation_type": "RETURN_PICKUP"},
        {"operation_type": "RETURN_PICKUP", "source_id": source},
        {"operation_type": "SHIPMENT_RC", "distribution_center_id": dc},
        {"operation_type": "SHIPMENT_RC", "distribution_center_id": dc, "source_id": source},
        {"operation_type": "ADJUSTMENT", "warehouse": "MAIN", "direction": "gain", "notes": "x"},
        {"operation_type": "ADJUSTMENT", "warehouse": "MAIN", "direction": "gain", "notes": " "},
        {"operation_type": "ADJUSTMENT", "warehouse": "main", "direction": "gain", "notes": "x"},
        {"operation_type": "ADJUSTMENT", "warehouse": "MAIN", "notes": "x"},
        {"operation_type": "TRANSFER", "from_location_id": main, "to_location_id": defect},
        {"operation_type": "TRANSFER", "from_location_id": main},
        {"operation_type": "WRITE_OFF", "notes": "x" * 1001},
        {"operation_type": "WRITE_OFF", "notes": " " + "x" * 1000 + " "},  # trimmed: 1000
        {"operation_type": "BOGUS"},
    ]
    for extra in bodies:
        body = {**base, **extra}
        answer = await api.post("/movements", json=body)
        assert answer.status_code in (201, 422), answer.text
        assert schema.is_valid(body) == (answer.status_code == 201), (body, answer.text)


async def test_a_whole_quantity_written_as_5_0_is_5(visitor: User, app_database: Database) -> None:
    api, product = await admin_with_product(visitor, app_database)
    response = await api.move("RECEIPT", product, 5.0)  # type: ignore[arg-type]
    assert response.status_code == 201 and response.json()["quantity"] == 5
    for not_whole in (5.5, "5", True):
        refused = await api.move("RECEIPT", product, not_whole)  # type: ignore[arg-type]
        assert assert_error(refused, 422)["field"] == "quantity"
