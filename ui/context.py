"""What every page needs: the database, the user store and the settings of this process."""

from dataclasses import dataclass

from core.settings import Settings
from data.database import Database
from data.users import SqlUserStore


@dataclass(frozen=True)
class AppContext:
    db: Database
    users: SqlUserStore
    settings: Settings
