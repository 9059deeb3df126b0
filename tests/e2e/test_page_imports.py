"""The import page as a manager uses it: drop a file, see what it will do and every error
at once, confirm, and find it in the history (NiceGUI user simulation; the file goes
through the page's real upload route)."""

import asyncio
import contextlib
import io
from collections.abc import Callable
from typing import Any

import openpyxl
import pytest
from nicegui import ElementFilter, ui
from nicegui.testing import User

from core.errors import Conflict
from core.settings import Settings, get_settings
from data.database import Database
from data.imports.importing import QUEUE, import_file
from data.imports.queries import import_history
from data.stock.balances import balances
from data.stock.journal import journal
from tests.conftest import make_product, open_page
from ui.pages.imports.page import HISTORY_PATH, PATH

GOOD = "4601234567893"
OTHER = "4607654321091"


async def until(check: Callable[[], Any], timeout: float = 15.0) -> None:
    """Wait for work done off the event loop (checking and writing run in a thread)."""
    for _ in range(int(timeout / 0.05)):
        if check():
            return
        await asyncio.sleep(0.05)
    assert check()


def element(user: User, marker: str) -> Any:
    return user.find(marker=marker).elements.pop()


def found(user: User, marker: str) -> list[Any]:
    assert user.client is not None
    with user.client:
        return list(ElementFilter(marker=marker, local_scope=False))


def sees(user: User, marker: str) -> bool:
    return any(e.visible for e in found(user, marker))


def dialog_open(user: User) -> bool:
    assert user.client is not None
    with user.client:
        return any(d.value for d in ElementFilter(kind=ui.dialog, local_scope=False))


def texts(user: User, marker: str) -> str:
    return " ".join(getattr(e, "text", "") or "" for e in found(user, marker))


async def upload(user: User, name: str, content: bytes, media: str = "text/csv") -> int:
    """Send the file the way the browser's drop zone does; the HTTP status."""
    url = str(element(user, "import-upload").props["url"])
    response = await user.http_client.post(url, files={"file": (name, content, media)})
    return response.status_code


async def open_import(user: User, kind: str = "movements", operation: str | None = None) -> None:
    await open_page(user, PATH)
    await user.should_see(marker="import-upload")
    user.find(marker="import-kind").elements.pop().set_value(kind)
    if operation is not None:
        element(user, "import-operation").set_value(operation)


def receipts_csv(*rows: tuple[str, Any]) -> bytes:
    lines = ["Баркод;Количество"] + [f"{code};{qty}" for code, qty in rows]
    return ("\n".join(lines) + "\n").encode()


async def checked(user: User) -> None:
    await until(lambda: sees(user, "import-summary") or sees(user, "import-done"))


def good_stock(db: Database, product_id: int) -> int:
    return int(balances(db.engine, product_id=product_id).items[0]["good"])


async def test_signed_out_visitor_is_sent_to_sign_in(visitor: User) -> None:
    await visitor.open(PATH)
    await visitor.should_see("Войти")
    await visitor.should_not_see(marker="import-upload")


async def test_a_warehouse_worker_may_not_import(worker: User) -> None:
    await open_page(worker, PATH)
    await worker.should_see("Нет доступа")
    await worker.should_not_see(marker="import-upload")
    await open_page(worker, HISTORY_PATH)
    await worker.should_see("Нет доступа")


async def test_a_valid_file_is_previewed_then_written_on_confirm(
    manager: User, app_database: Database
) -> None:
    kettle = make_product(app_database, barcode=GOOD, name="Чайник")
    mug = make_product(app_database, barcode=OTHER, name="Кружка")
    await open_import(manager, operation="RECEIPT")
    assert await upload(manager, "поставка.csv", receipts_csv((GOOD, 10), (OTHER, 4))) == 200
    await checked(manager)

    assert "Строк в файле: 2 · без ошибок: 2 · ошибок: 0" in texts(manager, "import-counts")
    await manager.should_see("Приёмка: 2")
    changes = element(manager, "import-changes").rows
    assert [(c["row"], c["action"]) for c in changes] == [(2, "Приёмка"), (3, "Приёмка")]
    assert element(manager, "import-confirm").text == "Загрузить 2 строки"
    assert "Чайник" in changes[0]["description"]
    assert journal(app_database.engine).total == 0  # a preview writes nothing

    manager.find(marker="import-confirm").click()
    await until(lambda: sees(manager, "import-done"))
    await manager.should_see("Загружено: 2 строки из «поставка.csv»")
    assert (good_stock(app_database, kettle), good_stock(app_database, mug)) == (10, 4)
    history = import_history(app_database.engine).items
    assert [(h["file_name"], h["applied"], h["user"]) for h in history] == [
        ("поставка.csv", True, "manager")
    ]


