"""The outbox relay (data.events.relay) against a real Redis, on SQLite and PostgreSQL:
every event kind of DESIGN.md §7 in its stream with exactly its fields, all strings; a
stable event_id that a re-publish repeats; per-stream order = outbox order; Redis
stopped in a burst and restarted (nothing lost, balances untouched); two relays at once."""

import json
import signal
import subprocess
import sys
import threading
import time
from datetime import UTC, datetime
from pathlib import Path

import pytest
import redis
import sqlalchemy as sa

from core.events import CONTRACT
from core.floor.putaway import PutawayRequest, put_away
from data.database import Database
from data.events.relay import Relay, connect, run_forever, unpublished_count
from data.floor.putaway import SqlPutawayStore
from tests.conftest import make_product
from tests.floor import make_bin
from tests.helpers import post, stock
from tests.orders import cancel, place
from tests.packing import package, packed, picked_order, ship, started
from tests.picking import stock_bin
from tests.redis_server import STREAMS, event_redis, free_port, own_redis

BASE = {"type", "event_id", "timestamp"}
ROOT = Path(__file__).resolve().parents[2]


def entries(client: redis.Redis, stream: str) -> list[dict[str, str]]:
    return [fields for _, fields in client.xrange(stream)]  # type: ignore[union-attr]


def everything(client: redis.Redis) -> list[dict[str, str]]:
    return [f for s in STREAMS for f in entries(client, s)]


def outbox(db: Database) -> list[tuple[int, str, dict[str, str]]]:
    with db.engine.connect() as conn:
        rows = conn.execute(sa.text("SELECT id, event_type, payload FROM outbox_event "
                                    "ORDER BY id")).all()  # fmt: skip
    return [(r[0], r[1], json.loads(r[2])) for r in rows]


def a_day_on_the_floor(db: Database) -> dict[str, str]:
    """One of every §7 event: an order picked, packed and shipped; another cancelled; a
    receipt put away; a transfer between bins. The names the events should carry."""
    product, spare = make_product(db), make_product(db)
    order = picked_order(db, [(product, 2)], external_id="EXT-1")
    task_id = order.packing_task_id or 0
    started(db, task_id)
    package(db, task_id, [(product, 2)])
    packed(db, task_id)
    ship(db, task_id, tracking="TRK-9")
    bin_a, bin_b = make_bin(db, "A-01"), make_bin(db, "A-02")
    stock_bin(db, spare, 5, bin_a)
    gone = place(db, [(spare, 1)], external_id="EXT-2")
    cancel(db, gone.id, "Покупатель передумал")
    post(db, "RECEIPT", spare, 3)
    put_away(db.unit_of_work, SqlPutawayStore(db.engine), PutawayRequest(spare, "A-02", 3),
             user_id=None)  # fmt: skip
    post(db, "TRANSFER", spare, 1, from_location_id=bin_a, to_location_id=bin_b)
    with db.engine.connect() as conn:
        barcode = conn.execute(sa.text("SELECT barcode FROM product WHERE id = :p"),
                               {"p": product}).scalar_one()  # fmt: skip
    return {"order": "EXT-1", "barcode": barcode, "task": str(task_id)}


def test_every_event_kind_lands_in_its_stream_with_exactly_its_fields(db: Database) -> None:
    client = event_redis()
    names = a_day_on_the_floor(db)
    assert Relay(db.engine, client).drain() == len(outbox(db))
    assert unpublished_count(db.engine) == 0
    seen: set[str] = set()
    for stream in STREAMS:
        for fields in entries(client, stream):
            kind = fields["type"]
            want_stream, want_fields = CONTRACT[kind]
            assert stream == want_stream
            assert set(fields) == BASE | set(want_fields), kind
            assert all(isinstance(v, str) and v != "" for v in fields.values()), fields
            assert fields["event_id"].startswith("wms-") and int(fields["timestamp"]) > 0
            seen.add(kind)
    assert seen == set(CONTRACT)
    picking = entries(client, "wms:events:picking")
    assert {f["order_id"] for f in picking} == {"EXT-1", "EXT-2"}  # external ids
    [shipped] = entries(client, "wms:events:shipment")
    assert (shipped["shipment_id"], shipped["order_id"], shipped["tracking_number"]) == (
        names["task"], "EXT-1", "TRK-9",
    )  # fmt: skip
    reserved = [f for f in entries(client, "wms:events:inventory")
                if f["type"] == "inventory.reserved" and f["order_id"] == "EXT-1"]  # fmt: skip
    assert [(f["listing_id"], f["quantity"], f["warehouse_id"]) for f in reserved] == [
        (names["barcode"], "2", "MAIN"),
    ]  # fmt: skip
    released = [f for f in entries(client, "wms:events:inventory")
                if f["type"] == "inventory.released"]  # fmt: skip
    assert [(f["quantity"], f["reason"]) for f in released] == [("1", "Покупатель передумал")]
    placed = [f for f in entries(client, "wms:events:inventory") if f["type"] == "inventory.placed"]
    # Every MAIN → bin move is a putaway: the picked order's stock, the spare's, the receipt.
    assert [(f["location"], f["quantity"]) for f in placed][1:] == [("A-01", "5"), ("A-02", "3")]
    moved = [f for f in entries(client, "wms:events:inventory") if f["type"] == "inventory.moved"]
    assert ("A-01", "A-02") in [(f["from_location"], f["to_location"]) for f in moved]


