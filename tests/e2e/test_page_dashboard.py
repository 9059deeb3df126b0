"""/ (the dashboard) as a manager reads it: KPI cards from a small known ledger, the period
picker, a bar that opens the journal, a chart's figures as .xlsx."""

import asyncio
import importlib
import io
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from typing import Any

import openpyxl
import pytest
from nicegui.testing import User
from sqlalchemy.exc import OperationalError

import core.stock.movements
import data.dashboard.queries
from core.dashboard.kpis import Kpi, Period
from core.periods import today
from data.database import Database
from tests.conftest import another_browser, make_product
from tests.helpers import dc_id, eventually, post, source_id
from ui.formatting import MINUS, THIN_SPACE
from ui.pages.dashboard.page import Change, Choice, choose_period, describe_change, show_day

T = THIN_SPACE


def element(user: User, marker: str) -> Any:
    (found,) = user.find(marker=marker).elements
    return found


def text(user: User, marker: str) -> str:
    return str(element(user, marker).text)


def at(monkeypatch: pytest.MonkeyPatch, when: datetime) -> None:
    """Movements posted from now on are stamped `when` (UTC)."""
    monkeypatch.setattr(core.stock.movements, "now_utc", lambda: when)


def local_today() -> date:
    return today("Europe/Moscow")


class Ledger:
    """A small known ledger: one receipt ten days ago, a day of everything today."""

    def __init__(self, db: Database, monkeypatch: pytest.MonkeyPatch) -> None:
        now = datetime.now(UTC)
        self.mug = make_product(db, sku="MUG-350", name="Кружка 350 мл", barcode="4650001234567")
        self.spoon = make_product(db, sku="SPN-1", name="Ложка чайная", min_stock=10)
        real_now = core.stock.movements.now_utc
        at(monkeypatch, now - timedelta(days=10))
        post(db, "RECEIPT", self.mug, 50)
        monkeypatch.setattr(core.stock.movements, "now_utc", real_now)
        wb, koledino = source_id(db), dc_id(db)
        post(db, "RECEIPT", self.mug, 1000)
        post(db, "RECEIPT_DEFECT", self.mug, 5)
        post(db, "SHIPMENT_RC", self.mug, 300, distribution_center_id=koledino)
        post(db, "RETURN_PICKUP", self.mug, 4, source_id=wb)
        post(db, "RETURN_DEFECT", self.mug, 2, source_id=wb)
        post(db, "WRITE_OFF", self.mug, 3)
        post(db, "UTILIZATION", self.mug, 1)
        post(db, "RECEIPT", self.spoon, 2)  # below its minimum of 10
        self.koledino = koledino
        self.wb = wb


async def test_signed_out_visitor_is_sent_to_sign_in(visitor: User) -> None:
    await visitor.open("/?days=7")
    await visitor.should_see("Войти")
    await visitor.should_not_see(marker="kpi-good_units")


async def test_a_worker_sees_no_dashboard(worker: User) -> None:
    await worker.open("/?days=7")
    await worker.should_see("Вы вошли как")
    await worker.should_not_see(marker="kpi-good_units")
    await worker.should_not_see(marker="chart-movements")


