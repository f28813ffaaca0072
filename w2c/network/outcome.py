"""What the model search found: each attempt's result and the search's outcome (the records).

Data only, with no scheduling and no training, so the checkpoint code can read a search's
outcome without importing the search (docs/checkpoint.md, ``training.search``).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from w2c.network.config import Attempt

MAX_RECORDED = 10_000  # attempts a checkpoint's search record may list

# An attempt's outcome (docs/checkpoint.md, training.search).
CLEAN = "exact, clean"  # the bar: acceptable
UNCLEAN = "exact, not clean"
INEXACT = "not exact"
FAILED = "failed"  # the attempt's process died or the attempt raised, twice
STOPPED = "stopped"  # the search stopped it (an earlier attempt was accepted, or the budget)

EARLIER_CLEAN = "an earlier attempt is clean"
BUDGET_SPENT = "the budget ran out"


@dataclass
class AttemptResult:
    """What one attempt produced: its record and, when it finished, its run (the model)."""

    index: int
    attempt: Attempt
    outcome: str
    detail: str
    seconds: float
    run: Any = None  # w2c.network.train.RunResult; None when the attempt did not finish

    def record(self) -> dict[str, Any]:
        """This attempt in the checkpoint's search record (docs/checkpoint.md)."""
        exactness = self.run.exactness if self.run is not None else None
        return {
            "index": self.index,
            "size": self.attempt.size.describe(),
            "seed": self.attempt.seed,
            "settings": self.attempt.settings.describe(),
            "outcome": self.outcome,
            "detail": self.detail[:200],
            "seconds": round(self.seconds, 3),
            "exact_fraction": exactness.exact_fraction if exactness else 0.0,
            "rel_mse": min(exactness.rel_mse, 1e300) if exactness else 0.0,
            "pruned": list(self.run.pruned) if self.run is not None else [],
            "stopped_early": -1
            if self.run is None or self.run.stopped_early is None
            else self.run.stopped_early,
        }

    def line(self) -> str:
        """One line for the progress display and the final listing."""
        head = f"#{self.index} {self.attempt.describe()}: {self.outcome}"
        return f"{head} ({self.detail}, {self.seconds:.1f} s)" if self.detail else head


@dataclass
class SearchOutcome:
    """The search's result: the delivered run, every attempt, and how the search ended.

    ``best`` is the accepted run (exact and clean), else the first exact run in plan order,
    else the closest run; ``accepted`` is its plan index only when it met the whole bar.
    """

    best: Any  # w2c.network.train.RunResult, or None when no attempt finished
    attempts: list[AttemptResult]
    accepted: int | None
    stopped: str
    total_seconds: float
    jobs: int
    budget: float
    plan_size: int
    first_index: int | None = None  # plan index of ``best``
    task_name: str = ""

    @property
    def passed(self) -> bool:
        """The delivered model is exact."""
        return self.best is not None and self.best.exactness.passed

    @property
    def clean(self) -> bool:
        """The delivered model is exact and compiles cleanly: the search's whole bar."""
        return self.accepted is not None

    def record(self) -> dict[str, Any]:
        """The checkpoint's ``training.search`` field (docs/checkpoint.md)."""
        return {
            "jobs": self.jobs,
            "budget": float(self.budget),
            "plan_size": self.plan_size,
            "accepted": self.accepted,
            "delivered": self.first_index,
            "stopped": self.stopped,
            "seconds": round(self.total_seconds, 3),
            "attempts": [a.record() for a in self.attempts[:MAX_RECORDED]],
        }

    def training_record(self) -> dict[str, Any]:
        """The checkpoint's whole ``training`` field for the delivered model."""
        from w2c.network.train import run_record

        record = run_record(self.best, self.total_seconds, len(self.attempts))
        record["search"] = self.record()
        return record

    def listing(self) -> list[str]:
        """What was tried, one line per attempt, in plan order."""
        return [a.line() for a in self.attempts]

    def rows(self) -> list[dict[str, Any]]:
        """Every attempt as plain data, in plan order (the search record's ``attempts``)."""
        return [a.record() for a in self.attempts]

    def to_dataframe(self) -> Any:
        """The attempts as a pandas DataFrame (pandas is optional)."""
        from w2c.report.notebook import dataframe

        return dataframe(self.rows())

    def _repr_html_(self) -> str:
        """Jupyter: the summary line and a table of the attempts."""
        from w2c.report.notebook import search_html

        return search_html(self, self.task_name)

    def summary(self, name: str) -> str:
        """One line: what the search found, or that it found nothing and why it stopped."""
        spent = f"{len(self.attempts)} of {self.plan_size} attempt(s) in {self.total_seconds:.0f} s"
        why = {"budget": "the budget ran out", "plan exhausted": "the plan was exhausted"}
        ended = why.get(self.stopped, self.stopped)
        if self.clean:
            return f"{name}: attempt #{self.accepted} is exact and clean ({spent})"
        if self.passed:
            return (
                f"{name}: no attempt is both exact and clean ({spent}; {ended}); kept the first "
                f"exact one, #{self.first_index}"
            )
        return f"{name}: no attempt reached the exactness bar ({spent}; {ended})"
