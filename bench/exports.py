"""Time and peak memory of the .xlsx exports, above all the journal of a million movements.

Run from the project root:

    uv run python -m bench.exports                       # SQLite, generated on first run
    uv run python -m bench.exports --url postgresql+psycopg://postgres@127.0.0.1:5432/wms_big

Without --url a SQLite database of 1,000,000 movements (bench.generate) is made once in
the temp folder and reused. Each export then runs in a fresh child process, so its peak
memory is its own and not the generator's: the report shows the process's resident memory
before the export (interpreter, libraries), its peak during the export, and samples taken
while rows were written — flat when the export streams.
"""

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import threading
import time
from datetime import datetime
from pathlib import Path
from typing import Any

DEFAULT_SQLITE = Path(tempfile.gettempdir()) / "wms-bench-exports.sqlite3"


def rss_mb() -> float:
    """This process's resident memory now (Linux /proc)."""
    pages = int(Path("/proc/self/statm").read_text().split()[1])
    return pages * os.sysconf("SC_PAGE_SIZE") / 2**20


def peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux


def run_one(url: str, kind: str) -> dict[str, Any]:
    """In the child: one export into a temp file; time, memory and size."""
    from data.database import Database
    from data.files import exports

    db = Database.from_url(url)
    before = rss_mb()
    samples: list[tuple[int, float]] = []

    def progress(rows: int) -> None:
        if rows % 100_000 == 0:
            samples.append((rows, rss_mb()))

    # A thread notes the highest resident memory as well (getrusage covers the whole life).
    highest = [before]
    running = True

    def watch() -> None:
        while running:
            highest[0] = max(highest[0], rss_mb())
            time.sleep(0.05)

    watcher = threading.Thread(target=watch, daemon=True)
    watcher.start()
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / f"{kind}.xlsx"
        started = time.perf_counter()
        if kind == "journal":
            rows = exports.export_journal(db.engine, path, progress=progress)
        elif kind == "balances":
            rows = exports.export_balances(db.engine, path, progress=progress)
        else:
            rows = exports.export_products(db.engine, path, progress=progress)
        seconds = time.perf_counter() - started
        size = path.stat().st_size
    running = False
    watcher.join()
    db.dispose()
    return {
        "kind": kind,
        "rows": rows,
        "seconds": round(seconds, 1),
        "file_mb": round(size / 2**20, 1),
        "rss_before_mb": round(before, 1),
        "rss_peak_mb": round(max(highest[0], peak_mb()), 1),
        "rss_samples_mb": [(n, round(mb, 1)) for n, mb in samples],
    }


def compare_openpyxl(url: str, rows: int) -> dict[str, Any]:
    """The same first `rows` journal rows through openpyxl's write-only mode and ours."""
    from openpyxl import Workbook

    import data.stock.journal
    from data.database import Database
    from data.files import exports

    db = Database.from_url(url)
    data: list[dict[str, Any]] = []
    for chunk in data.stock.journal.journal_chunks(db.engine):
        data.extend(chunk)
        if len(data) >= rows:
            break
    data = data[:rows]
    columns = exports.journal_columns(exports.location_names(db.engine))
    tz = exports._zone("Europe/Moscow")
    with tempfile.TemporaryDirectory() as folder:
        started = time.perf_counter()
        exports.write_table(Path(folder) / "ours.xlsx", "Журнал", columns, data)
        ours = time.perf_counter() - started
        started = time.perf_counter()
        book = Workbook(write_only=True)
        sheet = book.create_sheet("Журнал")
        sheet.append([c.header for c in columns])
        for row in data:
            values = [c.of(row) for c in columns]
            sheet.append(
                [
                    v.astimezone(tz).replace(tzinfo=None) if isinstance(v, datetime) else v
                    for v in values
                ]
            )
        book.save(Path(folder) / "openpyxl.xlsx")
        theirs = time.perf_counter() - started
    db.dispose()
    return {"rows": len(data), "ours": round(ours, 1), "openpyxl": round(theirs, 1)}


def ensure_sqlite(path: Path, movements: int) -> str:
    url = f"sqlite:///{path}"
    if path.exists():
        return url
    from bench.generate import generate

    print(f"generating {movements:,} movements into {path} (once) …", flush=True)
    started = time.perf_counter()
    generate(url, products=50_000, movements=movements, check=False)
    print(f"  done in {time.perf_counter() - started:.0f} s", flush=True)
    return url


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--url", help="a filled database (default: a generated SQLite file)")
    parser.add_argument("--movements", type=int, default=1_000_000)
    parser.add_argument("--kinds", default="journal,balances,products")
    parser.add_argument(
        "--openpyxl-rows",
        type=int,
        default=100_000,
        help="also write this many journal rows with openpyxl write-only, for comparison (0: no)",
    )
    parser.add_argument("--child", help=argparse.SUPPRESS)  # internal: run one export
    args = parser.parse_args()
    if args.child == "compare":
        print(json.dumps(compare_openpyxl(args.url, args.openpyxl_rows)))
        return
    if args.child:
        print(json.dumps(run_one(args.url, args.child)))
        return
    url = args.url or ensure_sqlite(DEFAULT_SQLITE, args.movements)
    print(f"database: {url.split('@')[-1]}")
    for kind in args.kinds.split(","):
        child = subprocess.run(
            [sys.executable, "-m", "bench.exports", "--url", url, "--child", kind],
            capture_output=True,
            text=True,
            check=True,
        )
        result = json.loads(child.stdout.strip().splitlines()[-1])
        print(
            f"{kind:<9} {result['rows']:>9,} rows  {result['seconds']:6.1f} s  "
            f"file {result['file_mb']:5.1f} MB  RSS before {result['rss_before_mb']:.0f} MB, "
            f"peak {result['rss_peak_mb']:.0f} MB"
        )
        if result["rss_samples_mb"]:
            trail = ", ".join(f"{n // 1000}k: {mb:.0f}" for n, mb in result["rss_samples_mb"])
            print(f"          RSS while writing (rows: MB): {trail}")
    if args.openpyxl_rows:
        child = subprocess.run(
            [sys.executable, "-m", "bench.exports", "--url", url, "--child", "compare",
             "--openpyxl-rows", str(args.openpyxl_rows)],
            capture_output=True, text=True, check=True,
        )  # fmt: skip
        result = json.loads(child.stdout.strip().splitlines()[-1])
        print(
            f"the same {result['rows']:,} journal rows written: ours {result['ours']} s, "
            f"openpyxl write-only {result['openpyxl']} s"
        )


if __name__ == "__main__":
    main()
