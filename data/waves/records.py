"""A batch read into core's record on any connection: the repository (in its unit of
work's transaction) and the read queries share it."""

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from core.orders.wave_ports import Batch, BatchLine
from data.models import PickBatch, PickBatchPut, PickWave
from data.picking.records import executor_t, read_tasks, task_t
from data.reads import location_t

batch_t = PickBatch.__table__
put_t = PickBatchPut.__table__
wave_t = PickWave.__table__

HEAD = sa.select(*batch_t.c, executor_t.c.name.label("executor_name")).select_from(
    batch_t.outerjoin(executor_t, executor_t.c.id == batch_t.c.executor_id)
)
PUTS = sa.select(put_t.c.task_id, put_t.c.product_id, sa.func.count()).group_by(
    put_t.c.task_id, put_t.c.product_id
)


def read_batch(conn: Connection, batch_id: int) -> Batch | None:
    head = conn.execute(HEAD.where(batch_t.c.id == batch_id)).mappings().first()
    if head is None:
        return None
    tasks = read_tasks(conn, [task_t.c.batch_id == batch_id], [task_t.c.batch_slot])
    places = {i.location_id for t in tasks for i in t.items}
    routes = dict(conn.execute(
        sa.select(location_t.c.id, location_t.c.route_sequence)
        .where(location_t.c.id.in_(places))).all()) if places else {}  # fmt: skip
    lines = tuple(
        BatchLine(t.id, t.status, t.order_id, t.order_external_id, t.batch_slot or 0,
                  int(routes.get(i.location_id, 0)), i)
        for t in tasks for i in t.items
    )  # fmt: skip
    puts = tuple((int(a), int(b), int(c)) for a, b, c in
                 conn.execute(PUTS.where(put_t.c.batch_id == batch_id)).all())  # fmt: skip
    return Batch(head["id"], head["wave_id"], head["executor_id"], head["executor_name"],
                 head["created_at"], lines, puts)  # fmt: skip
