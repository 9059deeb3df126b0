"""Giving the memory of a big file read back to the system."""

import ctypes
import gc
import platform
from collections.abc import Callable


def _malloc_trim() -> Callable[[int], int] | None:
    if platform.system() != "Linux" or platform.libc_ver()[0] != "glibc":
        return None
    try:
        return ctypes.CDLL("libc.so.6").malloc_trim
    except (OSError, AttributeError):
        return None


_TRIM = _malloc_trim()


def release_memory() -> None:
    """Give the memory of a big file read back to the system. Freed memory otherwise stays
    with the process (glibc keeps it in its arenas, one per thread that read a file): after
    three big imports the process kept 2 GB."""
    gc.collect()
    if _TRIM is not None:
        _TRIM(0)
