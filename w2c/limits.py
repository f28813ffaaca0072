"""The memory budget a file may claim (docs/cli.md, "Resource limits").

A small file can declare a huge amount of work: a checkpoint's sizes, a CSV's column count, a
tensor's shape. Every loader multiplies the sizes a file declares by their element size and asks
:func:`check_memory` *before* it allocates anything, so a hostile or careless file is refused in
one line (exit 2) instead of exhausting the machine. The budget defaults to
:data:`DEFAULT_MAX_MEMORY`; ``w2c --max-memory 8G ...`` or the environment variable
``W2C_MAX_MEMORY`` raise (or lower) it for one run.
"""

from __future__ import annotations

import math
import os
import re

from w2c.errors import InputError

DEFAULT_MAX_MEMORY = 2 * 1024**3
ENV_VARIABLE = "W2C_MAX_MEMORY"
_UNITS = {"": 1, "k": 1024, "m": 1024**2, "g": 1024**3, "t": 1024**4}
_SIZE = re.compile(r"\s*([0-9]+(?:\.[0-9]+)?)\s*([kmgt]?)(?:i?b)?\s*", re.IGNORECASE)

_budget: int | None = None


def parse_size(text: str) -> int:
    """``"2G"`` -> 2 GiB in bytes; ``512M``, ``1.5g``, ``4096`` (bytes) also work."""
    match = _SIZE.fullmatch(str(text))
    if match is None:
        raise InputError(f"{text!r} is not a memory size (examples: 512M, 2G, 1.5G)")
    value = float(match.group(1)) * _UNITS[match.group(2).lower()]
    if not math.isfinite(value) or value < 1024**2:
        raise InputError(f"memory size {text!r} must be at least 1M")
    return int(value)


def set_memory_budget(size: int | str | None) -> None:
    """Set the budget for this process (None: back to the environment or the default)."""
    global _budget
    _budget = parse_size(size) if isinstance(size, str) else size


def memory_budget() -> int:
    """The budget in bytes: set_memory_budget, else $W2C_MAX_MEMORY, else the default."""
    if _budget is not None:
        return _budget
    from_env = os.environ.get(ENV_VARIABLE)
    return parse_size(from_env) if from_env else DEFAULT_MAX_MEMORY


def format_size(size: float) -> str:
    """Bytes as a short human text: ``2.0 GiB``."""
    for unit in ("B", "KiB", "MiB", "GiB", "TiB"):
        if abs(size) < 1024 or unit == "TiB":
            return f"{size:.0f} {unit}" if unit == "B" else f"{size:.1f} {unit}"
        size /= 1024
    return f"{size:.1f} PiB"  # pragma: no cover - unreachable


def check_memory(needed: float, what: str) -> None:
    """Refuse (InputError, exit 2) when ``needed`` bytes exceed the budget.

    ``needed`` may be a float (products of declared sizes can overflow int64 meaningfully);
    ``what`` names the thing being sized, e.g. ``"the CSV's 100000 columns"``.
    """
    budget = memory_budget()
    if not math.isfinite(needed) or needed > budget:
        shown = "an unbounded amount" if not math.isfinite(needed) else format_size(needed)
        raise InputError(
            f"{what} would need {shown} of memory, more than the budget of "
            f"{format_size(budget)} (raise it with w2c --max-memory SIZE or ${ENV_VARIABLE})"
        )
