"""The declarative state-machine helper and the machines of DESIGN.md §2."""

import itertools

import pytest

from core.errors import IllegalTransition
from core.states import ORDER, PACKING, PICKING, StateMachine, linear_with_cancel


def test_picking_walks_forward_and_cancels_from_any_state_but_completed() -> None:
    path = ["pending", "assigned", "in_progress", "completed"]
    for here, following in itertools.pairwise(path):
        assert PICKING.check(here, following) == following
        assert PICKING.check(here, "cancelled") == "cancelled"
    with pytest.raises(IllegalTransition) as error:
        PICKING.check("completed", "cancelled")
    assert error.value.code == "illegal_transition"
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
    steps = ["new", "reserved", "picking", "packing", "ready_to_ship", "shipped"]
    for here, following in itertools.pairwise(steps):
        ORDER.check(here, following)
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
