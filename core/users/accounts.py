"""User administration and one's own password."""

from dataclasses import replace

from core.errors import Conflict, Forbidden, NotFound, ValidationError
from core.users.auth import Identity
from core.users.passwords import hash_password, verify_password
from core.users.policy import ROLES
from core.users.ports import UserAdminStore, UserRecord

MIN_PASSWORD = 8


def check_password(password: str) -> str:
    if len(password or "") < MIN_PASSWORD:
        raise ValidationError(
            "weak_password", f"Пароль: не короче {MIN_PASSWORD} символов", field="password"
        )
    return password


def _role(role: str) -> str:
    if role not in ROLES:
        raise ValidationError("invalid_role", "Неизвестная роль", field="role")
    return role


def get_user(store: UserAdminStore, user_id: int) -> UserRecord:
    user = store.get(user_id)
    if user is None:
        raise NotFound("user_not_found", "Пользователь не найден")
    return user


def create_user(
    store: UserAdminStore, username: str, full_name: str, role: str, password: str
) -> UserRecord:
    username = (username or "").strip()
    if not username or len(username) > 64 or any(c.isspace() for c in username):
        raise ValidationError(
            "invalid_username", "Имя пользователя: от 1 до 64 символов без пробелов",
            field="username",
        )  # fmt: skip
    if store.username_taken(username):
        raise Conflict("username_taken", f"Пользователь «{username}» уже есть", field="username")
    return store.insert(
        username,
        (full_name or "").strip()[:200],
        _role(role),
        hash_password(check_password(password)),
    )


def update_user(
    store: UserAdminStore,
    actor: Identity,
    user_id: int,
    *,
    full_name: str | None = None,
    role: str | None = None,
    is_active: bool | None = None,
) -> UserRecord:
    current = get_user(store, user_id)
    new_role = current.role if role is None else _role(role)
    active = current.is_active if is_active is None else is_active
    if user_id == actor.id and (not active or new_role != "admin"):
        raise Conflict("cannot_demote_self", "Нельзя отключить себя или снять с себя роль админа")
    losing_admin = (
        current.role == "admin" and current.is_active and (new_role != "admin" or not active)
    )
    if losing_admin and store.active_admins() <= 1:
        raise Conflict("last_admin", "Должен остаться хотя бы один активный администратор")
    name = current.full_name if full_name is None else full_name.strip()[:200]
    return store.update(user_id, name, new_role, active)


def reset_password(store: UserAdminStore, user_id: int, new_password: str) -> None:
    """An admin sets a user's password: the user's open sessions and API tokens end."""
    get_user(store, user_id)
    store.set_password(user_id, hash_password(check_password(new_password)))


def change_own_password(
    store: UserAdminStore, actor: Identity, old_password: str, new_password: str
) -> Identity:
    """Other sessions and API tokens of the actor end; the returned identity (the new
    credentials version) keeps the session that made the change signed in."""
    if not verify_password(store.password_hash(actor.id), old_password):
        raise Forbidden("wrong_password", "Текущий пароль указан неверно")
    version = store.set_password(actor.id, hash_password(check_password(new_password)))
    return replace(actor, credentials_version=version)
