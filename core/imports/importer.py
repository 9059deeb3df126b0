"""What every kind of import shares: the importer base, product look-up, the writing."""

from collections.abc import Callable, Collection, Iterable, Iterator
from itertools import islice
from typing import Any, TypeVar

from core.catalog.products import GTIN_LENGTHS, ProductRecord, check_code
from core.errors import Conflict, InsufficientStock, ValidationError
from core.events import EventType
from core.imports.plan import Job, Plan
from core.imports.ports import ImportStore
from core.imports.rows import Errors, Row, missing_column
from core.imports.sheet import Sheet, is_empty
from core.stock.operations import Operation, Requirement, operation_by_name

T = TypeVar("T")


def default_operation(operation_type: str | None) -> Operation | None:
    if operation_type is None or not operation_type.strip():
        return None
    op = operation_by_name(operation_type)
    if op is None:
        raise ValidationError(
            "unknown_operation",
            f"Неизвестная операция «{operation_type.strip()}»",
            field="operation_type",
        )
    if not importable(op):
        raise ValidationError(
            "operation_not_importable", not_importable_message(op), field="operation_type"
        )
    return op


def importable(op: Operation) -> bool:
    """Whether a file may carry this operation (a transfer names locations, which files
    don't; one only the system posts, SHIPMENT_ORDER, is never loaded)."""
    return not op.needs(Requirement.LOCATIONS) and not op.system_only


def not_importable_message(op: Operation) -> str:
    if op.posted_by is not None:
        return (
            f"Операцию «{op.label_ru}» из файла загрузить нельзя: её проводит только {op.posted_by}"
        )
    return f"Операцию «{op.label_ru}» из файла загрузить нельзя: проведите её на странице операций"


def stage_progress(job: Job, stage: str) -> Callable[[float], None]:
    return lambda fraction: job.progress(stage, fraction)


