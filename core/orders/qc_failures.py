"""A failed quality check's units (core.orders.quality): each defective one written off
to DEFECT, each missing one booked as a loss, and its line reserved again from another bin
(a re-pick, checked again) or shorted. The caller holds the order's and the check's rows.
"""

from core.errors import Conflict, InsufficientStock
from core.events import EventType, add_event
from core.model import MovementDraft
from core.orders.packing import create_for_order as create_packing
from core.orders.picking_ports import ItemDraft
from core.orders.ports import Hold, Reservation, Slot
from core.orders.quality_ports import QcDefect, QcItem, QcTask, QualityUnitOfWork
from core.orders.reservation import expiry_of, held_events
from core.periods import now_utc
from core.stock.booking import apply_movement
from core.stock.operations import OPERATIONS, ORDER_DOCUMENT, Loc

# A unit not at the station at all («Нет в наличии»): counted so the check can finish,
# then handled as a defect — except that nothing goes to DEFECT. Picking moved it to the
# station, so the station's balance holds a unit that is not there: a loss, booked as an
# ADJUSTMENT (loss) from the station to INVENTORY_LOSS, the ledger's shortage.
MISSING = "Нет в наличии"
SHORTAGE_NOTE = "Недостача на контроле"


def _write_off(uow: QualityUnitOfWork, task: QcTask, item: QcItem, defect: QcDefect,
               user_id: int | None) -> int:  # fmt: skip
    """The defective unit out of its order's hold and into DEFECT (a WRITE_OFF), or a
    missing one out of the station's balance as a loss (an ADJUSTMENT to INVENTORY_LOSS):
    the movement's id."""
    now = now_utc()
    if uow.quality.give_up_picked(item.order_line_id, task.station_id, 1, now) is None:
        raise Conflict("reservation_mismatch", "Резерв на столе не сходится с проверкой: обновите")
    if not uow.picking.unpick(item.order_line_id, 1):
        raise Conflict("reservation_mismatch", "Собранное по строке не сходится с проверкой")
    missing = defect.missing
    op = OPERATIONS["ADJUSTMENT" if missing else "WRITE_OFF"]
    to = uow.stock.location(Loc.INVENTORY_LOSS if missing else Loc.DEFECT).id
    draft = MovementDraft(
        operation_type=op.code, product_id=item.product_id, quantity=1,
        from_location_id=task.station_id, to_location_id=to,
        source_id=None, distribution_center_id=None, user_id=user_id,
        notes=f"Контроль качества заказа {task.order_external_id}: "
        + (SHORTAGE_NOTE if missing else defect.reason),
        idempotency_key=None, document=f"{ORDER_DOCUMENT}:{task.order_id}", reversal_of=None,
        created_at=now,
    )  # fmt: skip
    movement = apply_movement(uow, draft, op.shortage_message)
    assert movement is not None, "a movement without a key is always written"
    return movement.id


def _another_bin(slots: list[Slot], avoid: int) -> Slot | None:
    """FIFO as a reservation chooses, but a bin other than the defective unit's first."""
    usable = [s for s in slots if s.available > 0]
    usable.sort(key=lambda s: (s.location_id == avoid, s.received_at, s.route_sequence,
                               s.quant_id))  # fmt: skip
    return usable[0] if usable else None


def _repick(uow: QualityUnitOfWork, item: QcItem, left: dict[int, int]) -> Slot | None:
    """One unit of the item's line reserved again, from another bin when there is one."""
    slots = uow.orders.lock_slots([item.product_id])
    for s in slots:
        left.setdefault(s.quant_id, s.available)
    slot = _another_bin([Slot(s.quant_id, s.product_id, s.location_id, left[s.quant_id],
                              s.received_at, s.route_sequence) for s in slots],
                        item.location_id)  # fmt: skip
    if slot is None:
        return None
    now = now_utc()
    hold = Hold(item.order_line_id, slot.quant_id, item.product_id, slot.location_id, 1)
    if uow.orders.reserve([hold], now, expiry_of(now)) is None:
        raise InsufficientStock("Остаток изменился во время пересборки: повторите")
    left[slot.quant_id] -= 1
    return slot


def fail(uow: QualityUnitOfWork, task: QcTask, user_id: int | None) -> str:
    """Write the defects off, reserve their lines again or short them; the next task.
    Returns the words for the order's timeline."""
    items = {i.id: i for i in task.items}
    outcomes: list[str] = []
    left: dict[int, int] = {}
    repicked: list[int] = []
    for defect in task.defects:
        item = items[defect.item_id]
        movement_id = _write_off(uow, task, item, defect, user_id)
        slot = _repick(uow, item, left)
        name = item.sku or item.barcode
        booked = ("недостача на контроле" if defect.missing
                  else "списан в брак")  # fmt: skip
        if slot is not None:
            where = uow.stock.location_by_id(slot.location_id)
            code = where.code if where else str(slot.location_id)
            uow.quality.settle_defect(defect.id, "repicked", movement_id, slot.location_id)
            outcomes.append(f"{name} — «{defect.reason}»: {booked}, пересборка из {code}")
            repicked.append(item.product_id)
        else:
            uow.quality.settle_defect(defect.id, "shorted", movement_id, None)
            outcomes.append(f"{name} — «{defect.reason}»: {booked}, недостача "
                            "(другого товара нет)")  # fmt: skip
    now = now_utc()
    fresh: list[Reservation] = [r for r in uow.orders.active_reservations(task.order_id)
                                if r.stage == "bin"]  # fmt: skip
    if fresh:
        head = uow.orders.head(task.order_id)
        assert head is not None
        drafts = [ItemDraft(n, r.order_line_id, r.id, r.product_id, r.location_id, r.quantity)
                  for n, r in enumerate(fresh, start=1)]  # fmt: skip
        pick_id = uow.picking.create_task(task.order_id, head.priority, now, drafts,
                                          task.station_id)  # fmt: skip
        warehouse = held_events(uow, fresh, EventType.INVENTORY_RESERVED, now,
                                order_id=task.order_external_id)  # fmt: skip
        add_event(uow, EventType.PICKING_CREATED, now, task_id=pick_id,
                  order_id=task.order_external_id, warehouse_id=warehouse)  # fmt: skip
        after = f"задание на пересборку {pick_id}"
    else:
        packing_id = create_packing(uow.packing, task.order_id, task.picking_task_id,
                                    task.station_id)  # fmt: skip
        after = f"задание на упаковку {packing_id}"
    return "; ".join(outcomes) + f"; {after}"
