"""/import/history: every import made — file, checksum, kind, who, when, rows and result;
?import_id= shows one (a journal row links to its import)."""

from typing import Any

from nicegui import events, ui

from core.imports import (
    KIND_LABELS,
)
from core.stock.operations import OPERATIONS
from core.users.auth import Identity
from core.users.policy import Action
from data.imports.queries import ImportRow, import_history
from ui.context import AppContext
from ui.formatting import format_time
from ui.i18n import language, number, tr
from ui.layout import frame
from ui.session import guarded, protected_page

PATH = "/import"  # the import page (ui.pages.imports.page): the menu entry of both
HISTORY_PATH = "/import/history"
ROLES = Action.IMPORT_FILES  # who may: core.users.policy
HISTORY_PAGE_SIZES = (20, 50, 100)


def kind_label(kind: str) -> str:
    ru, en = KIND_LABELS.get(kind, (kind, kind))
    return tr(ru, en)


def history_columns() -> list[dict[str, Any]]:
    def column(name: str, label: str, align: str = "left", **extra: Any) -> dict[str, Any]:
        return {"name": name, "label": label, "field": name, "align": align, **extra}

    return [
        column("created_at", tr("Когда", "When"), classes="text-no-wrap"),
        column("file_name", tr("Файл", "File"), classes="break-all", style="min-width: 8rem"),
        column("sha", "SHA-256", classes="gt-sm text-mono", headerClasses="gt-sm"),
        column("kind", tr("Что", "Kind")),
        column("user", tr("Пользователь", "User")),
        column("rows", tr("Строк", "Rows"), "right"),
        column("result", tr("Результат", "Result")),
    ]  # fmt: skip


def history_row(item: ImportRow, tz_name: str) -> dict[str, Any]:
    kind = kind_label(item.kind)
    op = OPERATIONS.get(item.operation_type or "")
    if op is not None:
        kind = f"{kind}: {op.label(language())}"
    errors = item.error_count
    if item.applied:
        result = tr("Загружен", "Imported")
    elif item.status == "failed":
        result = tr("Не загружен", "Failed")
    else:
        result = tr(f"Отклонён: ошибок {number(errors)}", f"Refused: {number(errors)} errors")
    return {
        "id": item.id,
        "created_at": format_time(item.created_at, tz_name),
        "file_name": item.file_name,
        "sha": item.file_sha256[:12],
        "sha_full": item.file_sha256,
        "kind": kind,
        "user": item.user or "",
        "rows": f"{number(item.rows_ok)} / {number(item.rows_total)}",
        "result": result,
        "reason": item.reason or "",
        "applied": item.applied,
    }


SHA_CELL = r"""
<q-td :props="props" class="gt-sm">
  <span class="text-mono" :title="props.row.sha_full">{{ props.row.sha }}</span>
</q-td>
"""
RESULT_CELL = r"""
<q-td :props="props">
  <q-badge :color="props.row.applied ? 'positive' : 'negative'" :label="props.row.result"
           class="text-body2 q-px-sm q-py-xs" />
  <div v-if="props.row.reason" class="text-body2 text-negative q-mt-xs">
    {{ props.row.reason }}
  </div>
</q-td>
"""


class HistoryView:
    def __init__(self, ctx: AppContext, batch_id: int | None = None) -> None:
        self.ctx = ctx
        self.batch_id = batch_id  # one import only (a journal row links to it)
        with ui.row().classes("w-full items-center gap-3"):
            self.total = ui.label().classes("text-body1 text-grey-8").mark("history-total")
            if batch_id is not None:
                ui.link(tr("Все импорты", "All imports"), HISTORY_PATH).classes("text-body1")
            ui.space()
            ui.button(
                tr("Новый импорт", "New import"),
                icon="upload_file",
                on_click=lambda: ui.navigate.to(PATH),
            ).props("unelevated no-caps").classes("min-h-12").mark("history-new-import")
        self.table = (
            ui.table(
                columns=history_columns(),
                rows=[],
                row_key="id",
                pagination={"page": 1, "rowsPerPage": HISTORY_PAGE_SIZES[0], "rowsNumber": 0},
            )
            .props(
                f':rows-per-page-options="{list(HISTORY_PAGE_SIZES)}" flat bordered wrap-cells '
                f'no-data-label="{tr("Импортов ещё не было", "No imports yet")}" '
                f'rows-per-page-label="{tr("Строк на странице:", "Rows per page:")}"'
            )
            .classes("w-full")
            .mark("import-history")
        )
        self.table.add_slot("body-cell-sha", SHA_CELL)
        self.table.add_slot("body-cell-result", RESULT_CELL)
        self.table.on("request", guarded(ctx, ROLES, self._requested))
        self.load(page=1, size=HISTORY_PAGE_SIZES[0])

    async def _requested(self, _user: Identity, e: events.GenericEventArguments) -> None:
        pagination = e.args.get("pagination", {}) if isinstance(e.args, dict) else {}
        size = pagination.get("rowsPerPage")
        self.load(
            page=int(pagination.get("page") or 1),
            size=size if size in HISTORY_PAGE_SIZES else HISTORY_PAGE_SIZES[0],
        )

    def load(self, *, page: int, size: int) -> None:
        result = import_history(
            self.ctx.db.engine, limit=size, offset=(page - 1) * size, batch_id=self.batch_id
        )
        tz_name = self.ctx.settings.time_zone
        self.table.rows = [history_row(item, tz_name) for item in result.items]
        self.table.pagination = {
            **self.table.pagination,
            "page": page,
            "rowsPerPage": size,
            "rowsNumber": result.total,
        }
        self.total.set_text(tr("Импортов: ", "Imports: ") + number(result.total))


def register(ctx: AppContext) -> None:
    @protected_page(ctx, HISTORY_PATH, ROLES)
    def import_history_page(user: Identity, import_id: str | None = None) -> None:
        # One import (a journal row links to it); nonsense shows the whole history.
        batch_id = int(import_id) if import_id and import_id.isdigit() else None
        with frame(user, tr("История импорта", "Import history"), PATH):
            HistoryView(ctx, batch_id)