def test_a_stream_gets_its_events_in_outbox_order_and_each_once(db: Database) -> None:
    client = event_redis()
    a_day_on_the_floor(db)
    relay = Relay(db.engine, client, batch=3)  # several batches
    relay.drain()
    published = {f"wms-{i}": t for i, t, _ in outbox(db) if t in CONTRACT}
    got = everything(client)
    assert sorted(f["event_id"] for f in got) == sorted(published)
    for stream in STREAMS:
        ids = [int(f["event_id"].removeprefix("wms-")) for f in entries(client, stream)]
        assert ids == sorted(ids)
    assert relay.drain() == 0 and len(everything(client)) == len(got)  # nothing twice


def last_published(db: Database) -> int:
    with db.engine.connect() as conn:
        return conn.execute(sa.text("SELECT coalesce(max(id), 0) FROM outbox_event "
                                    "WHERE published_at IS NOT NULL")).scalar_one()  # fmt: skip


def test_an_event_committed_late_below_the_last_batch_is_published_at_the_next_pass(
    db: Database,
) -> None:
    """The relay reads on past the batch it just marked (a backlog's dead index entries are
    not stepped over again); a lower id that commits meanwhile waits for the next pass."""
    client = event_redis()
    a_day_on_the_floor(db)
    ids = [i for i, t, _ in outbox(db) if t in CONTRACT]
    late = ids[1]
    with db.engine.begin() as conn:  # as if its transaction had not committed yet
        row = conn.execute(sa.text("SELECT * FROM outbox_event WHERE id = :i"),
                           {"i": late}).mappings().one()  # fmt: skip
        conn.execute(sa.text("DELETE FROM outbox_event WHERE id = :i"), {"i": late})
    relay = Relay(db.engine, client, batch=2)
    while last_published(db) < late:
        assert relay.publish_round() == 2
    with db.engine.begin() as conn:  # it commits now, below what was published
        back = {k: row[k] for k in ("id", "event_type", "payload", "created_at")}
        conn.execute(sa.text("INSERT INTO outbox_event (id, event_type, payload, created_at) "
                             "VALUES (:id, :event_type, :payload, :created_at)"), back)  # fmt: skip
    while relay.publish_round():  # reads on to the end, without the late one
        pass
    assert f"wms-{late}" not in {f["event_id"] for f in everything(client)}
    assert unpublished_count(db.engine) == 1
    assert relay.drain() == 1  # the next pass starts from the beginning
    got = sorted(f["event_id"] for f in everything(client))
    assert got == sorted(f"wms-{i}" for i in ids) and unpublished_count(db.engine) == 0


def test_a_crash_after_sending_repeats_the_batch_with_the_same_event_ids(db: Database) -> None:
    client = event_redis()
    product = make_product(db)
    place(db, [(product, 1)], confirm=False)  # no events yet
    stock_bin(db, product, 2, make_bin(db, "C-01"))  # one inventory.placed
    crashing = Relay(db.engine, client)

    def crash() -> None:
        raise RuntimeError("the process dies here")

    crashing.after_send = crash
    with pytest.raises(RuntimeError):
        crashing.drain()
    first = entries(client, "wms:events:inventory")
    assert len(first) == 1 and unpublished_count(db.engine) > 0  # sent, not marked
    Relay(db.engine, client).drain()
    again = entries(client, "wms:events:inventory")
    assert [f["event_id"] for f in again] == [first[0]["event_id"]] * 2  # the same id
    assert again[0] == again[1] and unpublished_count(db.engine) == 0


def test_redis_stopped_in_a_burst_loses_nothing_and_publishing_resumes(
    db: Database, tmp_path: Path
) -> None:
    product = make_product(db)
    bins = [make_bin(db, f"F-{n:02d}") for n in range(4)]
    stock_bin(db, product, 100, bins[0])
    with own_redis(str(tmp_path)) as server:
        client = redis.Redis.from_url(server.url, decode_responses=True)
        relay = Relay(db.engine, connect(server.url), batch=7)
        stop = threading.Event()
        worker = threading.Thread(target=run_forever, args=(relay, stop, 0.01, 0.5))
        worker.start()
        try:
            for n in range(60):  # a burst of transfers between bins
                if n == 20:
                    server.stop()  # the floor keeps posting while Redis is down
                if n == 40:
                    server.start()
                post(db, "TRANSFER", product, 1, from_location_id=bins[n % 4],
                     to_location_id=bins[(n + 1) % 4])  # fmt: skip
            deadline = datetime.now(UTC).timestamp() + 20
            while unpublished_count(db.engine) and datetime.now(UTC).timestamp() < deadline:
                stop.wait(0.05)
        finally:
            stop.set()
            worker.join()
        assert unpublished_count(db.engine) == 0
        want = sorted(f"wms-{i}" for i, t, _ in outbox(db) if t in CONTRACT)
        got = [f["event_id"] for f in entries(client, "wms:events:inventory")]
        assert set(got) == set(want)  # every outbox id arrived (a repeat is allowed)
    assert stock(db, product)["good"] == 100


