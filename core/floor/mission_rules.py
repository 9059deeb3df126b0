"""The rules every mission use case shares: kinds, priorities and statuses, the state
machine of DESIGN.md §2b, who may act on a mission, and the contract's conflict for an
illegal step (`core.errors.IllegalTransition`: `invalid_transition`)."""

from dataclasses import dataclass
from enum import StrEnum

from core.errors import Conflict, Forbidden, IllegalTransition, ValidationError
from core.floor.ports import MissionHead
from core.states import Labelled, State, linear_with_cancel
from core.stock.requests import MAX_KEY
from core.users.policy import Action, can


class MissionKind(Labelled):
    PUTAWAY = "putaway", "Размещение", "Putaway"
    MOVE = "move", "Перемещение", "Move"
    REPLENISHMENT = "replenishment", "Пополнение", "Replenishment"


class Priority(Labelled):
    LOW = "low", "Низкий", "Low"
    NORMAL = "normal", "Обычный", "Normal"
    HIGH = "high", "Высокий", "High"
    URGENT = "urgent", "Срочный", "Urgent"


class Status(State):
    DRAFT = "draft", "Черновик", "Draft"
    ASSIGNED = "assigned", "Назначено", "Assigned"
    IN_PROGRESS = "in_progress", "В работе", "In progress"
    COMPLETED = "completed", "Выполнено", "Completed"
    CANCELLED = "cancelled", "Отменено", "Cancelled"


# value → Russian label, for code that looks up the plain strings it read.
KIND_LABELS = MissionKind.labels_ru()
PRIORITY_LABELS = Priority.labels_ru()
STATUS_LABELS = Status.labels_ru()
MISSION = linear_with_cancel(
    "mission", [Status.DRAFT, Status.ASSIGNED, Status.IN_PROGRESS, Status.COMPLETED]
)
# Open: still to be done by someone (a worker's «my missions»).
OPEN_STATUSES = (Status.ASSIGNED, Status.IN_PROGRESS)
MAX_REASON = 500


@dataclass(frozen=True)
class Actor:
    """Who asks: managers act on every mission; anyone else on the missions assigned to
    the executor linked to them."""

    user_id: int | None
    may_manage: bool

    @classmethod
    def of(cls, user_id: int, role: str) -> "Actor":
        return cls(user_id, can(role, Action.MANAGE_MISSIONS))


def illegal(message: str, current: str = "", target: str = "") -> IllegalTransition:
    """A step the mission's state does not allow, found by a use case rather than the
    machine (a draft-only edit, a step lost to a concurrent one)."""
    return IllegalTransition(MISSION.name, current, target, message)


def check_move(current: str, target: str) -> None:
    """The machine's verdict: `IllegalTransition`, the contract's `invalid_transition`."""
    MISSION.check(current, target)


def clean_key(key: str | None) -> str | None:
    key = (key or "").strip() or None
    if key is not None and len(key) > MAX_KEY:
        raise ValidationError(
            "invalid_idempotency_key", f"Ключ идемпотентности: не больше {MAX_KEY} символов",
            field="idempotency_key",
        )  # fmt: skip
    return key


def _choice(value: object, allowed: type[StrEnum], code: str, what: str, field: str) -> str:
    if not isinstance(value, str) or value not in tuple(allowed):
        options = ", ".join(allowed)
        raise ValidationError(code, f"{what}: одно из {options}", field=field)
    return value


def check_kind(value: object) -> str:
    return _choice(value, MissionKind, "invalid_kind", "Вид задания", "kind")


def check_priority(value: object) -> str:
    return _choice(value, Priority, "invalid_priority", "Приоритет", "priority")


def check_id(value: object, code: str, message: str, field: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value <= 0:
        raise ValidationError(code, message, field=field)
    return value


def must_manage(actor: Actor) -> None:
    if not actor.may_manage:
        raise Forbidden("forbidden", "Задания создают и назначают менеджеры")


def may_work_on(actor: Actor, head: MissionHead) -> None:
    """Managers act on every mission; a worker on the ones assigned to them."""
    if actor.may_manage:
        return
    if head.executor_user_id is None or head.executor_user_id != actor.user_id:
        raise Forbidden("not_your_mission", "Это задание назначено другому исполнителю")
    if not head.executor_active:
        raise Conflict("executor_inactive", "Исполнитель отключён: обратитесь к менеджеру")
