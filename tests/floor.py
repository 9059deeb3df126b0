"""Floor helpers for tests: bins, executors and missions in the domain's words."""

from typing import Any

import sqlalchemy as sa
from sqlmodel import select

from core.floor.executors import create_executor
from core.floor.mission_lines import LineRequest
from core.floor.mission_rules import Actor
from core.floor.missions import Done, MissionRequest, assign, create_mission, start
from core.floor.ports import ExecutorData, Mission
from core.floor.recording import Recorded, RecordRequest, record_line
from data.database import Database
from data.db import write_session
from data.floor.executors import SqlExecutorStore
from data.floor.missions import mission_work
from data.models import Location, User, Warehouse


def location_id(db: Database, code: str) -> int:
    with db.engine.connect() as conn:
        query = sa.text("SELECT id FROM location WHERE code = :c")
        return int(conn.execute(query, {"c": code}).scalar_one())


def make_bin(db: Database, code: str, *, warehouse: str = "MAIN", route: int = 0) -> int:
    with write_session(db.engine) as session:
        house = session.exec(select(Warehouse).where(Warehouse.code == warehouse)).one()
        place = Location(code=code, name=f"Ячейка {code}", kind="bin", warehouse_id=house.id,
                         route_sequence=route)  # fmt: skip
        session.add(place)
        session.commit()
        assert place.id is not None
        return place.id


def add_user(db: Database, username: str, role: str) -> int:
    """A user who never signs in here (no password hashing: these tests call core)."""
    with write_session(db.engine) as session:
        user = User(username=username, role=role, password_hash="-")
        session.add(user)
        session.commit()
        assert user.id is not None
        return user.id


def manager_actor(db: Database, username: str = "boss") -> Actor:
    return Actor(add_user(db, username, "manager"), may_manage=True)


def worker_with_executor(db: Database, username: str, *, active: bool = True) -> tuple[Actor, int]:
    """A worker user and the executor linked to them: (their actor, the executor's id)."""
    user_id = add_user(db, username, "worker")
    executor = create_executor(
        SqlExecutorStore(db.engine),
        ExecutorData(code=username.upper(), name=f"Работник {username}", is_active=active,
                     user_id=user_id),
    )  # fmt: skip
    return Actor(user_id, may_manage=False), executor.id


def line(product_id: int, quantity: int, src: int, dst: int, **extra: Any) -> LineRequest:
    return LineRequest(product_id, quantity, src, dst, extra.get("handling_unit_id"))


def new_mission(
    db: Database, actor: Actor, lines: list[LineRequest], *, kind: str = "putaway", **kw: Any
) -> Mission:
    return create_mission(mission_work(db), MissionRequest(kind, lines, **kw), actor).mission


def started(db: Database, manager: Actor, mission: Mission, executor_id: int) -> Mission:
    assign(mission_work(db), mission.id, executor_id, manager)
    return start(mission_work(db), mission.id, manager).mission


def record(
    db: Database, actor: Actor, mission: Mission, line_index: int, quantity: Any, **kw: Any
) -> Recorded:
    request = RecordRequest(mission.lines[line_index].id, quantity, **kw)
    return record_line(mission_work(db), mission.id, request, actor)


def done_of(result: Done | Recorded) -> list[int]:
    return [x.done_quantity for x in result.mission.lines]
