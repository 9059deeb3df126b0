"""Database failures, said in one place: what the API answers (HTTP status, the §5 error
code, a Russian message) and what a page tells its user, never a traceback.

`ui.api.errors` answers a route's failure with `failure_of`; `ui.session.guarded` (every
event handler) and `protected_page` (every page) notify with `notify_failure`. Pages do not
catch database errors themselves: one that must tidy up (a half-written file) does so and
re-raises, and says what it was doing through `guarded(..., doing=...)`.
"""

import logging
from dataclasses import dataclass

from nicegui import ui
from sqlalchemy import exc

from ui.i18n import tr

log = logging.getLogger("wms.failures")

# What failed, as a page says it before the reason: («Не удалось …», "Could not …").
Doing = tuple[str, str]
SOMETHING: Doing = ("Не удалось выполнить действие", "Could not do it")
RETRY = ("Повторите.", "Try again.")


@dataclass(frozen=True)
class Failure:
    status: int
    code: str
    message: str  # the API's message (Russian)
    reason: tuple[str, str]  # a page's words after «Не удалось …:», Russian and English
    is_bug: bool = False  # logged with its traceback: not the database being away

    def text(self, doing: Doing = SOMETHING, retry: tuple[str, str] = RETRY) -> str:
        """A page's words in the visitor's language: «Не удалось …: причина. Повторите.»"""
        ru, en = self.reason
        return tr(f"{doing[0]}: {ru}. {retry[0]}", f"{doing[1]}: {en}. {retry[1]}")


UNAVAILABLE = Failure(
    503,
    "database_unavailable",
    "База данных недоступна, повторите позже",
    ("база данных недоступна", "the database is unavailable"),
)
# A write whose connection failed may have committed (the COMMIT itself may have failed).
UNSURE_WRITE = Failure(
    503,
    "database_unavailable",
    "База данных недоступна, изменение могло не сохраниться. Повторите запрос с тем же "
    "Idempotency-Key (он не проведёт операцию дважды) или проверьте журнал перед повтором",
    ("база данных недоступна", "the database is unavailable"),
)
CONFLICT = Failure(
    409,
    "conflict",
    "Данные изменились одновременно с вашим запросом: обновите их и повторите",
    ("данные изменились одновременно с вами", "the data changed at the same time"),
)
INTERNAL = Failure(
    500,
    "internal_error",
    "Внутренняя ошибка сервера. Повторите позже или сообщите администратору",
    ("ошибка базы данных", "a database error"),
    is_bug=True,
)


def _connection_lost(error: BaseException) -> bool:
    """The database is away or busy beyond its timeout: worth a retry, unlike a bug."""
    if isinstance(error, exc.OperationalError | exc.InterfaceError | exc.TimeoutError):
        return True
    if isinstance(error, exc.DisconnectionError):
        return True
    return isinstance(error, exc.DBAPIError) and error.connection_invalidated


def database_away(error: BaseException) -> bool:
    """The database is away or busy beyond its timeout (not a rule, not a bug)."""
    return _connection_lost(error)


def failure_of(error: BaseException, *, writing: bool = False) -> Failure | None:
    """`error` as a database failure, or None when it is not the database's (then it is a
    bug of ours and the caller answers 500)."""
    if _connection_lost(error):
        return UNSURE_WRITE if writing else UNAVAILABLE
    if isinstance(error, exc.IntegrityError):  # a constraint core did not foresee
        return CONFLICT
    if isinstance(error, exc.SQLAlchemyError):
        return INTERNAL
    return None


def log_failure(failure: Failure, error: BaseException, where: str) -> None:
    if failure.is_bug:
        log.error("database error in %s", where, exc_info=error)
    else:
        log.warning("database failure in %s: %s", where, error)


def failure_text(
    error: BaseException, where: str, doing: Doing = SOMETHING, retry: tuple[str, str] = RETRY
) -> str | None:
    """A database failure logged and put in a page's words, for a page that shows it in
    its own place (a dialog, a scan banner); None when `error` is not one (re-raise it)."""
    failure = failure_of(error)
    if failure is None:
        return None
    log_failure(failure, error, where)
    return failure.text(doing, retry)


def notify_failure(error: BaseException, where: str, doing: Doing = SOMETHING) -> bool:
    """Tell the page's user about a database failure; False when `error` is not one."""
    text = failure_text(error, where, doing)
    if text is None:
        return False
    ui.notify(text, type="negative", position="top", multi_line=True)
    return True
