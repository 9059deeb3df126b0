"""The server-side paged table the list pages share: the browser shows one page, the
server answers each page, sort or size change (Quasar's `request` event)."""

from typing import Any

from nicegui import ui

from ui.i18n import tr

PAGE_SIZES = [20, 50, 100]


def server_table(
    columns: list[dict[str, Any]],
    *,
    row_key: str,
    name: str,
    rows_per_page: int,
    empty_text: str,
    sort_by: str | None = None,
    descending: bool = False,
) -> ui.table:
    """An empty table marked `name` (also its CSS class), rows clickable; the page fills
    `rows` and `pagination["rowsNumber"]` from its query."""
    pagination: dict[str, Any] = {"page": 1, "rowsPerPage": rows_per_page, "rowsNumber": 0}
    if sort_by is not None:
        pagination |= {"sortBy": sort_by, "descending": descending}
    table = (
        ui.table(columns=columns, rows=[], row_key=row_key, pagination=pagination)
        .props("flat bordered binary-state-sort")
        .classes(f"w-full {name} cursor-pointer")
        .mark(name)
    )
    table.props["rows-per-page-options"] = PAGE_SIZES
    table.props["rows-per-page-label"] = tr("Строк на странице:", "Rows per page:")
    table.props["no-data-label"] = empty_text
    return table


def searched_for_note(text: str | None) -> str:
    """What a list says when it shows the results for the text in the other keyboard
    layout (data.queries.Page.searched_for)."""
    return tr(f"Показаны результаты для «{text}»", f"Showing results for “{text}”") if text else ""
