"""One object per database: its engine, the location directory and units of work."""

from sqlalchemy.engine import Engine

from data.db import create_engine
from data.uow import LocationDirectory, SqlUnitOfWork


class Database:
    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self.locations = LocationDirectory(engine)

    @classmethod
    def from_url(cls, url: str, *, sqlite_synchronous: str = "FULL") -> "Database":
        return cls(create_engine(url, sqlite_synchronous=sqlite_synchronous))

    def unit_of_work(self) -> SqlUnitOfWork:
        return SqlUnitOfWork(self.engine, self.locations)

    def dispose(self) -> None:
        self.engine.dispose()
