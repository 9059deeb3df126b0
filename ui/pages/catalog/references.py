"""Reference data for admins: marketplaces (sources of returns and self-purchases) and
their distribution centers. Items are renamed and deactivated, never deleted: the ledger
points at them."""

from typing import Any

from nicegui import ui

from core.catalog.references import MAX_NAME, Kind, create_reference, update_reference
from core.errors import DomainError
from core.users.auth import Identity
from core.users.policy import Action
from data.catalog.queries import DistributionCenterRow, SourceRow, distribution_centers, sources
from ui.components.feedback import show_done, show_error
from ui.context import AppContext
from ui.i18n import tr
from ui.layout import frame
from ui.session import guarded, protected_page

Reference = SourceRow | DistributionCenterRow  # a row of either list


def register(ctx: AppContext) -> None:
    @protected_page(ctx, "/references", Action.MANAGE_REFERENCES)
    def references_page(user: Identity) -> None:
        with frame(user, tr("Справочники", "Reference data"), "/references"):
            ReferencesPage(ctx).build()


def status_text(active: bool) -> str:
    return tr("Активен", "Active") if active else tr("Отключён", "Inactive")


class ReferencesPage:
    """One visitor's page: two tabs, each a create form above the list, and one edit
    dialog per kind. Every handler goes through `guarded`, so the role is checked again."""

    def __init__(self, ctx: AppContext) -> None:
        self.ctx = ctx
        self.editing: dict[Kind, Reference] = {}
        self.dialogs: dict[Kind, tuple[ui.dialog, ui.input, ui.select | None, ui.label]] = {}
        # Opening the editor reads the marketplaces, so it is guarded like every handler.
        self.open_edit = guarded(ctx, Action.MANAGE_REFERENCES, self._open_edit)
        self.toggle = guarded(ctx, Action.MANAGE_REFERENCES, self._toggle)

    # --- building -----------------------------------------------------------------------

    def build(self) -> None:
        ui.label(
            tr(
                "Отключённые записи не предлагаются в новых операциях; "
                "история движений их сохраняет.",
                "Inactive entries are not offered for new operations; "
                "the movement history keeps them.",
            )
        ).classes("text-body2 text-grey-7")
        with ui.tabs().classes("w-full").props("align=left inline-label") as tabs:
            source_tab = ui.tab("sources", tr("Маркетплейсы", "Marketplaces"), "storefront")
            dc_label = tr("Распределительные центры", "Distribution centers")
            dc_tab = ui.tab("dcs", dc_label, "warehouse").mark("dc-tab")
        with ui.tab_panels(tabs, value=source_tab).classes("w-full bg-transparent"):
            with ui.tab_panel(source_tab).classes("px-0 gap-4"):
                self._source_form()
                self.source_list()
            with ui.tab_panel(dc_tab).classes("px-0 gap-4"):
                self._dc_form()
                self.dc_list()
        self._edit_dialog("source")
        self._edit_dialog("distribution_center")

    def _source_form(self) -> None:
        with ui.card().classes("w-full max-w-3xl").mark("source-form"):
            ui.label(tr("Новый маркетплейс", "New marketplace")).classes("text-subtitle1")
            with ui.row().classes("w-full items-start gap-3 flex-wrap"):
                name = (
                    ui.input(tr("Название", "Name"))
                    .props(f"outlined maxlength={MAX_NAME['source']}")
                    .classes("grow min-w-64")
                    .mark("source-name")
                )
                add = ui.button(tr("Добавить", "Add"), icon="add").props("unelevated size=lg")
                add.mark("source-add")
            error = ui.label().classes("text-negative").mark("source-error")
            error.set_visibility(False)

        def create(user: Identity, *_: Any) -> None:
            try:
                item = create_reference(self.ctx.references, "source", name.value or "")
            except DomainError as failure:
                _show_form_error(error, failure)
                return
            _hide(error)
            name.set_value("")
            show_done(tr(f"Маркетплейс «{item.name}» добавлен", f"Marketplace {item.name} added"))
            self.refresh()

        handler = guarded(self.ctx, Action.MANAGE_REFERENCES, create)
        add.on_click(handler)
        name.on("keydown.enter", handler)

    def _dc_form(self) -> None:
        with ui.card().classes("w-full max-w-3xl").mark("dc-form"):
            ui.label(tr("Новый распределительный центр", "New distribution center")).classes(
                "text-subtitle1"
            )
            with ui.row().classes("w-full items-start gap-3 flex-wrap"):
                name = (
                    ui.input(tr("Название", "Name"))
                    .props(f"outlined maxlength={MAX_NAME['distribution_center']}")
                    .classes("grow min-w-64")
                    .mark("dc-name")
                )
                self.dc_source = (
                    ui.select(self._source_options(), label=tr("Маркетплейс", "Marketplace"))
                    .props("outlined")
                    .classes("min-w-56")
                    .mark("dc-source")
                )
                add = ui.button(tr("Добавить", "Add"), icon="add").props("unelevated size=lg")
                add.mark("dc-add")
            error = ui.label().classes("text-negative").mark("dc-error")
            error.set_visibility(False)

        def create(user: Identity, *_: Any) -> None:
            try:
                item = create_reference(
                    self.ctx.references,
                    "distribution_center",
                    name.value or "",
                    self.dc_source.value,
                )
            except DomainError as failure:
                _show_form_error(error, failure)
                return
            _hide(error)
            name.set_value("")
            show_done(tr(f"РЦ «{item.name}» добавлен", f"Distribution center {item.name} added"))
            self.refresh()

        handler = guarded(self.ctx, Action.MANAGE_REFERENCES, create)
        add.on_click(handler)
        name.on("keydown.enter", handler)

    @ui.refreshable_method
    def source_list(self) -> None:
        items = sources(self.ctx.db.engine)
        with ui.card().classes("w-full max-w-3xl p-0 gap-0").mark("source-list"):
            if not items:
                ui.label(tr("Маркетплейсов пока нет", "No marketplaces yet")).classes("p-4")
            for index, item in enumerate(items):
                if index:
                    ui.separator()
                self._row("source", item, None)

    @ui.refreshable_method
    def dc_list(self) -> None:
        items = distribution_centers(self.ctx.db.engine)
        with ui.card().classes("w-full max-w-3xl p-0 gap-0").mark("dc-list"):
            if not items:
                ui.label(tr("РЦ пока нет", "No distribution centers yet")).classes("p-4")
            for index, item in enumerate(items):
                if index:
                    ui.separator()
                self._row("distribution_center", item, item.source_name)

    def _row(self, kind: Kind, item: Reference, source_name: str | None) -> None:
        active = bool(item.is_active)
        with (
            ui.row()
            .classes("w-full items-center gap-2 px-4 py-2 no-wrap")
            .mark(f"{kind}-row", f"{kind}-{item.id}")
        ):
            with ui.column().classes("grow gap-0 min-w-0"):
                ui.label(item.name).classes(
                    "text-body1 break-words" + ("" if active else " text-grey-6 line-through")
                )
                if source_name is not None:
                    ui.label(source_name).classes("text-caption text-grey-7")
            ui.badge(status_text(active), color="positive" if active else "grey").classes(
                "text-body2 px-2 py-1"
            )
            ui.button(
                icon="edit",
                on_click=lambda _=None, i=item: self.open_edit(kind, i),
            ).props(f'flat round size=lg aria-label="{tr("Изменить", "Edit")}"').tooltip(
                tr("Изменить", "Edit")
            ).mark("edit")
            ui.button(
                tr("Отключить", "Deactivate") if active else tr("Включить", "Activate"),
                on_click=lambda _=None, i=item: self.toggle(kind, i),
            ).props("outline" if active else "unelevated").classes("min-w-32 h-12").mark(
                "deactivate" if active else "activate"
            )

    # --- editing ------------------------------------------------------------------------

    def _edit_dialog(self, kind: Kind) -> None:
        title = (
            tr("Маркетплейс", "Marketplace")
            if kind == "source"
            else tr("Распределительный центр", "Distribution center")
        )
        with ui.dialog() as dialog, ui.card().classes("w-[28rem] max-w-full gap-3"):
            ui.label(title).classes("text-h6")
            name = (
                ui.input(tr("Название", "Name"))
                .props(f"outlined maxlength={MAX_NAME[kind]} autofocus")
                .classes("w-full")
                .mark(f"{kind}-edit-name")
            )
            source = None
            if kind == "distribution_center":
                source = (
                    ui.select({}, label=tr("Маркетплейс", "Marketplace"))
                    .props("outlined")
                    .classes("w-full")
                    .mark("dc-edit-source")
                )
            error = ui.label().classes("text-negative").mark(f"{kind}-edit-error")
            with ui.row().classes("w-full justify-end gap-2"):
                ui.button(tr("Отмена", "Cancel"), on_click=dialog.close).props("flat size=lg")
                save = ui.button(tr("Сохранить", "Save")).props("unelevated size=lg")
                save.mark(f"{kind}-save")

        def store(user: Identity, *_: Any) -> None:
            item = self.editing[kind]
            try:
                update_reference(
                    self.ctx.references,
                    kind,
                    item.id,
                    name=name.value or "",
                    source_id=source.value if source is not None else None,
                )
            except DomainError as failure:
                _show_form_error(error, failure)
                return
            dialog.close()
            show_done(tr("Сохранено", "Saved"))
            self.refresh()

        handler = guarded(self.ctx, Action.MANAGE_REFERENCES, store)
        save.on_click(handler)
        name.on("keydown.enter", handler)
        self.dialogs[kind] = (dialog, name, source, error)

    def _open_edit(self, user: Identity, kind: Kind, item: Reference) -> None:
        dialog, name, source, error = self.dialogs[kind]
        self.editing[kind] = item
        name.set_value(item.name)
        if source is not None:
            source.set_options(self._source_options(keep=item.source_id), value=item.source_id)
        _hide(error)
        dialog.open()

    def _toggle(self, user: Identity, kind: Kind, item: Reference) -> None:
        try:
            update_reference(self.ctx.references, kind, item.id, is_active=not item.is_active)
        except DomainError as failure:
            show_error(failure)
            return
        self.refresh()

    # --- helpers ------------------------------------------------------------------------

    def _source_options(self, keep: int | None = None) -> dict[int, str]:
        """Active marketplaces, plus `keep` (a DC's current one) even if it is inactive."""
        options: dict[int, str] = {}
        for item in sources(self.ctx.db.engine):
            if item.is_active:
                options[item.id] = item.name
            elif item.id == keep:
                options[item.id] = f"{item.name} ({status_text(False).lower()})"
        return options

    def refresh(self) -> None:
        self.source_list.refresh()
        self.dc_list.refresh()
        chosen = self.dc_source.value
        options = self._source_options()
        self.dc_source.set_options(options, value=chosen if chosen in options else None)


def _show_form_error(label: ui.label, error: DomainError) -> None:
    label.set_text(error.message)
    label.set_visibility(True)


def _hide(label: ui.label) -> None:
    label.set_text("")
    label.set_visibility(False)
