"""What verification found (docs/verification.md): an Evidence per method run, a Check per question.

Kept apart from the checking code so every method module can build Evidence without importing
the orchestration in :mod:`w2c.verify.verifier`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

METHODS = ("symbolic", "exhaustive", "property")  # strongest first


@dataclass(frozen=True)
class Evidence:
    """One method run against one reference (the oracle, the reference rule or the model)."""

    method: str  # "symbolic" | "exhaustive" | "property"
    passed: bool
    cases: int  # sequences checked (domain points for symbolic)
    lengths: tuple[int, int] | None  # min/max sequence length covered
    max_abs_error: float
    rel_mse: float | None  # MSE / Var(reference) over the check set
    seconds: float
    counterexample: dict[str, Any] | None  # {"xs", "expected", "got", ...}: JSON-able
    detail: str  # one human line

    def line(self) -> str:
        verdict = "passed" if self.passed else "FAILED"
        text = f"{self.method}: {verdict}, {self.detail}"
        if self.counterexample is not None:
            text += f"; counterexample {format_counterexample(self.counterexample)}"
        return text

    def to_dict(self) -> dict[str, Any]:
        return {
            "method": self.method,
            "passed": self.passed,
            "cases": self.cases,
            "lengths": list(self.lengths) if self.lengths else None,
            "max_abs_error": self.max_abs_error,
            "rel_mse": self.rel_mse,
            "seconds": self.seconds,
            "counterexample": self.counterexample,
            "detail": self.detail,
        }


@dataclass(frozen=True)
class Check:
    """One question (correctness or fidelity) and the evidence that answers it."""

    kind: str  # "correctness" | "fidelity" | "twin"
    checked: bool
    passed: bool  # False when not checked
    strength: str | None  # strongest method that passed and applies (None unless passed)
    evidence: tuple[Evidence, ...]
    reason: str | None  # why not checked

    def lines(self) -> list[str]:
        if not self.checked:
            head = f"{self.kind}: not checked ({self.reason})"
        else:
            head = f"{self.kind}: " + (f"verified ({self.strength})" if self.passed else "FAILED")
        return [head] + [f"  {e.line()}" for e in self.evidence]

    def to_dict(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "checked": self.checked,
            "passed": self.passed,
            "strength": self.strength,
            "reason": self.reason,
            "evidence": [e.to_dict() for e in self.evidence],
        }


@dataclass(frozen=True)
class VerificationReport:
    correctness: Check
    fidelity: Check
    twin: Check | None = None  # program_numpy against program(), when the program has one

    @property
    def checks(self) -> tuple[Check, ...]:
        return (self.correctness, self.fidelity, *(() if self.twin is None else (self.twin,)))

    @property
    def passed(self) -> bool:
        """Every check that ran passed, and fidelity ran (a program always has a model)."""
        return self.fidelity.checked and all(c.passed for c in self.checks if c.checked)

    def lines(self) -> list[str]:
        """A short summary: the verdict, then each check with one line per method run."""
        verdict = "VERIFIED" if self.passed else "NOT VERIFIED"
        return [verdict, *(text for check in self.checks for text in check.lines())]

    def to_dict(self) -> dict[str, Any]:
        return {
            "passed": self.passed,
            "correctness": self.correctness.to_dict(),
            "fidelity": self.fidelity.to_dict(),
            "twin": None if self.twin is None else self.twin.to_dict(),
        }


def strength_of(evidence: tuple[Evidence, ...]) -> str | None:
    """The strongest passing method; symbolic counts only next to a passing run of the program.

    A symbolic proof is about the extracted update rule, not the program text, so it is the
    strength only when the program itself also passed against the oracle.
    """
    passed = {e.method for e in evidence if e.passed}
    if "symbolic" in passed and passed & {"exhaustive", "property"}:
        return "symbolic"
    return next((m for m in METHODS[1:] if m in passed), None)


def make_check(kind: str, evidence: list[Evidence]) -> Check:
    """Passed when every run of the program passed; a symbolic result only sets the strength."""
    runs = [e for e in evidence if e.method != "symbolic"]
    passed = bool(runs) and all(e.passed for e in runs)
    strength = strength_of(tuple(evidence)) if passed else None
    return Check(kind, True, passed, strength, tuple(evidence), None)


def unchecked(kind: str, reason: str, evidence: tuple[Evidence, ...] = ()) -> Check:
    return Check(kind, False, False, None, evidence, reason)


def format_counterexample(example: dict[str, Any]) -> str:
    """One line, truncated: the failing input, then what was expected and what came back."""
    if "point" in example:
        point = ", ".join(f"{k}={v}" for k, v in example["point"].items())
        text = f"at {point}: reference {example['expected']}, rule {example['got']}"
    else:
        text = f"xs={example['xs']}: expected {example['expected']}, got {example['got']}"
        if example.get("error"):
            text += f" ({example['error']})"
    return text if len(text) <= 300 else text[:297] + "..."