async def test_a_file_with_errors_shows_them_all_and_writes_nothing(
    manager: User, app_database: Database
) -> None:
    kettle = make_product(app_database, barcode=GOOD, name="Чайник")
    await open_import(manager, operation="RECEIPT")
    content = receipts_csv((GOOD, 5), ("4600000000000", 3), (GOOD, "10 шт"))
    await upload(manager, "ошибки.csv", content)
    await checked(manager)

    errors = element(manager, "import-errors").rows
    assert [(e["row"], e["column"]) for e in errors] == [(3, "Баркод"), (4, "Количество")]
    assert all(e["message"] for e in errors)
    assert "ошибок: 2" in texts(manager, "import-counts")
    await manager.should_not_see(marker="import-confirm")
    assert good_stock(app_database, kettle) == 0
    assert journal(app_database.engine).total == 0

    manager.find(marker="import-errors-download").click()
    response = await manager.download.next(timeout=10)
    sheet = openpyxl.load_workbook(io.BytesIO(response.content)).active
    rows = [list(r) for r in sheet.iter_rows(values_only=True)]
    header = next(r for r in rows if "Ошибка" in r)
    marked = [r for r in rows[rows.index(header) + 1 :] if r[header.index("Ошибка")]]
    assert len(marked) == 2


async def test_the_same_file_again_asks_before_writing(
    manager: User, app_database: Database
) -> None:
    kettle = make_product(app_database, barcode=GOOD)
    content = receipts_csv((GOOD, 3))
    await open_import(manager, operation="RECEIPT")
    await upload(manager, "r.csv", content)
    await checked(manager)
    manager.find(marker="import-confirm").click()
    await until(lambda: sees(manager, "import-done"))
    assert good_stock(app_database, kettle) == 3

    manager.find(marker="import-another").click()
    await upload(manager, "r (copy).csv", content)
    await until(lambda: sees(manager, "import-summary"))
    await manager.should_see(marker="import-seen-before")
    manager.find(marker="import-confirm").click()
    await manager.should_see(marker="import-again")
    assert good_stock(app_database, kettle) == 3  # nothing until confirmed
    manager.find(marker="import-again-cancel").click()
    await until(lambda: not dialog_open(manager))
    assert good_stock(app_database, kettle) == 3

    manager.find(marker="import-confirm").click()
    await manager.should_see(marker="import-again")
    manager.find(marker="import-again-confirm").click()
    await until(lambda: sees(manager, "import-done"))
    assert good_stock(app_database, kettle) == 6


async def test_a_file_imported_by_someone_else_meanwhile_is_not_booked_twice(
    manager: User, app_database: Database
) -> None:
    kettle = make_product(app_database, barcode=GOOD)
    content = receipts_csv((GOOD, 3))
    await open_import(manager, operation="RECEIPT")
    await upload(manager, "r.csv", content)
    await checked(manager)  # the preview: a new file
    # another manager imports the same file while this preview is open
    import_file(app_database, content=content, file_name="r.csv", kind="movements",
                operation_type="RECEIPT", dry_run=False, settings=get_settings())  # fmt: skip
    assert good_stock(app_database, kettle) == 3
    manager.find(marker="import-confirm").click()
    await manager.should_see("Этот файл уже загружен")
    assert good_stock(app_database, kettle) == 3
    manager.find(marker="import-confirm").click()  # now it asks, as for a known repeat
    await manager.should_see(marker="import-again")
    manager.find(marker="import-again-confirm").click()
    await until(lambda: sees(manager, "import-done"))
    assert good_stock(app_database, kettle) == 6


