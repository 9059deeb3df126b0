"""Photos of quality checks on disk (core.orders.quality_ports.PhotoStore): one folder
under the data dir, files named by core (a random hex name and the type's extension),
never by the uploader. A name that is not of that shape is never opened, so no path
from outside can reach another file."""

import os
import re
from pathlib import Path

_NAME = re.compile(r"[0-9a-f]{32}\.(jpg|png)")


class PhotoFiles:
    def __init__(self, data_dir: Path) -> None:
        self.folder = data_dir / "qc-photos"

    def _path(self, file_name: str) -> Path:
        if not _NAME.fullmatch(file_name):
            raise ValueError(f"not a photo's name: {file_name!r}")
        return self.folder / file_name

    def save(self, file_name: str, content: bytes) -> None:
        path = self._path(file_name)
        self.folder.mkdir(parents=True, exist_ok=True)
        partial = path.with_suffix(".part")
        # Written whole, then renamed: a reader never sees half a photo.
        with open(partial, "xb") as out:
            out.write(content)
            out.flush()
            os.fsync(out.fileno())
        partial.replace(path)

    def remove(self, file_name: str) -> None:
        self._path(file_name).unlink(missing_ok=True)

    def read(self, file_name: str) -> bytes | None:
        path = self._path(file_name)
        return path.read_bytes() if path.is_file() else None
