"""/backup (admins): download a consistent copy of the whole database.

The copy is written off the event loop into a private temporary folder (data.backup) and
handed over once through ui.components.downloads (the fetch checks the session's user again). The
role is checked on the server when the page opens and again on the click.
"""

import shutil
from datetime import datetime
from typing import Any

from nicegui import run, ui

from core.errors import DomainError
from core.users.auth import Identity
from core.users.policy import Action
from data.backup import backup_available, make_backup
from data.db import is_sqlite
from ui.components.downloads import new_folder, offer_file
from ui.components.feedback import show_done, show_error
from ui.context import AppContext
from ui.formatting import zone
from ui.i18n import tr
from ui.layout import frame
from ui.session import guarded, protected_page

PATH = "/backup"

BACKUP_FAILED = ("Не удалось сделать копию", "The backup failed")


def register(ctx: AppContext) -> None:
    @protected_page(ctx, PATH, Action.BACKUP)
    def backup_page(user: Identity) -> None:
        with frame(user, tr("Резервная копия", "Backup"), PATH):
            BackupCard(ctx)


class BackupCard:
    def __init__(self, ctx: AppContext) -> None:
        self.ctx = ctx
        self.busy = False
        sqlite = is_sqlite(ctx.db.engine)
        with ui.card().classes("w-full max-w-2xl gap-3").mark("backup-card"):
            ui.label(tr("Копия всей базы данных", "A copy of the whole database")).classes(
                "text-h6"
            )
            if sqlite:
                what = tr(
                    "Файл SQLite: база на момент нажатия, целиком и согласованно — склад "
                    "при этом продолжает работать.",
                    "A SQLite file: the database as of the click, whole and consistent — "
                    "the warehouse keeps working meanwhile.",
                )
            else:
                what = tr(
                    "Дамп PostgreSQL (pg_dump, формат custom): база на момент нажатия, "
                    "восстанавливается командой pg_restore.",
                    "A PostgreSQL dump (pg_dump, custom format): the database as of the "
                    "click, restored with pg_restore.",
                )
            ui.label(what).classes("text-body1")
            ui.label(
                tr(
                    "Храните копию вне этого компьютера: в ней пользователи (хэши паролей) "
                    "и все операции. Как восстановить — README, раздел «Резервная копия».",
                    "Keep the copy off this computer: it holds the users (password hashes) "
                    "and every movement. How to restore: README, «Backup».",
                )
            ).classes("text-body2 text-grey-7")
            if backup_available(ctx.db.engine):
                self.button = (
                    ui.button(
                        tr("Скачать резервную копию", "Download a backup"),
                        icon="download",
                        on_click=guarded(ctx, Action.BACKUP, self.download, doing=BACKUP_FAILED),
                    )
                    .props("unelevated size=lg no-caps")
                    .mark("backup-download")
                )
            else:  # no dead button: say what the server lacks
                ui.label(
                    tr(
                        "На сервере нет программы pg_dump, поэтому скачать копию отсюда "
                        "нельзя. Установите клиент PostgreSQL (пакет postgresql-client) "
                        "или делайте копию командой pg_dump — см. README.",
                        "pg_dump is not installed on the server, so no copy can be "
                        "downloaded here. Install the PostgreSQL client "
                        "(postgresql-client) or back up with pg_dump — see README.",
                    )
                ).classes("text-body1 text-negative").mark("backup-unavailable")

    async def download(self, user: Identity, *_: Any) -> None:
        if self.busy:
            return
        self.busy = True
        self.button.props("loading")
        folder = new_folder()
        local_now = datetime.now(zone(self.ctx.settings.time_zone))
        try:
            backup = await run.io_bound(make_backup, self.ctx.db.engine, folder, local_now)
        except DomainError as error:
            shutil.rmtree(folder, ignore_errors=True)
            show_error(error)
            return
        except OSError:
            shutil.rmtree(folder, ignore_errors=True)
            ui.notify(
                tr(
                    "Не удалось сделать копию: диск сервера недоступен. Повторите.",
                    "The backup failed: the server's disk is unavailable. Try again.",
                ),
                type="negative",
                position="top",
            )
            return
        except Exception:  # the database's failure: `guarded` says it (ui.failures)
            shutil.rmtree(folder, ignore_errors=True)
            raise
        finally:
            self.busy = False
            self.button.props(remove="loading")
        if backup is None:  # the app is stopping
            shutil.rmtree(folder, ignore_errors=True)
            return
        offer_file(user, backup.path, backup.file_name, backup.media_type)
        show_done(tr(f"Копия готова: {backup.file_name}", f"Backup ready: {backup.file_name}"))
