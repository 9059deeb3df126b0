"""/operations: managers post stock movements, scanner first.

A USB scanner types the barcode and Enter into the focused scan field; Enter looks the
product up and shows its stock. Which fields an operation needs comes from
core.stock.operations.OPERATIONS (its Requirement set); the rules themselves are checked by
core.stock.movements.post_movement, and its Russian message is shown beside the form.
Inventory is entered as the quantity counted; core.stock.inventory books the difference.

A count is never dropped silently: scanning another product while a count of the shown
one (more than the single first scan) is not posted holds the new scan and asks, in the
banner, to post the count or to cancel it. Why not post it at once: the operation or its
fields may not be what the worker meant (a wrong post needs a reversal); why not a modal
dialog: the next scanner keystrokes would land in it. Scanning the same product again
simply goes on counting.

The form's widgets are built in `operations_layout`; finding and showing the product is
`operations_product`'s, posting and its answer `operations_posting`'s.
"""

import asyncio
from typing import Any

from core.stock.inventory import difference
from core.stock.operations import MANUAL_OPERATIONS, OPERATIONS, WAREHOUSES, Operation, Requirement
from core.stock.rules import GOOD_WAREHOUSE
from core.users import policy
from core.users.auth import Identity
from ui.context import AppContext
from ui.i18n import language, number, tr
from ui.layout import frame
from ui.pages.stock.operations_input import STOCK_KEY, WAREHOUSE_EN, location_name, whole_quantity
from ui.pages.stock.operations_posting import OperationsPosting
from ui.session import protected_page

PATH = "/operations"
ACTION = policy.Action.POST_MOVEMENTS
DEFAULT_OPERATION = "RECEIPT"


class OperationsForm(OperationsPosting):
    """One form per open page: the chosen operation, the product and the posting state."""

    def __init__(
        self, ctx: AppContext, user: Identity, operation: str, product_id: int | None
    ) -> None:
        self.ctx = ctx
        self.user = user
        self.operation: Operation = OPERATIONS[operation]
        self.product: dict[str, Any] | None = None
        # A scan of another product held while the shown one's count waits (see the top).
        self.held: dict[str, Any] | None = None
        # One key per form submission: kept while the same form is retried, so a retry
        # (or a second click) is booked once; a new one once it succeeded or the form changed.
        self.key: str | None = None
        self.posting = False
        self.received = {}
        self.just_posted = False  # the next scan starts a new count
        self.scanning = asyncio.Lock()
        self._build()
        self._choose(operation)
        if product_id is not None:
            self._show_product_by_id(product_id)

    @property
    def counting(self) -> bool:
        """Inventory: the quantity is what was counted, not what moves."""
        return self.operation.needs(Requirement.WAREHOUSE_AND_DIRECTION)

    def _choose(self, code: str) -> None:
        changed = code != self.operation.code
        self.operation = OPERATIONS[code]
        op = self.operation
        for button_code, button in self.buttons.items():
            if button_code == code:
                button.props(remove="outline").props("unelevated aria-pressed=true")
            else:
                button.props(remove="unelevated aria-pressed").props("outline")
        for requirement, row in self.requirement_rows.items():
            row.set_visibility(op.needs(requirement))
        needs_reason = op.needs(Requirement.REASON)
        self.notes.label = (
            tr("Причина (обязательно)", "Reason (required)")
            if needs_reason
            else tr("Комментарий", "Notes")
        )
        self.quantity.label = (
            tr("Посчитано, шт.", "Counted, pcs")
            if self.counting
            else tr("Количество, шт.", "Quantity, pcs")
        )
        self.route.set_text(self._route_text())
        self.submit_button.set_text(tr("Провести: ", "Post: ") + op.label(language()))
        if changed:
            # What was written for the previous operation is not this one's: a write-off's
            # «Трещина корпуса» must not ride along on a receipt, nor its «Проведено» stay.
            self.notes.value = ""
            self.result.set_visibility(False)
        self._form_changed()

    def _route_text(self) -> str:
        op = self.operation
        if op.from_location is not None and op.to_location is not None:
            return f"{location_name(op.from_location)} → {location_name(op.to_location)}"
        if self.counting:
            return tr(
                "Введите, сколько посчитали: разницу с остатком проведём излишком или недостачей",
                "Enter what you counted: the difference is posted as a surplus or a shortage",
            )
        return tr("Между местами хранения", "Between storage locations")

    def _form_changed(self) -> None:
        """Any edit makes the next submission a new one (a new idempotency key)."""
        self.key = None
        self.error.set_visibility(False)
        self._show_count()

    def _step(self, delta: int) -> None:
        current = whole_quantity(self.quantity.value)
        current = current if current is not None else 0
        self.quantity.value = str(max(0 if self.counting else 1, current + delta))

    def _show_count(self) -> None:
        """Inventory: the stock, the count and the difference that posting would book."""
        if not self.counting or self.product is None:
            self.count_panel.set_visibility(False)
            return
        warehouse = self.warehouse.value or GOOD_WAREHOUSE
        stock = int(self.product[STOCK_KEY[warehouse]])
        place = tr(WAREHOUSES[warehouse], WAREHOUSE_EN[warehouse])
        counted = whole_quantity(self.quantity.value)
        change = difference(stock, counted) if counted is not None else None
        if counted is None:
            shown, colour = "—", "text-grey-8"
        elif change is None:
            shown, colour = tr("0, расхождения нет", "0, no difference"), "text-grey-8"
        elif change[0] == "gain":
            shown, colour = (
                tr(f"+{number(change[1])} излишек", f"+{number(change[1])} surplus"),
                ("text-positive"),
            )
        else:
            shown, colour = (
                tr(f"−{number(change[1])} недостача", f"−{number(change[1])} shortage"),
                ("text-negative"),
            )
        figures = {
            "stock": (tr(f"На складе «{place}»", f"In “{place}”"), number(stock)),
            "counted": (tr("Посчитано", "Counted"), "—" if counted is None else number(counted)),
            "difference": (tr("Разница", "Difference"), shown),
        }
        for key, (caption_text, value_text) in figures.items():
            caption, value = self.count_labels[key]
            caption.set_text(caption_text)
            value.set_text(value_text)
        difference_label = self.count_labels["difference"][1]
        difference_label.classes(remove="text-grey-8 text-positive text-negative").classes(colour)
        self.count_panel.set_visibility(True)

    def _pending_count(self) -> int | None:
        """The unposted count of the shown product worth keeping: more than its first scan
        (one scan is redone by one scan), or anything typed over it."""
        if self.product is None or self.just_posted:
            return None
        text = str(self.quantity.value or "").strip()
        if text in ("", "1"):
            return None
        return whole_quantity(text) or 0


def register(ctx: AppContext) -> None:
    @protected_page(ctx, PATH, ACTION)
    def operations_page(
        user: Identity, operation_type: str | None = None, product_id: str | None = None
    ) -> None:
        """`?operation_type=SHIPMENT_RC&product_id=5` preselect (links from other pages)."""
        operation = operation_type if operation_type in MANUAL_OPERATIONS else DEFAULT_OPERATION
        product = int(product_id) if product_id and product_id.isdigit() else None
        with frame(user, tr("Операции", "Operations"), PATH):
            OperationsForm(ctx, user, operation, product)
