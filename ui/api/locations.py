"""Locations (DESIGN.md §6 "Floor model"): the warehouses' default locations, bins,
packing stations and outbound docks — list, read (with contents), create, change,
deactivate (409 `location_not_empty` while something lies there), and bin labels.
Every signed-in role reads; admins and managers write (core.users.policy)."""

import re
from collections.abc import Callable
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Query, Response, status
from pydantic import AfterValidator, Field, StrictBool

import data.floor.locations
from core.errors import NotFound
from core.floor.locations import (
    CODE_ALPHABET,
    CODE_PATTERN,
    MAX_CODE,
    MAX_NAME,
    MAX_ROUTE,
    MAX_ZONE,
    ZONE_PATTERN,
    LocationData,
    create_location,
    get_location,
    update_location,
)
from core.labels.printing import MAX_ADDRESS, RAW_PORT
from core.users.auth import Identity
from data.files.labels import PDF_MEDIA_TYPE, Label, bin_labels_pdf, bin_labels_zpl
from ui.api.errors import responses
from ui.api.movements import IdempotencyKey
from ui.api.schemas import (
    Input,
    Limit,
    Model,
    Offset,
    PathId,
    SearchedList,
    Text,
    WholeNumber,
    _never_null,
    _trimmed,
)
from ui.context import AppContext

Kind = Literal["default", "bin", "packing", "outbound"]
NewKind = Literal["bin", "packing", "outbound"]
WarehouseCode = Literal["MAIN", "DEFECT"]


def _exactly(pattern: str, what: str) -> Callable[[str | None], str | None]:
    """The schema's pattern, checked as written (core trims and would take more)."""
    compiled = re.compile(pattern)

    def check(value: str | None) -> str | None:
        if value is not None and not compiled.fullmatch(value):
            raise ValueError(f"{what}: {CODE_ALPHABET}, первым — буква или цифра")
        return value

    return check


CODE_DOC = f"Код места: до {MAX_CODE} символов — {CODE_ALPHABET}; строчные станут заглавными"
ZONE_DOC = f"Зона: до {MAX_ZONE} символов — {CODE_ALPHABET}"
NAME_DOC = f"Название, до {MAX_NAME} символов; пусто — как код"
PRINTER_DOC = (
    "Только у стола упаковки: сетевой принтер этикеток (ZPL), host или host:port "
    f"(порт {RAW_PORT}, если не указан); пусто или null — без принтера"
)
ROUTE_DOC = f"Порядок обхода (0…{MAX_ROUTE}); не указан — в конец маршрута склада"
Code = Annotated[str, AfterValidator(_exactly(CODE_PATTERN, "Код места"))]
Zone = Annotated[str, AfterValidator(_exactly(ZONE_PATTERN, "Зона"))]
CODE_SCHEMA = {"pattern": f"^{CODE_PATTERN}$"}
ZONE_SCHEMA = {"pattern": f"^{ZONE_PATTERN}$"}
ROUTE_SCHEMA = {"minimum": 0, "maximum": MAX_ROUTE}


class Location(Model):
    id: int
    code: str
    name: str
    kind: Kind
    warehouse: WarehouseCode
    zone: str | None = None
    route_sequence: int
    is_active: bool
    printer_address: str | None = Field(
        default=None, description="Принтер этикеток стола упаковки: host или host:port"
    )
    units: int = Field(default=0, description="Сколько единиц товара лежит")
    reserved: int = Field(default=0, description="Из них в резерве")
    products: int = Field(default=0, description="Сколько разных товаров")
    handling_units: int = Field(default=0, description="Открытых паллет и коробок")


class LocationList(SearchedList):
    items: list[Location]


class Content(Model):
    product_id: int | None = Field(description="null — пустая паллета или коробка")
    sku: str | None
    name: str | None
    barcode: str | None
    handling_unit_id: int | None
    handling_unit: str | None = Field(description="Код паллеты или коробки")
    quantity: int
    reserved: int


class LocationDetail(Location):
    contents: list[Content]


class LocationCreate(Input):
    code: Code = Field(description=CODE_DOC, json_schema_extra=CODE_SCHEMA)
    name: Text | None = Field(
        default=None, description=NAME_DOC, json_schema_extra=_trimmed(MAX_NAME, blank=True)
    )
    kind: NewKind = "bin"
    warehouse: WarehouseCode = "MAIN"
    zone: Zone | None = Field(default=None, description=ZONE_DOC, json_schema_extra=ZONE_SCHEMA)
    route_sequence: WholeNumber | None = Field(
        default=None, description=ROUTE_DOC, json_schema_extra=ROUTE_SCHEMA
    )


class LocationPatch(Input):
    """Only the fields sent change. `is_active: false` is refused while something lies
    there (409 `location_not_empty`); the default locations' code stays."""

    code: Code | None = Field(
        default=None, description=CODE_DOC, json_schema_extra=_never_null(CODE_SCHEMA)
    )
    name: Text | None = Field(
        default=None, description=NAME_DOC, json_schema_extra=_trimmed(MAX_NAME, blank=True)
    )
    zone: Zone | None = Field(
        default=None, description=ZONE_DOC + "; null — без зоны", json_schema_extra=ZONE_SCHEMA
    )
    route_sequence: WholeNumber | None = Field(
        default=None, description="Порядок обхода", json_schema_extra=_never_null(ROUTE_SCHEMA)
    )
    is_active: StrictBool | None = Field(
        default=None, description="false — отключить", json_schema_extra=_never_null({})
    )
    printer_address: Text | None = Field(
        default=None,
        description=PRINTER_DOC,
        json_schema_extra=_trimmed(MAX_ADDRESS, blank=True),
    )


