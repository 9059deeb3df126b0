"""A packing task's shipping labels (DESIGN.md §2b.4, the `/label` route of §6): one
`PackageLabel` a package, built here only — the packing page's print and downloads and
the API's `/packages/{n}/label` all take them from `task_labels`."""

from decimal import Decimal

from core.labels.package import PackageLabel
from core.orders.packing_ports import PackTask
from core.orders.ports import Order, ShipTo


def destination_of(ship_to: ShipTo | None) -> str | None:
    """A customer's address as one line: name, address, city, postal code, country."""
    if ship_to is None:
        return None
    parts = (ship_to.name, ship_to.address, ship_to.city, ship_to.postal_code, ship_to.country)
    line = ", ".join(p.strip() for p in parts if p and p.strip())
    return line or None


def task_labels(task: PackTask, order: Order, carrier_name: str | None,
                destination: str | None) -> list[PackageLabel]:  # fmt: skip
    """The labels of the task's packages in sequence order: «Коробка n из m», the tracking
    number once the task has one (else the package's barcode), the weight as weighed."""
    count = len(task.packages)
    kind = "supply" if order.kind == "supply" else "customer"
    labels = []
    for p in sorted(task.packages, key=lambda p: p.sequence_number):
        weight = None if p.weight_kg is None else Decimal(str(p.weight_kg))
        labels.append(PackageLabel(
            order_external_id=order.external_id, order_kind=kind,
            package_number=p.sequence_number, package_count=count,
            carrier_name=carrier_name, tracking_number=task.tracking_number,
            package_barcode=p.barcode, weight_kg=weight, destination=destination,
        ))  # fmt: skip
    return labels
