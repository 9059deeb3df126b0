"""Creating 5,000 bins from a pattern (issue 12: < 5 s), through the same use case the
storage map's «Стеллажи по шаблону» calls: the check, the walking order, the look-up of
taken codes and one multi-row insert.

Run from the project root:

    uv run python -m bench.racks                # a fresh SQLite file in the temp folder
    uv run python -m bench.racks --url postgresql+psycopg://postgres@127.0.0.1:5432/wms_bench

The PostgreSQL database is emptied first (its public schema is dropped and migrated again):
give it a throwaway one. Each round creates another zone of 5,000 bins (zone B, C, …), so
later rounds also show the cost of a map that already holds bins.
"""

import argparse
import tempfile
import time
from pathlib import Path

import sqlalchemy as sa

from core.floor.racks import RackPattern, create_rack
from data.database import Database
from data.floor.locations import LocationFilter, locations
from data.floor.store import SqlLocationStore
from data.migrate import upgrade
from data.seed import seed_reference_data

# 25 racks × 10 levels × 20 places = 5,000 bins, e.g. A-01-01-01 … A-25-10-20.
RACKS, LEVELS, PLACES = (1, 25), (1, 10), (1, 20)
LIMIT_SECONDS = 5.0


def fresh_database(url: str | None) -> Database:
    if url is None:
        path = Path(tempfile.mkdtemp(prefix="wms-bench-racks-")) / "wms.sqlite3"
        url = f"sqlite:///{path}"
    db = Database.from_url(url)
    if db.engine.dialect.name == "postgresql":
        with db.engine.begin() as conn:
            conn.execute(sa.text("DROP SCHEMA public CASCADE"))
            conn.execute(sa.text("CREATE SCHEMA public"))
    upgrade(db.engine)
    seed_reference_data(db.engine)
    return db


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--url", help="database URL (default: a new SQLite file)")
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    db = fresh_database(args.url)
    store = SqlLocationStore(db.engine, db.locations)
    print(f"{db.engine.dialect.name}: {args.rounds} rounds of 5,000 bins from one pattern")
    worst = 0.0
    for round_no in range(args.rounds):
        zone = chr(ord("A") + round_no)
        pattern = RackPattern(zone, RACKS, LEVELS, PLACES)
        started = time.perf_counter()
        bins = create_rack(store, pattern)
        elapsed = time.perf_counter() - started
        worst = max(worst, elapsed)
        listed = locations(db.engine, LocationFilter(zone=zone), limit=1).total
        assert listed == len(bins) == 5000, (listed, len(bins))
        print(f"  zone {zone}: {len(bins):,} bins in {elapsed:.2f} s ({bins[0].code} … "
              f"{bins[-1].code})")  # fmt: skip
    verdict = "ok" if worst < LIMIT_SECONDS else "TOO SLOW"
    print(f"slowest round: {worst:.2f} s (limit {LIMIT_SECONDS:.0f} s): {verdict}")
    db.dispose()


if __name__ == "__main__":
    main()
