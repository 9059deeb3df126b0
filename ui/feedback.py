"""How pages tell a person what happened: the domain's Russian message, never a traceback."""

from nicegui import ui

from core.errors import DomainError


def show_error(error: DomainError) -> None:
    ui.notify(error.message, type="negative", position="top", multi_line=True)


def show_done(message: str) -> None:
    ui.notify(message, type="positive", position="top")
