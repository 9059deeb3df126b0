"""The worker's home (`/` for the worker role; ui/pages/dashboard/page.py hands it over).

«Где товар»: scan or type a barcode, GTIN, SKU or a few words of the name and see the
product, where it lies and its good, defect, reserved and available stock (DESIGN.md §6:
a worker may read). Scanner-first: the code field has the focus, a USB scanner types the
code and Enter, and a key pressed anywhere else on the page goes to the field. The
figures follow every change to the stock while the product is shown (ui.live).

Below it the page says what a worker can do here today and which floor pages are coming;
those pages join the worker's menu through ui.layout.FLOOR.
"""

from typing import Any

from nicegui import run, ui
from sqlalchemy.exc import SQLAlchemyError

from core.users.auth import Identity
from core.users.policy import Action
from data.catalog.queries import product_by_code, product_options
from data.floor.places import product_places
from data.stock.queries import product_stock
from ui.components.scan_field import ScanField
from ui.context import AppContext
from ui.formatting import quantity
from ui.i18n import tr
from ui.layout import frame, role_label
from ui.live import refresh_on_ledger_change
from ui.session import guarded

PATH = "/"
MATCH_LIMIT = 8  # a name search shows this many products to choose from
TILES = (
    ("good", "Годный", "Good"),
    ("defect", "Брак", "Defect"),
    ("reserved", "В резерве", "Reserved"),
    ("available", "Доступно", "Available"),
)
# What the worker's menu will hold; each line goes when its page joins ui.layout.FLOOR.
COMING: tuple[tuple[str, str], ...] = ()


def worker_home(ctx: AppContext, user: Identity) -> None:
    with (
        frame(user, tr("Где товар", "Find a product"), PATH),
        # Side by side on an office screen; on a tablet or phone the two do not fit in one
        # line, so the second wraps under the first and each takes the whole width.
        ui.element("div").classes("w-full flex flex-wrap items-start gap-4"),
    ):
        with ui.element("div").classes("flex flex-col gap-4").style("flex: 7 1 480px"):
            ProductLookup(ctx)
        with ui.element("div").style("flex: 5 1 340px"):
            what_you_can_do(user)


