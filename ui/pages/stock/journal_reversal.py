"""Reversing a journal movement: confirm, then book the mirror movement; core refuses
what is no longer possible."""

from collections.abc import Callable
from typing import Any
from uuid import uuid4

from nicegui import run, ui

from core.errors import DomainError
from core.stock.movements import reverse_movement
from core.stock.operations import OPERATIONS
from core.users.auth import Identity
from core.users.policy import Action
from data.stock.journal import JournalRow
from ui.components.feedback import show_done, show_error
from ui.components.product_picker import product_label
from ui.context import AppContext
from ui.failures import failure_text
from ui.i18n import language, number, tr
from ui.session import guarded

ACTION = Action.KEEP_JOURNAL  # ui.pages.stock.journal.ACTION
REVERSE_FAILED = ("Не удалось сторнировать", "Could not reverse")


class ReverseDialog:
    """Confirm, then book the mirror movement; core refuses what is no longer possible."""

    def __init__(
        self,
        ctx: AppContext,
        item: JournalRow,
        place: Callable[[str | None], str],
        reload: Callable[[int | None], None],
    ) -> None:
        """`place`: a location code as people know it; `reload(page)`: the journal read
        again at `page` (None: the page shown)."""
        self.ctx = ctx
        self.item = item
        self.reload = reload
        self.key = f"ui-reverse-{uuid4().hex}"  # one per dialog: a second click books once
        self.busy = False
        op = OPERATIONS.get(item.operation_type)
        label = op.label(language()) if op else item.operation_type
        there = place(item.from_location)
        here = place(item.to_location)
        with (
            ui.dialog() as self.dialog,
            ui.card().classes("w-full max-w-lg").mark("reverse-dialog"),
        ):
            ui.label(
                tr(f"Сторнировать операцию №{item.id}?", f"Reverse movement #{item.id}?")
            ).classes("text-h6")
            product = {"sku": item.sku, "barcode": item.barcode, "name": item.product_name}
            ui.label(
                f"{label}: {product_label(product)}, "
                + tr(f"{number(item.quantity)} шт.", f"{number(item.quantity)} pcs")
            ).classes("text-body1")
            ui.label(
                tr(
                    f"Будет проведена обратная операция: {here} → {there}.",
                    f"A mirror movement will be posted: {here} → {there}.",
                )
            ).classes("text-body2 text-grey-8")
            self.notes = (
                ui.input(tr("Причина сторно (необязательно)", "Reason (optional)"))
                .props("outlined maxlength=1000")
                .classes("w-full")
                .mark("reverse-notes")
            )
            self.error = (
                ui.label()
                .classes("w-full text-body1 text-negative bg-red-1 rounded-borders q-pa-md")
                .mark("reverse-error")
            )
            self.error.set_visibility(False)
            with ui.row().classes("w-full justify-end gap-2"):
                ui.button(tr("Отмена", "Cancel"), on_click=self.dialog.close).props(
                    "flat no-caps size=lg"
                ).mark("reverse-cancel")
                self.confirm = (
                    ui.button(tr("Сторнировать", "Reverse"), icon="undo")
                    .props("unelevated no-caps size=lg color=negative")
                    .mark("reverse-confirm")
                )
                self.confirm.on(
                    "click",
                    guarded(ctx, ACTION, self._confirm),
                    throttle=1.0,
                    trailing_events=False,
                )
        self.dialog.on("hide", lambda: self.dialog.delete())

    def open(self) -> None:
        self.dialog.open()

    async def _confirm(self, user: Identity, *_: Any) -> None:
        if self.busy:
            return
        self.busy = True
        self.confirm.props("loading").disable()
        self.error.set_visibility(False)
        ctx = self.ctx
        try:
            posted = await run.io_bound(
                reverse_movement,
                ctx.db.unit_of_work(),
                self.item.id,
                user_id=user.id,
                notes=self.notes.value or None,
                idempotency_key=self.key,
            )
        except DomainError as error:
            self._fail(error.message)
            show_error(error)
            self.reload(None)
            return
        except Exception as error:  # the database's failure, said in the dialog
            text = failure_text(error, "reversing a movement", REVERSE_FAILED)
            if text is None:
                raise
            self._fail(text)
            return
        finally:
            self.busy = False
            self.confirm.props(remove="loading").enable()
        self.dialog.close()
        show_done(
            tr(
                f"Операция №{self.item.id} сторнирована: №{posted.movement.id}",
                f"Movement #{self.item.id} reversed: #{posted.movement.id}",
            )
        )
        self.reload(1)

    def _fail(self, message: str) -> None:
        self.error.set_text(message)
        self.error.set_visibility(True)
