"""The callbacks' log lines (ui.logs) against real HTTP services: each event's lines carry
its event_id, the order's marketplace id and the task; a service down is one WARNING for
the outage (not one per retry round), its return an INFO line; a refusal an ERROR."""

from data.database import Database
from tests.http_service import Behaviour, http_service
from tests.integration.test_callbacks import dispatcher, packed_for_cdek, settings
from tests.log_capture import captured_logs


def test_callback_lines_carry_the_event_and_the_outage_is_said_once(db: Database) -> None:
    with http_service() as listings, http_service(Behaviour(down=True)) as delivery:
        d, _ = dispatcher(db, settings(listings, delivery, callback_attempts=1))
        order, task_id = packed_for_cdek(db)
        with captured_logs() as out:
            assert not d.round() and not d.round()  # the delivery service is down
            delivery.behaviour.down = False
            assert d.round()
    lines = [line for line in out.lines() if line["logger"] == "data.events.callbacks"]
    told = next(line for line in lines if line["event"] == "callback listings: delivered")
    assert (told["level"], told["external_id"], told["task_id"]) == (
        "info", order.external_id, task_id)  # fmt: skip
    assert told["event_id"].startswith("wms-") and told["event_type"] == "packing.completed"
    down = [line for line in lines if line["level"] == "warning"]
    assert len(down) == 1 and down[0]["event"].startswith("callback delivery: the service")
    assert down[0]["external_id"] == order.external_id
    back = [line["event"] for line in lines if line["event"].startswith("callback delivery")]
    assert back[1:] == ["callback delivery: the service answers again",
                        "callback delivery: delivered"]  # fmt: skip


def test_a_refused_callback_is_an_error(db: Database) -> None:
    with http_service(Behaviour(status=404)) as listings:
        d, _ = dispatcher(db, settings(listings, None))
        order, _ = packed_for_cdek(db)
        with captured_logs() as out:
            assert d.round()
    (refused,) = [line for line in out.lines() if line["level"] == "error"]
    assert refused["event"].startswith("callback listings: refused")
    assert refused["external_id"] == order.external_id and refused["event_id"]
