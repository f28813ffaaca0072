"""Per-task results on disk, so a long suite run can stop and resume.

One JSON file per task, ``<cache>/results/<task>.json``: the key it was computed under, the
training outcome (written as soon as training ends) and the compile outcome (written after).
The key is the task file's sha256, the w2c revision and the seed: changing any of them reruns
the task. The trained checkpoint sits beside it in ``<cache>/models/<task>.pt``, the children's
logs in ``<cache>/logs/``.
"""

from __future__ import annotations

import hashlib
import json
import subprocess
from functools import cache
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
WATCHED = ("w2c", "passes")  # what the w2c revision covers


def _git(*args: str) -> str:
    return subprocess.run(
        ["git", "-C", str(ROOT), *args], capture_output=True, text=True, check=True
    ).stdout


@cache
def revision() -> str:
    """The last commit that changed w2c's code, plus a digest of any uncommitted change to it.

    Commits that touch only the suite, docs or tests keep the cached results.
    """
    try:
        head = _git("log", "-1", "--format=%H", "--", *WATCHED).strip()
        status = _git("status", "--porcelain", "--untracked-files=all", "--", *WATCHED)
        diff = _git("diff", "HEAD", "--", *WATCHED)
    except (OSError, subprocess.CalledProcessError):
        import w2c

        return f"w2c-{w2c.__version__}"
    if not status:
        return head
    digest = hashlib.sha256((status + diff).encode())
    for line in status.splitlines():
        path = ROOT / line[3:]
        if line.startswith("??") and path.is_file():
            digest.update(path.read_bytes())
    return f"{head}+{digest.hexdigest()[:12]}"


def file_sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def key(task: str, task_file: Path, seed: int, jobs: int = 2) -> dict[str, Any]:
    return {
        "task": task,
        "task_file_sha256": file_sha256(task_file),
        "w2c_revision": revision(),
        "seed": seed,
        "jobs": jobs,
    }


def training_holds(train: dict[str, Any], budget: float) -> bool:
    """Can this training outcome answer for ``budget`` without training again?

    A run that ended by itself, yes (seen through :func:`under_budget`); a run stopped at its
    budget only when the new budget is no larger (it would be stopped again).
    """
    if train.get("stopped"):
        return budget <= float(train["budget"])
    return "wall_seconds" in train


def under_budget(train: dict[str, Any], budget: float) -> dict[str, Any]:
    """The outcome as a run limited to ``budget`` would have ended: a longer run is stopped.

    The stored outcome is kept as it is, so a later run with a larger budget still finds it.
    """
    wall = float(train.get("wall_seconds", 0.0))
    if train.get("stopped") or wall <= budget:
        return train
    detail = f"stopped at the budget ({budget:g} s; the cached run took {wall:.0f} s)"
    return {"exact": False, "stopped": True, "budget": budget, "detail": detail}


class Store:
    """The cache directory."""

    def __init__(self, root: Path) -> None:
        self.root = root
        for sub in ("results", "models", "logs", "scratch"):
            (root / sub).mkdir(parents=True, exist_ok=True)

    def model(self, task: str) -> Path:
        return self.root / "models" / f"{task}.pt"

    def log(self, task: str, step: str) -> Path:
        return self.root / "logs" / f"{task}.{step}.log"

    def scratch(self, task: str, step: str) -> Path:
        return self.root / "scratch" / f"{task}.{step}.json"

    def _result(self, task: str) -> Path:
        return self.root / "results" / f"{task}.json"

    def read(self, task: str) -> dict[str, Any] | None:
        path = self._result(task)
        if not path.is_file():
            return None
        try:
            data = json.loads(path.read_text())
        except (OSError, json.JSONDecodeError):
            return None
        return data if isinstance(data, dict) else None

    def write(self, task: str, data: dict[str, Any]) -> None:
        path = self._result(task)
        tmp = path.with_suffix(".tmp")
        tmp.write_text(json.dumps(data, indent=1, sort_keys=True))
        tmp.replace(path)

    def retrained_elsewhere(
        self, task: str, current: dict[str, Any], budget: float
    ) -> dict[str, Any] | None:
        """A training outcome whose key differs from ``current`` only in the w2c revision, as a
        result to compile again (``--reuse-training``); its revision is kept as ``trained_at``."""
        data = self.read(task)
        if data is None or "train" not in data or not isinstance(data.get("key"), dict):
            return None
        old = data["key"]
        same = {k: v for k, v in old.items() if k != "w2c_revision"}
        if same != {k: v for k, v in current.items() if k != "w2c_revision"}:
            return None
        train = data["train"]
        if not training_holds(train, budget) or (
            train.get("exact") and not self.model(task).is_file()
        ):
            return None
        trained_at = train.get("trained_at", old.get("w2c_revision"))
        fresh = {"key": current, "train": {**under_budget(train, budget), "trained_at": trained_at}}
        fresh["compile"] = None
        self.write(task, fresh)
        return fresh

    def reusable(self, task: str, current: dict[str, Any], budget: float) -> dict[str, Any] | None:
        """The stored result when it was computed under this key and would hold under budget."""
        data = self.read(task)
        if data is None or data.get("key") != current or "train" not in data:
            return None
        train = data["train"]
        if not training_holds(train, budget):
            return None
        if train.get("exact") and data.get("compile") is None and not self.model(task).is_file():
            return None  # trained, but the checkpoint to compile is gone
        view = under_budget(train, budget)
        return data if view is train else {**data, "train": view, "compile": None}
