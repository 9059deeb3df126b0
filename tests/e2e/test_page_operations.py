"""/operations as a manager uses it: scan a barcode, fill what the operation needs, post."""

import asyncio
import importlib
import re
import threading
from typing import Any

import pytest
from nicegui import background_tasks, ui
from nicegui.testing import User
from sqlalchemy import event
from sqlalchemy.exc import OperationalError

from core.stock.operations import MANUAL_OPERATIONS, OPERATIONS, Requirement
from data.database import Database
from data.stock.journal import journal
from data.stock.locations import internal_locations
from data.stock.queries import product_stock
from tests.conftest import make_product
from tests.helpers import dc_id, eventually, post, source_id, stock
from ui import live

WAIT = 50  # should_see attempts (0.1 s apart): a post runs in a worker thread


def movements(db: Database) -> int:
    return journal(db.engine).total


def element(user: User, marker: str) -> Any:
    (found,) = user.find(marker=marker).elements
    return found


def choose(user: User, marker: str, value: Any) -> None:
    """Pick an option of a select or toggle, as a click on it would."""
    with user.client:
        element(user, marker).value = value


async def scan(user: User, code: str) -> None:
    """A USB scanner: the code typed into the scan field, then Enter; returns once the page
    has handled it (the lookup runs in a worker thread, off the event loop)."""
    before = set(background_tasks.running_tasks)
    user.find(marker="scan").clear().type(code).trigger("keydown.enter")
    await asyncio.gather(*(set(background_tasks.running_tasks) - before))


def text(user: User, marker: str) -> str:
    return element(user, marker).text


async def submit(user: User) -> None:
    user.find(marker="submit").click()


async def posted(user: User) -> str:
    """Wait for the confirmation and return it."""
    await user.should_see(marker="result", retries=WAIT)
    return text(user, "result")


async def failed(user: User) -> str:
    await user.should_see(marker="form-error", retries=WAIT)
    return text(user, "form-error")


def location(db: Database, code: str) -> int:
    return next(loc["id"] for loc in internal_locations(db.engine) if loc["code"] == code)


async def test_signed_out_visitor_is_sent_to_sign_in(visitor: User) -> None:
    await visitor.open("/operations")
    await visitor.should_see("Войти")
    await visitor.should_not_see(marker="scan")


async def test_worker_is_refused(worker: User) -> None:
    await worker.open("/operations")
    await worker.should_see("Нет доступа")
    await worker.should_not_see(marker="scan")


async def test_a_scan_shows_the_product_and_its_stock(
    manager: User, app_database: Database
) -> None:
    product = make_product(app_database, name="Кружка 350 мл", sku="MUG-350", gtin="04600000000017")
    post(app_database, "RECEIPT", product, 12)
    post(app_database, "RECEIPT_DEFECT", product, 2)
    await manager.open("/operations")
    await scan(manager, "04600000000017")  # the GTIN finds it as well as the barcode
    await manager.should_see("Кружка 350 мл")
    await manager.should_see("MUG-350")
    assert text(manager, "stock-good") == "12"
    assert text(manager, "stock-defect") == "2"
    assert text(manager, "stock-available") == "12"


async def test_an_unknown_barcode_says_so_and_forgets_the_previous_product(
    manager: User, app_database: Database
) -> None:
    make_product(app_database, name="Кружка 350 мл", barcode="4600000099999")
    await manager.open("/operations")
    await scan(manager, "4600000099999")
    await manager.should_see(marker="product-card")
    await scan(manager, "0000000000000")
    await manager.should_see("Товар со штрихкодом или GTIN «0000000000000» не найден")
    await manager.should_not_see(marker="product-card")  # the next post cannot hit the old one
    await submit(manager)
    assert await failed(manager) == "Укажите товар"
    assert movements(app_database) == 0


