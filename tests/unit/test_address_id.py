"""The id a page reads from its address: a record's id, or 0 (no record has it) for text
no id column could hold — the page then says «not found» instead of failing."""

import pytest

from ui.formatting import address_id


@pytest.mark.parametrize(
    ("text", "expected"),
    [("12", 12), ("000123", 123), ("999999999", 999_999_999)],
)
def test_digits_are_the_id(text: str, expected: int) -> None:
    assert address_id(text) == expected


@pytest.mark.parametrize("text", ["", "abc", "12a", "-5", "1.5", " 7", "1234567890", "٣"])
def test_anything_else_is_no_record(text: str) -> None:
    assert address_id(text) == 0