def test_two_relays_at_once_publish_each_event_once(db: Database) -> None:
    if db.engine.dialect.name != "postgresql":
        pytest.skip("the cross-process lock is PostgreSQL's advisory lock")
    client = event_redis()
    product = make_product(db)
    bins = [make_bin(db, f"T-{n}") for n in range(2)]
    stock_bin(db, product, 300, bins[0])
    for n in range(200):
        post(db, "TRANSFER", product, 1, from_location_id=bins[n % 2],
             to_location_id=bins[(n + 1) % 2])  # fmt: skip
    engines = [sa.create_engine(db.engine.url) for _ in range(2)]
    relays = [Relay(e, connect(_url(client)), batch=10) for e in engines]
    for relay in relays:  # a slow round: the other relay tries while this one holds a batch
        relay.after_send = lambda: time.sleep(0.01)
    threads = [threading.Thread(target=_drain_until_empty, args=(r,)) for r in relays]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    for e in engines:
        e.dispose()
    got = [f["event_id"] for f in everything(client)]
    want = [f"wms-{i}" for i, t, _ in outbox(db) if t in CONTRACT]
    assert sorted(got) == sorted(want) and len(got) == len(set(got))


def test_a_relay_process_killed_mid_batch_loses_nothing_when_started_again(
    db: Database,
) -> None:
    """SIGKILL between a batch's XADDs and its mark: the next process repeats that batch
    with the same event_ids; every event arrives, none is lost, the stock is untouched."""
    client = event_redis()
    product = make_product(db)
    bins = [make_bin(db, f"K-{n}") for n in range(2)]
    stock_bin(db, product, 50, bins[0])
    for n in range(150):
        post(db, "TRANSFER", product, 1, from_location_id=bins[n % 2],
             to_location_id=bins[(n + 1) % 2])  # fmt: skip
    want = {f"wms-{i}" for i, t, _ in outbox(db) if t in CONTRACT}
    command = [sys.executable, "-m", "tests.relay_process",
               db.engine.url.render_as_string(hide_password=False), _url(client)]  # fmt: skip
    process = subprocess.Popen(command, cwd=ROOT)
    try:
        deadline = time.monotonic() + 60
        while client.xlen("wms:events:inventory") < 40:  # partway through
            assert process.poll() is None and time.monotonic() < deadline
            time.sleep(0.005)
        process.send_signal(signal.SIGKILL)
        process.wait()
    finally:
        if process.poll() is None:
            process.kill()
    assert unpublished_count(db.engine) > 0  # killed before the end
    process = subprocess.Popen(command, cwd=ROOT)  # the app started again
    try:
        deadline = time.monotonic() + 60
        while unpublished_count(db.engine):
            assert process.poll() is None and time.monotonic() < deadline
            time.sleep(0.05)
    finally:
        process.kill()
        process.wait()
    got = [f["event_id"] for f in entries(client, "wms:events:inventory")]
    assert set(got) == want  # nothing lost
    assert len(got) - len(want) <= 10  # a repeat: at most the batch the kill interrupted
    assert stock(db, product)["good"] == 50


def _url(client: redis.Redis) -> str:
    kw = client.connection_pool.connection_kwargs
    return f"redis://{kw.get('host', '127.0.0.1')}:{kw.get('port', 6379)}/{kw.get('db', 0)}"


def _drain_until_empty(relay: Relay) -> None:
    while unpublished_count(relay.engine):
        relay.drain()


def test_with_redis_unreachable_the_relay_warns_once_and_the_outbox_waits(
    db: Database, caplog: pytest.LogCaptureFixture
) -> None:
    product = make_product(db)
    stock_bin(db, product, 3, make_bin(db, "D-01"))
    waiting = unpublished_count(db.engine)
    relay = Relay(db.engine, connect(f"redis://127.0.0.1:{free_port()}/0"))
    stop = threading.Event()
    worker = threading.Thread(target=run_forever, args=(relay, stop, 0.01, 0.05))
    with caplog.at_level("WARNING", logger="data.events.relay"):
        worker.start()
        time.sleep(1.0)  # many failed attempts
        stop.set()
        worker.join()
    [warning] = caplog.records  # once for the whole outage
    assert "publishing paused" in warning.message
    assert unpublished_count(db.engine) == waiting > 0