async def test_a_plain_receipt_file_is_read_as_a_receipt_without_choosing(
    manager: User, app_database: Database
) -> None:
    """No operation chosen and no «Операция» column: the file is read as a receipt (not
    refused for a missing operation), the page says so and shows that choice."""
    kettle = make_product(app_database, barcode=GOOD)
    await open_import(manager)
    await upload(manager, "r.csv", receipts_csv((GOOD, 3)))
    await checked(manager)
    assert texts(manager, "import-counts").endswith("ошибок: 0")
    assert "«Приёмка»" in texts(manager, "import-operation-inferred")
    assert element(manager, "import-operation").value == "RECEIPT"
    await manager.should_see("Приёмка: 1")
    assert element(manager, "import-confirm").text == "Загрузить 1 строку"
    # another choice checks the same file again, as that
    element(manager, "import-operation").set_value("RECEIPT_DEFECT")
    await until(
        lambda: (
            "Приёмка брака: 1" in texts(manager, "import-changes")
            or any("Приёмка брака" in str(r) for r in element(manager, "import-changes").rows)
        )
    )
    await manager.should_not_see(marker="import-operation-inferred")
    manager.find(marker="import-confirm").click()
    await until(lambda: sees(manager, "import-done"))
    stock = balances(app_database.engine, product_id=kettle).items[0]
    assert (stock["good"], stock["defect"]) == (0, 3)


async def test_the_last_chosen_operation_is_offered_for_the_next_plain_file(
    manager: User, app_database: Database
) -> None:
    make_product(app_database, barcode=GOOD)
    await open_import(manager, operation="RETURN_PICKUP")  # chosen once, for another file
    await open_import(manager)  # a new visit: the choice starts empty again
    assert element(manager, "import-operation").value is None
    await upload(manager, "r.csv", receipts_csv((GOOD, 3)))
    await checked(manager)
    assert "«Возврат с ПВЗ»" in texts(manager, "import-operation-inferred")
    assert element(manager, "import-operation").value == "RETURN_PICKUP"


async def test_a_file_that_is_not_a_spreadsheet_gets_a_clear_message(manager: User) -> None:
    await open_import(manager, operation="RECEIPT")
    await upload(manager, "photo.xlsx", b"\x89PNG\r\n\x1a\n" + bytes(200), "image/png")
    await until(lambda: sees(manager, "import-failure"))
    assert "не похож на таблицу" in element(manager, "import-failure").text
    await manager.should_not_see(marker="import-confirm")


@pytest.fixture
def small_limit(app_database: Database, monkeypatch: pytest.MonkeyPatch) -> int:
    """Imports limited to 2,000 bytes (set before the app starts)."""
    monkeypatch.setenv("WMS_IMPORT_MAX_BYTES", "2000")
    get_settings.cache_clear()
    return 2000


async def test_an_upload_over_the_limit_is_refused_by_the_server(
    small_limit: int, manager: User, app_database: Database
) -> None:
    make_product(app_database, barcode=GOOD)
    await open_import(manager, operation="RECEIPT")
    padding = b" " * (small_limit + 1)
    # Far too large: refused while it arrives, before the page sees anything.
    huge = b" " * (200 * 1024)
    assert await upload(manager, "huge.csv", receipts_csv((GOOD, 1)) + huge) == 413
    # Just over (within the request's envelope): measured again when it has arrived.
    assert await upload(manager, "big.csv", receipts_csv((GOOD, 1)) + padding) == 200
    await until(lambda: sees(manager, "import-failure"))
    assert "Файл больше" in element(manager, "import-failure").text
    await manager.should_not_see(marker="import-summary")
    assert journal(app_database.engine).total == 0


