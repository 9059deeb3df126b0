"""How values are shown on pages: times in the configured zone, quantities in columns."""

from datetime import UTC, datetime
from functools import lru_cache
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from ui.i18n import language

TIME_FORMAT = "%d.%m.%Y %H:%M"
# Narrow no-break space: the Russian thousands separator that never wraps inside a number.
THIN_SPACE = "\u202f"
MINUS = "\u2212"


@lru_cache
def zone(tz_name: str) -> ZoneInfo:
    """The named time zone; Moscow when the name is unknown (a typo must not break pages)."""
    try:
        return ZoneInfo(tz_name)
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo("Europe/Moscow")


def format_time(dt: datetime | None, tz_name: str = "Europe/Moscow") -> str:
    """A stored UTC time as 'dd.mm.yyyy HH:MM' in `tz_name`; '' for none.

    A naive value is taken as UTC: that is how the database stores every time.
    """
    if dt is None:
        return ""
    if dt.tzinfo is None:
        dt = dt.replace(tzinfo=UTC)
    return dt.astimezone(zone(tz_name)).strftime(TIME_FORMAT)


def quantity(value: int | None) -> str:
    """1234567 → '1 234 567' with thin spaces in Russian, '1,234,567' in English."""
    if value is None:
        return ""
    separator = "," if language() == "en" else THIN_SPACE
    text = f"{abs(value):,}".replace(",", separator)
    return f"{MINUS}{text}" if value < 0 else text


def signed(value: int) -> str:
    """+5, −3 (a real minus sign), 0: a change of stock."""
    return f"+{quantity(value)}" if value > 0 else quantity(value)


def plural(count: int, one: str, few: str, many: str) -> str:
    """The Russian form of a noun for `count`: plural(1, "строка", "строки", "строк") is
    "строка", 3 "строки", 5, 11–14 and 0 "строк" (21 "строка", 22 "строки" again)."""
    tens, units = abs(count) % 100, abs(count) % 10
    if 11 <= tens <= 14:
        return many
    if units == 1:
        return one
    if 2 <= units <= 4:
        return few
    return many


def address_id(text: str) -> int:
    """The record id an address names (`/picking/12` → 12); 0, which no record has, for
    anything else — letters, other scripts' digits, or digits too long for an id column."""
    return int(text) if text.isascii() and text.isdigit() and len(text) < 10 else 0
