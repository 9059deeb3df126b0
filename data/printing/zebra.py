"""A network label printer taking raw ZPL on a TCP port (9100: Zebra's and most ZPL
printers' "raw" port): `core.labels.printing.LabelPrinter`.

One job is one connection: connect, send every byte, close the sending side. The printer
answers nothing to a label, so a job is done when the bytes are taken. Connecting and
sending each give up after `timeout` seconds (settings.printer_timeout_seconds); a refused
connection, an unknown name, an unreachable network or a printer that stops taking bytes
is `PrinterUnavailable`, saying which. No retry: the worker at the station sees the error
at once and prints again or downloads the label; nothing waits on the printer.
"""

import socket

from core.labels.printing import PrinterUnavailable, parse_printer_address
from core.settings import get_settings


class ZebraPrinter:
    def __init__(self, timeout: float | None = None) -> None:
        self.timeout = get_settings().printer_timeout_seconds if timeout is None else timeout

    def send(self, address: str, payload: bytes) -> None:
        endpoint = parse_printer_address(address)
        try:
            with socket.create_connection((endpoint.host, endpoint.port), self.timeout) as conn:
                conn.sendall(payload)
                conn.shutdown(socket.SHUT_WR)
        except socket.gaierror:
            raise PrinterUnavailable(address, "такого имени в сети нет") from None
        except ConnectionRefusedError:
            reason = f"порт {endpoint.port} не принимает подключений (принтер выключен?)"
            raise PrinterUnavailable(address, reason) from None
        except TimeoutError:
            reason = f"не ответил за {self.timeout:g} с".replace(".", ",")
            raise PrinterUnavailable(address, reason) from None
        except OSError as error:  # unreachable network, reset by the printer, …
            reason = f"ошибка связи ({error.strerror or type(error).__name__})"
            raise PrinterUnavailable(address, reason) from None
