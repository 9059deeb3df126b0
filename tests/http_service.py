"""A real HTTP service for the callbacks' tests (not a mock): a ThreadingHTTPServer on a
free port in a thread, standing in for the Listings or the delivery service. It records
every request, can answer 500 or stall a number of times (the service failing, timing
out, then recovering), deduplicates by `X-Event-Id` as a real receiver would, answers
shipments with a tracking number and a label, and a GET with the document at its path."""

import json
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


@dataclass
class Seen:
    path: str
    headers: dict[str, str]
    body: dict[str, Any]
    status: int  # what the service answered (0: it stalled past the caller's timeout)


@dataclass
class Behaviour:
    fail: int = 0  # answer 500 to this many requests
    stall: int = 0  # hold this many requests for `stall_seconds` (the caller times out)
    stall_seconds: float = 3.0
    down: bool = False  # answer 503 to everything until set back
    status: int = 200  # the answer otherwise (e.g. 404: refused for good)


@dataclass
class HttpService:
    url: str
    behaviour: Behaviour = field(default_factory=Behaviour)
    seen: list[Seen] = field(default_factory=list)
    applied: dict[str, dict[str, Any]] = field(default_factory=dict)  # event_id → body
    documents: dict[str, dict[str, Any]] = field(default_factory=dict)  # GET path → answer
    lock: threading.Lock = field(default_factory=threading.Lock)

    def requests(self, path_part: str = "") -> list[Seen]:
        with self.lock:
            return [s for s in self.seen if path_part in s.path]

    def answered_ok(self) -> list[Seen]:
        return [s for s in self.requests() if 200 <= s.status < 300]

    def _answer(self, method: str, path: str, headers: dict[str, str], body: dict[str, Any]
                ) -> tuple[int, dict[str, Any]]:  # fmt: skip
        b = self.behaviour
        with self.lock:
            if b.down:
                status = 503
            elif b.stall > 0:
                b.stall -= 1
                status = 0
            elif b.fail > 0:
                b.fail -= 1
                status = 500
            elif method == "GET":
                status = b.status if path in self.documents else 404
            else:
                status = b.status
            self.seen.append(Seen(path, headers, body, status))
            event = headers.get("x-event-id", "")
            repeat = event in self.applied
            if 200 <= status < 300 and not repeat:
                self.applied[event] = {**body, "_tracking": f"TRK-{len(self.applied) + 1:06d}"}
            number = self.applied.get(event, {}).get("_tracking", "")
        if status == 0:
            time.sleep(b.stall_seconds)
            return 500, {}
        if method == "GET":
            return status, self.documents.get(path, {}) if status == 200 else {"error": status}
        if path.endswith("/shipments") and 200 <= status < 300:
            return 201, {"tracking_number": number, "label_url": f"{self.url}/labels/{number}.pdf"}
        return status, {"ok": 200 <= status < 300, "repeat": repeat}


@contextmanager
def http_service(behaviour: Behaviour | None = None) -> Iterator[HttpService]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    server.daemon_threads = True
    service = HttpService(f"http://127.0.0.1:{server.server_address[1]}",
                          behaviour or Behaviour())  # fmt: skip
    server.service = service  # type: ignore[attr-defined]
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    try:
        yield service
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


class _Handler(BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        self._serve("GET")

    def do_POST(self) -> None:
        self._serve("POST")

    def _serve(self, method: str) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length) if length else b"{}"
        headers = {k.lower(): v for k, v in self.headers.items()}
        service: HttpService = self.server.service  # type: ignore[attr-defined]
        status, answer = service._answer(method, self.path, headers, json.loads(raw or b"{}"))
        data = json.dumps(answer).encode()
        try:
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)
        except OSError:  # the caller gave up waiting (a stall past its timeout)
            pass

    def log_message(self, format: str, *args: Any) -> None:  # quiet
        pass
