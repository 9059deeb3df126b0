"""Speed of importing a receipt .xlsx end to end: parse, check, write (core.imports).

Run from the project root:

    uv run python -m bench.imports                 # 100,000 rows, PostgreSQL and SQLite
    uv run python -m bench.imports --million       # 1,000,000 rows as well
    uv run python -m bench.imports --quick         # smoke run: 5,000 rows, 1 run
    uv run python -m bench.imports --parallel      # 3 uploads at once to a real app


The files are generated once and kept in the temp folder. For each size it prints the
reader-only time of python-calamine (what the import uses) and of openpyxl in read-only
mode, then for each backend the end-to-end time of `import_file(dry_run=False)` and the
peak memory of the process doing it (each run in a fresh subprocess on a freshly emptied
database, so ru_maxrss is that run's own peak). Figures are medians of `--runs` runs.
Afterwards the ledger must equal the quants.

--parallel: three checks (dry runs) of the same file posted at once to POST /api/v1/imports
of a real app process (`main.py`, SQLite), with WMS_IMPORT_MAX_PARALLEL=1 and =3: the
process's peak resident memory (VmRSS sampled every 20 ms), its memory afterwards, and the
wall time of the three, medians of `--runs`.
"""

import argparse
import json
import os
import random
import resource
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import sqlalchemy as sa
from openpyxl import Workbook, load_workbook

from core.catalog.products import gtin_check_digit_ok
from core.settings import Settings
from data.database import Database
from data.db import create_engine
from data.files import sheet_reading, spreadsheets
from data.imports.importing import import_file
from data.migrate import upgrade
from data.models import Product
from data.seed import seed_reference_data
from data.stock.ledger_checks import ledger_discrepancies

DEFAULT_PG_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/wms_bench_imports"
FOLDER = Path(tempfile.gettempdir()) / "wms-bench-imports"
PRODUCTS = 5_000


def barcode(number: int) -> str:
    body = f"46{number:010d}"
    return next(body + str(d) for d in range(10) if gtin_check_digit_ok(body + str(d)))


def receipt_file(rows: int) -> Path:
    """A receipt .xlsx as people make them: a title block, then Баркод / Количество /
    Комментарий; barcodes as text, some with a leading zero product code."""
    FOLDER.mkdir(exist_ok=True)
    path = FOLDER / f"receipt-{rows}.xlsx"
    if path.exists():
        return path
    rng = random.Random(rows)
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet("Приёмка")
    sheet.append(["Приёмка от поставщика"])
    sheet.append([f"Строк: {rows}"])
    sheet.append([])
    sheet.append(["Баркод", "Количество", "Комментарий"])
    codes = [barcode(n) for n in range(PRODUCTS)]
    for i in range(rows):
        sheet.append([codes[rng.randrange(PRODUCTS)], rng.randint(1, 50), f"Поставка {i // 1000}"])
    tmp = path.with_suffix(".tmp")
    workbook.save(tmp)
    tmp.rename(path)
    return path


# ---------------------------------------------------------------- databases


def prepare(url: str) -> None:
    """An empty, migrated and seeded database with PRODUCTS products."""
    engine = create_engine(url)
    if engine.dialect.name == "postgresql":
        with engine.begin() as conn:
            conn.exec_driver_sql("DROP SCHEMA public CASCADE")
            conn.exec_driver_sql("CREATE SCHEMA public")
    upgrade(engine)
    seed_reference_data(engine)
    now = datetime.now(UTC)
    with engine.begin() as conn:
        conn.execute(
            sa.insert(Product.__table__),
            [
                {"sku": f"SKU-{n}", "name": f"Товар {n}", "barcode": barcode(n), "min_stock": 0,
                 "is_deleted": False, "created_at": now, "updated_at": now}
                for n in range(PRODUCTS)
            ],
        )  # fmt: skip
    engine.dispose()


def sqlite_url() -> str:
    path = FOLDER / "bench.sqlite3"
    for suffix in ("", "-wal", "-shm"):
        Path(f"{path}{suffix}").unlink(missing_ok=True)
    return f"sqlite:///{path}"


def pg_database_exists(url: str) -> bool:
    try:
        engine = create_engine(url)
        with engine.connect():
            pass
        engine.dispose()
        return True
    except sa.exc.OperationalError:
        return False


# ---------------------------------------------------------------- measurements