async def test_receipt_by_scan_books_the_stock_and_shows_the_new_balance(
    manager: User, app_database: Database
) -> None:
    product = make_product(app_database, barcode="4600000011111")
    await manager.open("/operations")
    await scan(manager, "4600000011111")
    await manager.should_see(marker="product-card")
    manager.find(marker="quantity").clear().type("7")
    await submit(manager)
    confirmation = await posted(manager)
    number = journal(app_database.engine).items[0]["id"]
    assert confirmation == f"Проведено: Приёмка №{number}, 7 шт."
    assert stock(app_database, product)["good"] == 7
    assert text(manager, "stock-good") == "7"
    assert journal(app_database.engine).items[0]["user"] == "manager"


async def test_a_scan_reads_the_database_off_the_event_loop(
    manager: User, app_database: Database
) -> None:
    """Every open page shares the event loop: a scan's product and stock reads, made on
    it, held up every other tablet's scan and refresh (issue 10)."""
    make_product(app_database, name="Кружка 350 мл", barcode="4600000012345")
    await manager.open("/operations")
    ctx = live.app_context()
    assert ctx is not None
    loop_thread = threading.get_ident()
    on_the_loop: list[str] = []

    def note(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        if threading.get_ident() == loop_thread and "product" in statement:
            on_the_loop.append(statement)

    event.listen(ctx.db.engine, "before_cursor_execute", note)
    try:
        await scan(manager, "4600000012345")
        await manager.should_see("Кружка 350 мл", retries=WAIT)
        assert text(manager, "stock-good") == "0"
    finally:
        event.remove(ctx.db.engine, "before_cursor_execute", note)
    assert on_the_loop == []


async def test_scanning_the_same_product_again_adds_one(
    manager: User, app_database: Database
) -> None:
    product = make_product(app_database, barcode="4600000022222")
    await manager.open("/operations")
    for _ in range(3):
        await scan(manager, "4600000022222")
    await manager.should_see("Повторный скан: количество +1")
    await submit(manager)
    await posted(manager)
    assert stock(app_database, product)["good"] == 3
    await scan(manager, "4600000022222")  # after posting, a scan starts a new count
    assert element(manager, "quantity").value == "1"


async def test_the_product_can_be_found_by_name_instead(
    manager: User, app_database: Database
) -> None:
    make_product(app_database, name="Набор отвёрток")
    wanted = make_product(app_database, name="Кружка керамическая", sku="MUG-1")
    await manager.open("/operations")
    manager.find(marker="product-search").trigger("inputValue", "керамич")
    picker = element(manager, "product-search")
    await eventually(lambda: list(picker.options) == [wanted])
    choose(manager, "product-search", wanted)
    await manager.should_see(marker="product-card")
    assert text(manager, "shown-product") == "Кружка керамическая"


async def test_the_picker_answers_the_last_text_typed(
    manager: User, app_database: Database
) -> None:
    screwdrivers = make_product(app_database, name="Набор отвёрток")
    make_product(app_database, name="Кружка керамическая")
    await manager.open("/operations")
    search = manager.find(marker="product-search")
    for text in ("к", "кр", "кру", "н", "на", "набор"):  # typed faster than answered
        search.trigger("inputValue", text)
    picker = element(manager, "product-search")
    await eventually(lambda: list(picker.options) == [screwdrivers])
    await asyncio.sleep(0.3)  # and no older answer lands after it
    assert list(picker.options) == [screwdrivers]


FIELD_OF = {
    Requirement.SOURCE: "source",
    Requirement.DISTRIBUTION_CENTER: "distribution-center",
    Requirement.WAREHOUSE_AND_DIRECTION: "warehouse",
    Requirement.LOCATIONS: "from-location",
}


async def test_the_form_asks_for_what_each_operation_requires(manager: User) -> None:
    await manager.open("/operations")
    for code, op in MANUAL_OPERATIONS.items():
        manager.find(marker=f"operation-{code}").click()
        for requirement, marker in FIELD_OF.items():
            if op.needs(requirement):
                await manager.should_see(marker=marker)
            else:
                await manager.should_not_see(marker=marker)
        notes = element(manager, "notes")
        assert ("обязательно" in notes.label) == op.needs(Requirement.REASON), code
        assert text(manager, "submit") == f"Провести: {op.label_ru}"


def _fill(user: User, db: Database, code: str, product: int) -> None:
    """What each operation needs on top of product and quantity."""
    if code in ("RETURN_PICKUP", "RETURN_DEFECT", "SELF_PURCHASE"):
        choose(user, "source", source_id(db, "Ozon"))
    if code == "SHIPMENT_RC":
        choose(user, "distribution-center", dc_id(db, "WB Коледино"))
    if code == "ADJUSTMENT":  # counted 3 fewer than the defect stock: a shortage of 3
        choose(user, "warehouse", "DEFECT")
        counted = stock(db, product)["defect"] - 3
        user.find(marker="quantity").clear().type(str(counted))
        user.find(marker="notes").type("Пересчёт ячейки")
    if code == "TRANSFER":
        choose(user, "from-location", location(db, "MAIN"))
        choose(user, "to-location", location(db, "DEFECT"))


# (good, defect) change when 3 are posted
CHANGE = {
    "RECEIPT": (3, 0),
    "RECEIPT_DEFECT": (0, 3),
    "RETURN_PICKUP": (3, 0),
    "RETURN_DEFECT": (0, 3),
    "SELF_PURCHASE": (3, 0),
    "SHIPMENT_RC": (-3, 0),
    "WRITE_OFF": (-3, 3),
    "RESTORATION": (3, -3),
    "UTILIZATION": (0, -3),
    "ADJUSTMENT": (0, -3),  # DEFECT, counted 3 fewer
    "TRANSFER": (-3, 3),  # MAIN → DEFECT
}


async def test_every_operation_can_be_posted_from_the_page(
    manager: User, app_database: Database
) -> None:
    assert set(CHANGE) == set(MANUAL_OPERATIONS)
    product = make_product(app_database, barcode="4600000033333")
    post(app_database, "RECEIPT", product, 10)
    post(app_database, "RECEIPT_DEFECT", product, 10)
    await manager.open("/operations")
    for code, (good, defect) in CHANGE.items():
        before = stock(app_database, product)
        manager.find(marker=f"operation-{code}").click()
        await scan(manager, "4600000033333")
        await manager.should_see(marker="product-card")
        manager.find(marker="quantity").clear().type("3")
        _fill(manager, app_database, code, product)
        await submit(manager)
        confirmation = await posted(manager)
        assert confirmation.startswith(f"Проведено: {OPERATIONS[code].label_ru} №"), code
        after = stock(app_database, product)
        assert after["good"] - before["good"] == good, code
        assert after["defect"] - before["defect"] == defect, code
        assert text(manager, "stock-good") == str(after["good"]), code
        entry = journal(app_database.engine).items[0]
        assert (entry["operation_type"], entry["quantity"]) == (code, 3)
        if code == "SHIPMENT_RC":
            assert entry["distribution_center_name"] == "WB Коледино"
        if code == "ADJUSTMENT":
            assert entry["notes"] == "Пересчёт ячейки"


@pytest.mark.parametrize(
    ("code", "message"),
    [
        ("RETURN_PICKUP", "Укажите источник"),
        ("SHIPMENT_RC", "Укажите РЦ назначения"),
        ("ADJUSTMENT", "Укажите причину в комментарии"),
        ("TRANSFER", "Укажите, откуда и куда переместить"),
    ],
)
async def test_a_missing_required_field_is_named_and_nothing_is_written(
    manager: User, app_database: Database, code: str, message: str
) -> None:
    product = make_product(app_database, barcode="4600000044444")
    post(app_database, "RECEIPT", product, 10)
    await manager.open("/operations")
    manager.find(marker=f"operation-{code}").click()
    await scan(manager, "4600000044444")
    await manager.should_see(marker="product-card")
    await submit(manager)
    assert await failed(manager) == message
    assert movements(app_database) == 1


async def test_insufficient_stock_is_shown_beside_the_form_and_nothing_is_written(
    manager: User, app_database: Database
) -> None:
    product = make_product(app_database, barcode="4600000055555")
    post(app_database, "RECEIPT", product, 2)
    await manager.open("/operations")
    manager.find(marker="operation-SHIPMENT_RC").click()
    await scan(manager, "4600000055555")
    await manager.should_see(marker="product-card")
    manager.find(marker="quantity").clear().type("5")
    choose(manager, "distribution-center", dc_id(app_database))
    await submit(manager)
    # What is there and what was asked for: the person can correct it without a look-up.
    assert await failed(manager) == "Недостаточно товара для отгрузки: доступно 2, запрошено 5"
    assert stock(app_database, product)["good"] == 2
    assert movements(app_database) == 1
    await manager.should_not_see(marker="result")


async def test_a_double_click_books_once(manager: User, app_database: Database) -> None:
    product = make_product(app_database, barcode="4600000066666")
    await manager.open("/operations")
    await scan(manager, "4600000066666")
    await manager.should_see(marker="product-card")
    manager.find(marker="submit").click().click()  # both clicks arrive before either is done
    await posted(manager)
    await asyncio.sleep(0.2)
    assert stock(app_database, product)["good"] == 1
    assert movements(app_database) == 1


async def test_a_retry_after_a_lost_answer_books_once(
    manager: User, app_database: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The movement was committed but the answer was lost: the retried click reuses the
    form's idempotency key, so it is not booked a second time."""
    product = make_product(app_database, barcode="4600000077777")
    # The module as the running app loaded it (the simulation reloads the app per test).
    operations_page = importlib.import_module("ui.pages.stock.operations_posting")
    real = operations_page.post_movement
    calls: list[str | None] = []

    def commit_then_lose_the_answer(uow: Any, request: Any, **kw: Any) -> Any:
        calls.append(request.idempotency_key)
        result = real(uow, request, **kw)
        if len(calls) == 1:
            raise OperationalError("COMMIT", {}, Exception("connection lost"))
        return result

    monkeypatch.setattr(operations_page, "post_movement", commit_then_lose_the_answer)
    await manager.open("/operations")
    await scan(manager, "4600000077777")
    await manager.should_see(marker="product-card")
    await submit(manager)
    assert "база данных недоступна" in await failed(manager)
    await submit(manager)
    assert (await posted(manager)).startswith("Уже проведено ранее: Приёмка №")
    assert calls[0] is not None and calls[0] == calls[1]
    assert stock(app_database, product)["good"] == 1
    assert movements(app_database) == 1


async def test_a_changed_form_is_a_new_submission(manager: User, app_database: Database) -> None:
    product = make_product(app_database, barcode="4600000088888")
    await manager.open("/operations")
    await scan(manager, "4600000088888")
    await manager.should_see(marker="product-card")
    await submit(manager)
    await posted(manager)
    await submit(manager)  # the same form again, deliberately: a second receipt
    await asyncio.sleep(0.2)
    assert stock(app_database, product)["good"] == 2
    assert movements(app_database) == 2


async def test_operation_and_product_can_be_preselected_by_link(
    manager: User, app_database: Database
) -> None:
    product = make_product(app_database, name="Футболка L")
    await manager.open(f"/operations?operation_type=WRITE_OFF&product_id={product}")
    await manager.should_see("Футболка L")
    assert text(manager, "submit") == "Провести: Списание в брак"
    assert isinstance(element(manager, "scan"), ui.input)


def test_the_scan_reads_the_same_stock_as_the_balances(db: Database) -> None:
    """product_stock (one product, fast) agrees with balances (the balances page)."""
    product = make_product(db)
    untouched = make_product(db)
    post(db, "RECEIPT", product, 9)
    post(db, "RECEIPT_DEFECT", product, 4)
    post(db, "WRITE_OFF", product, 2)
    assert product_stock(db.engine, product) == stock(db, product)
    assert product_stock(db.engine, product) == {
        "good": 7, "defect": 6, "reserved": 0, "available": 7
    }  # fmt: skip
    assert product_stock(db.engine, untouched) == stock(db, untouched)


# --- the quantity is a whole number -------------------------------------------------------


@pytest.mark.parametrize("typed", ["2,5", "2.5", "-3", "1e3", "два", "2 5"])
async def test_a_quantity_that_is_not_a_whole_number_is_refused_and_nothing_is_posted(
    manager: User, app_database: Database, typed: str
) -> None:
    """«2,5» typed with a Russian decimal comma once posted 25."""
    make_product(app_database, barcode="4600000101010")
    await manager.open("/operations")
    await scan(manager, "4600000101010")
    await manager.should_see(marker="product-card")
    manager.find(marker="quantity").clear().type(typed)
    message = f"Количество — целое число штук, без запятой и точки: «{typed}» не подходит"
    assert element(manager, "quantity").error == message  # said while typing
    await submit(manager)
    assert await failed(manager) == message
    await asyncio.sleep(0.2)
    assert movements(app_database) == 0


async def test_a_quantity_grouped_by_spaces_is_read_whole(
    manager: User, app_database: Database
) -> None:
    product = make_product(app_database, barcode="4600000101027")
    await manager.open("/operations")
    await scan(manager, "4600000101027")
    await manager.should_see(marker="product-card")
    manager.find(marker="quantity").clear().type("1 200")
    assert element(manager, "quantity").error is None
    await submit(manager)
    await posted(manager)
    assert stock(app_database, product)["good"] == 1200


# --- a count is never thrown away silently -----------------------------------------------


async def count_two_then_scan_another(user: User, db: Database) -> tuple[int, int]:
    first = make_product(db, name="Кружка синяя", barcode="4600000202020")
    second = make_product(db, name="Кружка красная", barcode="4600000202037")
    await user.open("/operations")
    await scan(user, "4600000202020")
    await scan(user, "4600000202020")
    await user.should_see(marker="repeat-hint")
    await scan(user, "4600000202037")
    return first, second


async def test_scanning_another_product_keeps_the_count_and_asks(
    manager: User, app_database: Database
) -> None:
    await count_two_then_scan_another(manager, app_database)
    await manager.should_see(marker="scan-flash")
    assert text(manager, "shown-product") == "Кружка синяя"  # still the counted one
    assert element(manager, "quantity").value == "2"
    assert element(manager, "scan-flash").props["data-kind"] == "warning"
    assert text(manager, "scan-flash-text") == (
        "Счёт не проведён: «Кружка синяя» — 2 шт. Проведите его или отмените, "
        "затем откроется «Кружка красная»."
    )
    assert movements(app_database) == 0


async def test_the_held_count_can_be_posted_and_the_next_product_opens(
    manager: User, app_database: Database
) -> None:
    first, second = await count_two_then_scan_another(manager, app_database)
    manager.find(marker="pending-post").click()
    assert (await posted(manager)).endswith(", 2 шт.")
    assert stock(app_database, first)["good"] == 2
    await eventually(lambda: text(manager, "shown-product") == "Кружка красная")
    assert element(manager, "quantity").value == "1"
    await manager.should_not_see(marker="scan-flash")
    assert stock(app_database, second)["good"] == 0


async def test_the_held_count_is_dropped_only_when_asked(
    manager: User, app_database: Database
) -> None:
    await count_two_then_scan_another(manager, app_database)
    manager.find(marker="pending-drop").click()
    await eventually(lambda: text(manager, "shown-product") == "Кружка красная")
    assert element(manager, "quantity").value == "1"
    await manager.should_not_see(marker="scan-flash")
    assert movements(app_database) == 0


async def test_scanning_the_counted_product_again_goes_on_counting(
    manager: User, app_database: Database
) -> None:
    await count_two_then_scan_another(manager, app_database)
    await scan(manager, "4600000202020")
    assert element(manager, "quantity").value == "3"
    await manager.should_not_see(marker="scan-flash")


async def test_an_unknown_scan_keeps_a_pending_count(manager: User, app_database: Database) -> None:
    make_product(app_database, name="Кружка синяя", barcode="4600000202044")
    await manager.open("/operations")
    await scan(manager, "4600000202044")
    await scan(manager, "4600000202044")
    await scan(manager, "0000000000000")
    await manager.should_see("Товар со штрихкодом или GTIN «0000000000000» не найден")
    assert text(manager, "shown-product") == "Кружка синяя"
    assert element(manager, "quantity").value == "2"


# --- nothing of the previous operation rides along ---------------------------------------


async def test_the_comment_is_cleared_after_posting_and_when_the_operation_changes(
    manager: User, app_database: Database
) -> None:
    """A write-off's «Трещина корпуса» once ended up on a 25-unit receipt."""
    product = make_product(app_database, barcode="4600000303030")
    post(app_database, "RECEIPT", product, 10)
    await manager.open("/operations")
    manager.find(marker="operation-WRITE_OFF").click()
    await scan(manager, "4600000303030")
    manager.find(marker="notes").type("Трещина корпуса")
    await submit(manager)
    await posted(manager)
    assert journal(app_database.engine).items[0]["notes"] == "Трещина корпуса"
    assert element(manager, "notes").value == ""
    manager.find(marker="notes").type("Вмятина")
    manager.find(marker="operation-RECEIPT").click()
    assert element(manager, "notes").value == ""


async def test_the_previous_confirmation_goes_when_the_operation_changes(
    manager: User, app_database: Database
) -> None:
    make_product(app_database, barcode="4600000303047")
    await manager.open("/operations")
    await scan(manager, "4600000303047")
    await submit(manager)
    await posted(manager)
    manager.find(marker="operation-SHIPMENT_RC").click()
    await manager.should_not_see(marker="result")


async def test_dc_options_name_the_marketplace_once(manager: User) -> None:
    await manager.open("/operations")
    manager.find(marker="operation-SHIPMENT_RC").click()
    labels = list(element(manager, "distribution-center").options.values())
    assert "Ozon Гривно" in labels  # not «Ozon · Ozon Гривно»
    assert "Яндекс Маркет Софьино" in labels
    assert "Wildberries · WB Коледино" in labels  # «WB» does not spell the marketplace
    assert not [label for label in labels if label.count("Ozon") > 1]


# --- scan feedback: flash, sound, and the offer to create the product --------------------


def record_signals(user: User) -> list[str]:
    """The flashes and beeps the page asks the browser for (fire-and-forget JavaScript,
    so recorded as it leaves the server)."""
    signals: list[str] = []
    outbox = user._client.outbox
    send = outbox._emit

    async def recording(message: Any) -> None:
        _, kind, data = message
        if kind == "run_javascript":
            signals.extend(re.findall(r"wmsScanSignal\('(\w+)'\)", data["code"]))
        await send(message)

    outbox._emit = recording  # type: ignore[method-assign]
    return signals


async def test_an_unknown_scan_flashes_red_and_beeps_and_a_post_signals_done(
    manager: User, app_database: Database
) -> None:
    make_product(app_database, barcode="4600000404040")
    await manager.open("/operations")
    signals = record_signals(manager)
    await scan(manager, "1234567890128")
    await manager.should_see(marker="scan-flash")
    assert element(manager, "scan-flash").props["data-kind"] == "error"
    await eventually(lambda: signals == ["error"])
    await scan(manager, "4600000404040")  # found: the banner goes
    await manager.should_not_see(marker="scan-flash")
    await submit(manager)
    await posted(manager)
    await eventually(lambda: signals == ["error", "done"])


async def test_a_manager_creates_the_unknown_product_with_its_barcode(
    manager: User, app_database: Database
) -> None:
    await manager.open("/operations")
    await scan(manager, "4607000123454")
    manager.find(marker="create-product").click()
    await manager.should_see(marker="product-save")
    assert element(manager, "product-barcode").value == "4607000123454"
    assert element(manager, "product-save").props.get("no-caps") is True  # no ALL CAPS
    manager.find(marker="product-sku").type("NEW-1")
    manager.find(kind=ui.input, marker="product-name").type("Новый товар")
    manager.find(marker="product-save").click()
    await manager.should_see(marker="shown-product", retries=WAIT)
    assert text(manager, "shown-product") == "Новый товар"
    await manager.should_not_see(marker="scan-flash")
    await submit(manager)
    assert (await posted(manager)).startswith("Проведено: Приёмка №")
    assert journal(app_database.engine).items[0]["barcode"] == "4607000123454"


# --- inventory: the counted quantity, the difference computed ---------------------------


async def count(user: User, db: Database, barcode: str, warehouse: str, counted: str) -> None:
    await user.open("/operations")
    user.find(marker="operation-ADJUSTMENT").click()
    await scan(user, barcode)
    await user.should_see(marker="product-card")
    choose(user, "warehouse", warehouse)
    user.find(marker="quantity").clear().type(counted)


async def test_inventory_books_the_difference_between_count_and_stock(
    manager: User, app_database: Database
) -> None:
    product = make_product(app_database, barcode="4600000505050")
    post(app_database, "RECEIPT", product, 105)
    await count(manager, app_database, "4600000505050", "MAIN", "100")
    assert [text(manager, f"count-{key}") for key in ("stock", "counted", "difference")] == [
        "105", "100", "−5 недостача"
    ]  # fmt: skip
    manager.find(marker="notes").type("Пересчёт стеллажа")
    await submit(manager)
    confirmation = await posted(manager)
    assert confirmation.endswith("5 шт. — недостача: было 105, посчитано 100")
    assert stock(app_database, product)["good"] == 100
    entry = journal(app_database.engine).items[0]
    assert (entry["operation_type"], entry["quantity"]) == ("ADJUSTMENT", 5)
    assert text(manager, "stock-good") == "100"


async def test_inventory_of_more_than_the_stock_is_a_surplus(
    manager: User, app_database: Database
) -> None:
    product = make_product(app_database, barcode="4600000505067")
    post(app_database, "RECEIPT_DEFECT", product, 4)
    await count(manager, app_database, "4600000505067", "DEFECT", "6")
    assert text(manager, "count-difference") == "+2 излишек"
    manager.find(marker="notes").type("Нашли в коробке")
    await submit(manager)
    await posted(manager)
    assert stock(app_database, product)["defect"] == 6


async def test_a_count_equal_to_the_stock_posts_nothing_and_says_so(
    manager: User, app_database: Database
) -> None:
    product = make_product(app_database, barcode="4600000505074")
    post(app_database, "RECEIPT", product, 7)
    await count(manager, app_database, "4600000505074", "MAIN", "7")
    assert text(manager, "count-difference") == "0, расхождения нет"
    await submit(manager)
    assert await posted(manager) == (
        "Посчитано столько же, сколько на складе: 7 шт. Расхождения нет — ничего не проведено."
    )
    assert movements(app_database) == 1


async def test_a_count_against_a_stock_changed_meanwhile_is_refused(
    manager: User, app_database: Database
) -> None:
    product = make_product(app_database, barcode="4600000505081")
    post(app_database, "RECEIPT", product, 10)
    await count(manager, app_database, "4600000505081", "MAIN", "8")
    post(app_database, "RECEIPT", product, 1)  # someone else, after the stock was shown
    manager.find(marker="notes").type("Пересчёт")
    await submit(manager)
    assert await failed(manager) == (
        "Остаток изменился, пока шёл пересчёт: было 10, сейчас 11. "
        "Проверьте пересчёт и проведите снова"
    )
    assert stock(app_database, product)["good"] == 11
    await eventually(lambda: text(manager, "stock-good") == "11")  # shown as it is now
