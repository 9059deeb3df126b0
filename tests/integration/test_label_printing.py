"""Printing package labels on a network label printer (data.printing.zebra over
core.labels.printing), against real TCP servers the test starts on 127.0.0.1: the bytes
the printer gets, and `printer_unavailable` when it refuses, stops taking bytes, does not
accept, or has no such name. Also the address rules a station's printer is kept by."""

import json
import socket
import socketserver
import threading
import time
from collections.abc import Iterator
from dataclasses import replace
from decimal import Decimal

import pytest
from starlette.requests import Request

from core.errors import ValidationError
from core.labels.package import PackageLabel, zpl_labels
from core.labels.printing import (
    PrinterUnavailable,
    check_printer_address,
    parse_printer_address,
    print_package_labels,
)
from data.printing.zebra import ZebraPrinter
from ui.api.errors import response_for

LABEL = PackageLabel(
    order_external_id="ЗК-1001",
    order_kind="customer",
    package_number=1,
    package_count=2,
    carrier_name="Почта России",
    tracking_number="RA123456789RU",
    package_barcode="HU-000001",
    weight_kg=Decimal("0.8"),
    destination=None,
)
LABELS = [LABEL, replace(LABEL, package_number=2, tracking_number="RA987654321RU")]


class Printer(socketserver.ThreadingTCPServer):
    """A printer on 127.0.0.1: keeps every job's bytes (one connection, read to its end)."""

    daemon_threads = True

    def __init__(self) -> None:
        self.jobs: list[bytes] = []
        self.received = threading.Event()
        super().__init__(("127.0.0.1", 0), Job)

    @property
    def address(self) -> str:
        return f"127.0.0.1:{self.server_address[1]}"


class Job(socketserver.StreamRequestHandler):
    def handle(self) -> None:
        server = self.server
        assert isinstance(server, Printer)
        server.jobs.append(self.rfile.read())
        server.received.set()


@pytest.fixture
def printer() -> Iterator[Printer]:
    server = Printer()
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server
    server.shutdown()
    server.server_close()


def closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def test_the_printer_gets_the_labels_as_one_utf8_zpl_job(printer: Printer) -> None:
    print_package_labels(ZebraPrinter(timeout=3), printer.address, LABELS)
    assert printer.received.wait(3)
    assert printer.jobs == [zpl_labels(LABELS).encode("utf-8")]
    job = printer.jobs[0].decode("utf-8")
    assert job.count("^XA") == job.count("^XZ") == 2 and "ЗК-1001" in job


def test_a_refused_connection_is_printer_unavailable_saying_the_label_can_be_downloaded() -> None:
    address = f"127.0.0.1:{closed_port()}"
    with pytest.raises(PrinterUnavailable) as refused:
        print_package_labels(ZebraPrinter(timeout=3), address, LABELS)
    assert refused.value.code == "printer_unavailable"
    assert address in refused.value.message and "скачать" in refused.value.message
    assert "не принимает подключений" in refused.value.message


def test_a_printer_that_does_not_accept_is_given_up_after_the_timeout() -> None:
    """A listening socket whose queue is full and never accepted: Linux drops the next
    connection's handshake, so connecting waits, as for a printer hung or off the network."""
    with socket.socket() as hung:
        hung.bind(("127.0.0.1", 0))
        hung.listen(0)
        address = f"127.0.0.1:{hung.getsockname()[1]}"
        with socket.create_connection(hung.getsockname(), timeout=1):  # fills the queue
            started = time.monotonic()
            with pytest.raises(PrinterUnavailable) as timed_out:
                ZebraPrinter(timeout=0.3).send(address, b"^XA^XZ")
            waited = time.monotonic() - started
    assert 0.25 <= waited < 2
    assert "не ответил за 0,3 с" in timed_out.value.message


def test_a_printer_that_stops_taking_bytes_is_given_up_after_the_timeout() -> None:
    """It accepts and never reads: a job bigger than the sockets' buffers cannot be sent."""
    with socket.socket() as stuck:
        stuck.bind(("127.0.0.1", 0))
        stuck.listen(1)
        address = f"127.0.0.1:{stuck.getsockname()[1]}"
        started = time.monotonic()
        with pytest.raises(PrinterUnavailable) as timed_out:
            ZebraPrinter(timeout=0.3).send(address, b"^" * 2**26)
        assert time.monotonic() - started < 5
    assert "не ответил" in timed_out.value.message


def test_an_unknown_printer_name_is_printer_unavailable() -> None:
    with pytest.raises(PrinterUnavailable) as unknown:
        ZebraPrinter(timeout=1).send("no-such-printer.invalid", b"^XA^XZ")
    assert "такого имени в сети нет" in unknown.value.message


def test_a_station_without_a_printer_cannot_print_but_may_download() -> None:
    with pytest.raises(PrinterUnavailable) as unset:
        print_package_labels(ZebraPrinter(timeout=1), None, LABELS)
    assert "не указан принтер" in unset.value.message and "скачать" in unset.value.message


def test_a_label_that_cannot_be_printed_right_is_refused_before_the_printer_is_asked(
    printer: Printer,
) -> None:
    with pytest.raises(ValidationError):
        print_package_labels(ZebraPrinter(timeout=1), printer.address, [replace(LABEL,
                             tracking_number="ТРЕК")])  # fmt: skip
    assert not printer.received.wait(0.2)


@pytest.mark.parametrize(
    ("typed", "stored"),
    [
        ("192.168.1.50", "192.168.1.50"),
        (" 192.168.1.50:9100 ", "192.168.1.50"),
        ("Zebra-Pack1.local:6101", "zebra-pack1.local:6101"),
        ("[fd00::5]:9101", "[fd00::5]:9101"),
        ("fd00::5", "[fd00::5]"),
        ("", None),
        ("  ", None),
    ],
)
def test_a_printer_address_is_host_and_optional_port(typed: str, stored: str | None) -> None:
    assert check_printer_address(typed) == stored


@pytest.mark.parametrize(
    "typed",
    ["принтер", "host:0", "host:65536", "host:port", "300.1.1.1", "-zebra", "a b", "h:1:2",
     "[zebra]:9100", "http://zebra"],
)  # fmt: skip
def test_a_printer_address_not_host_and_port_is_refused_in_russian(typed: str) -> None:
    with pytest.raises(ValidationError) as refused:
        parse_printer_address(typed)
    assert refused.value.code == "invalid_printer_address"
    assert "Адрес принтера" in refused.value.message and refused.value.field == "printer_address"


def test_the_api_answers_an_unreachable_printer_503_with_its_message() -> None:
    request = Request({"type": "http", "method": "POST", "path": "/api/v1/x", "headers": []})
    error = PrinterUnavailable("10.0.0.9", "не ответил за 3 с")
    answer = response_for(request, error)
    assert answer.status_code == 503
    body = json.loads(bytes(answer.body))["error"]
    assert body == {"code": "printer_unavailable", "message": error.message}
    assert body["message"].startswith("Принтер этикеток 10.0.0.9 недоступен: не ответил за 3 с.")
