"""Big imports take turns: at most a few read at once in this process."""

import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager

from core.errors import DomainError
from core.imports.plan import Waiting
from core.settings import Settings


class ImportQueueTimeout(DomainError):
    """The import waited for its turn longer than settings.import_queue_timeout_seconds
    (HTTP 503: nothing was read or written; try again later)."""

    kind = "conflict"

    def __init__(self) -> None:
        super().__init__(
            "import_queue_timeout",
            "Сейчас загружаются другие большие файлы, а очередь не дошла до этого: "
            "файл не прочитан и ничего не записано. Повторите позже",
            field="file",
        )


class ImportQueue:
    """At most `limit` imports of big files run at once in this process, first come first
    served: reading a sheet holds it whole in memory, so three million-row files at once
    would take gigabytes. Small files never wait. When an import ends its memory goes back
    to the system (`release_memory`, given by data.files: glibc keeps freed memory)."""

    def __init__(self, release_memory: Callable[[], None] = lambda: None) -> None:
        self._release_memory = release_memory
        self._turn = threading.Condition()
        self._running = 0
        self._queued: list[object] = []  # waiting imports, in order of arrival

    @contextmanager
    def slot(
        self, content: bytes, settings: Settings, waiting: Waiting | None = None
    ) -> Iterator[None]:
        if len(content) < settings.import_queue_from_bytes:
            yield
            return
        self._wait(max(settings.import_max_parallel, 1), settings, waiting)
        try:
            yield
        finally:
            with self._turn:
                self._running -= 1
                self._turn.notify_all()
            self._release_memory()

    def _wait(self, limit: int, settings: Settings, waiting: Waiting | None) -> None:
        me = object()
        deadline = time.monotonic() + settings.import_queue_timeout_seconds
        said = -1
        with self._turn:
            self._queued.append(me)
            try:
                while True:
                    ahead = self._queued.index(me)
                    if ahead == 0 and self._running < limit:
                        self._running += 1
                        return
                    if waiting is not None and self._running + ahead != said:
                        said = self._running + ahead
                        waiting(said)
                    left = deadline - time.monotonic()
                    if left <= 0:
                        raise ImportQueueTimeout
                    self._turn.wait(left)
            finally:
                self._queued.remove(me)
                self._turn.notify_all()  # the ones behind move up

    @property
    def running(self) -> int:
        return self._running
