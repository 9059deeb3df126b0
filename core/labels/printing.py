"""Printing labels on a packing station's label printer (DESIGN.md §2b.4): the printer
port, the one place a printer's address is read, and the error when it cannot be reached.

A station's printer is a network label printer taking raw ZPL on TCP port 9100 (Zebra's
"raw" port; most ZPL printers have it). Its address is `host` or `host:port`: a host name,
an IPv4 address, or an IPv6 address in brackets (`[fd00::5]:9100`). A printer that cannot
be reached never loses a label: it can still be downloaded (ZPL or PDF) and printed by
hand, and the error says so. Printing runs after the floor's work is committed; it never
holds a transaction.
"""

import ipaddress
import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol

from core.errors import DomainError, ValidationError
from core.labels.package import PackageLabel, zpl_labels

RAW_PORT = 9100
MAX_ADDRESS = 255
# RFC 1123 host names: labels of letters, digits and inner hyphens, dot-separated.
_HOST_LABEL = re.compile(r"(?!-)[A-Za-z0-9-]{1,63}(?<!-)")
ADDRESS_HINT = (
    "имя или IP-адрес принтера, при необходимости с портом: 192.168.1.50 или zebra-1:9100"
)


class LabelPrinter(Protocol):
    def send(self, address: str, payload: bytes) -> None:
        """Send `payload` to the printer at `address` (`host` or `host:port`) as one job.
        PrinterUnavailable when it cannot be reached or does not take it in time."""


class PrinterUnavailable(DomainError):
    """The label printer cannot be reached (refused, timed out, unknown name) or none is
    set for the station. The API answers it 503 `printer_unavailable` (worth a retry)."""

    kind = "conflict"
    CODE = "printer_unavailable"

    def __init__(self, address: str | None, reason: str) -> None:
        where = f"Принтер этикеток {address}" if address else "Принтер этикеток"
        super().__init__(
            self.CODE,
            f"{where} недоступен: {reason}. Этикетку можно скачать (ZPL или PDF) и "
            "напечатать на другом принтере",
        )
        self.address = address
        self.reason = reason


@dataclass(frozen=True)
class PrinterAddress:
    host: str
    port: int = RAW_PORT

    def __str__(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        return host if self.port == RAW_PORT else f"{host}:{self.port}"


def _invalid(text: str, field: str) -> ValidationError:
    return ValidationError(
        "invalid_printer_address",
        f"Адрес принтера «{text[:60]}» не распознан: нужно {ADDRESS_HINT}",
        field=field,
    )


def _valid_host(host: str) -> bool:
    try:
        ipaddress.ip_address(host)
        return True
    except ValueError:
        pass
    if len(host) > 253 or host.replace(".", "").isdigit():  # 300.1.1.1 is no address
        return False
    return all(_HOST_LABEL.fullmatch(label) for label in host.split("."))


def parse_printer_address(text: str, field: str = "printer_address") -> PrinterAddress:
    """`host` or `host:port` (port 1…65535, 9100 when left out), IPv6 in brackets."""
    value = (text or "").strip()
    if not value or len(value) > MAX_ADDRESS:
        raise _invalid(value, field)
    if value.count(":") > 1 and not value.startswith("["):
        value = f"[{value}]"  # a bare IPv6 address: the port cannot be told from it
    bracketed = re.fullmatch(r"\[([0-9A-Fa-f:.]+)\](?::(\d{1,5}))?", value)
    if bracketed:
        host, port_text = bracketed[1], bracketed[2]
        try:
            ipaddress.IPv6Address(host)
        except ValueError:
            raise _invalid(value, field) from None
    else:
        host, _, port_text = value.partition(":")
        if ":" in port_text or not _valid_host(host):
            raise _invalid(value, field)
        port_text = port_text if _ else None
        if port_text is not None and not re.fullmatch(r"\d{1,5}", port_text):
            raise _invalid(value, field)
    port = RAW_PORT if port_text is None else int(port_text)
    if not 1 <= port <= 65535:
        raise _invalid(value, field)
    return PrinterAddress(host.lower(), port)


def check_printer_address(value: str | None) -> str | None:
    """A station's printer address as stored: normalised (`host`, or `host:port` when the
    port is not 9100), None when left blank (no printer: labels are downloaded)."""
    if value is None or not value.strip():
        return None
    return str(parse_printer_address(value))


def print_package_labels(
    printer: LabelPrinter, address: str | None, labels: Sequence[PackageLabel]
) -> None:
    """Send the labels as one ZPL job to the station's printer. The labels are built (and
    checked) before the printer is asked."""
    print_zpl(printer, address, zpl_labels(labels))


def print_zpl(printer: LabelPrinter, address: str | None, zpl: str) -> None:
    """Send one ZPL job (labels, stickers, a converted marketplace PDF) to a station's
    printer: the one place a job meets the printer's address."""
    if not address:
        raise PrinterUnavailable(None, "у стола упаковки не указан принтер")
    printer.send(str(parse_printer_address(address)), zpl.encode("utf-8"))
