"""Start the WMS: read settings, upgrade the schema, seed reference data, serve the app.

uv run main.py
uv run main.py --demo    # an empty database: fill it with demo data first
uv run main.py reset-password USER    # a lost password: set a new one, print it once
"""

import argparse
import gc
import os
import secrets
import sys
from pathlib import Path

from nicegui import app, ui

from core.errors import DomainError
from core.settings import Settings, get_settings
from core.users.accounts import reset_password
from core.users.passwords import generate_password
from data.database import Database
from data.demo.load import check_empty, fill
from data.demo.plan import DEMO_DAYS
from data.migrate import upgrade
from data.seed import ensure_admin, seed_reference_data
from data.users.store import SqlUserAdminStore, SqlUserStore
from ui import logs
from ui.app import build
from ui.context import AppContext

RECONNECT_TIMEOUT_SECONDS = 10.0  # NiceGUI's reconnect_timeout (see `ui.run` below)


def storage_secret(settings: Settings) -> str:
    """From WMS_STORAGE_SECRET, or generated once and kept beside the SQLite file."""
    if settings.storage_secret:
        return settings.storage_secret
    path: Path = settings.data_dir / "storage_secret"
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(secrets.token_urlsafe(32))
        path.chmod(0o600)
    return path.read_text().strip()


def prepare(settings: Settings, *, demo: bool = False) -> Database:
    db = Database.from_url(
        settings.resolved_database_url, sqlite_synchronous=settings.sqlite_synchronous
    )
    if demo:
        check_empty(db.engine)  # before anything is written, the schema included
    upgrade(db.engine)
    seed_reference_data(db.engine)
    generated = ensure_admin(db.engine, settings.admin_password)
    if generated:
        # Shown once; only its hash is stored.
        print(f"Создан пользователь admin с паролем: {generated}", flush=True)
    if demo:
        load_demo(db, settings)
    return db


def load_demo(db: Database, settings: Settings) -> None:
    print("Загружаю демо-данные…", flush=True)
    report = fill(
        db,
        time_zone=settings.time_zone,
        progress=lambda done, total: print(f"  операций: {done} из {total}", flush=True),
    )
    for username, password in report.passwords.items():
        print(f"Создан пользователь {username} с паролем: {password}", flush=True)
    loaded = report.loaded
    print(
        f"Демо-данные загружены за {report.seconds:.0f} с: товаров — {loaded.products}, "
        f"операций — {loaded.movements} за {DEMO_DAYS} дней, заказов — "
        f"{sum(report.orders.values())}, товаров размещено по ячейкам зон A и B — "
        f"{report.putaways}.",
        flush=True,
    )


def reset_lost_password(settings: Settings, username: str) -> None:
    """Console recovery of a lost password (e.g. the only admin's): whoever can run the
    server's commands may set it. As an admin's reset: the user's sessions and API tokens
    end (credentials version), the sign-in lockout is cleared."""
    db = Database.from_url(
        settings.resolved_database_url, sqlite_synchronous=settings.sqlite_synchronous
    )
    try:
        upgrade(db.engine)  # as a start would: the columns the reset writes exist
        user = SqlUserStore(db.engine).find(username.strip())
        if user is None:
            raise DomainError("user_not_found", f"Пользователь «{username}» не найден")
        password = generate_password()
        reset_password(SqlUserAdminStore(db.engine), user.id, password)
    finally:
        db.dispose()
    # Shown once; only its hash is stored.
    print(f"Новый пароль пользователя {user.username}: {password}", flush=True)
    print("Его открытые сессии и API-токены завершены.", flush=True)
    if not user.is_active:
        print(
            "Пользователь отключён: войти он сможет, когда администратор его включит.",
            flush=True,
        )


def parse_args(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="main.py", description="Складская система: веб-приложение и REST API."
    )
    parser.add_argument(
        "--demo",
        action="store_true",
        help="заполнить пустую базу демо-данными (товары и операции за 90 дней), "
        "затем запустить приложение",
    )
    commands = parser.add_subparsers(dest="command", title="команды")
    reset = commands.add_parser(
        "reset-password",
        help="задать пользователю новый пароль (он печатается один раз), завершить его "
        "сессии и токены, снять блокировку входа; приложение не запускается",
    )
    reset.add_argument("username", metavar="USER", help="имя пользователя, например admin")
    return parser.parse_args(argv)


def command_line() -> list[str]:
    """This script's arguments; none when NiceGUI's test harness runs it in-process
    (runpy: sys.argv is then pytest's, with only argv[0] replaced)."""
    if os.environ.get("NICEGUI_USER_SIMULATION") or os.environ.get("NICEGUI_SCREEN_TEST_PORT"):
        return []
    return sys.argv[1:]


def main(argv: list[str] | None = None) -> None:
    args = parse_args(command_line() if argv is None else argv)
    settings = get_settings()
    logs.configure(settings)  # before anything logs: one format for every record
    try:
        if args.command == "reset-password":
            reset_lost_password(settings, args.username)
            return
        db = prepare(settings, demo=args.demo)
    except DomainError as error:
        print(error.message, file=sys.stderr, flush=True)
        raise SystemExit(1) from None
    secret = storage_secret(settings)
    build(AppContext(db=db, settings=settings, secret=secret))
    app.on_startup(settle_heap)  # after the app's own startup work
    ui.run(
        host=settings.host,
        port=settings.port,
        title="Склад",
        language="ru",
        storage_secret=secret,
        # The session cookie: never sent over plain HTTP when the app is served over HTTPS.
        session_middleware_kwargs={"https_only": settings.https},
        # /docs and /openapi.json (ui/api/docs.py) list the REST API, not NiceGUI's routes.
        endpoint_documentation="none",
        reload=False,
        show=False,
        log_config=None,  # uvicorn's records go through ui.logs' handler, not its own
        favicon="📦",
        # How long a page's state waits for its browser to come back; NiceGUI derives the
        # socket's ping from it (every 0.8×, answered within 0.4×; 4 s and 2 s at its
        # default of 3 s). With hundreds of tablets on a busy machine a stall of 2 s
        # dropped sockets; a tablet on flaky Wi-Fi also keeps its page and its count.
        reconnect_timeout=RECONNECT_TIMEOUT_SECONDS,
    )


def settle_heap() -> None:
    """The objects the app starts with (modules, routes, NiceGUI) live as long as it does:
    frozen out of the garbage collector, so its full collections under load walk only what
    requests made (each one took ~150 ms with the startup heap, by bench.order_life)."""
    gc.collect()
    gc.freeze()


if __name__ in {"__main__", "__mp_main__"}:
    main()