LABEL = {
    200: {
        "description": "ZPL (text/plain, `^XA` … `^XZ`, 100 × 50 мм, 203 dpi) или PDF (A4)",
        "content": {
            "text/plain": {"schema": {"type": "string"}},
            PDF_MEDIA_TYPE: {"schema": {"type": "string", "format": "binary"}},
        },
    }
}
REPLAY = {200: {"model": Location, "description": "Повтор с тем же Idempotency-Key"}}


def add_routes(
    router: APIRouter,
    ctx: AppContext,
    readers: Callable[..., Any],
    writers: Callable[..., Any],
) -> None:
    tags: list[Any] = ["locations"]
    read, write = [Depends(readers)], [Depends(writers)]
    engine = ctx.db.engine

    def row(location_id: int) -> dict[str, Any]:
        found = data.floor.locations.location_row(engine, location_id)
        if found is None:
            raise NotFound("location_not_found", "Место хранения не найдено")
        return found

    @router.get(
        "/locations", response_model=LocationList, tags=tags, dependencies=read,
        responses=responses(401, 403, 422),
    )  # fmt: skip
    def list_locations(
        q: Annotated[
            Text | None, Query(max_length=64, description="Часть кода или названия")
        ] = None,
        kind: Kind | None = None,
        warehouse: WarehouseCode | None = None,
        zone: Annotated[Text | None, Query(max_length=MAX_ZONE)] = None,
        is_active: Annotated[bool | None, Query(description="true — действующие")] = None,
        occupied: Annotated[bool | None, Query(description="true — занятые")] = None,
        limit: Limit = 50,
        offset: Offset = 0,
    ) -> LocationList:
        """Места хранения в порядке обхода: основные места складов (`default`), ячейки,
        столы упаковки и зоны отгрузки, с занятостью."""
        flt = data.floor.locations.LocationFilter(
            q=q or "", kind=kind, warehouse=warehouse, zone=(zone or "").upper() or None,
            active=is_active, occupied=occupied,
        )  # fmt: skip
        page = data.floor.locations.locations(engine, flt, limit=limit, offset=offset)
        return LocationList(
            items=[Location.model_validate(r) for r in page.items],
            total=page.total,
            searched_for=page.searched_for,
        )

    @router.post(
        "/locations", response_model=Location, status_code=status.HTTP_201_CREATED,
        tags=tags, responses={**REPLAY, **responses(401, 403, 409, 422)},
    )  # fmt: skip
    def add_location(
        body: LocationCreate,
        response: Response,
        user: Annotated[Identity, Depends(writers)],
        idempotency_key: IdempotencyKey = None,
    ) -> Location:
        """Создать ячейку, стол упаковки или зону отгрузки. Код уникален среди всех мест
        (409 `location_code_taken`). С тем же `Idempotency-Key` — тот же ответ (200)."""
        created = create_location(
            ctx.locations,
            LocationData(**body.model_dump()),
            user_id=user.id,
            idempotency_key=idempotency_key,
        )
        if created.replayed:
            response.status_code = status.HTTP_200_OK
            return Location.model_validate(row(created.location.id))
        return Location.model_validate(created.location)  # new: nothing lies there yet

    @router.get(
        "/locations/{location_id}", response_model=LocationDetail, tags=tags,
        dependencies=read, responses=responses(401, 403, 404, 422),
    )  # fmt: skip
    def read_location(location_id: PathId) -> LocationDetail:
        """Место хранения и что в нём лежит (по товарам и паллетам/коробкам)."""
        found = row(location_id)
        items = data.floor.locations.contents(engine, location_id)
        return LocationDetail.model_validate({**found, "contents": items})

    @router.patch(
        "/locations/{location_id}", response_model=Location, tags=tags, dependencies=write,
        responses=responses(401, 403, 404, 409, 422),
    )  # fmt: skip
    def change_location(location_id: PathId, body: LocationPatch) -> Location:
        """Переименовать, сменить код, зону или порядок обхода, отключить или вернуть,
        указать принтер этикеток стола упаковки (422 `invalid_printer_address`,
        `printer_only_at_packing`). Место, где лежит товар, не отключается: 409
        `location_not_empty`."""
        update_location(ctx.locations, location_id, body.model_dump(exclude_unset=True))
        return Location.model_validate(row(location_id))

    @router.get(
        "/locations/{location_id}/label", response_class=Response, tags=tags,
        dependencies=read, responses={**LABEL, **responses(401, 403, 404, 422)},
    )  # fmt: skip
    def label(
        location_id: PathId,
        format: Annotated[Literal["zpl", "pdf"], Query(description="zpl или pdf")] = "zpl",
    ) -> Response:
        """Этикетка места: Code 128 его кода — ZPL для термопринтера или PDF (лист A4)."""
        location = get_location(ctx.locations, location_id)
        labels = [Label(location.code, location.name)]
        if format == "pdf":
            name = f'attachment; filename="label-{location.code}.pdf"'
            return Response(bin_labels_pdf(labels), media_type=PDF_MEDIA_TYPE,
                            headers={"Content-Disposition": name})  # fmt: skip
        return Response(bin_labels_zpl(labels), media_type="text/plain")
