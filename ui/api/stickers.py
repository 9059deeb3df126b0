"""Stickers (DESIGN.md §6 "Marking codes and stickers"): a product's 58 × 40 mm stickers and
a supply box's sticker, as ZPL text or a PDF (core.labels.stickers, data.files.stickers).

Product stickers are read as products are (managers and admins); a box sticker as the
package's label is (everyone on the floor). A box of a customer order has no box sticker
(its box carries the carrier's label): 409 `order_not_supply`."""

from collections.abc import Callable
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Query, Response

import data.packing.queries as packing_queries
from core.catalog.products import get_product
from core.errors import NotFound
from core.floor.box_stickers import box_sticker, box_sticker_zpl
from core.labels.stickers import MAX_COUNT, product_sticker, stickers_zpl
from data.files.labels import PDF_MEDIA_TYPE, ZPL_MEDIA_TYPE
from data.files.stickers import box_stickers_pdf, product_stickers_pdf
from ui.api.errors import responses
from ui.api.schemas import PathId
from ui.context import AppContext

Format = Annotated[
    Literal["zpl", "pdf"], Query(description="zpl — текст для термопринтера, pdf — файл")
]
Count = Annotated[int, Query(ge=1, le=MAX_COUNT, description="Сколько стикеров")]
STICKER = {
    200: {
        "description": "ZPL (`^XA` … `^XZ`, UTF-8) или PDF",
        "content": {"text/plain": {"schema": {"type": "string"}},
                    "application/pdf": {"schema": {"type": "string", "format": "binary"}}},
    }
}  # fmt: skip


def _file(content: str | bytes, format_: str, stem: str) -> Response:
    if format_ == "pdf":
        headers = {"Content-Disposition": f'attachment; filename="{stem}.pdf"'}
        return Response(content, media_type=PDF_MEDIA_TYPE, headers=headers)
    return Response(content, media_type=ZPL_MEDIA_TYPE)


def add_routes(router: APIRouter, ctx: AppContext, managers: Callable[..., Any],
               floor: Callable[..., Any]) -> None:  # fmt: skip
    @router.get(
        "/products/{product_id}/sticker", response_class=Response, tags=["products"],
        dependencies=[Depends(managers)], responses={**STICKER, **responses(401, 403, 404, 422)},
    )  # fmt: skip
    def product_stickers(product_id: PathId, format: Format = "zpl", count: Count = 1) -> Response:
        """Стикеры товара 58 × 40 мм: штрихкод (EAN-13, если штрихкод — верный EAN-13, иначе
        Code 128), артикул, название, размер и цвет, если они есть в названии. ZPL — один
        макет с `^PQ{count}`; PDF — `count` страниц 58 × 40 мм."""
        product = get_product(ctx.products, product_id)
        sticker = product_sticker(product.barcode, product.sku, product.name, count)
        if format == "pdf":
            return _file(product_stickers_pdf([sticker]), "pdf", f"sticker-{product_id}")
        return _file(stickers_zpl([sticker]), "zpl", "")

    @router.get(
        "/packing-tasks/{task_id}/packages/{number}/box-sticker", response_class=Response,
        tags=["fulfillment: packing and shipping"], dependencies=[Depends(floor)],
        responses={**STICKER, **responses(401, 403, 404, 409, 422)},
    )  # fmt: skip
    def box(task_id: PathId, number: PathId, format: Format = "zpl") -> Response:
        """Стикер коробки поставки на склад маркетплейса (FBO), 100 × 70 мм: номер поставки
        (`external_id` заказа), РЦ, «Коробка n из m», штрихкод коробки (SSCC — GS1-128).
        Нет задания или посылки `number` — 404; заказ клиента, а не поставка — 409
        `order_not_supply` (его коробке нужна этикетка перевозчика, `/label`)."""
        found = packing_queries.task_labels(ctx.db.engine, task_id)
        if found is None:
            raise NotFound("packing_task_not_found", "Задание на упаковку не найдено")
        wanted = [lb for lb in found.labels if lb.package_number == number]
        if not wanted:
            raise NotFound("package_not_found", f"В задании нет посылки {number}")
        sticker = box_sticker(wanted[0])
        if format == "pdf":
            return _file(box_stickers_pdf([sticker]), "pdf", f"box-{task_id}-{number}")
        return _file(box_sticker_zpl(sticker), "zpl", "")