class ProductLookup:
    def __init__(self, ctx: AppContext) -> None:
        self.ctx = ctx
        self.product_id: int | None = None
        find = guarded(ctx, Action.FIND_PRODUCT, self._find)
        with ui.row().classes("w-full items-center gap-2 no-wrap"):
            # The shared scan field: the browser empties it at Enter and the scans are
            # looked up one at a time in order, so a fast scanner's next code is never lost
            # (the server never writes the field).
            self.scan = (
                ScanField(
                    tr("Штрихкод, GTIN, артикул или название", "Barcode, GTIN, SKU or name"),
                    find,
                )
                .props("clearable enterkeyhint=search")
                .classes("grow")
                .mark("lookup-code")
            )
            # The button looks up what was typed by hand (a name); the text stays to refine.
            ui.button(icon="search", on_click=find).props(
                f'unelevated size=lg aria-label="{tr("Найти", "Find")}"'
            ).classes("min-h-14").mark("lookup-find")
        # What the last lookup was for: the field itself is empty after a scan.
        self.searched = ui.label().classes("text-body2 text-grey-8").mark("lookup-searched")
        self.hint = ui.label(
            tr(
                "Отсканируйте штрихкод товара — сканер сам нажмёт Enter. "
                "Или введите артикул или слова из названия и нажмите Enter.",
                "Scan the product's barcode — the scanner presses Enter itself. "
                "Or type an SKU or words of the name and press Enter.",
            )
        ).classes("text-body1 text-grey-7")
        self.message = ui.label().classes("text-body1 text-negative").mark("lookup-message")
        self.message.set_visibility(False)
        self.matches = ui.column().classes("w-full gap-1").mark("lookup-matches")
        self._build_card()
        refresh_on_ledger_change(ctx, self._refresh, action=Action.FIND_PRODUCT)

    def _build_card(self) -> None:
        with ui.card().classes("w-full gap-3").props("flat bordered").mark("lookup-card") as card:
            self.name = ui.label().classes("text-h6 leading-tight").mark("lookup-name")
            self.codes = ui.label().classes("text-body2 text-grey-8")
            with ui.element("div").classes("w-full grid grid-cols-4 gap-2"):
                self.tiles: dict[str, ui.label] = {}
                for key, ru, en in TILES:
                    with ui.column().classes("gap-0"):
                        ui.label(tr(ru, en)).classes("text-caption text-grey-7")
                        self.tiles[key] = (
                            ui.label().classes("text-h5 text-weight-medium").mark(f"lookup-{key}")
                        )
            ui.label(tr("Где лежит", "Where it lies")).classes("text-subtitle2")
            self.places = ui.column().classes("w-full gap-1").mark("lookup-places")
        self.card = card
        card.set_visibility(False)

    async def _find(self, _user: Identity, e: Any = None) -> None:
        # A scan (ScanField: the code), or the button (its click event): the typed text.
        text = (e if isinstance(e, str) else self.scan.value or "").strip()
        self.message.set_visibility(False)
        self.matches.clear()
        if not text:
            return
        self.searched.set_text(tr(f"Искали: «{text}»", f"Looked up: “{text}”"))
        try:
            found = await run.io_bound(self._search, text)
        except SQLAlchemyError:
            self._say(tr("База данных недоступна. Повторите.", "The database is unavailable."))
            return
        if found is None:  # the app is stopping
            return
        exact, options = found
        if exact is not None:
            await self._show(exact)
        elif len(options) == 1:
            await self._show(options[0]["id"])
        elif not options:
            self._hide()
            self._say(
                tr(f"Товар «{text}» не найден", f"No product “{text}”")
            )  # fmt: skip
        else:
            self._hide()
            self._offer(options)
        if not isinstance(e, str):  # typed by hand: the next scan replaces the text
            self.scan.run_method("select")  # (never after a scan: it would take its keys)

    def _search(self, text: str) -> tuple[int | None, list[dict[str, Any]]]:
        product = product_by_code(self.ctx.db.engine, text)
        if product is not None:
            return product["id"], []
        return None, product_options(self.ctx.db.engine, q=text, limit=MATCH_LIMIT + 1)

    def _offer(self, options: list[dict[str, Any]]) -> None:
        with self.matches:
            ui.label(tr("Найдено несколько — выберите:", "Several found — choose one:")).classes(
                "text-body1"
            )
            for option in options[:MATCH_LIMIT]:
                ui.button(
                    f"{option['name']} · {option['sku']} · {option['barcode']}",
                    on_click=guarded(
                        self.ctx,
                        Action.FIND_PRODUCT,
                        lambda _u, _e=None, pid=option["id"]: self._pick(pid),
                    ),
                ).props("flat no-caps align=left").classes("w-full text-left").mark("lookup-match")
            if len(options) > MATCH_LIMIT:
                ui.label(
                    tr("Есть ещё — уточните запрос.", "There are more — narrow the search.")
                ).classes("text-body2 text-grey-7")

    async def _pick(self, product_id: int) -> None:
        self.matches.clear()
        await self._show(product_id)

    async def _show(self, product_id: int) -> None:
        self.product_id = product_id
        await self._refresh()

    async def _refresh(self) -> None:
        if self.product_id is None:
            return
        try:
            view = await run.io_bound(self._read, self.product_id)
        except SQLAlchemyError:
            self._say(tr("База данных недоступна. Повторите.", "The database is unavailable."))
            return
        if view is None:  # the app is stopping
            return
        product, stock, places = view
        if product is None or product.is_deleted:  # deleted meanwhile
            self._hide()
            return
        self.name.set_text(product.name)
        codes = tr("Артикул", "SKU") + f": {product.sku} · " + tr("Штрихкод", "Barcode")
        codes += f": {product.barcode}"
        if product.gtin:
            codes += f" · GTIN: {product.gtin}"
        self.codes.set_text(codes)
        for key, label in self.tiles.items():
            label.set_text(quantity(stock[key]))
        colour = "text-negative" if stock["available"] <= 0 else "text-positive"
        self.tiles["available"].classes(replace=f"text-h5 text-weight-medium {colour}")
        self._show_places(places)
        self.card.set_visibility(True)

    def _read(self, product_id: int) -> tuple[Any, dict[str, int], list[dict[str, Any]]]:
        engine = self.ctx.db.engine
        return (
            self.ctx.products.get(product_id),
            product_stock(engine, product_id),
            product_places(engine, product_id),
        )

    def _show_places(self, places: list[dict[str, Any]]) -> None:
        self.places.clear()
        with self.places:
            if not places:
                ui.label(tr("Нет на складе", "Not in stock")).classes("text-body1 text-grey-7")
            for place in places:
                with ui.row().classes("w-full items-baseline gap-2 no-wrap").mark("lookup-place"):
                    ui.label(f"{place['name']} ({place['code']})").classes("text-body1 grow")
                    text = quantity(place["quantity"]) + " " + tr("шт.", "pcs")
                    if place["reserved"]:
                        text += (
                            " · " + tr("в резерве", "reserved") + f" {quantity(place['reserved'])}"
                        )
                    ui.label(text).classes("text-body1 text-weight-medium")

    def _hide(self) -> None:
        self.product_id = None
        self.card.set_visibility(False)

    def _say(self, text: str) -> None:
        self.message.set_text(text)
        self.message.set_visibility(True)


