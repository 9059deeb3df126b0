"""A worker acts on their own floor task only (DESIGN.md §6 roles): the one assigned to the
executor linked to them; taking a task (assigning it), only for that executor. Managers and
admins act on any task: they pass no `Worker`.

The API checks it in the step's own transaction, in the statement that reads the task's
order anyway (`task_head`): no read of its own, and the same answers (404, then 403) before
anything else the step checks."""

from dataclasses import dataclass

from core.errors import Forbidden
from core.users.auth import Identity
from core.users.policy import Action, can


@dataclass(frozen=True)
class Worker:
    """Who acts, when the own-task rule holds for them."""

    user_id: int
    taking: int | None = None  # assigning the task: the executor it is taken for


def worker_of(user: Identity) -> Worker | None:
    """Whom the rule binds: None for whoever may manage orders (any task is theirs)."""
    return None if can(user.role, Action.MANAGE_ORDERS) else Worker(user.id)


@dataclass(frozen=True)
class TaskHead:
    """A task's order, its executor and the acting user's active executor, read together."""

    order_id: int
    executor_id: int | None  # None: not assigned yet
    mine: int | None  # the user's active executor; None: they have none


@dataclass(frozen=True)
class Refusals:
    """What a worker hears, in the words of the kind of task."""

    taking: str  # taking a task for an executor not theirs
    others: str  # acting on a task another executor holds


PICKING_REFUSALS = Refusals("Взять задание можно только на себя",
                            "Это задание назначено другому исполнителю")  # fmt: skip
PACKING_REFUSALS = Refusals("Начать упаковку можно только от своего имени",
                            "Это задание упаковывает другой исполнитель")  # fmt: skip


def check_own(executor_id: int | None, mine: int | None, worker: Worker,
              refusals: Refusals) -> None:  # fmt: skip
    """403 unless the task is the worker's (or, taking it, taken for their own executor)."""
    if worker.taking is not None:
        if mine is None or worker.taking != mine:
            raise Forbidden("forbidden", refusals.taking)
        return
    if mine is None or executor_id != mine:
        raise Forbidden("forbidden", refusals.others)
