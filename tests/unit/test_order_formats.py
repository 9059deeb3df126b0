"""Orders files: the date styles the marketplaces write, and the format a header row is."""

from datetime import date, datetime

import pytest

from core.imports.order_formats import MOSCOW, ORDER_COLUMNS, cell_datetime, detect_format, stem
from core.imports.sheet import CellError, Column, Sheet
from core.stock.operations import header_key

AT = datetime(2024, 6, 10, 9, 38, 3, tzinfo=MOSCOW)


@pytest.mark.parametrize(
    ("cell", "expected"),
    [
        ("2024-06-10 09:38:03", AT),  # Ozon's report / API CSV
        ("10.06.2024 09:38", AT.replace(second=0)),  # Ozon's UI download
        ("09:38:03 10.06.2024", AT),  # WB: time first
        ("10.06.2024", AT.replace(hour=0, minute=0, second=0)),  # Yandex: a date alone
        (" 10.06.2024  09:38:03 ", AT),
        ("2024-06-10T06:38:03Z", AT),  # RFC 3339 keeps its own offset
        (45453.40142361111, AT),  # an Excel serial
        (datetime(2024, 6, 10, 9, 38, 3), AT),  # an Excel date cell
        (date(2024, 6, 10), AT.replace(hour=0, minute=0, second=0)),
        ("", None),
        (None, None),
    ],
)
def test_every_marketplace_date_style_is_read_as_moscow_time(
    cell: object, expected: object
) -> None:
    found = cell_datetime(cell)  # type: ignore[arg-type]
    if expected is None:
        assert found is None
    else:
        assert found is not None and abs((found - expected).total_seconds()) < 1  # type: ignore[operator]


@pytest.mark.parametrize("cell", ["2024-13-10 09:38:03", "вчера", "31.02.2024", True, -5])
def test_a_date_that_is_not_one_is_an_error_saying_what_is_expected(cell: object) -> None:
    with pytest.raises(CellError) as caught:
        cell_datetime(cell)  # type: ignore[arg-type]
    assert caught.value.code == "invalid_date"


def sheet(*headers: str) -> Sheet:
    by_key = {header_key(n): f for f, names in ORDER_COLUMNS.items() for n in names}
    columns: dict[str, Column] = {}
    for index, text in enumerate(headers):
        name = by_key.get(header_key(text))
        if name and name not in columns:
            columns[name] = Column(name, index, text)
    return Sheet(1, list(headers), columns, iter(()), 0)


@pytest.mark.parametrize(
    ("headers", "code"),
    [
        (("Баркод", "№ задания", "Дата создания", "Артикул продавца"), "wb_fbs"),
        (("Номер заказа", "Номер отправления", "SKU", "Артикул", "Количество"), "ozon_fbs"),
        (("Номер заказа", "Ваш номер заказа", "Ваш SKU", "Количество"), "yandex"),
        (("Баркод", "Количество"), "wb_fbo"),
        (("ШК единицы товара", "Кол-во товаров", "Уникальный ШК короба/Палеты"), "wb_fbo_boxes"),
        (("артикул", "имя (необязательно)", "количество"), "ozon_fbo"),
        (("Номер заказа", "Штрихкод", "Количество", "Маркетплейс"), "template"),
        (("Количество", "Штрихкод", "Номер заказа"), "template"),  # any column order
    ],
)
def test_the_format_is_told_by_the_headers_not_their_order(
    headers: tuple[str, ...], code: str
) -> None:
    found = detect_format(sheet(*headers))
    assert found is not None and found.code == code


def test_a_supply_without_a_number_is_named_after_its_file() -> None:
    assert stem("Поставка WB Коледино 15.06.xlsx") == "Поставка WB Коледино 15.06"
