"""All or nothing with big files: one bad row at the end of 100,000 writes nothing, and a
process killed in the middle of writing leaves the database as it was."""

import io
import os
import signal
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
import sqlalchemy as sa
from openpyxl import load_workbook

from core.catalog.products import gtin_check_digit_ok
from data.database import Database
from data.db import write_session
from data.files.workbooks import errors_workbook
from data.models import Product
from data.stock.balances import balances
from data.stock.ledger_checks import ledger_discrepancies
from tests.conftest import POSTGRES_URL
from tests.import_files import fast_xlsx, run

ROWS = 100_000
GOOD_ROWS = 30_000
PRODUCTS = 500
ROOT = Path(__file__).resolve().parents[2]


def barcode(number: int) -> str:
    body = f"4609{number:08d}"
    return next(body + str(d) for d in range(10) if gtin_check_digit_ok(body + str(d)))


def receipt(rows: int, last: list[object] | None = None) -> bytes:
    codes = [barcode(i) for i in range(PRODUCTS)]
    lines: list[list[object]] = [["Приёмка"], ["Баркод", "Количество"]]
    lines.extend([codes[i % PRODUCTS], 1 + i % 7] for i in range(rows - (1 if last else 0)))
    if last:
        lines.append(last)
    return fast_xlsx(lines)


@pytest.fixture(scope="session")
def big_files(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """Generated once per session: a 100,000-row receipt whose last row is bad, and a
    30,000-row good one (the kill test)."""
    folder = tmp_path_factory.mktemp("imports")
    files = {
        # The last row's product appears nowhere before it: it is looked up while the
        # earlier rows are already streaming into the ledger.
        "bad_last": receipt(ROWS, [barcode(PRODUCTS), "10 шт"]),
        "good": receipt(GOOD_ROWS, [barcode(PRODUCTS), 3]),
    }
    paths = {}
    for name, content in files.items():
        paths[name] = folder / f"{name}.xlsx"
        paths[name].write_bytes(content)
    return paths


def add_products(db: Database) -> None:
    with write_session(db.engine) as session:
        for i in range(PRODUCTS + 1):
            session.add(Product(sku=f"B-{i}", name=f"Товар {i}", barcode=barcode(i)))
        session.commit()


def snapshot(db: Database) -> tuple[int, ...]:
    with db.engine.connect() as conn:
        return tuple(
            conn.execute(sa.text(f"SELECT count(*) FROM {table}")).scalar_one()
            for table in ("movement", "quant", "import_batch", "outbox_event")
        )


def test_an_error_in_the_last_of_100000_rows_writes_nothing(
    db: Database, big_files: dict[str, Path]
) -> None:
    add_products(db)
    report = run(db, big_files["bad_last"].read_bytes(), operation_type="RECEIPT", dry_run=False)
    assert not report.applied
    assert report.rows_total == ROWS and report.rows_ok == ROWS - 1
    assert [(e.row, e.code) for e in report.errors] == [(ROWS + 2, "invalid_quantity")]
    movements, quants, batches, events = snapshot(db)
    assert (movements, quants, events) == (0, 0, 0)
    assert batches == 1  # the refused attempt is in the history, nothing else
    # A file this big gets an errors workbook of its rows with errors only.
    content = big_files["bad_last"].read_bytes()
    sheet = load_workbook(io.BytesIO(errors_workbook(content, "bad.xlsx", report))).active
    rows = [[c.value for c in row] for row in sheet.iter_rows(min_row=2)]
    assert rows[0] == ["Строка", "Ошибка", "Баркод", "Количество"]
    assert [r[0] for r in rows[1:]] == [ROWS + 2] and rows[1][3] == "10 шт"


KILLER = textwrap.dedent(
    """
    import os, signal, sys
    from pathlib import Path
    from data.imports.importing import import_file
    from core.settings import Settings
    from data.database import Database

    url, path = sys.argv[1], sys.argv[2]
    db = Database.from_url(url)

    def progress(stage, fraction):
        if stage == "write" and fraction >= 0.5:
            print("killing", flush=True)
            os.kill(os.getpid(), signal.SIGKILL)  # no cleanup, no rollback: a power cut

    import_file(db, content=Path(path).read_bytes(), file_name="big.xlsx", kind="movements",
                operation_type="RECEIPT", dry_run=False, settings=Settings(), progress=progress)
    print("finished", flush=True)
    """
)


def test_a_process_killed_while_writing_leaves_nothing(
    db: Database, big_files: dict[str, Path]
) -> None:
    add_products(db)
    before = snapshot(db)
    url = db.engine.url.render_as_string(hide_password=False)
    if db.engine.dialect.name == "postgresql":
        assert url.split("?")[0] == POSTGRES_URL.split("?")[0]
    done = subprocess.run(
        [sys.executable, "-c", KILLER, url, str(big_files["good"])],
        capture_output=True, text=True, cwd=ROOT, timeout=120,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
    )  # fmt: skip
    assert done.returncode == -signal.SIGKILL, done.stderr[-2000:]
    assert "killing" in done.stdout and "finished" not in done.stdout
    db.engine.dispose()  # SQLite: the next connection recovers from the WAL as it is
    assert snapshot(db) == before
    assert ledger_discrepancies(db.engine) == []
    # The database is fine afterwards: the same file goes in whole.
    report = run(db, big_files["good"].read_bytes(), operation_type="RECEIPT", dry_run=False)
    assert report.applied and snapshot(db)[0] == GOOD_ROWS
    assert ledger_discrepancies(db.engine) == []
    late = balances(db.engine, q=barcode(PRODUCTS)).items
    assert [(row["good"], row["defect"]) for row in late] == [(3, 0)]
