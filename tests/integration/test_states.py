"""The declarative state-machine helper and the machines of DESIGN.md §2."""

import itertools

import pytest

from core.errors import IllegalTransition
from core.floor.mission_rules import MISSION, Status, check_move
from core.states import (
    ORDER,
    PACKING,
    PICKING,
    OrderStatus,
    PackingStatus,
    PickingStatus,
    StateMachine,
    linear_with_cancel,
)


def test_picking_walks_forward_and_cancels_from_any_state_but_completed() -> None:
    path = ["pending", "assigned", "in_progress", "completed"]
    for here, following in itertools.pairwise(path):
        assert PICKING.check(here, following) == following
        assert PICKING.check(here, "cancelled") == "cancelled"
    with pytest.raises(IllegalTransition) as error:
        PICKING.check("completed", "cancelled")
    assert error.value.code == "invalid_transition"  # DESIGN.md §6
    assert "Завершено" in error.value.message


def test_skipping_a_step_is_refused_not_ignored() -> None:
    with pytest.raises(IllegalTransition, match="«Ожидает» в «В работе»"):
        PICKING.check("pending", "in_progress")
    with pytest.raises(IllegalTransition):
        ORDER.check("new", "shipped")
    with pytest.raises(IllegalTransition):
        ORDER.check("cancelled", "new")


def test_packing_guards_need_dimensions_and_tracking_number() -> None:
    with pytest.raises(IllegalTransition, match="габариты"):
        PACKING.check("in_progress", "packed", {})
    assert PACKING.check("in_progress", "packed", {"dimensions": (30, 20, 10)}) == "packed"
    with pytest.raises(IllegalTransition, match="трек-номер"):
        PACKING.check("packed", "shipped", {"tracking_number": ""})
    assert PACKING.check("packed", "shipped", {"tracking_number": "WB123"}) == "shipped"
    with pytest.raises(IllegalTransition):
        PACKING.check("shipped", "cancelled")


def test_order_lifecycle() -> None:
    steps = ["new", "reserved", "picking", "packing", "packed", "shipped"]
    for here, following in itertools.pairwise(steps):
        ORDER.check(here, following)
    # An order that cannot be covered waits, then is reserved when stock arrives.
    assert ORDER.check("new", "awaiting_stock") == "awaiting_stock"
    assert ORDER.check("awaiting_stock", "reserved") == "reserved"
    assert ORDER.check("awaiting_stock", "cancelled") == "cancelled"
    with pytest.raises(IllegalTransition):
        ORDER.check("awaiting_stock", "picking")
    # An expired reservation puts a reserved order back in the queue; never a picked one.
    assert ORDER.check("reserved", "awaiting_stock") == "awaiting_stock"
    with pytest.raises(IllegalTransition):
        ORDER.check("picking", "awaiting_stock")
    assert ORDER.is_final("shipped") and ORDER.is_final("cancelled")
    assert not ORDER.is_final("packing")
    assert ORDER.initial == "new"


def test_unknown_state_is_refused() -> None:
    with pytest.raises(IllegalTransition, match="Неизвестное состояние"):
        ORDER.check("new", "lost")


def test_helper_builds_any_linear_machine() -> None:
    machine: StateMachine = linear_with_cancel(
        "door", ["open", "closed"], {"open": "Открыто", "closed": "Закрыто", "cancelled": "—"}
    )
    assert machine.states == {"open", "closed", "cancelled"}
    assert machine.allowed("open") == {"closed", "cancelled"}


def test_states_are_the_contract_strings_with_russian_and_english_labels() -> None:
    assert PickingStatus.IN_PROGRESS == "in_progress"
    assert PickingStatus("in_progress") is PickingStatus.IN_PROGRESS
    assert PackingStatus.SHIPPED.label_ru == "Отгружено"
    assert PackingStatus.SHIPPED.label_en == "Shipped"
    assert OrderStatus.AWAITING_STOCK.label("en") == "Awaiting stock"
    assert OrderStatus.AWAITING_STOCK.label("ru") == "Ждёт товар"
    assert Status.DRAFT.label_en == "Draft" and Status.DRAFT.label_ru == "Черновик"
    for machine, states in [
        (PICKING, PickingStatus),
        (PACKING, PackingStatus),
        (ORDER, OrderStatus),
        (MISSION, Status),
    ]:
        assert machine.states == set(states), machine.name
        assert all(isinstance(state, states) for state in machine.states), machine.name
        assert all(machine.labels[state] == state.label_ru for state in states)
        assert machine.initial == next(iter(states))


def test_every_machine_refuses_with_the_one_contract_code() -> None:
    for call in (
        lambda: ORDER.check("shipped", "cancelled"),
        lambda: PACKING.check("in_progress", "packed", {}),
        lambda: check_move("completed", "assigned"),
    ):
        with pytest.raises(IllegalTransition) as error:
            call()
        assert error.value.code == "invalid_transition"
        assert error.value.kind == "conflict"
    with pytest.raises(IllegalTransition, match="«Выполнено» в «Назначено»") as error:
        check_move("completed", "assigned")
    assert (error.value.machine, error.value.current, error.value.target) == (
        "mission",
        "completed",
        "assigned",
    )
