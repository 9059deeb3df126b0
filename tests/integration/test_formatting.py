"""ui.formatting: Russian plural forms of counted nouns."""

import pytest

from ui.formatting import plural

FORMS = ("строка", "строки", "строк")


@pytest.mark.parametrize(
    ("count", "form"),
    [
        (0, "строк"), (1, "строка"), (2, "строки"), (4, "строки"), (5, "строк"),
        (11, "строк"), (12, "строк"), (14, "строк"), (21, "строка"), (22, "строки"),
        (25, "строк"), (101, "строка"), (111, "строк"), (112, "строк"), (1_000_001, "строка"),
        (-3, "строки"),
    ],
)  # fmt: skip
def test_the_noun_agrees_with_the_number(count: int, form: str) -> None:
    assert plural(count, *FORMS) == form