def what_you_can_do(user: Identity) -> None:
    with ui.card().classes("w-full gap-2").props("flat bordered").mark("worker-duties"):
        ui.label(
            tr("Вы вошли как", "Signed in as") + f" {user.display_name} · {role_label(user.role)}"
        ).classes("text-subtitle1")
        ui.label(tr("Что можно делать сейчас", "What you can do now")).classes("text-subtitle2")
        with ui.element("ul").classes("list-disc pl-6 text-body1"):
            for ru, en in (
                ("Найти товар по штрихкоду, GTIN, артикулу или названию и увидеть его остаток "
                 "и где он лежит — здесь",
                 "Find a product by barcode, GTIN, SKU or name and see its stock and where it "
                 "lies — here"),
                ("Выполнять свои задания на размещение и перемещение — «Мои задания» в меню",
                 "Carry out your putaway and move missions — “My missions” in the menu"),
                ("Разложить принятый товар по ячейкам — «Размещение»: система подскажет ячейку",
                 "Put received goods into bins — “Putaway”: the system suggests the bin"),
                ("Пересчитать ячейку — «Пересчёт ячейки»: расхождения проводятся сразу",
                 "Count a bin — “Bin count”: differences are booked at once"),
                ("Проверить собранный заказ — «Контроль качества»: каждый товар сканом, "
                 "годный или брак, с фото", "Check a picked order — “Quality control”: scan "
                 "each unit, good or defective, with a photo"),
                ("Упаковать заказ в коробки, напечатать этикетки и отгрузить — «Упаковка и "
                 "отгрузка»", "Pack an order into boxes, print its labels and ship it — "
                 "“Packing and shipping”"),
                ("Принять возврат отгруженного заказа — «Возвраты»: трек-номер посылки, затем "
                 "каждый товар — годный или брак", "Take back a shipped order — “Returns”: "
                 "the parcel's tracking number, then each unit, good or defective"),
                ("Сменить свой пароль — меню ⋮ справа вверху",
                 "Change your password — the ⋮ menu at the top right"),
            ):  # fmt: skip
                with ui.element("li").classes("mb-1"):
                    ui.label(tr(ru, en))
        ui.label(
            tr(
                "Приёмку, списание и другие операции с остатками проводит менеджер.",
                "Receipts, write-offs and other stock operations are posted by a manager.",
            )
        ).classes("text-body2 text-grey-8")
        if not COMING:
            return
        ui.label(tr("Скоро в меню слева", "Coming to the menu on the left")).classes(
            "text-subtitle2"
        )
        with ui.element("ul").classes("list-disc pl-6 text-body1 text-grey-8"):
            for ru, en in COMING:
                with ui.element("li").classes("mb-1"):
                    ui.label(tr(ru, en))
