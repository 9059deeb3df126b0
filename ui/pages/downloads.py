"""Not a page: the one-time download route of files the pages offer (ui/downloads.py)."""

from ui.context import AppContext
from ui.downloads import register_route


def register(ctx: AppContext) -> None:
    register_route(ctx)
