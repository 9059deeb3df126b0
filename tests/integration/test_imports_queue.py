"""Big imports take turns (settings.import_max_parallel): the others wait in order of
arrival and hear how many are ahead of them; small files never wait."""

import threading
import time

from core.imports import ImportReport
from core.settings import Settings
from data.database import Database
from data.imports.importing import QUEUE
from tests.conftest import make_product
from tests.import_files import run, xlsx

CODE = "4601234567893"


def test_big_imports_run_one_at_a_time_in_order_of_arrival(db: Database) -> None:
    make_product(db, barcode=CODE)
    settings = Settings(import_max_parallel=1, import_queue_from_bytes=0)
    content = xlsx([["Баркод", "Количество"], [CODE, 2]])
    # The first two hold their turn until let go, so the third surely sees the queue move
    # up (a second that finished at once could take it from 2 straight to its turn).
    release = {"first": threading.Event(), "second": threading.Event()}
    heard: dict[str, list[int]] = {"second": [], "third": []}
    running: list[int] = []
    started: list[str] = []
    reports: dict[str, ImportReport] = {}

    def importer(name: str) -> None:
        def progress(_stage: str, _fraction: float) -> None:
            if not started or started[-1] != name:
                started.append(name)
            running.append(QUEUE.running)
            if name in release:
                release[name].wait(10)

        reports[name] = run(db, content, operation_type="RECEIPT", settings=settings,
                            progress=progress, waiting=heard.get(name, []).append)  # fmt: skip

    threads = {name: threading.Thread(target=importer, args=(name,)) for name in heard}
    first = threading.Thread(target=importer, args=("first",))
    first.start()
    until(lambda: started == ["first"])
    threads["second"].start()
    until(lambda: heard["second"] == [1])  # the first one is ahead of it
    threads["third"].start()
    until(lambda: heard["third"] == [2])
    assert started == ["first"]  # nobody else reads while the first holds its turn
    release["first"].set()
    until(lambda: heard["third"] == [2, 1])  # moved up when the first ended
    # The second got the turn; its thread reports its first progress when it is scheduled.
    until(lambda: started == ["first", "second"])
    assert heard["third"] == [2, 1]  # ...and the third still waits behind it
    release["second"].set()
    for thread in (first, *threads.values()):
        thread.join(30)
    assert started == ["first", "second", "third"]
    assert heard == {"second": [1], "third": [2, 1]}
    assert set(running) == {1} and QUEUE.running == 0
    assert all(r.rows_ok == 1 and not r.errors for r in reports.values())


def test_a_small_file_does_not_wait_behind_a_big_one(db: Database) -> None:
    make_product(db, barcode=CODE)
    content = xlsx([["Баркод", "Количество"], [CODE, 2]])
    settings = Settings(import_max_parallel=1, import_queue_from_bytes=len(content) + 1)
    with QUEUE.slot(b"x" * 10, Settings(import_max_parallel=1, import_queue_from_bytes=0)):
        waited: list[int] = []
        report = run(db, content, operation_type="RECEIPT", settings=settings,
                     waiting=waited.append)  # fmt: skip
    assert report.rows_ok == 1 and waited == []


def until(check: object, timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while not check():  # type: ignore[operator]
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.01)
