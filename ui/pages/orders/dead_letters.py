"""/events/dead-letters (managers, admins): the order feed's entries that could not be
applied (DESIGN.md §7, `wms:events:dead-letter`) — when, which order, what kind, why.

«Повторить» puts the entry's own fields back on `listings:events:orders` and deletes the
dead letter (data.events.feed.retry_dead_letter), so once the cause is fixed (the missing
product created, the source added) the feed applies it. The role is checked on the server
when the page opens and again on every click. Without WMS_REDIS_URL there is no feed: the
page says so.
"""

from typing import Any

from nicegui import run, ui

from core.users.auth import Identity
from core.users.policy import Action
from data.events.feed import DeadLetter, connect, dead_letters, retry_dead_letter
from ui.components.feedback import show_done
from ui.context import AppContext
from ui.formatting import format_time
from ui.layout import frame
from ui.session import guarded, protected_page

PATH = "/events/dead-letters"
TITLE = "Ошибки ленты заказов"
KINDS = {"order.confirmed": "Подтверждение", "order.cancelled": "Отмена"}
REDIS_DOWN = "Redis недоступен: не удалось прочитать ошибки ленты заказов"


def register(ctx: AppContext) -> None:
    @protected_page(ctx, PATH, Action.MANAGE_ORDERS)
    async def dead_letters_page(user: Identity) -> None:
        with frame(user, TITLE, PATH):
            if not ctx.settings.redis_url:
                ui.label("Лента заказов не подключена (не задан WMS_REDIS_URL).").mark("feed-off")
                return
            await DeadLetters(ctx).show()


class DeadLetters:
    def __init__(self, ctx: AppContext) -> None:
        self.ctx = ctx
        assert ctx.settings.redis_url
        self.url = ctx.settings.redis_url
        self.box = ui.column().classes("w-full gap-2").mark("dead-letters")

    def _read(self) -> list[DeadLetter]:
        client = connect(self.url)
        try:
            return dead_letters(client)
        finally:
            client.close()

    def _retry(self, letter_id: str) -> str | None:
        client = connect(self.url)
        try:
            return retry_dead_letter(client, letter_id)
        finally:
            client.close()

    async def show(self) -> None:
        try:
            letters = await run.io_bound(self._read)
        except Exception:  # Redis down: say it, the rest of the app is unaffected
            self.box.clear()
            with self.box:
                ui.label(REDIS_DOWN).classes("text-negative").mark("redis-down")
            return
        self.box.clear()
        with self.box:
            if not letters:
                ui.label("Ошибок нет: все события ленты обработаны.").mark("no-dead-letters")
                return
            ui.label(f"Не обработано событий: {len(letters)}").classes("text-subtitle1")
            for letter in letters:
                self._row(letter)

    def _row(self, letter: DeadLetter) -> None:
        tz = self.ctx.settings.time_zone
        with ui.card().classes("w-full").mark(f"dead-letter-{letter.order_id}"):
            with ui.row().classes("w-full items-center gap-4"):
                ui.label(format_time(letter.at, tz)).classes("text-grey-7")
                ui.label(f"Заказ {letter.order_id or '—'}").classes("text-weight-medium")
                ui.label(letter.source)
                ui.label(KINDS.get(letter.type, letter.type or "—"))
                ui.space()
                retry = guarded(self.ctx, Action.MANAGE_ORDERS,
                                lambda _u, *_a, i=letter.id: self.retry(i))  # fmt: skip
                ui.button("Повторить", icon="replay", on_click=retry).props(
                    "unelevated no-caps"
                ).mark(f"retry-{letter.order_id}")
            ui.label(letter.error).classes("text-negative")
            ui.label(f"Событие {letter.entry_id}").classes("text-caption text-grey-7")

    async def retry(self, letter_id: str, *_: Any) -> None:
        try:
            again = await run.io_bound(self._retry, letter_id)
        except Exception:
            ui.notify(REDIS_DOWN, type="negative", position="top")
            return
        show_done("Событие отправлено в ленту снова" if again else "Уже повторено")
        await self.show()
