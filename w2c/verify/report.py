"""What verification found (docs/verification.md): an Evidence per method run, a Check per question.

Kept apart from the checking code so every method module can build Evidence without importing
the orchestration in :mod:`w2c.verify.verifier`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

METHODS = ("proof", "network", "replay", "symbolic", "exhaustive", "property")
# statements about texts, rules and the network: they never fail a check alone (a network
# proof's counterexample fails fidelity once it is replayed on the program and the model)
LEMMAS = ("proof", "network", "symbolic")
STRENGTHS = ("proved", "exhaustive", "sampled")  # strongest first (docs/verification.md)
VERDICTS = ("VERIFIED", "CHECKED", "NOT VERIFIED")


@dataclass(frozen=True)
class Evidence:
    """One method run against one reference (the oracle, the reference rule or the model).

    ``proof``: the program text against a rule (w2c/verify/proof.py); ``replay``: the proof's
    counterexample run on the program and the reference; ``symbolic``: the extracted rule
    against the task's reference rule; ``exhaustive`` and ``property``: runs of the program.
    """

    method: str  # one of METHODS
    passed: bool
    cases: int  # sequences checked (domain points for symbolic, lengths for proof)
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
    """One question (correctness, fidelity or twin) and the evidence that answers it.

    ``strength`` is what holds for *every* sequence of every length 1..T: ``proved``,
    ``exhaustive`` (every sequence of every length was run) or ``sampled``; ``label`` says it
    in words with the numbers (``exhaustive (every sequence of lengths 1..3) + sampled (320
    sequences)``). Both are None unless the check passed.
    """

    kind: str  # "correctness" | "fidelity" | "twin"
    checked: bool
    passed: bool  # False when not checked
    strength: str | None  # one of STRENGTHS, or None
    evidence: tuple[Evidence, ...]
    reason: str | None  # why not checked
    label: str | None = None

    @property
    def complete(self) -> bool:
        """Proved, or every sequence of every length checked: what VERIFIED asks of a check."""
        return self.passed and self.strength in ("proved", "exhaustive")

    def lines(self) -> list[str]:
        if not self.checked:
            head = f"{self.kind}: not checked ({self.reason})"
        else:
            head = f"{self.kind}: " + ((self.label or "passed") if self.passed else "FAILED")
        return [head] + [f"  {e.line()}" for e in self.evidence]

    def to_dict(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "checked": self.checked,
            "passed": self.passed,
            "strength": self.strength,
            "label": self.label,
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
        """Nothing failed: every check that ran passed, and fidelity ran."""
        return self.fidelity.checked and all(c.passed for c in self.checks if c.checked)

    @property
    def verdict(self) -> str:
        """VERIFIED only when correctness and fidelity (and the twin) are proved or exhaustive
        over every length 1..T; CHECKED when nothing failed but some claim is weaker."""
        if not self.passed:
            return "NOT VERIFIED"
        complete = self.correctness.checked and all(c.complete for c in self.checks if c.checked)
        return "VERIFIED" if complete else "CHECKED"

    def lines(self) -> list[str]:
        """A short summary: the verdict, then each check with one line per method run."""
        return [self.verdict, *(text for check in self.checks for text in check.lines())]

    def to_dict(self) -> dict[str, Any]:
        return {
            "passed": self.passed,
            "verdict": self.verdict,
            "correctness": self.correctness.to_dict(),
            "fidelity": self.fidelity.to_dict(),
            "twin": None if self.twin is None else self.twin.to_dict(),
        }


def span(lengths: tuple[int, int]) -> str:
    low, high = lengths
    return f"length {low}" if low == high else f"lengths {low}..{high}"


def run_strength(evidence: tuple[Evidence, ...], length: int) -> tuple[str | None, str | None]:
    """The strength of the program's runs: (strength, label) from exhaustive and property runs.

    ``exhaustive`` only when the exhaustive run covered every length 1..T; a shorter sweep is
    reported next to the samples, and the strength is then ``sampled``.
    """
    parts, strength = [], None
    for e in evidence:
        if not e.passed or e.method not in ("exhaustive", "property"):
            continue
        if e.method == "exhaustive" and e.lengths is not None:
            parts.append(f"exhaustive (every sequence of {span(e.lengths)})")
            if e.lengths == (1, length):
                strength = "exhaustive"
        elif e.method == "property":
            parts.append(f"sampled ({e.cases} sequences)")
    if parts and strength is None:
        strength = "sampled"
    return strength, " + ".join(parts) or None


def make_check(
    kind: str, evidence: list[Evidence], length: int, proved: str | None = None
) -> Check:
    """Passed when every run of the program passed (lemmas only set the strength).

    ``proved``: what a proof established (e.g. "program = rule = reference"), when it did; the
    runs then only say how far the oracle or model was seen to agree (a proved fidelity needs
    no runs: the network proof covers every sequence).
    """
    runs = [e for e in evidence if e.method not in LEMMAS]
    passed = (bool(runs) or proved is not None) and all(e.passed for e in runs)
    if not passed:
        return Check(kind, True, False, None, tuple(evidence), None)
    strength, label = run_strength(tuple(evidence), length)
    if proved is not None:
        against = "oracle" if kind == "correctness" else "reference"
        seen = f"; {against} agreement: {label}" if label else ""
        strength, label = "proved", f"proved ({proved}{seen})"
    return Check(kind, True, True, strength, tuple(evidence), None, label)


def unchecked(kind: str, reason: str, evidence: tuple[Evidence, ...] = ()) -> Check:
    return Check(kind, False, False, None, evidence, reason)


def format_counterexample(example: dict[str, Any]) -> str:
    """One line, truncated: the failing input, then what was expected and what came back."""
    if "point" in example:
        point = ", ".join(f"{k}={v}" for k, v in example["point"].items())
        text = f"at {point}: reference {example['expected']}, rule {example['got']}"
    elif "expected" in example:
        text = f"xs={example['xs']}: expected {example['expected']}, got {example['got']}"
        if example.get("error"):
            text += f" ({example['error']})"
    else:
        text = f"xs={example['xs']}: {example.get('error', 'fails')}"
    return text if len(text) <= 300 else text[:297] + "..."