def child(url: str, path: str) -> None:
    """One end-to-end import in this (fresh) process; prints its figures as JSON."""
    content = Path(path).read_bytes()
    db = Database.from_url(url, sqlite_synchronous="NORMAL")
    stages: dict[str, float] = {}
    started = time.perf_counter()

    def progress(stage: str, _fraction: float) -> None:
        stages.setdefault(stage, time.perf_counter() - started)

    report = import_file(
        db, content=content, file_name=Path(path).name, kind="movements",
        operation_type="RECEIPT", dry_run=False, settings=Settings(), progress=progress,
    )  # fmt: skip
    elapsed = time.perf_counter() - started
    assert report.applied and not report.errors, report.errors[:5]
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(json.dumps({"seconds": elapsed, "peak_mb": peak_mb, "stages": stages}))
    db.dispose()


def end_to_end(url: str, path: Path) -> dict[str, Any]:
    prepare(url)
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parent.parent)}
    done = subprocess.run(
        [sys.executable, "-m", "bench.imports", "--child", url, str(path)],
        capture_output=True, text=True, env=env, check=False,
    )  # fmt: skip
    if done.returncode != 0:
        raise SystemExit(f"import failed:\n{done.stderr[-3000:]}")
    result = json.loads(done.stdout.strip().splitlines()[-1])
    engine = create_engine(url)
    assert ledger_discrepancies(engine) == [], "quants differ from the ledger"
    with engine.connect() as conn:
        result["movements"] = conn.execute(sa.text("SELECT count(*) FROM movement")).scalar()
    engine.dispose()
    return result


def read_calamine(path: Path) -> float:
    started = time.perf_counter()
    limits = sheet_reading.Limits(10**10, 10**8, 10**12)
    sheet = spreadsheets.read_sheet(path.read_bytes(), path.name, limits)
    rows = sum(1 for _ in sheet.rows)
    assert rows > 0
    return time.perf_counter() - started


def read_openpyxl(path: Path) -> float:
    started = time.perf_counter()
    workbook = load_workbook(path, read_only=True, data_only=True)
    rows = sum(1 for _ in workbook.worksheets[0].iter_rows(values_only=True))
    workbook.close()
    assert rows > 0
    return time.perf_counter() - started


ROOT = Path(__file__).resolve().parent.parent
APP_PASSWORD = "bench-imports-admin"


def vm_rss(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) * 1024
    return 0


