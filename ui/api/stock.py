"""Stock: balances per product and the totals."""

from collections.abc import Callable
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query

import data.stock.balances
import data.stock.queries
from ui.api.errors import responses
from ui.api.schemas import BalanceList, BalanceRow, Limit, Offset, Search, Summary
from ui.context import AppContext


def add_routes(router: APIRouter, ctx: AppContext, managers: Callable[..., Any]) -> None:
    guard = [Depends(managers)]
    tags: list[Any] = ["stock"]

    @router.get(
        "/stock/balances", response_model=BalanceList, tags=tags, dependencies=guard,
        responses=responses(401, 403, 422),
    )  # fmt: skip
    def list_balances(
        q: Search = None,
        low_only: Annotated[
            bool, Query(description="Только товары, где доступно меньше минимального остатка")
        ] = False,
        limit: Limit = 50,
        offset: Offset = 0,
    ) -> BalanceList:
        """Остатки: одна строка на товар — годный, брак, резерв, доступно."""
        page = data.stock.balances.balances(
            ctx.db.engine, q=q, low_only=low_only, limit=limit, offset=offset
        )
        return BalanceList(
            items=[BalanceRow.model_validate(r) for r in page.items],
            total=page.total,
            searched_for=page.searched_for,
        )

    @router.get(
        "/stock/summary", response_model=Summary, tags=tags, dependencies=guard,
        responses=responses(401, 403),
    )  # fmt: skip
    def stock_summary() -> Summary:
        """Итоги по складу."""
        return Summary.model_validate(data.stock.queries.summary(ctx.db.engine))
