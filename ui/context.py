"""What every page and route needs: the database, the stores and the settings."""

from dataclasses import dataclass, field
from functools import partial

from core.dashboard.alerts import AlertThresholds
from core.settings import Settings
from data.catalog.store import SqlProductStore, SqlReferenceStore
from data.dashboard.alerts import bell_count
from data.database import Database
from data.floor.store import SqlLocationStore
from data.identity import CachedUsers
from data.ledger_watch import LedgerWatch
from data.users.store import SqlUserAdminStore, SqlUserStore


@dataclass(frozen=True)
class AppContext:
    db: Database
    settings: Settings
    # The app's storage secret; each use (e.g. API tokens) derives its own key from it.
    secret: str = ""
    users: SqlUserStore = field(init=False)
    user_admin: SqlUserAdminStore = field(init=False)
    products: SqlProductStore = field(init=False)
    references: SqlReferenceStore = field(init=False)
    locations: SqlLocationStore = field(init=False)
    # Notices commits by anyone (pages refresh on it). Not started here: ui.live.install
    # starts it with the app and stops it on shutdown, so a context made for a test or a
    # script leaves no thread behind.
    watch: LedgerWatch = field(init=False)
    # Signed-in identities without a database read per check (trusted while `watch` runs).
    identities: CachedUsers = field(init=False)

    def __post_init__(self) -> None:
        engine = self.db.engine
        object.__setattr__(self, "users", SqlUserStore(engine))
        object.__setattr__(self, "user_admin", SqlUserAdminStore(engine))
        object.__setattr__(self, "products", SqlProductStore(engine))
        object.__setattr__(self, "references", SqlReferenceStore(engine))
        object.__setattr__(self, "locations", SqlLocationStore(engine, self.db.locations))
        # The header's bell: low stock and operational alerts, counted by the watch.
        counted = partial(bell_count, thresholds=AlertThresholds.from_settings(self.settings))
        object.__setattr__(self, "watch", LedgerWatch(engine, low_stock_count=counted))
        object.__setattr__(self, "identities", CachedUsers(self.users, self.watch))
