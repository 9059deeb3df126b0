"""The checks of one marking code going into a package (core.marking reads the code):
shared by a scan into an existing package (core.orders.marking) and a box closed with
its codes on the packing page (core.orders.packing.add_package)."""

from core.errors import Conflict, ValidationError
from core.marking.codes import ScannedCode, product_gtin
from core.marking.ports import CodeDraft, CodeRecord, CodeStatus
from core.orders.packing_ports import Package, PackTask
from core.orders.picking_ports import FulfillmentUnitOfWork
from core.periods import now_utc


def product_of_code(uow: FulfillmentUnitOfWork, task: PackTask, scanned: ScannedCode) -> int:
    """The task's product whose barcode or GTIN is the code's GTIN; 422
    `marking_code_wrong_product` when none of the order's is."""
    refs = uow.catalog.products(sorted({i.product_id for i in task.items}))
    for ref in refs.values():
        if scanned.gtin in product_gtin(ref.barcode, ref.gtin):
            return ref.id
    raise ValidationError(
        "marking_code_wrong_product",
        f"Код маркировки другого товара: GTIN {scanned.gtin} нет в этом заказе",
        field="code",
    )


def duplicate(found: CodeRecord, task: PackTask) -> Conflict:
    if found.order_id == task.order_id:
        where = "уже отсканирован в этом заказе"
    elif found.status == CodeStatus.SHIPPED:
        where = f"уже отгружен (заказ {found.order_external_id})"
    else:
        where = f"уже упакован в заказе {found.order_external_id}"
    return Conflict("marking_code_duplicate", f"Код маркировки {where}")


def record_code(uow: FulfillmentUnitOfWork, task: PackTask, package: Package,
                scanned: ScannedCode, user_id: int | None,
                in_box: dict[int, int] | None = None) -> CodeRecord:  # fmt: skip
    """One unit of the package given its code: the code names a product of the order
    that is in the package with units still uncoded, and is not in use anywhere."""
    product_id = product_of_code(uow, task, scanned)
    found = uow.marking.in_use(scanned.gtin, scanned.serial)
    if found is not None:
        raise duplicate(found, task)
    units = sum(i.quantity for i in package.items if i.product_id == product_id)
    if in_box is not None:  # the package is being made: its items are not read back yet
        units = in_box.get(product_id, 0)
    if units == 0:
        raise ValidationError("marking_code_wrong_product",
                              f"Этого товара нет в посылке {package.sequence_number}",
                              field="package_id")  # fmt: skip
    if uow.marking.coded(package.id, product_id) >= units:
        raise Conflict("marking_code_extra", f"В посылке {package.sequence_number} коды всех "
                       f"единиц этого товара уже отсканированы ({units} шт.)")  # fmt: skip
    draft = CodeDraft(task.order_id, task.id, package.id, product_id, scanned.gtin,
                      scanned.serial, scanned.code, user_id, now_utc())  # fmt: skip
    code_id = uow.marking.add(draft)
    if code_id is None:  # scanned elsewhere at the same moment
        raced = uow.marking.in_use(scanned.gtin, scanned.serial)
        raise duplicate(raced, task) if raced else Conflict(
            "marking_code_duplicate", "Код маркировки уже использован")  # fmt: skip
    record = uow.marking.code(code_id)
    assert record is not None
    return record
