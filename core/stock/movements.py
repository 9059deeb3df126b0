"""Use cases: post a movement, reverse a movement.

Each runs in one unit of work: the ledger row, the quant changes and the outbox event
commit together or not at all. Quants are touched in a fixed order (location id; one
product per movement) so that two-leg movements cannot deadlock each other.
The request and its checks are in `requests`, looking up what it names in `resolving`,
writing the row and its quant changes in `booking`.
"""

from datetime import datetime

from core.errors import Conflict, NotFound, ValidationError
from core.model import Movement, MovementDraft, MovementNames, ProductRef
from core.periods import now_utc
from core.stock.booking import replayed_movement, write_movement
from core.stock.operations import REVERSAL_NOT_ALLOWED, REVERSAL_SHORTAGE_MESSAGE, reversal_refusal
from core.stock.ports import StockUnitOfWork
from core.stock.requests import (
    MAX_NOTES,
    MovementRequest,
    Posted,
    check_fields,
    check_key,
    check_quantity,
    clean_text,
    manual_operation,
)
from core.stock.resolving import (
    check_unit_at,
    movement_names,
    resolve_locations,
    resolve_product,
    resolve_references,
)


def post_movement(
    uow: StockUnitOfWork, req: MovementRequest, *, user_id: int | None, at: datetime | None = None
) -> Posted:
    """`at`: the movement's time (default now); demo data and back-dated loads set it.
    Only the operations people post: the system's own (shipping) write the ledger in
    their flows."""
    op = manual_operation(req.operation_type)
    quantity = check_quantity(req.quantity)
    notes = clean_text(req.notes, MAX_NOTES, "notes_too_long", "Комментарий", "notes")
    key = check_key(req.idempotency_key)
    check_fields(op, req, notes)
    with uow:
        product = resolve_product(uow.catalog, req)
        source, dc = resolve_references(uow.catalog, req)
        src, dst = resolve_locations(uow.stock, op, req)
        check_unit_at(uow.stock, req.from_handling_unit_id, src, "from_handling_unit_id",
                      taking=True)  # fmt: skip
        check_unit_at(uow.stock, req.handling_unit_id, dst, "handling_unit_id", taking=False)
        draft = MovementDraft(
            operation_type=op.code,
            product_id=product.id,
            quantity=quantity,
            from_location_id=src.id,
            to_location_id=dst.id,
            source_id=source.id if source else None,
            distribution_center_id=dc.id if dc else None,
            user_id=user_id,
            notes=notes,
            idempotency_key=key,
            document=req.document,
            reversal_of=None,
            created_at=at or now_utc(),
            from_handling_unit_id=req.from_handling_unit_id,
            handling_unit_id=req.handling_unit_id,
        )
        movement = write_movement(uow, draft, op.shortage_message, version=req.expected_version)
        if movement is None:
            earlier = replayed_movement(uow.ledger, draft)
            assert earlier is not None, "a movement without a key cannot collide"
            return Posted(earlier, replayed=True)
        names = movement_names(product, src, dst, source, dc)  # before the commit: nothing after it
        uow.commit()
        return Posted(movement, replayed=False, names=names)


def reverse_movement(
    uow: StockUnitOfWork,
    movement_id: int,
    *,
    user_id: int | None,
    notes: str | None = None,
    idempotency_key: str | None = None,
    at: datetime | None = None,
) -> Posted:
    """Book the mirror image of a movement as a new ledger row that points at it.
    `at`: its time (default now)."""
    notes = clean_text(notes, MAX_NOTES, "notes_too_long", "Комментарий", "notes")
    key = check_key(idempotency_key)
    with uow:
        original = uow.ledger.movement(movement_id)
        if original is None:
            raise NotFound("movement_not_found", "Операция не найдена")
        if original.reversal_of is not None:
            raise Conflict("cannot_reverse_reversal", "Сторнирующую операцию нельзя сторнировать")
        refusal = reversal_refusal(original.operation_type, original.document)
        if refusal is not None:
            raise Conflict(REVERSAL_NOT_ALLOWED, refusal)
        product = uow.catalog.product(original.product_id)
        assert product is not None  # a foreign key
        if product.is_deleted:
            # A reversal of a shipment or a write-off puts stock back: not on a product
            # that is deleted (its units would drop out of the balances).
            raise Conflict(
                "product_deleted", "Товар удалён: восстановите его, потом сторнируйте операцию"
            )
        draft = MovementDraft(
            operation_type=original.operation_type,
            product_id=original.product_id,
            quantity=original.quantity,
            from_location_id=original.to_location_id,
            to_location_id=original.from_location_id,
            source_id=original.source_id,
            distribution_center_id=original.distribution_center_id,
            user_id=user_id,
            notes=notes or f"Сторно операции №{original.id}",
            idempotency_key=key,
            document=original.document,
            reversal_of=original.id,
            created_at=at or now_utc(),
            from_handling_unit_id=original.handling_unit_id,
            handling_unit_id=original.from_handling_unit_id,
        )
        _check_reversal_units(uow, draft)
        movement = write_movement(uow, draft, REVERSAL_SHORTAGE_MESSAGE, with_numbers=False)
        if movement is None:
            earlier = replayed_movement(uow.ledger, draft)
            if earlier is None:
                raise Conflict("already_reversed", "Операция уже сторнирована")
            return Posted(earlier, replayed=True)
        names = _reversal_names(uow, movement, product)  # before the commit: nothing after it
        uow.commit()
        return Posted(movement, replayed=False, names=names)


def _check_reversal_units(uow: StockUnitOfWork, draft: MovementDraft) -> None:
    """Stock goes back into the unit it came out of only while that unit is still open
    and where it was; taking it out of a unit that has moved simply finds nothing."""
    if draft.handling_unit_id is None:
        return
    place = uow.stock.location_by_id(draft.to_location_id)
    assert place is not None
    try:
        check_unit_at(uow.stock, draft.handling_unit_id, place, "handling_unit_id", taking=False)
    except (Conflict, ValidationError) as refused:
        raise Conflict(
            "handling_unit_moved",
            f"Сторно невозможно: {refused.message[0].lower()}{refused.message[1:]}",
        ) from None


def _reversal_names(uow: StockUnitOfWork, movement: Movement, product: ProductRef) -> MovementNames:
    catalog = uow.catalog
    src = uow.stock.location_by_id(movement.from_location_id)
    dst = uow.stock.location_by_id(movement.to_location_id)
    assert src is not None and dst is not None  # foreign keys
    source = catalog.source(movement.source_id) if movement.source_id is not None else None
    dc_id = movement.distribution_center_id
    dc = catalog.distribution_center(dc_id) if dc_id is not None else None
    return movement_names(product, src, dst, source, dc)
