"""Atomic, non-clobbering output files.

Every file w2c writes goes through here: the target is checked before long work starts
(`ensure_writable`), then written to a temporary file in the same folder and renamed into place,
so a crash never leaves a half-written file and an existing file survives unless `force`.
"""

from __future__ import annotations

import io
import os
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import IO

from w2c.errors import InputError


def ensure_writable(path: str | os.PathLike[str], force: bool = False) -> Path:
    """Fail early (exit 2) if `path` cannot be written: no folder, or exists without force."""
    target = Path(path)
    parent = target.parent if str(target.parent) else Path(".")
    if not parent.is_dir():
        raise InputError(f"output folder does not exist: {parent}")
    if target.is_dir():
        raise InputError(f"output path is a folder: {target}")
    if target.exists() and not force:
        raise InputError(f"{target} exists; pass --force to replace it")
    return target


def ensure_output_dir(path: str | os.PathLike[str]) -> Path:
    """Create an output folder (one level: its parent must exist)."""
    target = Path(path)
    if target.exists() and not target.is_dir():
        raise InputError(f"output path exists and is not a folder: {target}")
    if not target.parent.is_dir() and str(target.parent):
        raise InputError(f"output folder's parent does not exist: {target.parent}")
    target.mkdir(exist_ok=True)
    return target


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def _atomic_write(path: Path, writer: Callable[[IO[bytes]], None], force: bool) -> Path:
    target = ensure_writable(path, force)
    fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent)
    try:
        os.chmod(tmp, 0o666 & ~_umask())  # mkstemp makes 0600; a normal file is 0666 - umask
        with os.fdopen(fd, "wb") as handle:
            writer(handle)
            handle.flush()
            os.fsync(handle.fileno())
        if target.exists() and not force:  # appeared while we were writing
            raise InputError(f"{target} exists; pass --force to replace it")
        os.replace(tmp, target)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise
    return target


def write_bytes(path: str | os.PathLike[str], data: bytes, force: bool = False) -> Path:
    """Write `data` atomically to `path`."""
    return _atomic_write(Path(path), lambda handle: handle.write(data), force)


def write_text(path: str | os.PathLike[str], text: str, force: bool = False) -> Path:
    """Write UTF-8 `text` atomically to `path`."""
    return write_bytes(path, text.encode("utf-8"), force)


def write_with(
    path: str | os.PathLike[str], writer: Callable[[IO[bytes]], None], force: bool = False
) -> Path:
    """Write atomically through `writer(binary_handle)` (e.g. torch.save, savefig)."""
    buffer = io.BytesIO()
    writer(buffer)
    return write_bytes(path, buffer.getvalue(), force)
