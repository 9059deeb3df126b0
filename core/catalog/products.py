"""Products: create, change, soft-delete and restore, with the checks a WMS needs.

Barcodes and GTINs are digits with a valid GS1 check digit (GTIN-8/12/13/14). Neither
may collide with another product's barcode or GTIN, deleted products included: a scan
must always name exactly one product.
"""

from dataclasses import fields, replace
from typing import Any

from core.catalog.ports import ProductData, ProductRecord, ProductStore
from core.errors import Conflict, NotFound, ValidationError

GTIN_LENGTHS = (8, 12, 13, 14)
MAX_DIMENSION = 100_000  # mm or g: a typo guard, not a physical limit
EDITABLE = tuple(f.name for f in fields(ProductData))  # what a product update may change


def gtin_check_digit_ok(code: str) -> bool:
    """GS1 mod-10: weights 3,1,3,… from the right, excluding the check digit."""
    digits = [int(c) for c in code]
    body, check = digits[:-1], digits[-1]
    total = sum(d * (3 if i % 2 == 0 else 1) for i, d in enumerate(reversed(body)))
    return (10 - total % 10) % 10 == check


def check_code(value: str, field: str, what: str) -> str:
    code = value.strip()
    if not code.isascii() or not code.isdigit():
        raise ValidationError(f"invalid_{field}", f"{what}: только цифры", field=field)
    if len(code) not in GTIN_LENGTHS:
        raise ValidationError(f"invalid_{field}", f"{what}: 8, 12, 13 или 14 цифр", field=field)
    if not gtin_check_digit_ok(code):
        raise ValidationError(
            f"invalid_{field}", f"{what}: неверная контрольная цифра", field=field
        )
    return code


def _text(value: Any, field: str, what: str, limit: int) -> str:
    text = str(value or "").strip()
    if not text:
        raise ValidationError(f"{field}_required", f"Укажите {what}", field=field)
    if len(text) > limit:
        raise ValidationError(
            f"{field}_too_long", f"Слишком длинное значение: не больше {limit} символов",
            field=field,
        )  # fmt: skip
    return text


def _whole(value: Any, field: str, what: str, *, optional: bool) -> int | None:
    if value is None or value == "":
        if optional:
            return None
        raise ValidationError(f"invalid_{field}", f"{what}: укажите число", field=field)
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= MAX_DIMENSION:
        raise ValidationError(
            f"invalid_{field}", f"{what}: целое число от 0 до {MAX_DIMENSION}", field=field
        )
    return value


def _flag(value: Any, field: str, what: str) -> bool:
    if not isinstance(value, bool):
        raise ValidationError(f"invalid_{field}", f"{what}: да или нет", field=field)
    return value


def clean(data: ProductData) -> ProductData:
    gtin = (data.gtin or "").strip()
    return ProductData(
        sku=_text(data.sku, "sku", "артикул", 100),
        name=_text(data.name, "name", "наименование", 500),
        barcode=check_code(str(data.barcode or ""), "barcode", "Штрихкод"),
        gtin=check_code(gtin, "gtin", "GTIN") if gtin else None,
        min_stock=_whole(data.min_stock, "min_stock", "Минимальный остаток", optional=False) or 0,
        weight_g=_whole(data.weight_g, "weight_g", "Вес", optional=True),
        length_mm=_whole(data.length_mm, "length_mm", "Длина", optional=True),
        width_mm=_whole(data.width_mm, "width_mm", "Ширина", optional=True),
        height_mm=_whole(data.height_mm, "height_mm", "Высота", optional=True),
        requires_marking=_flag(data.requires_marking, "requires_marking", "Маркировка"),
    )


def _check_codes_free(store: ProductStore, data: ProductData, except_id: int | None) -> None:
    for code, field, what in ((data.barcode, "barcode", "Штрихкод"), (data.gtin, "gtin", "GTIN")):
        if code is None:
            continue
        holder = store.holder_of_code(code, except_id=except_id)
        if holder is not None:
            deleted = " (удалён — его можно восстановить)" if holder.is_deleted else ""
            raise Conflict(
                f"{field}_taken",
                f"{what} {code} уже есть у товара «{holder.name}»{deleted}",
                field=field,
            )


def create_product(store: ProductStore, data: ProductData) -> ProductRecord:
    data = clean(data)
    _check_codes_free(store, data, except_id=None)
    return store.insert(data)


def get_product(store: ProductStore, product_id: int) -> ProductRecord:
    product = store.get(product_id)
    if product is None:
        raise NotFound("product_not_found", "Товар не найден")
    return product


def update_product(store: ProductStore, product_id: int, changes: dict[str, Any]) -> ProductRecord:
    """Change some fields (PATCH): the others keep their values."""
    unknown = set(changes) - set(EDITABLE)
    if unknown:
        raise ValidationError("unknown_field", f"Неизвестное поле: {', '.join(sorted(unknown))}")
    current = get_product(store, product_id)
    if current.is_deleted:
        raise Conflict("product_deleted", "Товар удалён: сначала восстановите его")
    data = clean(replace(_data_of(current), **changes))
    _check_codes_free(store, data, except_id=product_id)
    return store.update(product_id, data)


def delete_product(store: ProductStore, product_id: int) -> ProductRecord:
    """Soft delete: the product and its history stay; it leaves lists and operations.
    Not while it is in stock (good or defect): its units would drop out of the balances."""
    get_product(store, product_id)
    deleted = store.delete(product_id)
    if deleted is None:
        raise Conflict(
            "product_in_stock",
            "Товар есть на складе: сначала отгрузите, спишите или утилизируйте остаток, "
            "потом удаляйте",
        )
    return deleted


def restore_product(store: ProductStore, product_id: int) -> ProductRecord:
    get_product(store, product_id)
    return store.restore(product_id)


def _data_of(product: ProductRecord) -> ProductData:
    return ProductData(**{name: getattr(product, name) for name in EDITABLE})


# --- Searching as people type ---

# The same keys on a Russian PC keyboard: QWERTY (lower and upper case) and ЙЦУКЕН.
_LATIN_KEYS = "`qwertyuiop[]asdfghjkl;'zxcvbnm,.~QWERTYUIOP{}ASDFGHJKL:\"ZXCVBNM<>"
_CYRILLIC_KEYS = "ёйцукенгшщзхъфывапролджэячсмитьбюЁЙЦУКЕНГШЩЗХЪФЫВАПРОЛДЖЭЯЧСМИТЬБЮ"
_TO_CYRILLIC = str.maketrans(_LATIN_KEYS, _CYRILLIC_KEYS)
_TO_LATIN = str.maketrans(_CYRILLIC_KEYS, _LATIN_KEYS)


def fold_search_text(text: str) -> str:
    """Text as a search compares it: lower case, «ё» as «е» («чёрный» is found by «черн»)."""
    return text.lower().replace("ё", "е")


def other_keyboard_layout(text: str) -> str | None:
    """`text` as it would read had it been typed with the other keyboard layout on
    («gktl» → «плед», «сгз» → «cup»), or None when that changes nothing or the text mixes
    both alphabets (then it was typed as meant)."""
    has_latin = any("a" <= ch.lower() <= "z" for ch in text)
    has_cyrillic = any("а" <= ch.lower() <= "я" or ch.lower() == "ё" for ch in text)
    if has_latin == has_cyrillic:  # neither (digits) or both
        return None
    other = text.translate(_TO_CYRILLIC if has_latin else _TO_LATIN)
    return other if other != text else None
