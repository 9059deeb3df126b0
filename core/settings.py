"""Run-time settings from `WMS_*` environment variables."""

import os
import socket
from pathlib import Path
from typing import Literal

from pydantic import Field, PositiveInt, ValidationInfo, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from core.metrics import Network, parse_allow_list

PROJECT_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_DATA_DIR = PROJECT_ROOT / "var"


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="WMS_", env_file=".env", extra="ignore")

    data_dir: Path = DEFAULT_DATA_DIR
    database_url: str = ""  # empty: a SQLite file in data_dir
    host: str = "0.0.0.0"
    port: int = 8080
    admin_password: str | None = None
    storage_secret: str | None = None
    time_zone: str = "Europe/Moscow"
    language: str = "ru"
    # Logs (ui.logs) on stderr: `json` — one JSON object a line, for a log collector;
    # `console` — readable lines for a person; `auto` — console on a terminal, else JSON.
    log_format: Literal["auto", "json", "console"] = "auto"
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = "INFO"

    @field_validator("log_format", "log_level", mode="before")
    @classmethod
    def _any_case(cls, value: object, info: ValidationInfo) -> object:
        if not isinstance(value, str):
            return value
        value = value.strip()
        return value.upper() if info.field_name == "log_level" else value.lower()

    # Served over HTTPS (directly or behind a TLS proxy): the session cookie is marked
    # Secure and browsers are told to use HTTPS only (HSTS).
    https: bool = False
    # REST API access tokens (JWT) stay valid this long after sign-in.
    token_ttl_minutes: int = 720
    # FULL: a confirmed movement survives a power cut, not only a crash of the app.
    sqlite_synchronous: str = "FULL"
    # Imports (Excel/CSV): an upload larger than this is refused while it is being read.
    import_max_bytes: int = 50 * 1024 * 1024
    import_max_rows: int = 1_000_000
    # An .xlsx is a zip: its parts may expand to at most this much (a zip bomb guard).
    import_max_unpacked_bytes: int = 600 * 1024 * 1024
    # At most this many imports of big files run at once in a process (a million-row
    # .xlsx holds some 500 MB while it is read); the others wait in turn, the page shows
    # their place, and the API answers 503 `import_queue_timeout` after the timeout.
    import_max_parallel: int = 1
    import_queue_timeout_seconds: float = 600.0
    # Smaller files cost a few MB and never wait.
    import_queue_from_bytes: int = 1024 * 1024
    # Packing stations' label printers (raw TCP 9100): connecting and sending a label job
    # each give up after this long; the label can then be downloaded instead.
    printer_timeout_seconds: float = 3.0
    # Handling units (pallets, boxes): with the company's GS1 company prefix (7 to 10
    # digits) their codes are SSCC-18; without one, internal codes HU-000123.
    gs1_prefix: str = ""
    sscc_extension_digit: int = 0
    # Orders: a reservation not yet being picked this many minutes after it was made is
    # released and the order waits for stock again (core.orders.expiry). Unset (the
    # default): reservations never expire.
    reservation_ttl_minutes: PositiveInt | None = None
    # Redis (DESIGN.md §7): the order feed is read from it and the outbox relayed to its
    # streams (data.events.relay). Unset (the default): no feed, events wait in the outbox.
    redis_url: str | None = None
    # The order feed's consumer in group `wms-consumers`: this process's name (default
    # hostname-pid), how long an entry stays pending before another consumer (or this one,
    # for a retry) claims it, and the deliveries after which it goes to the dead letters.
    feed_consumer: str = Field(default_factory=lambda: f"{socket.gethostname()}-{os.getpid()}")
    feed_claim_idle_seconds: float = 30.0
    feed_max_deliveries: PositiveInt = 5
    # Orders: one neither shipped nor cancelled this many hours after it was created is
    # overdue (core.orders.rules.overdue_since); the orders page filters and marks them.
    order_overdue_hours: PositiveInt = 24
    # Operational alerts on /alerts and in the header's bell (core.dashboard.alerts): a
    # picking task in progress longer than this; a packing task in progress this long with
    # a package not weighed and measured; an order still reserved this long after its
    # reservation expired; an event not relayed to Redis this long (WMS_REDIS_URL set).
    alert_picking_minutes: PositiveInt = 120
    alert_packing_minutes: PositiveInt = 60
    alert_reservation_minutes: PositiveInt = 5
    alert_outbox_minutes: PositiveInt = 5
    alert_service_minutes: PositiveInt = 5  # a callback service failing this long
    # Prometheus metrics at /metrics (ui.metrics): a scraper gets them with this bearer
    # token, or from an address of this allow-list (comma-separated IPs or CIDRs, e.g.
    # `127.0.0.1, 10.0.0.0/8`). With neither set, /metrics answers 404: metrics are off.
    metrics_token: str | None = None
    metrics_allow: str = ""

    @field_validator("metrics_allow")
    @classmethod
    def _allow_list_parses(cls, value: str) -> str:
        parse_allow_list(value)  # a typo fails at start, not silently at every scrape
        return value

    @property
    def metrics_networks(self) -> tuple[Network, ...]:
        return parse_allow_list(self.metrics_allow)

    # Callbacks (data.events.callbacks), each off while its URL is unset: packed orders
    # are reported `ready_for_shipment` to the Listings service, and a shipment is asked
    # of the delivery service for an order whose carrier it serves (codes, comma-separated;
    # `*`: every carrier but `manual`). The warehouse's address is the shipments' sender.
    listings_url: str | None = None
    delivery_url: str | None = None
    delivery_carriers: str = "*"
    warehouse_address: str = ""
    # A call gives up after the timeout and is retried `callback_attempts` times with
    # exponential backoff; after `callback_breaker_failures` failed calls in a row the
    # service's circuit breaker opens and one probe call is let through every
    # `callback_breaker_reset_seconds`.
    callback_timeout_seconds: float = 5.0
    callback_attempts: PositiveInt = 3
    callback_breaker_failures: PositiveInt = 5
    callback_breaker_reset_seconds: float = 30.0
    # Published events and callback records older than this are deleted by the daily job
    # (data.events.housekeeping); events still waiting for Redis are kept however old.
    events_keep_days: PositiveInt = 30

    # Quality control after picking (core.orders.quality): required for the order kinds
    # (`customer`, `supply`) and the marketplaces (source names, case ignored) listed here,
    # comma-separated; an order matching either goes to QC before packing. Both empty: off.
    qc_order_kinds: str = ""
    qc_sources: str = ""
    qc_photo_max_bytes: PositiveInt = 5 * 1024 * 1024  # a tablet camera's JPEG fits

    def qc_required(self, kind: str, source_name: str | None) -> bool:
        """Whether an order of this kind and marketplace is checked before packing."""
        kinds = {k.strip().lower() for k in self.qc_order_kinds.split(",") if k.strip()}
        sources = {s.strip().lower() for s in self.qc_sources.split(",") if s.strip()}
        return kind.lower() in kinds or (source_name or "").strip().lower() in sources

    def delivery_serves(self, carrier: str | None) -> bool:
        """The delivery service creates the shipments of this carrier's orders."""
        if not self.delivery_url or not carrier:
            return False
        codes = {c.strip() for c in self.delivery_carriers.split(",") if c.strip()}
        return carrier in codes or ("*" in codes and carrier != "manual")

    @property
    def resolved_database_url(self) -> str:
        if self.database_url:
            return self.database_url
        return f"sqlite:///{self.data_dir / 'wms.sqlite3'}"


class _SettingsCache:
    """`get_settings()`: the settings, read from the environment once. Tests change the
    environment and call `get_settings.cache_clear()`; settings that were being read by
    another thread across a clear (an instant before a test changed the variables) are
    returned to that thread but never kept, so they are not handed out afterwards."""

    def __init__(self) -> None:
        self._value: Settings | None = None
        self._clears = 0

    def __call__(self) -> Settings:
        found = self._value
        if found is not None:
            return found
        clears = self._clears
        found = Settings()
        if self._clears == clears:  # no clear meanwhile: read under today's environment
            self._value = found
        return found

    def cache_clear(self) -> None:
        self._clears += 1
        self._value = None


get_settings = _SettingsCache()
