"""Atomic, non-clobbering output files.

Every file w2c writes goes through here: every target of a command is checked before long work
starts (`check_outputs`: absent or a regular file, never a device or FIFO, never one of the
command's inputs, never two outputs at one path, in a folder that takes new files), then written
to a temporary file in the same folder and renamed into place, so a crash or a full disk never
leaves a half-written file and an existing file survives unless `force`.
"""

from __future__ import annotations

import io
import os
import tempfile
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path
from typing import IO

from w2c.errors import InputError


def check_output(
    path: str | os.PathLike[str],
    force: bool = False,
    inputs: Iterable[str | os.PathLike[str]] = (),
) -> Path:
    """Fail early (exit 2) unless ``path`` can take an output: checked before any long work.

    The target must be absent or a regular file (a device, FIFO or socket is refused even with
    ``force``: replacing one would destroy it), must not be one of the command's ``inputs``, and
    its folder must exist and accept a new file. An existing file needs ``force``.
    """
    target = Path(path)
    parent = target.parent if str(target.parent) else Path(".")
    if not parent.is_dir():
        raise InputError(f"output folder does not exist: {parent}")
    if target.is_dir():
        raise InputError(f"output path is a folder: {target}")
    if target.exists() or target.is_symlink():
        if not target.is_file():
            raise InputError(f"{target} is not a regular file; w2c writes only regular files")
        for given in inputs:
            if _same_file(target, Path(given)):
                raise InputError(f"{target} is an input of this command; choose another output")
        if not force:
            raise InputError(f"{target} exists; pass --force to replace it")
    _probe_folder(parent)
    return target


def check_outputs(
    paths: Iterable[str | os.PathLike[str]],
    force: bool = False,
    inputs: Iterable[str | os.PathLike[str]] = (),
) -> list[Path]:
    """:func:`check_output` for every output of one command, which must also be distinct."""
    given = list(inputs)
    checked: list[Path] = []
    for path in paths:
        target = check_output(path, force, given)
        for earlier in checked:
            if _same_path(earlier, target):
                raise InputError(f"{target} is named as two outputs of this command")
        checked.append(target)
    return checked


def ensure_writable(path: str | os.PathLike[str], force: bool = False) -> Path:
    """:func:`check_output` with no inputs to protect (kept for callers that have none)."""
    return check_output(path, force)


def ensure_output_dir(path: str | os.PathLike[str]) -> Path:
    """Create an output folder (one level: its parent must exist)."""
    target = Path(path)
    if target.exists() and not target.is_dir():
        raise InputError(f"output path exists and is not a folder: {target}")
    if not target.parent.is_dir() and str(target.parent):
        raise InputError(f"output folder's parent does not exist: {target.parent}")
    try:
        target.mkdir(exist_ok=True)
    except OSError as exc:
        raise InputError(f"cannot create the output folder {target}: {exc.strerror}") from None
    _probe_folder(target)
    return target


def _same_path(a: Path, b: Path) -> bool:
    return os.path.abspath(a) == os.path.abspath(b) or _same_file(a, b)


def _same_file(a: Path, b: Path) -> bool:
    try:
        return a.exists() and b.exists() and os.path.samefile(a, b)
    except OSError:
        return False


def _probe_folder(folder: Path) -> None:
    """A folder that cannot take a new file is found now, not after minutes of work."""
    try:
        fd, probe = tempfile.mkstemp(prefix=".w2c-probe-", dir=folder)
    except OSError as exc:
        raise InputError(f"cannot write into {folder}: {exc.strerror}") from None
    os.close(fd)
    os.unlink(probe)


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def _stage(target: Path, data: bytes) -> str:
    """``data`` in a synced temporary file beside ``target``; its path."""
    try:
        fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent)
    except OSError as exc:
        raise InputError(f"cannot write {target}: {exc.strerror}") from None
    try:
        os.chmod(tmp, 0o666 & ~_umask())  # mkstemp makes 0600; a normal file is 0666 - umask
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
    except OSError as exc:  # a full disk: nothing half-written is left
        os.unlink(tmp)
        raise InputError(f"cannot write {target}: {exc.strerror or exc}") from None
    except BaseException:
        os.unlink(tmp)
        raise
    return tmp


def write_all(
    files: Sequence[tuple[str | os.PathLike[str], bytes]], force: bool = False
) -> list[Path]:
    """Write several outputs as one: every file is staged before the first rename.

    A full disk, an interrupt or a target that changed meanwhile (appeared without ``force``, or
    became a special file) leaves every target as it was. Only the renames themselves, each
    atomic, come after the point of no return.
    """
    targets = check_outputs([path for path, _ in files], force)
    staged: list[str] = []
    current = targets[0] if targets else Path(".")
    try:
        for target, (_, data) in zip(targets, files, strict=True):
            current = target
            staged.append(_stage(target, data))
        for target in targets:
            if target.exists() and not force:  # appeared while we were writing
                raise InputError(f"{target} exists; pass --force to replace it")
            if target.exists() and not target.is_file():
                raise InputError(f"{target} is not a regular file; w2c writes only regular files")
        for tmp, target in zip(staged, targets, strict=True):
            current = target
            os.replace(tmp, target)
    except OSError as exc:  # a vanished folder, a failed rename
        raise InputError(f"cannot write {current}: {exc.strerror or exc}") from None
    finally:
        for tmp in staged:
            if os.path.exists(tmp):
                os.unlink(tmp)
    return targets


def write_bytes(path: str | os.PathLike[str], data: bytes, force: bool = False) -> Path:
    """Write ``data`` atomically to ``path``."""
    return write_all([(path, data)], force)[0]


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
