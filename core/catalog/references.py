"""Reference data: sources (marketplaces) and their distribution centers.

They are deactivated, never deleted: the ledger points at them.
"""

from core.catalog.ports import Kind, ReferenceRecord, ReferenceStore
from core.errors import Conflict, NotFound, ValidationError

NAMES: dict[Kind, str] = {"source": "Источник", "distribution_center": "РЦ"}
# The columns' lengths: a longer name would fail in PostgreSQL instead of being refused.
MAX_NAME: dict[Kind, int] = {"source": 100, "distribution_center": 200}


def _name(store: ReferenceStore, kind: Kind, name: str, except_id: int | None) -> str:
    name = (name or "").strip()
    if not name:
        raise ValidationError("name_required", "Укажите название", field="name")
    if len(name) > (limit := MAX_NAME[kind]):
        message = f"Название: не больше {limit} символов"
        raise ValidationError("name_too_long", message, field="name")
    if store.name_taken(kind, name, except_id=except_id):
        raise Conflict("name_taken", f"{NAMES[kind]} «{name}» уже есть", field="name")
    return name


def _source_for_dc(store: ReferenceStore, source_id: int | None) -> int:
    source = store.get("source", source_id) if source_id is not None else None
    if source is None:
        raise ValidationError(
            "source_not_found", "Укажите маркетплейс, которому принадлежит РЦ",
            field="source_id",
        )  # fmt: skip
    return source.id


def get_reference(store: ReferenceStore, kind: Kind, item_id: int) -> ReferenceRecord:
    item = store.get(kind, item_id)
    if item is None:
        raise NotFound(f"{kind}_not_found", f"{NAMES[kind]} не найден")
    return item


def create_reference(
    store: ReferenceStore, kind: Kind, name: str, source_id: int | None = None
) -> ReferenceRecord:
    name = _name(store, kind, name, None)
    if kind == "distribution_center":
        source_id = _source_for_dc(store, source_id)
    elif source_id is not None:
        raise ValidationError("field_not_allowed", "У источника нет маркетплейса")
    return store.insert(kind, name, source_id)


def update_reference(
    store: ReferenceStore,
    kind: Kind,
    item_id: int,
    *,
    name: str | None = None,
    is_active: bool | None = None,
    source_id: int | None = None,
) -> ReferenceRecord:
    current = get_reference(store, kind, item_id)
    new_name = current.name if name is None else _name(store, kind, name, item_id)
    new_source = current.source_id
    if kind == "distribution_center" and source_id is not None:
        new_source = _source_for_dc(store, source_id)
    active = current.is_active if is_active is None else is_active
    return store.update(kind, item_id, new_name, active, new_source)
