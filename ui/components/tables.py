"""The server-side paged table the list pages share: the browser shows one page, the
server answers each page, sort or size change (Quasar's `request` event)."""

from collections.abc import Awaitable, Callable
from math import ceil
from typing import Any, Protocol, TypeVar

from nicegui import ui

from ui.i18n import tr

PAGE_SIZES = [20, 50, 100]
T = TypeVar("T")


class Paged(Protocol):
    """A list page's state as the shared handlers below read and set it."""

    page: int
    rows_per_page: int
    request_no: int  # only the newest answer is shown when requests overlap


class Searched(Paged, Protocol):
    q: str


def take_pagination(state: Paged, args: Any) -> dict[str, Any]:
    """Page and size from the table's `request` event into `state`; returns the whole
    pagination (the page reads its sort from it)."""
    pagination: dict[str, Any] = args or {}
    state.page = int(pagination.get("page") or 1)
    state.rows_per_page = int(pagination.get("rowsPerPage") or PAGE_SIZES[0])
    return pagination


def take_search(state: Searched, event: Any) -> bool:
    """The search box's text (a debounced change, or Enter from a scanner) into `state`,
    back on the first page; False when it is the text already searched for (Enter came
    first, the debounced change after)."""
    text = str((event.value if hasattr(event, "value") else event.args) or "")
    if text == state.q:
        return False
    state.q = text
    state.page = 1
    return True


async def load_page(
    state: Paged, fetch: Callable[[], Awaitable[T | None]], total: Callable[[T], int]
) -> T | None:
    """`fetch()` the state's page; None when the app is stopping or a newer request has
    overtaken this one. A page past the end (the list got shorter under the user, e.g. the
    last row of the last page was deleted) is read again as the last page."""
    while True:
        state.request_no += 1
        mine = state.request_no
        answer = await fetch()
        if answer is None or mine != state.request_no:
            return None
        last_page = max(1, ceil(total(answer) / state.rows_per_page))
        if state.page <= last_page:
            return answer
        state.page = last_page


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
    # A tablet (below 1024 px) gets narrower padding, so every column fits its width.
    table.props[":dense"] = "window.innerWidth < 1024"
    return table


def searched_for_note(text: str | None) -> str:
    """What a list says when it shows the results for the text in the other keyboard
    layout (data.reads.Page.searched_for)."""
    return tr(f"Показаны результаты для «{text}»", f"Showing results for “{text}”") if text else ""


# Long texts in table cells: at most N lines, the whole text on hover (the cell's title).
# A word longer than the column (a link, a contract number) breaks rather than widening
# the table past the screen.
CLAMP_CSS = """
.wms-clamp-2, .wms-clamp-3 {
  display: -webkit-box; -webkit-box-orient: vertical; overflow: hidden;
  overflow-wrap: anywhere; white-space: normal;
}
.wms-clamp-2 { -webkit-line-clamp: 2; line-clamp: 2; }
.wms-clamp-3 { -webkit-line-clamp: 3; line-clamp: 3; }
"""


def clamped(field: str, lines: int = 2, *, min_width: str = "10rem") -> str:
    """A body-cell slot showing row[`field`] in at most `lines` lines, whole on hover."""
    return (
        f'<q-td :props="props" style="min-width: {min_width}">'
        f'<div class="wms-clamp-{lines}" :title="props.row.{field}">'
        f"{{{{ props.row.{field} }}}}</div></q-td>"
    )


def clamp_names(table: ui.table, field: str = "name", lines: int = 2) -> None:
    """Long product names in `table` take at most `lines` lines; hover shows them whole."""
    ui.add_css(CLAMP_CSS)
    table.add_slot(f"body-cell-{field}", clamped(field, lines, min_width="8rem"))
