"""Executors (who carries out floor work: a person or a device) and operators (the users
who create and manage work: admins and managers). DESIGN.md §2a, §6.

A worker who signs in on a tablet acts as the executor linked to their user; a user is
linked to one executor at most, and an executor to one user at most.
"""

from dataclasses import replace
from typing import Any

from core.errors import Conflict, NotFound, ValidationError
from core.floor.ports import ExecutorData, ExecutorRecord, ExecutorStore
from core.users.accounts import UserAdminStore, UserRecord, create_user, get_user

MAX_CODE = 64
MAX_NAME = 200
OPERATOR_ROLES = ("admin", "manager")


def _code(value: object) -> str:
    code = str(value or "").strip()
    if not code or len(code) > MAX_CODE or any(c.isspace() for c in code):
        raise ValidationError(
            "invalid_executor_code",
            f"Код исполнителя: от 1 до {MAX_CODE} символов без пробелов",
            field="code",
        )
    return code


def _name(value: object) -> str:
    name = " ".join(str(value or "").split())
    if not name:
        raise ValidationError("executor_name_required", "Укажите имя исполнителя", field="name")
    if len(name) > MAX_NAME:
        raise ValidationError(
            "executor_name_too_long", f"Имя: не больше {MAX_NAME} символов", field="name"
        )
    return name


def _link(store: ExecutorStore, user_id: int | None, executor_id: int | None) -> int | None:
    """The user may be linked: they exist, are active, and have no other executor."""
    if user_id is None:
        return None
    user = store.user(user_id)
    if user is None:
        raise ValidationError("user_not_found", "Пользователь не найден", field="user_id")
    if not user.is_active:
        raise Conflict("user_inactive", f"Пользователь «{user.username}» отключён", field="user_id")
    holder = store.by_user(user_id)
    if holder is not None and holder.id != executor_id:
        raise Conflict(
            "user_already_linked",
            f"Пользователь «{user.username}» уже привязан к исполнителю «{holder.name}»",
            field="user_id",
        )
    return user_id


def get_executor(store: ExecutorStore, executor_id: int) -> ExecutorRecord:
    executor = store.get(executor_id)
    if executor is None:
        raise NotFound("executor_not_found", "Исполнитель не найден")
    return executor


def create_executor(store: ExecutorStore, data: ExecutorData) -> ExecutorRecord:
    clean = ExecutorData(
        code=_code(data.code),
        name=_name(data.name),
        is_active=bool(data.is_active),
        user_id=_link(store, data.user_id, None),
    )
    return store.insert(clean)


def update_executor(
    store: ExecutorStore, executor_id: int, changes: dict[str, Any]
) -> ExecutorRecord:
    """Change the fields given (`code`, `name`, `is_active`, `user_id`: None unlinks)."""
    current = get_executor(store, executor_id)
    unknown = set(changes) - {"code", "name", "is_active", "user_id"}
    if unknown:
        raise ValidationError("field_not_allowed", f"Неизвестное поле «{sorted(unknown)[0]}»")
    data = ExecutorData(current.code, current.name, current.is_active, current.user_id)
    if "code" in changes:
        data = replace(data, code=_code(changes["code"]))
    if "name" in changes:
        data = replace(data, name=_name(changes["name"]))
    if "is_active" in changes:
        data = replace(data, is_active=bool(changes["is_active"]))
    if "user_id" in changes and changes["user_id"] != current.user_id:
        data = replace(data, user_id=_link(store, changes["user_id"], executor_id))
    return store.update(executor_id, data)


def executor_for_user(store: ExecutorStore, user_id: int) -> ExecutorRecord | None:
    """The executor a signed-in user acts as (None: not linked yet)."""
    return store.by_user(user_id)


def executor_for_worker(store: ExecutorStore, user: UserRecord) -> ExecutorRecord:
    """Link a user who has no executor yet to a new one named after them (code: login)."""
    return create_executor(store, ExecutorData(user.username, user.full_name or user.username,
                                               user_id=user.id))  # fmt: skip


# --- Operators -----------------------------------------------------------------------------


def get_operator(users: UserAdminStore, user_id: int) -> UserRecord:
    """A user who creates work (admin or manager); any other user is not an operator."""
    try:
        user = get_user(users, user_id)
    except NotFound:
        user = None
    if user is None or user.role not in OPERATOR_ROLES:
        raise NotFound("operator_not_found", "Оператор не найден")
    return user


def create_operator(
    users: UserAdminStore, username: str, full_name: str, password: str
) -> UserRecord:
    """An operator created through the API is a manager (DESIGN.md §6); admins are made
    on the users page."""
    return create_user(users, username, full_name, "manager", password)
