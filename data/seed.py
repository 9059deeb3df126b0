"""Reference data every database needs: warehouses, locations, marketplaces, their DCs,
and the first admin. Idempotent: only what is missing is added."""

from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from core.floor.locations import SEEDED_FLOOR_LOCATIONS, LocationKind
from core.stock.operations import VIRTUAL_LOCATIONS, WAREHOUSES
from core.stock.rules import GOOD_WAREHOUSE
from core.users.passwords import generate_password, hash_password
from data.db import write_session
from data.models import DistributionCenter, Location, Source, User, Warehouse

SOURCES = ("Wildberries", "Ozon", "Яндекс Маркет", "Мегамаркет")
DISTRIBUTION_CENTERS: dict[str, tuple[str, ...]] = {
    "Wildberries": (
        "WB Коледино",
        "WB Подольск",
        "WB Электросталь",
        "WB Тула",
        "WB Казань",
        "WB Краснодар",
        "WB Невинномысск",
        "WB Екатеринбург — Испытателей",
        "WB Новосибирск",
        "WB Санкт-Петербург — Шушары",
    ),
    "Ozon": (
        "Ozon Хоругвино",
        "Ozon Пушкино",
        "Ozon Петровское",
        "Ozon Гривно",
        "Ozon Ногинск",
        "Ozon Казань",
        "Ozon Екатеринбург",
        "Ozon Новосибирск",
        "Ozon Ростов-на-Дону",
    ),
    "Яндекс Маркет": ("Яндекс Маркет Софьино", "Яндекс Маркет Томилино"),
}


def seed_reference_data(engine: Engine) -> None:
    with write_session(engine) as session:
        _seed_locations(session)
        sources = _seed_sources(session)
        _seed_distribution_centers(session, sources)
        session.commit()


def _seed_locations(session: Session) -> None:
    for code, name in WAREHOUSES.items():
        warehouse = session.exec(select(Warehouse).where(Warehouse.code == code)).first()
        if warehouse is None:
            warehouse = Warehouse(code=code, name=name)
            session.add(warehouse)
            session.flush()
        if session.exec(select(Location).where(Location.code == code)).first() is None:
            session.add(
                Location(code=code, name=name, kind=LocationKind.DEFAULT, warehouse_id=warehouse.id)
            )
    for code, name in VIRTUAL_LOCATIONS.items():
        if session.exec(select(Location).where(Location.code == code)).first() is None:
            session.add(Location(code=code, name=name, kind=LocationKind.VIRTUAL))
    good = session.exec(select(Warehouse).where(Warehouse.code == GOOD_WAREHOUSE)).one()
    for code, (kind, name) in SEEDED_FLOOR_LOCATIONS.items():
        if session.exec(select(Location).where(Location.code == code)).first() is None:
            session.add(Location(code=code, name=name, kind=kind, warehouse_id=good.id))
    session.flush()


def _seed_sources(session: Session) -> dict[str, int]:
    existing = {s.name: s for s in session.exec(select(Source))}
    for name in SOURCES:
        if name not in existing:
            existing[name] = Source(name=name)
            session.add(existing[name])
    session.flush()
    return {name: source.id for name, source in existing.items() if source.id is not None}


def _seed_distribution_centers(session: Session, sources: dict[str, int]) -> None:
    existing = set(session.exec(select(DistributionCenter.name)))
    for source_name, names in DISTRIBUTION_CENTERS.items():
        for name in names:
            if name not in existing:
                session.add(DistributionCenter(name=name, source_id=sources[source_name]))


def ensure_admin(engine: Engine, password: str | None) -> str | None:
    """Create `admin` when there is none; return the password only if it was generated."""
    with write_session(engine) as session:
        if session.exec(select(User).where(User.username == "admin")).first() is not None:
            return None
        generated = None if password else generate_password()
        session.add(
            User(
                username="admin",
                role="admin",
                password_hash=hash_password(password or generated or ""),
            )
        )
        session.commit()
        return generated
