"""Stock rules shared by every reader: which warehouses hold good and defect stock, how a
movement changes them, and when a product's stock is low. Data queries and pages read
these names instead of repeating the codes or the comparison."""

from core.stock.operations import Loc

# The two internal warehouses: good stock (sellable) and defect stock.
GOOD_WAREHOUSE: str = Loc.MAIN
DEFECT_WAREHOUSE: str = Loc.DEFECT


def stock_deltas(
    quantity: int, from_warehouse: str | None, to_warehouse: str | None
) -> tuple[int, int]:
    """(good, defect): the change of good and defect stock when `quantity` leaves a
    location of `from_warehouse` and enters one of `to_warehouse` (None: virtual)."""

    def change(warehouse: str) -> int:
        return (quantity if to_warehouse == warehouse else 0) - (
            quantity if from_warehouse == warehouse else 0
        )

    return change(GOOD_WAREHOUSE), change(DEFECT_WAREHOUSE)


def is_low(available: int, min_stock: int) -> bool:
    """Low stock: available good stock below a positive minimum (a minimum of 0 means
    "no minimum"). data.stock.queries.low_stock_sql spells the same rule in SQL."""
    return min_stock > 0 and available < min_stock
