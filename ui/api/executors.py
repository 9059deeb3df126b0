"""Executors and operators (DESIGN.md §6 "Floor model"): who does floor work and who
creates it. Workers read; managers create executors; admins create operators (managers)."""

from collections.abc import Awaitable, Callable
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, status
from pydantic import Field

import data.floor.executors
from core.floor.executors import (
    MAX_CODE,
    MAX_NAME,
    create_executor,
    create_operator,
    get_executor,
    get_operator,
    update_executor,
)
from core.floor.ports import ExecutorData, ExecutorRecord
from core.users.auth import Identity
from core.users.policy import Action
from data.floor.executors import SqlExecutorStore
from ui.api.errors import responses
from ui.api.schemas import Id, Input, Limit, Model, Offset, PathId, Text
from ui.context import AppContext

Requirement = Callable[..., Awaitable[Identity]]


def acting(base: Requirement, action: Action, message: str) -> Requirement:
    """`base` (signed in, a floor role: ui.api.auth.requirement) and allowed to `action`:
    else 403 with `message`. A dependency, so a role that may not act hears so before its
    body is read; `base` narrowed, not wrapped: one dependency, the user read once."""
    narrowed: Requirement = base.acting(action, message)  # type: ignore[attr-defined]
    return narrowed


class Executor(Model):
    id: int
    code: str
    name: str
    is_active: bool
    user_id: int | None = Field(description="Пользователь, который работает как этот исполнитель")
    username: str | None = Field(default=None, description="Логин этого пользователя")


class ExecutorList(Model):
    items: list[Executor]
    total: int


class ExecutorIn(Input):
    code: Text = Field(max_length=MAX_CODE, description="Код: без пробелов, уникальный")
    name: Text = Field(max_length=MAX_NAME, description="Имя человека или название устройства")
    is_active: bool = True
    user_id: Id | None = Field(default=None, description="Привязать к пользователю")


class ExecutorPatch(Input):
    """Only the fields sent are changed; `user_id: null` unlinks the user."""

    code: Text | None = Field(default=None, max_length=MAX_CODE)
    name: Text | None = Field(default=None, max_length=MAX_NAME)
    is_active: bool | None = None
    user_id: Id | None = None


class Operator(Model):
    id: int
    username: str
    full_name: str
    role: str = Field(description="admin или manager")
    is_active: bool


class OperatorList(Model):
    items: list[Operator]
    total: int


class OperatorIn(Input):
    username: Text = Field(max_length=64, description="Логин: без пробелов")
    full_name: Text = Field(default="", max_length=200)
    password: Text = Field(max_length=1024, description="Не короче 8 символов")


def _executor(record: ExecutorRecord, username: str | None = None) -> Executor:
    return Executor(**record.__dict__, username=username)


def add_routes(router: APIRouter, ctx: AppContext, floor: Requirement) -> None:
    store = SqlExecutorStore(ctx.db.engine)
    readers: list[Any] = [Depends(floor)]
    managers = acting(floor, Action.MANAGE_MISSIONS, "Исполнителей заводят менеджеры")
    admins = acting(floor, Action.MANAGE_USERS, "Операторов заводит администратор")
    tags: list[Any] = ["floor: executors and operators"]

    def username_of(record: ExecutorRecord) -> str | None:
        user = store.user(record.user_id) if record.user_id is not None else None
        return user.username if user else None

    @router.get(
        "/executors", response_model=ExecutorList, tags=tags, dependencies=readers,
        responses=responses(401, 403, 422),
    )  # fmt: skip
    def list_executors(
        is_active: Annotated[bool | None, Query(description="Только действующие или нет")] = None,
        limit: Limit = 50,
        offset: Offset = 0,
    ) -> ExecutorList:
        """Исполнители: люди и устройства, выполняющие работу на складе."""
        page = data.floor.executors.executors(
            ctx.db.engine, active=is_active, limit=limit, offset=offset
        )
        return ExecutorList(items=[Executor(**row) for row in page.items], total=page.total)

    @router.post(
        "/executors", response_model=Executor, status_code=status.HTTP_201_CREATED, tags=tags,
        dependencies=[Depends(managers)], responses=responses(401, 403, 409, 422),
    )  # fmt: skip
    def add_executor(body: ExecutorIn) -> Executor:
        """Завести исполнителя. Код уникален (409 `executor_code_taken`); пользователь
        привязывается не более чем к одному исполнителю (409 `user_already_linked`)."""
        record = create_executor(store, ExecutorData(**body.model_dump()))
        return _executor(record, username_of(record))

    @router.get(
        "/executors/{executor_id}", response_model=Executor, tags=tags, dependencies=readers,
        responses=responses(401, 403, 404, 422),
    )  # fmt: skip
    def read_executor(executor_id: PathId) -> Executor:
        """Исполнитель по id."""
        record = get_executor(store, executor_id)
        return _executor(record, username_of(record))

    @router.patch(
        "/executors/{executor_id}", response_model=Executor, tags=tags,
        dependencies=[Depends(managers)], responses=responses(401, 403, 404, 409, 422),
    )  # fmt: skip
    def change_executor(executor_id: PathId, body: ExecutorPatch) -> Executor:
        """Изменить переданные поля: код, имя, `is_active` (отключить), привязку к пользователю."""
        record = update_executor(store, executor_id, body.model_dump(exclude_unset=True))
        return _executor(record, username_of(record))

    @router.get(
        "/operators", response_model=OperatorList, tags=tags, dependencies=readers,
        responses=responses(401, 403, 422),
    )  # fmt: skip
    def list_operators(limit: Limit = 50, offset: Offset = 0) -> OperatorList:
        """Операторы: пользователи, которые создают работу (администраторы и менеджеры)."""
        page = data.floor.executors.operators(ctx.db.engine, limit=limit, offset=offset)
        return OperatorList(items=[Operator(**row) for row in page.items], total=page.total)

    @router.post(
        "/operators", response_model=Operator, status_code=status.HTTP_201_CREATED, tags=tags,
        dependencies=[Depends(admins)], responses=responses(401, 403, 409, 422),
    )  # fmt: skip
    def add_operator(body: OperatorIn) -> Operator:
        """Завести оператора — менеджера (только администратор). Логин уникален (409
        `username_taken`), пароль не короче 8 символов (422 `weak_password`)."""
        record = create_operator(ctx.user_admin, body.username, body.full_name, body.password)
        return Operator(**record.__dict__)

    @router.get(
        "/operators/{operator_id}", response_model=Operator, tags=tags, dependencies=readers,
        responses=responses(401, 403, 404, 422),
    )  # fmt: skip
    def read_operator(operator_id: PathId) -> Operator:
        """Оператор по id (пользователь с ролью admin или manager)."""
        return Operator(**get_operator(ctx.user_admin, operator_id).__dict__)