def parallel_run(path: Path, max_parallel: int) -> dict[str, float]:
    """Three dry runs of `path` posted at once to a fresh app process: MB and seconds."""
    url = sqlite_url()
    prepare(url)
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith(("WMS_", "NICEGUI_"))},
        "WMS_DATABASE_URL": url, "WMS_DATA_DIR": str(FOLDER / "app"), "WMS_HOST": "127.0.0.1",
        "WMS_PORT": str(port), "WMS_ADMIN_PASSWORD": APP_PASSWORD,
        "WMS_IMPORT_MAX_PARALLEL": str(max_parallel), "WMS_STORAGE_SECRET": "bench",
    }  # fmt: skip
    app = subprocess.Popen(
        [sys.executable, "main.py"], cwd=ROOT, env=env,
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(300):
            try:
                if httpx.get(f"{base}/healthz", timeout=2).status_code == 200:
                    break
            except httpx.HTTPError:
                time.sleep(0.2)
        token = httpx.post(
            f"{base}/api/v1/auth/token", data={"username": "admin", "password": APP_PASSWORD}
        ).json()["access_token"]
        content = path.read_bytes()
        idle, peak, done = vm_rss(app.pid), [0], threading.Event()

        def sample() -> None:
            while not done.is_set():
                peak[0] = max(peak[0], vm_rss(app.pid))
                time.sleep(0.02)

        def post(_: int) -> int:
            return httpx.post(
                f"{base}/api/v1/imports", headers={"Authorization": f"Bearer {token}"},
                files={"file": (path.name, content)}, timeout=900,
                data={"kind": "movements", "operation_type": "RECEIPT"},
            ).status_code  # fmt: skip

        sampler = threading.Thread(target=sample, daemon=True)
        sampler.start()
        started = time.perf_counter()
        with ThreadPoolExecutor(3) as pool:
            statuses = list(pool.map(post, range(3)))
        seconds = time.perf_counter() - started
        done.set()
        sampler.join()
        assert statuses == [200, 200, 200], statuses
        time.sleep(1)
        mb = 2**20
        return {"idle": idle / mb, "peak": peak[0] / mb, "after": vm_rss(app.pid) / mb,
                "seconds": seconds}  # fmt: skip
    finally:
        app.terminate()
        app.wait(30)


def parallel(rows: int, runs: int) -> None:
    path = receipt_file(rows)
    print(f"# three dry runs at once of {path} ({path.stat().st_size / 2**20:.1f} MB)")
    print(f"{'max parallel':>12} {'idle MB':>8} {'peak MB':>8} {'after MB':>9} {'seconds':>8}")
    peaks = {}
    for limit in (1, 3):
        results = [parallel_run(path, limit) for _ in range(runs)]
        figures = {k: median([r[k] for r in results]) for k in results[0]}
        peaks[limit] = figures["peak"] - figures["idle"]
        print(
            f"{limit:>12} {figures['idle']:>8.0f} {figures['peak']:>8.0f} "
            f"{figures['after']:>9.0f} {figures['seconds']:>8.1f}"
        )
    print(f"peak above idle, 3 at once / 1 at a time: {peaks[3] / max(peaks[1], 1):.2f}")


def median(values: list[float]) -> float:
    return statistics.median(values)


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    p.add_argument("--rows", type=int, default=100_000)
    p.add_argument("--million", action="store_true", help="also 1,000,000 rows")
    p.add_argument("--runs", type=int, default=3, help="runs per measurement (median)")
    p.add_argument("--backends", default="postgres,sqlite", help="comma-separated")
    p.add_argument("--pg-url", default=os.environ.get("WMS_BENCH_POSTGRES_URL", DEFAULT_PG_URL))
    p.add_argument("--skip-openpyxl", action="store_true", help="openpyxl takes ~1 min per 1M")
    p.add_argument("--quick", action="store_true", help="smoke run: 5,000 rows, 1 run")
    p.add_argument("--parallel", action="store_true", help="3 uploads at once to an app")
    p.add_argument("--child", nargs=2, metavar=("URL", "FILE"), help=argparse.SUPPRESS)
    args = p.parse_args(argv)
    if args.child:
        child(*args.child)
        return 0
    if args.parallel:
        parallel(5_000 if args.quick else args.rows, 1 if args.quick else args.runs)
        return 0
    sizes = [5_000] if args.quick else [args.rows] + ([1_000_000] if args.million else [])
    runs = 1 if args.quick else args.runs
    backends = [b.strip() for b in args.backends.split(",") if b.strip()]
    if "postgres" in backends and not pg_database_exists(args.pg_url):
        print(f"PostgreSQL database missing ({args.pg_url}); create it or pass --pg-url")
        backends.remove("postgres")
    print(f"{'rows':>9} {'what':<28} {'median s':>9} {'peak MB':>8}  runs")
    for rows in sizes:
        started = time.perf_counter()
        path = receipt_file(rows)
        generated = time.perf_counter() - started
        size_mb = path.stat().st_size / 1024 / 1024
        print(f"# {path} ({size_mb:.1f} MB; ready in {generated:.1f} s)")
        times = [read_calamine(path) for _ in range(runs)]
        print(f"{rows:>9} {'read: python-calamine':<28} {median(times):>9.2f} {'':>8}  {times}")
        if not args.skip_openpyxl:
            times = [read_openpyxl(path) for _ in range(max(1, runs if rows <= 100_000 else 1))]
            print(
                f"{rows:>9} {'read: openpyxl read-only':<28} {median(times):>9.2f} {'':>8}  {times}"
            )
        for backend in backends:
            results = [
                end_to_end(args.pg_url if backend == "postgres" else sqlite_url(), path)
                for _ in range(runs)
            ]
            seconds = [round(r["seconds"], 2) for r in results]
            peak = max(r["peak_mb"] for r in results)
            assert all(r["movements"] == rows for r in results)
            stages = results[len(results) // 2]["stages"]
            label = f"import end to end: {backend}"
            print(f"{rows:>9} {label:<28} {median(seconds):>9.2f} {peak:>8.0f}  {seconds}")
            marks = ", ".join(f"{k} from {v:.2f} s" for k, v in stages.items())
            print(f"{'':>9}   stages (one run): {marks}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
