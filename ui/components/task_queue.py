"""The queue page of a tablet task (picking, batches, packing): big cards, one a task,
each with «Взять» (take it for the executor linked to the worker, then open it) or
«Продолжить» (open it); new tasks appear without a reload. A page says what its tasks
are (a `TaskQueue` subclass: `load`, `card`, `take`); the layout, the polling, the note
for a worker not linked to an executor and the answer to a refused take live here."""

from abc import ABC, abstractmethod
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, ClassVar, Generic, Protocol, TypeVar

from nicegui import run, ui

from core.errors import DomainError
from core.users.auth import Identity
from core.users.policy import Action
from data.picking.queries import executor_of
from ui.context import AppContext
from ui.i18n import tr
from ui.session import guarded

POLL_SECONDS = 3.0
BADGE_CLASSES = "text-body2 px-2 py-1"


class QueuedTask(Protocol):
    """What the queue itself reads of a task: which, how far, whose."""

    @property
    def id(self) -> int: ...
    @property
    def status(self) -> str: ...
    @property
    def executor_id(self) -> int | None: ...


Task = TypeVar("Task", bound=QueuedTask)


@dataclass(frozen=True)
class QueueMarks:
    """The `.mark(...)` names the tests find a queue's parts by."""

    queue: str  # the list
    empty: str  # the «nothing to do» line
    card: str  # each card; also f"{card}-{id}"
    button: str  # each card's big button


@dataclass(frozen=True)
class QueueCard:
    """One task's card as the worker reads it."""

    title: str
    summary: str
    button: str
    icon: str
    takes: bool  # the button takes the task first; otherwise it only opens it
    badges: Callable[[], Any] = lambda: None  # drawn after the title, in its row


def queue_badge(text: str, color: str) -> ui.badge:
    return ui.badge(text, color=color).classes(BADGE_CLASSES)


class TaskQueue(ABC, Generic[Task]):
    """A page's queue: `build()` draws it under the page's frame."""

    action: ClassVar[Action]  # the right to see the queue and to take from it
    path: ClassVar[str]  # the queue's address; a task's page is f"{path}/{id}"
    marks: ClassVar[QueueMarks]
    taken_thing: ClassVar[str]  # «взять {taken_thing} нельзя», said without an executor
    nothing_to_do: ClassVar[tuple[str, str]]  # the empty queue's line, Russian and English
    mine_first: ClassVar[bool] = False  # the page orders the worker's own tasks first

    def __init__(self, ctx: AppContext, user: Identity) -> None:
        self.ctx = ctx
        self.user = user
        self.shown: list[tuple[int, str, int | None]] = []
        self.executor: int | None = None

    @abstractmethod
    def load(self) -> list[Task]:
        """The queue as it is now (a read; runs in a worker thread when polled)."""

    @abstractmethod
    def card(self, task: Task, mine: bool) -> QueueCard: ...

    @abstractmethod
    async def take(self, task_id: int, executor: int) -> None:
        """Take the task for `executor` (core's use cases; DomainError when refused)."""

    def above_cards(self) -> None:
        """What the page shows between the note and the cards (nothing by default)."""

    def tell_no_executor(self) -> None:
        ui.notify(tr("Нет исполнителя", "No executor"), type="negative")

    def tell_refusal(self, message: str) -> None:
        ui.notify(message, type="negative", position="top")

    # --- the page ----------------------------------------------------------------------

    def build(self) -> None:
        self.executor = executor_of(self.ctx.db.engine, self.user.id)
        if self.executor is None:
            ui.label(tr(f"Вы не привязаны к исполнителю: взять {self.taken_thing} нельзя. "
                        "Попросите менеджера привязать вас на странице «Исполнители».",
                        "You are not linked to an active executor. Ask a manager to link you.")
                     ).classes("text-h6 text-negative max-w-3xl").mark("no-executor")  # fmt: skip
        self.above_cards()
        self.cards()
        ui.timer(POLL_SECONDS, guarded(self.ctx, self.action, self._poll))

    async def _poll(self, _user: Identity) -> None:
        found = await run.io_bound(self.load)
        if found is not None and _seen(found) != self.shown:
            self.cards.refresh(found)

    def _mine(self, task: Task) -> bool:
        return task.executor_id is not None and task.executor_id == self.executor

    @ui.refreshable_method
    def cards(self, found: list[Task] | None = None) -> None:
        found = self.load() if found is None else found
        self.shown = _seen(found)
        if self.mine_first:
            found = [t for t in found if self._mine(t)] + [t for t in found if not self._mine(t)]
        with ui.column().classes("w-full max-w-3xl gap-3").mark(self.marks.queue):
            if not found:
                ui.label(tr(*self.nothing_to_do)).classes("text-h6 text-grey-7").mark(
                    self.marks.empty)  # fmt: skip
            for task in found:
                self._card(task.id, self.card(task, self._mine(task)))

    def _card(self, task_id: int, card: QueueCard) -> None:
        marks = self.marks
        with ui.card().classes("w-full q-pa-md gap-2").props("bordered").mark(
                marks.card, f"{marks.card}-{task_id}"):  # fmt: skip
            with ui.row().classes("w-full items-center gap-2"):
                ui.label(card.title).classes("text-h5 grow")
                card.badges()
            ui.label(card.summary).classes("text-body1 text-grey-8")
            act = self._take if card.takes else self._open
            handler = guarded(self.ctx, self.action, lambda _u, *_a, tid=task_id: act(tid))
            ui.button(card.button, icon=card.icon, on_click=handler).props(
                "unelevated size=xl").classes("w-full min-h-16").mark(marks.button)  # fmt: skip

    def _open(self, task_id: int) -> None:
        ui.navigate.to(f"{self.path}/{task_id}")

    async def _take(self, task_id: int) -> None:
        if self.executor is None:
            self.tell_no_executor()
            return
        try:
            await self.take(task_id, self.executor)
        except DomainError as refusal:
            self.tell_refusal(refusal.message)
            self.cards.refresh()
            return
        self._open(task_id)


def _seen(found: list[Any]) -> list[tuple[int, str, int | None]]:
    """What a poll compares: a change in any of these redraws the cards."""
    return [(t.id, t.status, t.executor_id) for t in found]
