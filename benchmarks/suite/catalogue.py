"""Which tasks the suite runs: the MIPS table (62 rows, paper order) and the suite's own table.

The task files are the suite's own code, so they are imported here in-process to list them;
training and compiling import them again through w2c's loader (``FILE.py:NAME``, a child
process), exactly as a user's ``w2c train FILE.py:NAME`` would.
"""

from __future__ import annotations

import importlib.util
import sys
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from types import ModuleType
from typing import Any

HERE = Path(__file__).resolve().parent
MIPS_FILE = HERE / "mips_tasks.py"
OWN_FILE = HERE / "own_tasks.py"
V2_FILE = HERE / "v2_tasks.py"

READY = "task"
UNREACHABLE = "unreachable"
NEEDS_V2 = "needs contract v2"


@dataclass(frozen=True)
class Entry:
    """One row of a table: the task, the file that defines it, and whether it can run."""

    name: str
    label: str  # the paper's name for MIPS tasks, else the task name
    file: Path
    status: str  # READY, UNREACHABLE or NEEDS_V2
    reason: str  # why it cannot run ("" when READY)
    task: Any  # the w2c Task, or v2_tasks.NeedsContractV2

    @property
    def spec(self) -> str:
        """The ``FILE.py:NAME`` spec w2c's loader takes."""
        return f"{self.file}:{self.name}"


@cache
def load(path: Path) -> ModuleType:
    """Import one of the suite's task files as a module of its own."""
    name = f"_w2c_suite_{path.stem}"
    spec = importlib.util.spec_from_file_location(name, path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module  # dataclasses look the module up while it executes
    spec.loader.exec_module(module)
    return module


def _v2_entry(name: str, label: str) -> Entry:
    task = load(V2_FILE).TASKS[name]
    pending = not hasattr(task, "run_oracle")
    return Entry(
        name,
        label,
        V2_FILE,
        NEEDS_V2 if pending else READY,
        task.reason if pending else "",
        task,
    )


def mips() -> list[Entry]:
    """The 62 MIPS tasks in the paper's order."""
    module, v2 = load(MIPS_FILE), load(V2_FILE)
    rows = []
    for name, label in module.PAPER_NAMES.items():
        if name in v2.MIPS:
            rows.append(_v2_entry(name, label))
            continue
        reason = module.UNREACHABLE.get(name, "")
        status = UNREACHABLE if reason else READY
        rows.append(Entry(name, label, MIPS_FILE, status, reason, module.TASKS[name]))
    return rows


def own() -> list[Entry]:
    """The suite's own tasks: contract v1 first, then those waiting for contract v2."""
    module, v2 = load(OWN_FILE), load(V2_FILE)
    rows = [Entry(n, n, OWN_FILE, READY, "", t) for n, t in module.TASKS.items()]
    return rows + [_v2_entry(name, name) for name in v2.OWN]


def select(rows: list[Entry], names: list[str] | None) -> list[Entry]:
    """The rows named (by task or paper name, any case); all rows when ``names`` is None."""
    if not names:
        return rows
    index = {key.lower(): row for row in rows for key in (row.name, row.label)}
    unknown = [n for n in names if n.lower() not in index]
    if unknown:
        raise ValueError(f"unknown task(s): {', '.join(unknown)}")
    return [index[n.lower()] for n in names]
