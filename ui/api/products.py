"""Products: list, create, read, change, soft-delete and restore (core.catalog.products)."""

from collections.abc import Callable
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, status

import data.catalog.queries
from core.catalog.products import (
    ProductData,
    create_product,
    delete_product,
    get_product,
    restore_product,
    update_product,
)
from ui.api.errors import responses
from ui.api.schemas import (
    Limit,
    Offset,
    PathId,
    Product,
    ProductCreate,
    ProductList,
    ProductPatch,
    Search,
)
from ui.context import AppContext


def add_routes(router: APIRouter, ctx: AppContext, managers: Callable[..., Any]) -> None:
    guard = [Depends(managers)]
    tags: list[Any] = ["products"]

    @router.get(
        "/products", response_model=ProductList, tags=tags, dependencies=guard,
        responses=responses(401, 403, 422),
    )  # fmt: skip
    def list_products(
        q: Search = None,
        include_deleted: Annotated[bool, Query(description="Показать и удалённые")] = False,
        limit: Limit = 50,
        offset: Offset = 0,
    ) -> ProductList:
        """Товары по названию; `q` — штрихкод, GTIN, часть артикула или названия."""
        page = data.catalog.queries.products(
            ctx.db.engine,
            q=q,
            deleted=None if include_deleted else False,
            limit=limit,
            offset=offset,
        )
        return ProductList(
            items=[Product.model_validate(r) for r in page.items],
            total=page.total,
            searched_for=page.searched_for,
        )

    @router.post(
        "/products", response_model=Product, status_code=status.HTTP_201_CREATED, tags=tags,
        dependencies=guard, responses=responses(401, 403, 409, 422),
    )  # fmt: skip
    def add_product(body: ProductCreate) -> Product:
        """Создать товар. Штрихкод и GTIN уникальны среди всех товаров, удалённых тоже."""
        record = create_product(ctx.products, ProductData(**body.model_dump()))
        return Product.model_validate(record)

    @router.get(
        "/products/{product_id}", response_model=Product, tags=tags, dependencies=guard,
        responses=responses(401, 403, 404, 422),
    )  # fmt: skip
    def read_product(product_id: PathId) -> Product:
        """Товар по id (удалённый тоже, с `is_deleted: true`)."""
        return Product.model_validate(get_product(ctx.products, product_id))

    @router.patch(
        "/products/{product_id}", response_model=Product, tags=tags, dependencies=guard,
        responses=responses(401, 403, 404, 409, 422),
    )  # fmt: skip
    def change_product(product_id: PathId, body: ProductPatch) -> Product:
        """Изменить переданные поля; остальные остаются как были."""
        changes = body.model_dump(exclude_unset=True)
        return Product.model_validate(update_product(ctx.products, product_id, changes))

    @router.delete(
        "/products/{product_id}", response_model=Product, tags=tags, dependencies=guard,
        responses=responses(401, 403, 404, 409, 422),
    )  # fmt: skip
    def remove_product(product_id: PathId) -> Product:
        """Удалить товар (мягко): история сохраняется, его можно восстановить. Товар, который
        есть на складе (годный или брак), не удаляется: 409 `product_in_stock`."""
        return Product.model_validate(delete_product(ctx.products, product_id))

    @router.post(
        "/products/{product_id}/restore", response_model=Product, tags=tags,
        dependencies=guard, responses=responses(401, 403, 404, 422),
    )  # fmt: skip
    def restore(product_id: PathId) -> Product:
        """Восстановить удалённый товар."""
        return Product.model_validate(restore_product(ctx.products, product_id))
