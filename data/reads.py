"""What every read query shares: the tables, a page of rows with its total, search patterns."""

from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, fields, replace
from typing import Any, TypeVar

import sqlalchemy as sa

from core.catalog.products import fold_search_text, other_keyboard_layout
from data.models import (
    DistributionCenter,
    Location,
    Movement,
    Product,
    Quant,
    Source,
    User,
    Warehouse,
)

product_t = Product.__table__


quant_t = Quant.__table__


location_t = Location.__table__


warehouse_t = Warehouse.__table__


movement_t = Movement.__table__


user_t = User.__table__


source_t = Source.__table__


dc_t = DistributionCenter.__table__


MAX_PAGE = 500


class Row(Mapping[str, Any]):
    """A typed read row: each query declares its row as a frozen dataclass over this
    (`@dataclass(frozen=True, eq=False) class SourceRow(Row): id: int; …`), so a reader
    names `row.name` and a type checker knows it. It also still reads as a read-only
    mapping — `row["name"]`, `dict(row)`, `{**row}`, equal to the dict of its fields — for
    code that builds JSON or table rows from it (`row._asdict()` gives a plain dict)."""

    def __getitem__(self, key: str) -> Any:
        if key not in self._name_set():  # a set: exports read a million rows this way
            raise KeyError(key)
        return getattr(self, key)

    def __iter__(self) -> Iterator[str]:
        return iter(self._names())

    def __len__(self) -> int:
        return len(self._names())

    def __repr__(self) -> str:
        inner = ", ".join(f"{name}={getattr(self, name)!r}" for name in self._names())
        return f"{type(self).__name__}({inner})"

    @classmethod
    def _names(cls) -> tuple[str, ...]:
        names: tuple[str, ...] | None = cls.__dict__.get("_field_names")
        if names is None:
            names = tuple(f.name for f in fields(cls))  # type: ignore[arg-type]
            cls._field_names = names  # type: ignore[attr-defined]
        return names

    @classmethod
    def _name_set(cls) -> frozenset[str]:
        names: frozenset[str] | None = cls.__dict__.get("_field_set")
        if names is None:
            names = frozenset(cls._names())
            cls._field_set = names  # type: ignore[attr-defined]
        return names

    def _asdict(self) -> dict[str, Any]:
        return {name: getattr(self, name) for name in self._names()}


R = TypeVar("R", bound=Row)


def typed(cls: type[R], row: sa.Row[Any] | sa.RowMapping | Mapping[str, Any]) -> R:
    """A SQLAlchemy row (or a row mapping) as `cls`: the query's column names are the
    row's fields, every one of them (a column too many or missing is an error, not a
    silent gap)."""
    mapping = row._mapping if isinstance(row, sa.Row) else row
    return cls(**mapping)


def typed_all(cls: type[R], rows: Iterable[Any]) -> list[R]:
    return [typed(cls, row) for row in rows]


@dataclass(frozen=True)
class Page:
    items: list[Any]  # typed rows (`Row`) of the query that made the page
    total: int
    # The search text these rows were found by, when it is not what was typed: the text in
    # the other keyboard layout («gktl» typed, «плед» searched). None otherwise.
    searched_for: str | None = None


def retry_in_other_layout(q: str | None, search: Callable[[str | None], Page]) -> Page:
    """`search(q)`; when that finds nothing and `q` reads as words in the other keyboard
    layout, the search for those instead, marked with the text it used."""
    page = search(q)
    if page.total or not q or (other := other_keyboard_layout(q.strip())) is None:
        return page
    retried = search(other)
    return replace(retried, searched_for=other) if retried.total else page


def page_bounds(limit: int, offset: int) -> tuple[int, int]:
    return max(1, min(limit, MAX_PAGE)), max(0, offset)


def like_pattern(text: str) -> str:
    escaped = fold_search_text(text).replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


_TOTAL = "total_matching__"  # the window count riding along with a filtered page


def page_with_total(
    conn: sa.Connection,
    query: sa.Select[Any],
    order: list[tuple[str, bool]],
    count_query: sa.Select[Any],
    *,
    filtered: bool,
    limit: int,
    offset: int,
) -> tuple[list[dict[str, Any]], int]:
    """One page of `query` in `order` (selected column names, descending?) and the
    number of all its rows.

    Unfiltered, the count is a cheap separate statement and the page an index-ordered read
    that stops after `limit` rows. Filtered (a text search, the low-stock test), every
    candidate has to be looked at anyway: the matches are collected once, counted by a
    window over them and sorted, so the table is scanned once, not twice. The matches are
    a materialised CTE because PostgreSQL would otherwise walk the name index hoping to
    meet `limit` matches early, reading the whole table when they cluster at the end.
    """

    def ordered(columns: Any) -> list[sa.ColumnElement[Any]]:
        return [columns[name].desc() if desc else columns[name].asc() for name, desc in order]

    if not filtered:
        total = conn.execute(count_query).scalar_one()
        page = query.order_by(*ordered(query.selected_columns)).limit(limit).offset(offset)
        return [dict(r) for r in conn.execute(page).mappings()], total
    matches = query.cte("matches").prefix_with("MATERIALIZED", dialect="postgresql")
    page = (
        sa.select(matches, sa.func.count().over().label(_TOTAL))
        .order_by(*ordered(matches.c))
        .limit(limit)
        .offset(offset)
    )
    rows = [dict(r) for r in conn.execute(page).mappings()]
    if not rows:  # nothing matches, or the page lies past the end: count on its own
        return [], 0 if offset == 0 else conn.execute(count_query).scalar_one()
    total = int(rows[0][_TOTAL])
    for row in rows:
        del row[_TOTAL]
    return rows, total


EXPORT_CHUNK = 5000