@pytest.mark.parametrize("kind", ["products", "movements", "opening_balances", "orders"])
async def test_example_files_download(manager: User, kind: str) -> None:
    await open_import(manager, kind=kind)
    manager.find(marker="import-example").click()
    response = await manager.download.next(timeout=10)
    assert response.status_code == 200
    sheet = openpyxl.load_workbook(io.BytesIO(response.content)).active
    cells = {c for row in sheet.iter_rows(values_only=True) for c in row if c}
    assert "Штрихкод" in cells


async def test_an_example_products_file_imports_as_is(
    manager: User, app_database: Database
) -> None:
    await open_import(manager, kind="products")
    manager.find(marker="import-example").click()
    example = (await manager.download.next(timeout=10)).content
    await upload(manager, "example-products.xlsx", example, "application/octet-stream")
    await checked(manager)
    await manager.should_see("Новые товары: 2")
    manager.find(marker="import-confirm").click()
    await until(lambda: sees(manager, "import-done"))


async def test_history_lists_every_import_with_its_result(
    manager: User, app_database: Database
) -> None:
    make_product(app_database, barcode=GOOD)
    await open_import(manager, operation="RECEIPT")
    await upload(manager, "good.csv", receipts_csv((GOOD, 2)))
    await checked(manager)
    manager.find(marker="import-confirm").click()
    await until(lambda: sees(manager, "import-done"))

    await open_page(manager, HISTORY_PATH)
    await manager.should_see(marker="import-history")
    rows = element(manager, "import-history").rows
    assert len(rows) == 1
    row = rows[0]
    assert (row["file_name"], row["user"], row["rows"], row["applied"]) == (
        "good.csv", "manager", "1 / 1", True,
    )  # fmt: skip
    assert row["result"] == "Загружен" and row["kind"] == "Операции: Приёмка"
    assert len(row["sha"]) == 12 and row["sha_full"].startswith(row["sha"])
    await manager.should_see("Импортов: 1")


async def test_import_is_in_the_navigation(manager: User) -> None:
    await open_page(manager, PATH)
    with manager.client:  # type: ignore[union-attr]
        elements = sorted(manager.find(kind=ui.link).elements, key=lambda e: e.id)
        links = [link.props.get("href") for link in elements]  # in page order
    assert links.index("/import") == links.index("/products") + 1, links


async def test_history_shows_a_failed_confirmation_with_its_reason(
    manager: User, app_database: Database
) -> None:
    make_product(app_database, barcode=GOOD)
    content = receipts_csv((GOOD, 2))
    settings = get_settings()
    for repeat in (True, False):  # the second is refused as already booked
        with contextlib.suppress(Conflict):
            import_file(app_database, content=content, file_name="r.csv", kind="movements",
                        operation_type="RECEIPT", dry_run=False, settings=settings,
                        repeat_allowed=repeat)  # fmt: skip
    await open_page(manager, HISTORY_PATH)
    await manager.should_see(marker="import-history")
    failed, applied = element(manager, "import-history").rows
    assert (applied["result"], applied["reason"]) == ("Загружен", "")
    assert (failed["result"], failed["applied"]) == ("Не загружен", False)
    assert failed["reason"].startswith("Этот файл уже загружен")


@pytest.fixture
def every_file_queues(app_database: Database, monkeypatch: pytest.MonkeyPatch) -> Settings:
    """Every file takes its turn (set before the app starts), one at a time."""
    monkeypatch.setenv("WMS_IMPORT_QUEUE_FROM_BYTES", "0")
    monkeypatch.setenv("WMS_IMPORT_MAX_PARALLEL", "1")
    get_settings.cache_clear()
    return get_settings()


async def test_a_file_waiting_for_its_turn_says_how_many_are_ahead(
    every_file_queues: Settings, manager: User, app_database: Database
) -> None:
    make_product(app_database, barcode=GOOD)
    await open_import(manager, operation="RECEIPT")
    with QUEUE.slot(b"big", every_file_queues):  # another manager's big file is being read
        await upload(manager, "r.csv", receipts_csv((GOOD, 3)))
        await until(lambda: "Файл в очереди: перед ним 1 файл" in texts(manager, "import-stage"))
        assert not sees(manager, "import-summary")
    await checked(manager)  # its turn came
    await manager.should_see("Приёмка: 1")
