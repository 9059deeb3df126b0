"""Not a page: the one-time download route of files the pages offer (ui/components/downloads.py)."""

from ui.components.downloads import register_route
from ui.context import AppContext


def register(ctx: AppContext) -> None:
    register_route(ctx)
