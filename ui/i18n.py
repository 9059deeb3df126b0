"""Russian by default, English on request: each text is written once as a (ru, en) pair
where it is used, and `tr` picks one for the signed-in browser's language."""

from nicegui import app

LANGUAGES = ("ru", "en")
_KEY = "language"


def language() -> str:
    try:
        chosen = app.storage.user.get(_KEY)
    except RuntimeError:  # outside a page (e.g. a test calling a helper)
        chosen = None
    return chosen if chosen in LANGUAGES else "ru"


def set_language(code: str) -> None:
    app.storage.user[_KEY] = code if code in LANGUAGES else "ru"


def tr(ru: str, en: str) -> str:
    return en if language() == "en" else ru


def number(value: int) -> str:
    """1234567 → '1 234 567' (a thin space in Russian, a comma in English)."""
    return f"{value:,}".replace(",", " " if language() == "ru" else ",")
