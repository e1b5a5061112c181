"""Writing files so that nothing is lost: a file or a directory appears whole or not at all.

Example
-------
>>> import pathlib, tempfile
>>> target = pathlib.Path(tempfile.mkdtemp()) / "out.txt"
>>> write_atomic(target, "first")
>>> target.read_text()
'first'
"""

from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path

__all__ = ["replace_directory", "staging_directory", "write_atomic"]


def write_atomic(path: Path, data: str | bytes) -> None:
    """Write ``data`` to ``path`` through a temporary file beside it and a rename.

    A reader sees the old file or the new one, never half of one; a failure leaves the old
    file as it was.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(handle, "wb") as stream:
            stream.write(data.encode("utf-8") if isinstance(data, str) else data)
            stream.flush()
            os.fsync(stream.fileno())
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


def staging_directory(target: Path) -> Path:
    """A fresh empty directory beside ``target``, to be moved into place when complete."""
    target = Path(target)
    target.parent.mkdir(parents=True, exist_ok=True)
    return Path(tempfile.mkdtemp(prefix=f".{target.name}.", suffix=".staging", dir=target.parent))


def replace_directory(staging: Path, target: Path) -> None:
    """Move the complete ``staging`` directory to ``target``, replacing what was there.

    The previous ``target`` is renamed aside first and removed only once the new one is in
    place; if the final rename fails, it is put back.
    """
    staging, target = Path(staging), Path(target)
    aside: Path | None = None
    if target.exists():
        aside = Path(tempfile.mkdtemp(prefix=f".{target.name}.", suffix=".old", dir=target.parent))
        aside.rmdir()
        os.replace(target, aside)
    try:
        os.replace(staging, target)
    except BaseException:
        if aside is not None:
            os.replace(aside, target)
        raise
    if aside is not None:
        shutil.rmtree(aside, ignore_errors=True)
