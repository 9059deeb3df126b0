"""Reads of missions for pages and the API: lists with filters, one mission, its history."""

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from core.floor.ports import Mission
from data.floor.missions import (
    MISSIONS,
    executor_t,
    history_t,
    mission_t,
    read_mission,
    read_missions,
)
from data.reads import page_bounds, user_t

# The order floor work is taken in: the most urgent first, then the oldest.
_URGENCY = sa.case(
    {"urgent": 0, "high": 1, "normal": 2, "low": 3}, value=mission_t.c.priority, else_=4
)


@dataclass(frozen=True)
class MissionPage:
    items: list[Mission]
    total: int


def missions(
    engine: Engine,
    *,
    statuses: Sequence[str] = (),
    executor_id: int | None = None,
    executor_user_id: int | None = None,
    kind: str | None = None,
    queue: bool = False,
    limit: int = 50,
    offset: int = 0,
) -> MissionPage:
    """Missions with their lines. `executor_user_id`: the missions of the executor linked
    to that user; `queue`: in the order work is taken (urgent, then oldest) instead of
    newest first."""
    limit, offset = page_bounds(limit, offset)
    conditions: list[Any] = []
    if statuses:
        conditions.append(mission_t.c.status.in_(list(statuses)))
    if executor_id is not None:
        conditions.append(mission_t.c.executor_id == executor_id)
    if executor_user_id is not None:
        conditions.append(executor_t.c.user_id == executor_user_id)
    if kind is not None:
        conditions.append(mission_t.c.kind == kind)
    order = (
        (_URGENCY, mission_t.c.created_at, mission_t.c.id) if queue else (mission_t.c.id.desc(),)
    )
    counted = sa.select(sa.func.count()).select_from(
        mission_t.outerjoin(executor_t, executor_t.c.id == mission_t.c.executor_id)
    )
    with engine.connect() as conn:
        total = conn.execute(counted.where(*conditions)).scalar_one()
        rows = list(
            conn.execute(
                MISSIONS.where(*conditions).order_by(*order).limit(limit).offset(offset)
            ).mappings()
        )
        return MissionPage(read_missions(conn, rows), total)


def mission(engine: Engine, mission_id: int) -> Mission | None:
    with engine.connect() as conn:
        return read_mission(conn, mission_id)


def history(engine: Engine, mission_id: int) -> list[dict[str, Any]]:
    """Every step of a mission, oldest first: when, who (their shown name), what."""
    who = sa.func.coalesce(sa.func.nullif(user_t.c.full_name, ""), user_t.c.username)
    columns = (
            history_t.c.id, history_t.c.at, history_t.c.action, history_t.c.status,
            history_t.c.details, history_t.c.movement_id, history_t.c.user_id,
            who.label("user_name"),
    )  # fmt: skip
    query = (
        sa.select(*columns)
        .select_from(history_t.outerjoin(user_t, user_t.c.id == history_t.c.user_id))
        .where(history_t.c.mission_id == mission_id)
        .order_by(history_t.c.at, history_t.c.id)
    )
    with engine.connect() as conn:
        return [dict(row) for row in conn.execute(query).mappings()]
