"""An external service the callbacks call (data.events.callbacks): one httpx client, one
circuit breaker (pybreaker) and retries with exponential backoff (tenacity), and what the
events page shows of each service (`service_states`).

Every attempt goes through the breaker, so N failed attempts in a row open it; while it
is open a call fails at once (no request), and after its reset timeout one probe call is
let through: success closes it, failure opens it again. A 4xx answer (but 408 and 429) is
the service refusing the request for good: `Rejected`, not retried, not counted.
"""

import threading
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import httpx
import pybreaker
from tenacity import (
    Retrying,
    retry_if_exception_type,
    retry_if_not_exception_type,
    stop_after_attempt,
    wait_exponential,
)

RETRIED_4XX = frozenset({408, 429})


class Transient(Exception):
    """The service failed, did not answer or its breaker is open: try again later."""


class Rejected(Exception):
    """The service refused the request (a 4xx): retrying would not change the answer."""


@dataclass(frozen=True)
class ServiceState:
    name: str
    url: str
    breaker: str  # closed | open | half-open
    failures: int  # failed calls in a row (the breaker's counter)
    last_error: str | None
    last_error_at: datetime | None
    last_ok_at: datetime | None
    failing_since: datetime | None  # the first failure since the last success (alerts)


class Service:
    def __init__(self, name: str, base_url: str, *, timeout: float, attempts: int,
                 fail_max: int, reset_timeout: float, backoff: float = 0.2,
                 max_backoff: float = 5.0) -> None:  # fmt: skip
        self.name = name
        self.base_url = base_url.rstrip("/")
        self.timeout = timeout
        self.client = httpx.Client(base_url=self.base_url, timeout=timeout)
        # The failing call's own error is raised (not a new one) so it is the one logged.
        self.breaker = pybreaker.CircuitBreaker(
            fail_max=fail_max, reset_timeout=reset_timeout, exclude=[Rejected], name=name,
            throw_new_error_on_trip=False,
        )  # fmt: skip
        self.attempts = attempts
        self.wait = wait_exponential(multiplier=backoff, max=max_backoff)
        self.last_error: str | None = None
        self.last_error_at: datetime | None = None
        self.last_ok_at: datetime | None = None
        self.failing_since: datetime | None = None

    def _once(self, method: str, path: str, body: dict[str, Any] | None,
              headers: dict[str, str]) -> httpx.Response:  # fmt: skip
        try:
            answer = self.client.request(method, path, json=body, headers=headers)
        except httpx.TimeoutException as exc:
            raise Transient(f"нет ответа за {self.timeout:g} с") from exc
        except httpx.HTTPError as exc:
            raise Transient(f"сервис недоступен: {exc}") from exc
        if answer.status_code >= 500 or answer.status_code in RETRIED_4XX:
            raise Transient(f"HTTP {answer.status_code}")
        if answer.status_code >= 400:
            raise Rejected(f"HTTP {answer.status_code}: {answer.text[:200]}")
        return answer

    def _attempt(self, method: str, path: str, body: dict[str, Any] | None,
                 headers: dict[str, str]) -> httpx.Response:  # fmt: skip
        try:
            answer: httpx.Response = self.breaker.call(self._once, method, path, body, headers)
        except pybreaker.CircuitBreakerError as exc:
            raise _Open(f"{self.name}: цепь разомкнута после ошибок, ждём пробного вызова") \
                from exc  # fmt: skip
        except (Transient, Rejected) as exc:
            self.last_error, self.last_error_at = str(exc), datetime.now(UTC)
            if isinstance(exc, Transient) and self.failing_since is None:
                self.failing_since = self.last_error_at
            raise
        self.last_ok_at, self.failing_since = datetime.now(UTC), None
        return answer

    def call(self, method: str, path: str, body: dict[str, Any], event_id: str) -> httpx.Response:
        """The request, retried; the receiver deduplicates by the event's id (a header
        and the body's `event_id`). Raises Transient or Rejected."""
        headers = {"Idempotency-Key": event_id, "X-Event-Id": event_id}
        return self._retried(method, path, {**body, "event_id": event_id}, headers)

    def get(self, path: str) -> httpx.Response:
        """A read, retried like a call. Raises Transient or Rejected."""
        return self._retried("GET", path, None, {})

    def _retried(self, method: str, path: str, body: dict[str, Any] | None,
                 headers: dict[str, str]) -> httpx.Response:  # fmt: skip
        worth_it = retry_if_exception_type(Transient) & retry_if_not_exception_type(_Open)
        retrying = Retrying(stop=stop_after_attempt(self.attempts), wait=self.wait,
                            retry=worth_it, reraise=True)  # fmt: skip
        try:
            return retrying(self._attempt, method, path, body, headers)
        except _Open as exc:
            raise Transient(str(exc)) from exc

    def state(self) -> ServiceState:
        return ServiceState(self.name, self.base_url, self.breaker.current_state,
                            self.breaker.fail_counter, self.last_error, self.last_error_at,
                            self.last_ok_at, self.failing_since)  # fmt: skip

    def close(self) -> None:
        self.client.close()


class _Open(Transient):
    """The breaker is open: no request was made, and retrying now would not make one."""


_services: dict[str, Service] = {}
_lock = threading.Lock()


def register(*services: Service) -> None:
    """The app's services, replacing those of an app built before (a test's app)."""
    with _lock:
        _services.clear()
        _services.update((s.name, s) for s in services)


def registered(name: str) -> Service | None:
    """The app's service of this name (the order feed shares the callbacks' breaker)."""
    with _lock:
        return _services.get(name)


def service_states() -> list[ServiceState]:
    """Each callback service's breaker state and last error, for the events page."""
    with _lock:
        return [s.state() for s in _services.values()]
