"""`core.stock.ports.Ledger` in a unit of work's transaction (data.uow): the append-only
movement table. Each new row is also counted for the daily aggregates, which the unit
writes on commit (data.stock.flows)."""

import sqlalchemy as sa

from core.floor.locations import LocationKind
from core.model import LocationRef, Movement, MovementDraft
from core.settings import get_settings
from core.stock.rules import GOOD_WAREHOUSE
from data.models import UtcDateTime
from data.stock.flows import FlowTotals
from data.stock.repository import LocationDirectory
from data.transaction import Transaction

MOVEMENT_COLUMNS = (
    "operation_type, product_id, quantity, from_location_id, to_location_id, source_id, "
    "distribution_center_id, user_id, notes, idempotency_key, document, reversal_of, created_at, "
    "from_handling_unit_id, handling_unit_id"
)
# Nothing is inserted (and no row returned) when the idempotency key or the reversal
# target is already taken; a concurrent twin waits for the first and then sees it.
INSERT_MOVEMENT = sa.text(
    f"INSERT INTO movement ({MOVEMENT_COLUMNS}) VALUES (:operation_type, :product_id, "
    ":quantity, :from_location_id, :to_location_id, :source_id, :distribution_center_id, "
    ":user_id, :notes, :idempotency_key, :document, :reversal_of, :created_at, "
    ":from_handling_unit_id, :handling_unit_id) "
    "ON CONFLICT DO NOTHING RETURNING id"
).bindparams(sa.bindparam("created_at", type_=UtcDateTime()))


def _select_movement(where: str) -> sa.TextualSelect:
    return sa.text(f"SELECT id, {MOVEMENT_COLUMNS} FROM movement WHERE {where}").columns(
        created_at=UtcDateTime()
    )


MOVEMENT_BY_ID = _select_movement("id = :v")
# The expression of the unique index uq_movement_user_idempotency_key, so it is read.
MOVEMENT_BY_KEY = _select_movement("coalesce(user_id, 0) = :u AND idempotency_key = :v")


def _reservable(place: LocationRef | None, unit_id: int | None) -> bool:
    """Where an order may be given stock: loose in MAIN's own place or an active bin — the
    places data.orders.repository's SLOTS reads reservations from."""
    return (place is not None and place.is_internal and place.is_active and unit_id is None
            and place.warehouse_code == GOOD_WAREHOUSE
            and place.kind in (LocationKind.DEFAULT, LocationKind.BIN))  # fmt: skip


class SqlLedger:
    def __init__(self, tx: Transaction, locations: LocationDirectory) -> None:
        self._tx = tx
        self._locations = locations
        self.flows: FlowTotals | None = None  # what the new rows add to the aggregates
        # Products whose good stock received units: orders waiting for them are tried
        # again after the commit (data.uow).
        self.arrived: set[int] = set()

    def movement(self, movement_id: int) -> Movement | None:
        row = self._tx.one(MOVEMENT_BY_ID, movement_id)
        return Movement(**row) if row else None

    def movement_by_key(self, idempotency_key: str, user_id: int | None) -> Movement | None:
        params = {"v": idempotency_key, "u": user_id or 0}
        row = self._tx.conn.execute(MOVEMENT_BY_KEY, params).mappings().first()
        return Movement(**row) if row else None

    def add(self, draft: MovementDraft) -> Movement | None:
        rows = self._tx.run(INSERT_MOVEMENT, draft.__dict__)
        if not rows:
            return None
        self._count_flow(draft)
        return Movement(**draft.__dict__, id=rows[0][0])

    def _count_flow(self, draft: MovementDraft) -> None:
        """Remember the movement for the daily aggregates, written on commit."""
        conn = self._tx.conn
        src = self._locations.by_id(conn, draft.from_location_id)
        dst = self._locations.by_id(conn, draft.to_location_id)
        # Stock an order waiting for it may now get: it lands where orders are given stock
        # and did not come from such a place (a putaway from MAIN into a bin, or a move
        # between bins, gives a waiting order nothing, so none is tried again for it).
        if _reservable(dst, draft.handling_unit_id) and not _reservable(
                src, draft.from_handling_unit_id):  # fmt: skip
            self.arrived.add(draft.product_id)
        if self.flows is None:
            self.flows = FlowTotals(get_settings().time_zone)
        self.flows.add(
            at=draft.created_at,
            product_id=draft.product_id,
            operation_type=draft.operation_type,
            source_id=draft.source_id,
            distribution_center_id=draft.distribution_center_id,
            quantity=draft.quantity,
            from_warehouse=src.warehouse_code if src else None,
            to_warehouse=dst.warehouse_code if dst else None,
            reversal=draft.reversal_of is not None,
        )
