"""Small helpers that let tests speak the domain's language."""

import asyncio
from collections.abc import Callable
from typing import Any

from nicegui.testing import User
from sqlmodel import select

from core.stock.movements import post_movement
from core.stock.requests import MovementRequest, Posted
from data.database import Database
from data.db import write_session
from data.models import DistributionCenter, Source
from data.stock.balances import balances


def post(db: Database, operation_type: str, product_id: int, quantity: Any, **kw: Any) -> Posted:
    request = MovementRequest(operation_type, quantity, product_id=product_id, **kw)
    return post_movement(db.unit_of_work(), request, user_id=None)


def stock(db: Database, product_id: int) -> dict[str, int]:
    row = balances(db.engine, product_id=product_id).items[0]
    return {k: row[k] for k in ("good", "defect", "reserved", "available")}


def source_id(db: Database, name: str = "Wildberries") -> int:
    with write_session(db.engine) as session:
        source = session.exec(select(Source).where(Source.name == name)).one()
        assert source.id is not None
        return source.id


def dc_id(db: Database, name: str = "WB Коледино") -> int:
    with write_session(db.engine) as session:
        dc = session.exec(select(DistributionCenter).where(DistributionCenter.name == name)).one()
        assert dc.id is not None
        return dc.id


async def eventually(check: Callable[[], bool], timeout: float = 5.0) -> None:
    """Wait until `check()` holds: page handlers run as background tasks (and database
    reads off the event loop), later on a loaded CI machine than on a quiet one."""
    deadline = asyncio.get_running_loop().time() + timeout
    while not check():
        assert asyncio.get_running_loop().time() < deadline, "the page did not change in time"
        await asyncio.sleep(0.02)


async def scan_into(user: User, marker: str, code: str) -> None:
    """A scanner on a tablet page's scan field (ui.components.scan_field): the code typed,
    then Enter; returns once the page has answered this scan (its handler ran, however
    long the session check or the database took)."""
    field = user.find(marker=marker)
    (element,) = field.elements
    before = element.handled
    field.clear().type(code).trigger("keydown.enter")
    await eventually(lambda: element.handled > before, timeout=20)
