"""Products, reference data and users: the rules of core.catalog.products/references/users."""

from datetime import UTC, datetime

import pytest

from core.catalog.products import (
    ProductData,
    create_product,
    delete_product,
    gtin_check_digit_ok,
    restore_product,
    update_product,
)
from core.catalog.references import create_reference, update_reference
from core.errors import Conflict, Forbidden, NotFound, ValidationError
from core.users.accounts import change_own_password, create_user, reset_password, update_user
from core.users.auth import Identity, authenticate
from data.catalog.queries import products
from data.catalog.store import SqlProductStore, SqlReferenceStore
from data.database import Database
from data.seed import ensure_admin
from data.users.store import SqlUserAdminStore, SqlUserStore
from tests.helpers import post

EAN = "4600000000008"  # valid EAN-13 check digit
EAN2 = "4600000000015"


def kettle(**changes: object) -> ProductData:
    values: dict[str, object] = {"sku": "KT-1", "name": "Чайник", "barcode": EAN}
    values.update(changes)
    return ProductData(**values)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("code", "ok"),
    [
        ("4600000000008", True),
        ("4600000000004", False),
        ("96385074", True),
        ("4006381333931", True),
    ],
)
def test_gtin_check_digit(code: str, ok: bool) -> None:
    assert gtin_check_digit_ok(code) is ok


def test_create_and_read_back_with_leading_zero(db: Database) -> None:
    store = SqlProductStore(db.engine)
    product = create_product(store, kettle(barcode=" 0012345678905", gtin=" 96385074 "))
    assert product.barcode == "0012345678905"
    assert product.gtin == "96385074"
    assert products(db.engine, q="чайник").total == 1


@pytest.mark.parametrize(
    ("changes", "code"),
    [
        ({"barcode": "46000000000A3"}, "invalid_barcode"),
        ({"barcode": "4600000000004"}, "invalid_barcode"),
        ({"barcode": "123"}, "invalid_barcode"),
        ({"gtin": "4600000000004"}, "invalid_gtin"),
        ({"name": "  "}, "name_required"),
        ({"sku": ""}, "sku_required"),
        ({"min_stock": -1}, "invalid_min_stock"),
        ({"weight_g": 1.5}, "invalid_weight_g"),
    ],
)
def test_invalid_product_is_refused(db: Database, changes: dict, code: str) -> None:
    with pytest.raises(ValidationError) as error:
        create_product(SqlProductStore(db.engine), kettle(**changes))
    assert error.value.code == code
    assert products(db.engine, deleted=None).total == 0


def test_barcode_and_gtin_are_unique_across_both_columns_and_deleted(db: Database) -> None:
    store = SqlProductStore(db.engine)
    first = create_product(store, kettle(gtin="96385074"))
    for data, code in [
        (kettle(sku="X"), "barcode_taken"),
        (kettle(barcode="96385074"), "barcode_taken"),  # another product's GTIN
        (kettle(barcode=EAN2, gtin=EAN), "gtin_taken"),
    ]:
        with pytest.raises(Conflict) as error:
            create_product(store, data)
        assert error.value.code == code
    delete_product(store, first.id)
    with pytest.raises(Conflict, match="восстановить"):
        create_product(store, kettle())


def test_update_delete_restore(db: Database) -> None:
    store = SqlProductStore(db.engine)
    product = create_product(store, kettle())
    changed = update_product(store, product.id, {"name": "Чайник 2 л", "min_stock": 5})
    assert (changed.name, changed.min_stock, changed.barcode) == ("Чайник 2 л", 5, EAN)
    with pytest.raises(ValidationError, match="Неизвестное поле"):
        update_product(store, product.id, {"is_deleted": True})
    assert delete_product(store, product.id).is_deleted
    assert products(db.engine).total == 0
    assert products(db.engine, deleted=True).total == 1
    with pytest.raises(Conflict):
        update_product(store, product.id, {"name": "x"})
    assert not restore_product(store, product.id).is_deleted
    with pytest.raises(NotFound):
        delete_product(store, 999_999)


def test_a_product_in_stock_cannot_be_deleted(db: Database) -> None:
    """Its units would drop out of the balances while they are still on the shelf."""
    store = SqlProductStore(db.engine)
    product = create_product(store, kettle())
    post(db, "RECEIPT_DEFECT", product.id, 2)  # defect stock counts too
    with pytest.raises(Conflict) as error:
        delete_product(store, product.id)
    assert error.value.code == "product_in_stock"
    assert not store.get(product.id).is_deleted  # type: ignore[union-attr]
    post(db, "UTILIZATION", product.id, 2)
    assert delete_product(store, product.id).is_deleted


def test_reference_data(db: Database) -> None:
    store = SqlReferenceStore(db.engine)
    source = create_reference(store, "source", "Lamoda")
    dc = create_reference(store, "distribution_center", "Lamoda Подольск", source.id)
    assert dc.source_id == source.id
    with pytest.raises(Conflict):
        create_reference(store, "source", "lamoda")
    with pytest.raises(ValidationError):
        create_reference(store, "distribution_center", "Без маркетплейса")
    off = update_reference(store, "distribution_center", dc.id, is_active=False)
    assert not off.is_active and off.name == "Lamoda Подольск"
    with pytest.raises(NotFound):
        update_reference(store, "source", 999_999, name="x")


def test_users_roles_and_passwords(db: Database) -> None:
    ensure_admin(db.engine, "admin-password")
    store = SqlUserAdminStore(db.engine)
    admin = authenticate(SqlUserStore(db.engine), "admin", "admin-password", _now())
    worker = create_user(store, "ivan", "Иван Петров", "worker", "12345678")
    with pytest.raises(Conflict):
        create_user(store, "ivan", "", "worker", "12345678")
    with pytest.raises(ValidationError):
        create_user(store, "petr", "", "worker", "short")
    with pytest.raises(ValidationError):
        create_user(store, "petr", "", "boss", "12345678")
    assert update_user(store, admin, worker.id, role="manager").role == "manager"
    with pytest.raises(Conflict) as error:
        update_user(store, admin, admin.id, is_active=False)
    assert error.value.code == "cannot_demote_self"

    other_admin = create_user(store, "olga", "", "admin", "12345678")
    as_olga = Identity(other_admin.id, "olga", "", "admin")
    update_user(store, as_olga, admin.id, role="manager")
    with pytest.raises(Conflict) as error:
        update_user(store, admin, other_admin.id, is_active=False)
    assert error.value.code == "last_admin"

    reset_password(store, worker.id, "new-password-1")
    users = SqlUserStore(db.engine)
    assert authenticate(users, "ivan", "new-password-1", _now()).role == "manager"
    ivan = Identity(worker.id, "ivan", "", "manager")
    with pytest.raises(Forbidden):
        change_own_password(store, ivan, "wrong", "another-password")
    change_own_password(store, ivan, "new-password-1", "another-password")
    assert authenticate(users, "ivan", "another-password", _now()).id == worker.id


def _now() -> datetime:
    return datetime.now(UTC)