def fractions(total: int, progress: Callable[[float], None]) -> Callable[[int], None]:
    step = max(total // 50, 1000)

    def tick(done: int) -> None:
        if done % step == 0 and total:
            progress(min(done / total, 1.0))

    return tick


def product_label(product: ProductRecord) -> str:
    return f"{product.name} ({product.barcode})"


class Importer:
    kind = ""
    required: tuple[str, ...] = ()
    streams = False  # True: rows are read in check(), chunk by chunk, not in parse()

    def __init__(
        self, sheet: Sheet, errors: Errors, default_op: Operation | None, file_name: str
    ) -> None:
        self.sheet = sheet
        self.errors = errors
        self.default_op = default_op
        self.file_name = file_name
        self.rows_total = 0
        self._first_row_of: dict[str, int] = {}  # barcode → its first row (_unique_barcode)
        self._zeros_lost: dict[str, ProductRecord] = {}  # see products_by_code
        for name in self.required:
            if name not in sheet.columns:
                missing_column(errors, sheet.header_row, name)

    def parse(self) -> None:
        for number, cells in self.sheet.rows:
            self.rows_total += 1
            self.parse_row(Row(number, cells, self.sheet, self.errors))

    def parse_row(self, row: Row) -> None:
        raise NotImplementedError

    def check(self, store: ImportStore, job: Job) -> Plan:
        raise NotImplementedError

    def write(self, store: ImportStore, plan: Plan, job: Job) -> None:
        raise NotImplementedError

    def after_commit(self) -> None:
        """What is said once the file's transaction committed (a log line per business
        event); nothing by default."""

    def _barcode(self, row: Row) -> str | None:
        code = row.code("barcode", "Штрихкод")
        if "barcode" in self.sheet.columns and is_empty(row.raw("barcode")):
            self.errors.add(row.number, "barcode", "barcode_required", "Укажите штрихкод")
        return code

    def _unique_barcode(self, row: Row) -> str | None:
        """The row's barcode; a file that sets a product's stock or card names each
        product once, so a second row with the same barcode is an error."""
        code = self._barcode(row)
        if code:
            first = self._first_row_of.setdefault(code, row.number)
            if first != row.number:
                self.errors.add(
                    row.number, "barcode", "duplicate_barcode",
                    f"Штрихкод {code} уже есть в строке {first}",
                )  # fmt: skip
        return code

    def _product(
        self, number: int, code: str, by_code: dict[str, ProductRecord]
    ) -> ProductRecord | None:
        product = by_code.get(code)
        if product is None:
            try:
                check_code(code, "barcode", "Штрихкод")
            except ValidationError as error:  # not a barcode at all: say what is wrong
                self.errors.domain(number, error)
                return None
            message = f"Товар со штрихкодом {code} не найден"
            if (twin := self._zeros_lost.get(code)) is not None:
                message += (
                    f"; есть товар «{twin.name}» со штрихкодом {twin.barcode} — похоже, ячейка "
                    "была числом и потеряла ведущие нули: задайте столбцу текстовый формат"
                )
            self.errors.add(number, "barcode", "unknown_barcode", message)
            return None
        if product.is_deleted:
            self.errors.add(
                number, "barcode", "product_deleted",
                f"Товар «{product.name}» ({code}) удалён: восстановите его или уберите строку",
            )  # fmt: skip
            return None
        return product

    def _event(self, store: ImportStore, job: Job, extra: dict[str, Any]) -> None:
        # One event per import, not per movement: a million-row file would otherwise
        # double the rows written and flood every consumer; the movements are the ones
        # with document "import:<id>", their ids in [first_movement_id, last_movement_id].
        payload = {
            "import_id": job.import_id,
            "document": job.document,
            "kind": self.kind,
            "file_name": self.file_name,
            "rows": self.rows_total,
            "created_at": job.at.isoformat(),
            **extra,
        }
        store.add_event(EventType.IMPORT_APPLIED, payload, job.at)


def apply_stock(store: ImportStore, plan: Plan, job: Job) -> None:
    # Every ledger row changes some internal stock, so these are all the file's products.
    deleted = store.lock_products({product for product, _location in plan.stock})
    if deleted:
        # Checked when the file was read; only a delete committed since (PostgreSQL) gets
        # here, and the lock now held keeps any other from slipping in before the commit.
        raise Conflict("product_deleted", deleted_meanwhile_message(deleted))
    if not store.change_stock({k: v for k, v in plan.stock.items() if v}, job.at):
        # Checked against the stock read in this transaction, so only a concurrent
        # change (PostgreSQL) gets here; the transaction rolls back whole.
        raise InsufficientStock(
            "Остатки изменились, пока шёл импорт: файл не загружен, проверьте его ещё раз"
        )
    job.progress("write", 0.98)


def deleted_meanwhile_message(deleted: list[ProductRecord], shown: int = 3) -> str:
    names = ", ".join(f"«{p.name}» ({p.barcode})" for p in deleted[:shown])
    if len(deleted) > shown:
        names += f" и ещё {len(deleted) - shown}"
    what = "Товар" if len(deleted) == 1 else "Товары"
    verb = "удалён" if len(deleted) == 1 else "удалены"
    return (
        f"{what} {names} {verb}, пока шёл импорт: файл не загружен. "
        "Восстановите товар или уберите его строки из файла"
    )


def write_ledger(store: ImportStore, plan: Plan, job: Job) -> None:
    """The plan's ledger rows (opening balances: built whole, written at the end)."""
    if plan.ledger:
        store.open_ledger(document=job.document, user_id=job.user_id, at=job.at)
        for chunk in chunks(plan.ledger, CHUNK_ROWS):
            store.write_ledger(chunk)
            plan.written += len(chunk)
            job.progress("write", 0.9 * plan.written / len(plan.ledger))
        plan.ledger_span = store.close_ledger()
    apply_stock(store, plan, job)


CHUNK_ROWS = 20_000


def chunks(rows: Iterable[T], size: int) -> Iterator[list[T]]:
    iterator = iter(rows)
    while chunk := list(islice(iterator, size)):
        yield chunk


def products_by_code(
    store: ImportStore,
    codes: Collection[str],
    zeros_lost: dict[str, ProductRecord] | None = None,
) -> dict[str, ProductRecord]:
    """Products by barcode and by GTIN; a barcode wins over another product's GTIN.

    `zeros_lost` receives, for a code not found, the product it names once its leading
    zeros are back (a number cell drops them) — for the error message, never a guess."""
    products = store.products(codes)
    found = {p.gtin: p for p in products if p.gtin}
    found.update({p.barcode: p for p in products})
    if zeros_lost is not None:
        padded = {
            "0" * n + code: code
            for code in set(codes) - found.keys()
            for n in (1, 2)
            if len(code) + n in GTIN_LENGTHS
        }
        if padded:
            for code, product in products_by_code(store, padded).items():
                if code in padded:
                    zeros_lost[padded[code]] = product
    return found
