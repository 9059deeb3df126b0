"""Reference data: sources (marketplaces) and distribution centers."""

from collections.abc import Callable
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query

import data.catalog.queries
from ui.api.errors import responses
from ui.api.schemas import (
    MAX_ID,
    DistributionCenter,
    DistributionCenterList,
    Source,
    SourceList,
)
from ui.context import AppContext

ActiveOnly = Annotated[bool, Query(description="Только действующие")]


def add_routes(router: APIRouter, ctx: AppContext, managers: Callable[..., Any]) -> None:
    guard = [Depends(managers)]
    tags: list[Any] = ["reference data"]

    @router.get(
        "/sources", response_model=SourceList, tags=tags, dependencies=guard,
        responses=responses(401, 403, 422),
    )  # fmt: skip
    def list_sources(active_only: ActiveOnly = False) -> SourceList:
        """Источники возвратов и самовыкупов (маркетплейсы)."""
        rows = data.catalog.queries.sources(ctx.db.engine, active_only=active_only)
        return SourceList(items=[Source.model_validate(r) for r in rows], total=len(rows))

    @router.get(
        "/distribution-centers", response_model=DistributionCenterList, tags=tags,
        dependencies=guard, responses=responses(401, 403, 422),
    )  # fmt: skip
    def list_distribution_centers(
        active_only: ActiveOnly = False,
        source_id: Annotated[
            int | None, Query(ge=1, le=MAX_ID, description="РЦ одного маркетплейса")
        ] = None,
    ) -> DistributionCenterList:
        """Распределительные центры (РЦ) маркетплейсов."""
        rows = data.catalog.queries.distribution_centers(
            ctx.db.engine, active_only=active_only, source_id=source_id
        )
        items = [DistributionCenter.model_validate(r) for r in rows]
        return DistributionCenterList(items=items, total=len(items))
