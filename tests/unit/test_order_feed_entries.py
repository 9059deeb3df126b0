"""An order feed entry's fields (DESIGN.md §7) read into the order it asks for, or refused
as malformed (dead-lettered at once) with a message saying which field is wrong."""

import json

import pytest

from core.orders.feed import FeedCancel, FeedConfirm, MalformedEntry, parse_entry
from core.orders.orders import LineRequest
from core.orders.ports import ShipTo


def confirm(**fields: str) -> dict[str, str]:
    items = json.dumps([{"barcode": "4600000000017", "quantity": 2}])
    base = {"type": "order.confirmed", "order_id": "WB-1", "source": "Wildberries", "items": items}
    return {**base, **fields}


def test_a_confirm_with_only_the_required_fields_is_a_normal_customer_order() -> None:
    entry = parse_entry(confirm())
    assert entry == FeedConfirm("WB-1", "Wildberries", (LineRequest(2, barcode="4600000000017"),))
    assert (entry.kind, entry.priority, entry.carrier, entry.ship_to) == (
        "customer", "normal", None, None
    )  # fmt: skip


def test_a_confirm_carries_its_optional_fields() -> None:
    ship_to = json.dumps({"name": "Иван", "postal_code": 101000, "extra": "ignored"})
    entry = parse_entry(confirm(kind="supply", priority="urgent", carrier="cdek",
                                ship_to=ship_to, distribution_center="WB Коледино"))  # fmt: skip
    assert isinstance(entry, FeedConfirm)
    assert (entry.kind, entry.priority, entry.carrier) == ("supply", "urgent", "cdek")
    assert entry.ship_to == ShipTo(name="Иван", postal_code="101000")
    assert entry.distribution_center == "WB Коледино"


def test_a_cancel_needs_the_order_and_its_source() -> None:
    fields = {"type": "order.cancelled", "order_id": "WB-1", "source": "Ozon", "reason": " x "}
    assert parse_entry(fields) == FeedCancel("WB-1", "Ozon", "x")


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"type": "order.created"}, "Неизвестный тип события 'order.created'"),
        (confirm(order_id=" "), "Нет поля order_id"),
        (confirm(source=""), "Нет поля source"),
        (confirm(items="[{"), "Поле items: не JSON"),
        (confirm(items="[]"), "Поле items: нужен непустой список строк"),
        (confirm(items='{"barcode": "1"}'), "Поле items: нужен непустой список строк"),
        (confirm(items='["1"]'), "items[1]: нужен объект"),
        (confirm(items='[{"quantity": 1}]'), "items[1]: нет штрихкода"),
        (confirm(items='[{"barcode": "1", "quantity": 0}]'), "items[1]: количество"),
        (confirm(items='[{"barcode": "1", "quantity": "2"}]'), "items[1]: количество"),
        (confirm(kind="retail"), "Поле kind: неизвестное значение 'retail'"),
        (confirm(priority="asap"), "Поле priority: неизвестное значение 'asap'"),
        (confirm(ship_to='"Москва"'), "Поле ship_to: нужен объект"),
    ],
)
def test_a_malformed_entry_says_what_is_wrong(fields: dict[str, str], message: str) -> None:
    with pytest.raises(MalformedEntry) as raised:
        parse_entry(fields)
    assert raised.value.message.startswith(message)
    assert raised.value.code == "malformed_entry"
