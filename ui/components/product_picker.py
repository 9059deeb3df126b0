"""A product select that searches on the server (name, SKU, barcode or GTIN) as one types.

Used where a product is chosen without a scanner: the operations form and the journal
filter. The catalogue may be large, so options are fetched 20 at a time, never all.
"""

from collections.abc import Callable, Mapping
from typing import Any

from nicegui import events, run, ui

from core.users.auth import Identity
from core.users.policy import Action
from data.catalog.queries import product_options
from data.reads import Page, retry_in_other_layout
from ui.components.tables import searched_for_note
from ui.context import AppContext
from ui.i18n import tr
from ui.session import guarded

OPTIONS_LIMIT = 20


def product_label(product: Mapping[str, Any]) -> str:
    """'Name · SKU · barcode': the select filters on this text in the browser too."""
    return f"{product['name']} · {product['sku']} · {product['barcode']}"


class ProductPicker:
    def __init__(
        self,
        ctx: AppContext,
        action: Action,
        *,
        label: str,
        on_pick: Callable[[int | None], Any],
        include_deleted: bool = False,
    ) -> None:
        self._ctx = ctx
        self._deleted: bool | None = None if include_deleted else False
        self._on_pick = on_pick
        self._labels: dict[int, str] = {}  # every product ever offered: keeps the value shown
        self._silent = False  # True while the page sets the value itself
        self._wanted = ""  # the newest text typed into the field
        self._searching = False  # a query for this picker is running
        self.select = (
            ui.select({}, label=label, with_input=True, clearable=True)
            .props("outlined hide-dropdown-icon")
            .classes("w-full")
        )
        with self.select.add_slot("no-option"), ui.item(), ui.item_section():
            ui.label(tr("Ничего не найдено", "Nothing found")).classes("text-grey-7")
        # The text is taken as it arrives, in order; the search itself waits for the session
        # check, and checks can finish out of order (a cache miss reads in a thread).
        self.select.on("input-value", self._typed)
        self.select.on("input-value", guarded(ctx, action, self._search))
        self.select.on_value_change(self._changed)
        self._offer(self._options(""))  # something to choose from before the first keystroke

    def _typed(self, e: events.GenericEventArguments) -> None:
        self._wanted = e.args if isinstance(e.args, str) else ""

    async def _search(self, _user: Identity, _e: events.GenericEventArguments) -> None:
        """Answer the newest text typed. One query at a time per picker: keystrokes that
        arrive meanwhile only replace the text wanted, asked for when the query returns."""
        if self._searching:
            return
        self._searching = True
        try:
            while True:
                text = self._wanted
                # Off the event loop: the page (and other users' pages) stay responsive.
                rows = await run.io_bound(self._options, text)
                if rows is None:  # the app is stopping
                    return
                if text == self._wanted:
                    self._offer(rows)
                    return
        finally:
            self._searching = False

    def _options(self, text: str) -> Page:
        """The first products matching `text` (all products by name when empty); when none
        does, those matching it in the other keyboard layout («gktl» → «плед»)."""

        def first(q: str | None) -> Page:
            rows = product_options(
                self._ctx.db.engine, q=q or None, deleted=self._deleted, limit=OPTIONS_LIMIT
            )
            return Page(rows, len(rows))

        return retry_in_other_layout(text, first)

    def _offer(self, page: Page) -> None:
        rows = page.items
        # Said under the field: the options are for the other layout's text.
        self.select.props["hint"] = searched_for_note(page.searched_for)
        options = {row["id"]: product_label(row) for row in rows}
        current = self.select.value
        if current is not None and current not in options and current in self._labels:
            options[current] = self._labels[current]  # keep the chosen one displayable
        self._labels.update(options)
        self.select.set_options(options)

    def show(self, product: Mapping[str, Any] | None) -> None:
        """Display `product` as chosen (e.g. after a scan) without calling `on_pick`."""
        if product is None:
            self._set(None)
            return
        self._labels[product["id"]] = product_label(product)
        options = dict(self.select.options) if isinstance(self.select.options, dict) else {}
        options[product["id"]] = product_label(product)
        self.select.set_options(options)
        self._set(product["id"])

    def _set(self, value: int | None) -> None:
        self._silent = True
        try:
            self.select.value = value
        finally:
            self._silent = False

    def _changed(self, e: events.ValueChangeEventArguments) -> Any:
        if self._silent:
            return None
        return self._on_pick(e.value)