async def test_cards_show_the_known_ledger_against_the_previous_period(
    manager: User, app_database: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    Ledger(app_database, monkeypatch)
    await manager.open("/?days=7")
    await manager.should_see("Остатки сейчас")
    # Stock at the end of the period (now) and at the end of the 7 days before it.
    assert text(manager, "good_units") == "753"  # 50 + 1000 − 300 + 4 − 3, and 2 spoons
    assert text(manager, "good_units-change") == f"▲ 1{T}406{T}% (+703)"  # was 50
    assert text(manager, "defect_units") == "9"  # 5 + 2 + 3 − 1
    assert text(manager, "defect_units-change") == "▲ +9"
    assert text(manager, "skus_in_stock") == "2"
    assert text(manager, "low_stock_skus") == "1"
    # What moved in the 7 days; the receipt ten days ago is the previous period's.
    assert text(manager, "received") == f"1{T}007"  # 1000 + 5 defect + 2 spoons
    assert text(manager, "received-change") == f"▲ 1{T}914{T}% (+957)"
    assert text(manager, "shipped") == "300"
    assert text(manager, "shipped-change") == "▲ +300"
    assert text(manager, "returned") == "6"
    assert text(manager, "written_off") == "4"
    # Defect inflow 5 + 2 of inflow 1000 + 5 + 4 + 2 + 2 = 0,69 % (the 3 written off came
    # in ten days ago: not inflow); none before.
    assert text(manager, "defect_rate") == f"0,7{T}%"
    assert text(manager, "defect_rate-change") == "▲ 0,7 п.п."


async def test_colours_say_whether_a_change_is_good_news(
    manager: User, app_database: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    Ledger(app_database, monkeypatch)
    await manager.open("/?days=7")
    await manager.should_see("Остатки сейчас")
    assert "text-green-8" in element(manager, "shipped-change").classes  # more shipped: good
    assert "text-red-8" in element(manager, "defect_units-change").classes  # more defect: bad
    assert "text-red-8" in element(manager, "returned-change").classes


async def test_the_period_picker_changes_every_card_and_the_address(
    manager: User, app_database: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    Ledger(app_database, monkeypatch)
    await manager.open("/?days=7")
    await manager.should_see("Остатки сейчас")
    assert text(manager, "received") == f"1{T}007"
    with manager.client:
        element(manager, "period-days").value = 30
    await eventually(lambda: text(manager, "received") == f"1{T}057")
    assert text(manager, "received-change") == f"▲ +1{T}057"
    # A custom range from the date picker: the day of the early receipt alone.
    early = (local_today() - timedelta(days=10)).isoformat()
    with manager.client:
        element(manager, "period-range").run_method("click")  # opens its menu
        element(manager, "period-picker").value = {"from": early, "to": early}
    manager.find(marker="period-apply").click()
    await eventually(lambda: text(manager, "received") == "50")
    assert element(manager, "period-days").value is None
    # The same range from the address; stock as it was at the end of that day.
    await manager.open(f"/?start={early}&end={early}")
    await manager.should_see("Остатки на конец")
    assert text(manager, "received") == "50"
    assert text(manager, "good_units") == "50"
    assert text(manager, "shipped") == "0"
    assert text(manager, "shipped-change") == "= без изменений"
    assert element(manager, "period-days").value is None


async def test_a_bad_period_in_the_address_falls_back_to_thirty_days(manager: User) -> None:
    await manager.open("/?days=abc&start=2026-13-01")
    await manager.should_see("Остатки сейчас")
    assert element(manager, "period-days").value == 30


async def test_the_dashboard_follows_movements_posted_behind_its_back(
    manager: User, app_database: Database
) -> None:
    product = make_product(app_database)
    await manager.open("/?days=7")
    await manager.should_see("Остатки сейчас")
    assert text(manager, "received") == "0"
    post(app_database, "RECEIPT", product, 12)  # another connection, as another process
    await eventually(lambda: text(manager, "received") == "12", timeout=2.0)
    names = {t["name"] for t in element(manager, "chart-movements").figure["data"]}
    assert names == {"Приёмка"}


async def test_the_last_days_move_on_at_midnight_on_a_page_left_open(
    manager: User, app_database: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    product = make_product(app_database)
    await manager.open("/?days=1")
    await manager.should_see("Остатки сейчас")
    yesterday = local_today() - timedelta(days=1)
    # The module as the running app loaded it (the simulation reloads the app per test).
    dashboard_page = importlib.import_module("ui.pages.dashboard.page")
    real_now, real_today = core.stock.movements.now_utc, dashboard_page.today
    at(monkeypatch, datetime.now(UTC) - timedelta(days=1))
    post(app_database, "RECEIPT", product, 7)  # booked yesterday: not today's
    monkeypatch.setattr(core.stock.movements, "now_utc", real_now)
    await eventually(lambda: text(manager, "good_units") == "7", timeout=2.0)
    assert text(manager, "received") == "0"
    # The page was opened «yesterday»: at the next movement it catches up with the date.
    monkeypatch.setattr(dashboard_page, "today", lambda _zone: yesterday)
    await manager.open("/?days=1")
    await manager.should_see("Остатки")
    await eventually(lambda: text(manager, "period-range") == show_day(yesterday))
    assert text(manager, "received") == "7"
    monkeypatch.setattr(dashboard_page, "today", real_today)  # midnight has passed
    post(app_database, "RECEIPT", product, 5)  # today
    await eventually(lambda: text(manager, "received") == "5", timeout=2.0)
    assert text(manager, "period-range") == show_day(local_today())


async def test_a_database_outage_is_said_on_the_page_and_can_be_retried(
    manager: User, app_database: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    product = make_product(app_database)
    post(app_database, "RECEIPT", product, 7)
    real_kpis = data.dashboard.queries.kpis

    def down(*_: Any) -> None:
        raise OperationalError("SELECT 1", {}, Exception("connection refused"))

    monkeypatch.setattr(data.dashboard.queries, "kpis", down)
    await manager.open("/?days=7")
    await manager.should_see("Не удалось получить данные: база данных недоступна", retries=1)
    assert text(manager, "received") == ""
    monkeypatch.setattr(data.dashboard.queries, "kpis", real_kpis)
    manager.find(marker="dashboard-retry").click()
    await eventually(lambda: text(manager, "received") == "7")
    await manager.should_not_see(marker="dashboard-problem")


def point(user: User, chart: str, trace_name: str | None, index: int = 0) -> dict[str, Any]:
    """What the browser sends when `trace_name`'s bar number `index` is clicked."""
    figure = element(user, f"chart-{chart}").figure
    traces = [t for t in figure["data"] if trace_name is None or t.get("name") == trace_name]
    assert traces, f"no trace {trace_name!r} in {chart}"
    return {"points": [{"customdata": traces[0]["customdata"][index], "pointNumber": index}]}


async def test_a_bar_opens_the_journal_filtered_to_it(
    manager: User, app_database: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    ledger = Ledger(app_database, monkeypatch)
    day = local_today()
    start = day - timedelta(days=6)
    await manager.open("/?days=7")
    await manager.should_see("Остатки сейчас")

    # Movements per day: the labels are the operations table's.
    names = {t["name"] for t in element(manager, "chart-movements").figure["data"]}
    assert {"Приёмка", "Отгрузка на РЦ", "Утилизация"} <= names
    manager.find(marker="chart-movements").trigger(
        "plotly_click", point(manager, "movements", "Приёмка")
    )
    wanted = f"/journal?operation_type=RECEIPT&date_from={day}&date_to={day}"
    await eventually(lambda: manager.back_history[-1] == wanted)
    await manager.should_see("Найдено операций: 2")  # the mug's and the spoons' receipts

    await manager.open("/?days=7")
    manager.find(marker="chart-top_shipped").trigger(
        "plotly_click", point(manager, "top_shipped", None)
    )
    # Shipments to DCs and to buyers: the journal filters on one operation, so the
    # product's movements of the period.
    wanted = f"/journal?product_id={ledger.mug}&date_from={start}&date_to={day}"
    await eventually(lambda: manager.back_history[-1] == wanted)

    await manager.open("/?days=7")
    manager.find(marker="chart-shipments_by_dc").trigger(
        "plotly_click", point(manager, "shipments_by_dc", "Wildberries")
    )
    wanted = (
        f"/journal?operation_type=SHIPMENT_RC&distribution_center_id={ledger.koledino}"
        f"&date_from={start}&date_to={day}"
    )
    await eventually(lambda: manager.back_history[-1] == wanted)

    await manager.open("/?days=7")
    manager.find(marker="chart-returns").trigger(
        "plotly_click", point(manager, "returns", "Возврат брака")
    )
    wanted = (
        f"/journal?operation_type=RETURN_DEFECT&source_id={ledger.wb}"
        f"&date_from={start}&date_to={day}"
    )
    await eventually(lambda: manager.back_history[-1] == wanted)
    await manager.should_see("Найдено операций: 1")


async def test_a_click_the_server_did_not_draw_goes_nowhere(
    manager: User, app_database: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    Ledger(app_database, monkeypatch)
    await manager.open("/?days=7")
    await manager.should_see("Остатки сейчас")
    for args in ({"points": [{"customdata": [999]}]}, {"points": []}, {}, {"points": ["x"]}):
        manager.find(marker="chart-movements").trigger("plotly_click", args)
    await asyncio.sleep(0.2)
    assert manager.back_history[-1] == "/?days=7"


async def test_a_chart_downloads_as_xlsx(
    manager: User, app_database: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    Ledger(app_database, monkeypatch)
    await manager.open("/?days=7")
    await manager.should_see("Остатки сейчас")
    manager.find(marker="download-top_shipped").click()
    response = await manager.download.next(timeout=10)
    assert response.status_code == 200
    sheet = openpyxl.load_workbook(io.BytesIO(response.content)).active
    assert sheet is not None
    assert list(sheet.iter_rows(values_only=True)) == [
        ("Артикул", "Наименование", "Штрихкод", "Отгружено, шт."),
        ("MUG-350", "Кружка 350 мл", "4650001234567", 300),
    ]

    manager.find(marker="download-movements").click()
    response = await manager.download.next(timeout=10)
    rows = list(
        openpyxl.load_workbook(io.BytesIO(response.content)).active.iter_rows(values_only=True)
    )
    assert rows[0] == ("День", "Операция", "Количество, шт.", "Операций")
    by_operation = {(row[0].date(), row[1]): (row[2], row[3]) for row in rows[1:]}
    assert by_operation[(local_today(), "Приёмка")] == (1002, 2)
    assert by_operation[(local_today(), "Отгрузка на РЦ")] == (300, 1)


def ink(user: User) -> str | None:
    """The font colour of the movements chart; None while the page is being replaced."""
    found = user.find(marker="chart-movements").elements if user.client else set()
    if len(found) != 1:
        return None
    return str(next(iter(found)).figure["layout"]["template"]["layout"]["font"]["color"])


async def test_dark_mode_draws_light_ink(manager: User) -> None:
    await manager.open("/?days=7")
    await manager.should_see("Остатки сейчас")
    light = ink(manager)
    manager.find(marker="dark-switch").click()
    await eventually(lambda: ink(manager) not in (None, light))
    assert ink(manager) == "#e0e0e0"


def test_the_period_in_the_address_is_read_leniently() -> None:
    day = date(2026, 11, 22)
    assert choose_period("7", None, None, day) == Choice(Period(date(2026, 11, 16), day), 7)
    assert choose_period("1", None, None, day).period == Period(day, day)
    assert choose_period("14", None, None, day).days == 30  # not offered: the default
    # A range given backwards is still that range; one of ten thousand days is cut.
    backwards = choose_period("7", "2026-11-30", "2026-11-01", day)
    assert backwards == Choice(Period(date(2026, 11, 1), date(2026, 11, 30)))
    assert backwards.query() == "start=2026-11-01&end=2026-11-30"
    long = choose_period(None, "1990-01-01", "2026-11-22", day).period
    assert long.end == day and long.days == 3660
    assert choose_period(None, "2026-11-01", "вчера", day).days == 30


@pytest.mark.parametrize(
    ("key", "value", "previous", "text", "tone"),
    [
        ("shipped", 110, 100, f"▲ 10{T}% (+10)", "good"),
        ("shipped", 90, 100, f"▼ 10{T}% ({MINUS}10)", "bad"),
        ("returned", 90, 100, f"▼ 10{T}% ({MINUS}10)", "good"),  # fewer returns: good
        ("defect_units", 5, 0, "▲ +5", "bad"),
        ("received", 2500, 2500, "= без изменений", "neutral"),
        ("shipped", 1034, 1000, f"▲ 3,4{T}% (+34)", "good"),
        ("defect_rate", 0.02, 0.035, "▼ 1,5 п.п.", "good"),
        ("defect_rate", 0.0201, 0.02, "= без изменений", "neutral"),
    ],
)
def test_a_change_reads_as_news(
    key: str, value: float, previous: float, text: str, tone: str
) -> None:
    assert describe_change(Kpi(key, value, previous)) == Change(text, tone)


async def test_open_dashboards_share_one_read_per_change(
    manager: User,
    create_user: Callable[[], User],
    app_database: Database,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Every open dashboard refreshes after a change; those showing the same period take
    one read (a dozen queries) between them, not one each."""
    product = make_product(app_database)
    # The day's first commit also runs the daily job (a second commit): before the count.
    post(app_database, "RECEIPT", product, 1)
    browsers = [manager] + [await another_browser(create_user, "manager") for _ in range(3)]
    for browser in browsers:  # all on the dashboard's default period, showing it
        await eventually(lambda b=browser: text(b, "received") == "1")  # type: ignore[misc]
    await asyncio.sleep(1.0)  # refreshes for the setup's commits are done
    real_kpis = data.dashboard.queries.kpis
    kpis_read: list[Period] = []

    def counted_kpis(engine: Any, period: Period) -> list[Kpi]:
        kpis_read.append(period)
        return real_kpis(engine, period)

    monkeypatch.setattr(data.dashboard.queries, "kpis", counted_kpis)
    await asyncio.sleep(0.6)  # no change meanwhile: nothing is read
    assert kpis_read == []
    post(app_database, "RECEIPT", product, 12)  # another connection, as another process
    for browser in browsers:
        await eventually(lambda b=browser: text(b, "received") == "13", timeout=3.0)  # type: ignore[misc]
    await asyncio.sleep(1.0)  # a page that read on its own would have done so by now
    assert len(kpis_read) == 1
