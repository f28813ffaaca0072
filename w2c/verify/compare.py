"""Calling a program safely and comparing its outputs with a reference under the stated tolerances.

Shared by the exhaustive sweep, the hypothesis runs and the emitted test files, so every route
applies exactly the same contract (docs/tasks.md) and tolerances (docs/verification.md):

- tasks with an output grid (integer outputs, or multiples of 1/d declared with
  ``Fractions``: ``Task.output_grid``): exact on the grid (correctness: program on the grid ==
  oracle; fidelity: program == model, both put on the grid by ``Task.quantise``);
- real outputs: correctness |program - oracle| <= 1e-6 * max(1, |oracle|) per output; fidelity
  relMSE = MSE / Var(model) <= 1e-6 over the whole check set.

The NumPy twin (``program_numpy``, kind "twin") is held against program() output by output:
tasks with a grid put both sides on it, real outputs use the correctness tolerance. A task with
K outputs compares every output channel of every position.

A program that raises, returns something that is not a list of ``len(xs)`` finite numbers (of
K-tuples of them for K outputs), is a failure with a counterexample, never a crash of the
verifier.
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from w2c.tasks import Task

REAL_ABS_TOL = 1e-6  # correctness, real tasks: |error| <= 1e-6 * max(1, |y|)
REL_MSE_BAR = 1e-6  # fidelity, real tasks: MSE / Var(y_model) <= 1e-6
PER_OUTPUT_KINDS = ("correctness", "twin")  # judged output by output, never in aggregate

Program = Callable[[Sequence[Any]], Any]
Reference = Callable[[np.ndarray], np.ndarray]  # x[B, L, C] -> y[B, L] (y[B, L, K])


def xs_array(task: Task, sequences: Sequence[Sequence[Any]]) -> np.ndarray:
    """Equal-length program inputs (numbers or tuples) as x[B, L, C] in float64."""
    x = np.asarray(sequences, dtype=np.float64)
    return x.reshape(len(sequences), -1, task.n_channels)


def as_outputs(raw: object, length: int, outputs: int = 1) -> tuple[np.ndarray | None, str | None]:
    """The program's return value as float64[length] (float64[length, K] for K outputs, a
    K-tuple per position), or why it is not a valid output list."""
    if isinstance(raw, np.ndarray):
        raw = raw.tolist()
    if not isinstance(raw, (list, tuple)):
        return None, f"returned a {type(raw).__name__}, not a list"
    if len(raw) != length:
        return None, f"returned {len(raw)} outputs for {length} inputs"
    rows = []
    for t, value in enumerate(raw):
        if outputs > 1:
            if not isinstance(value, (list, tuple)) or len(value) != outputs:
                return None, f"output {t} is a {type(value).__name__}, not a {outputs}-tuple"
            bad = [v for v in value if not isinstance(v, numbers.Real)]
            if bad:
                return None, f"output {t} holds a {type(bad[0]).__name__}, not a number"
            rows.append([float(v) for v in value])
        elif not isinstance(value, numbers.Real):
            return None, f"output {t} is a {type(value).__name__}, not a number"
        else:
            rows.append(float(value))
    values = np.array(rows, dtype=np.float64).reshape(
        (length,) + ((outputs,) if outputs > 1 else ())
    )
    finite = np.isfinite(values).reshape(length, -1).all(axis=1)
    if not np.all(finite):
        return None, f"output {int(np.argmin(finite))} is not finite"
    return values, None


def run_program(
    program: Program, sequences: Sequence[Sequence[Any]], length: int, outputs: int = 1
) -> tuple[np.ndarray, dict[int, tuple[str, object]]]:
    """Call ``program`` on each sequence (all of one length): outputs[n, length] (outputs[n,
    length, K] for K outputs) and problems.

    ``problems`` maps an index to (what went wrong, what came back); those rows are NaN. The
    common case (every call returns proper numbers) is checked in one NumPy conversion. A
    program running in a child process (w2c.usercode) does this loop there, one batch a call.
    """
    batch = getattr(program, "run_batch", None)
    if batch is not None:
        return batch(sequences, length, outputs)
    count = len(sequences)
    raws: list[object] = [None] * count
    errors: dict[int, tuple[str, object]] = {}
    start = 0
    while start < count:
        index = start
        try:
            for index in range(start, count):
                raws[index] = program(sequences[index])
            break
        except Exception as exc:  # the program under test: any failure is a finding
            errors[index] = (f"raised {type(exc).__name__}: {exc}"[:200], None)
            start = index + 1
    shape = (count, length) + ((outputs,) if outputs > 1 else ())
    if not errors:
        fast = _fast_outputs(raws, shape)
        if fast is not None:
            return fast, {}
    found = np.full(shape, np.nan)
    for index, raw in enumerate(raws):
        if index in errors:
            continue
        values, problem = as_outputs(raw, length, outputs)
        if problem is None:
            found[index] = values
        else:
            errors[index] = (problem, raw)
    return found, errors


def _fast_outputs(raws: list[object], shape: tuple[int, ...]) -> np.ndarray | None:
    """All returns as one numeric array, or None when any needs the per-call checks."""
    try:
        array = np.asarray(raws)
    except (ValueError, TypeError):
        return None
    if array.shape != shape or array.dtype.kind not in "biuf":
        return None
    array = array.astype(np.float64)
    return array if np.all(np.isfinite(array)) else None


def output_ok(task: Task, kind: str, got: np.ndarray, ref: np.ndarray) -> np.ndarray:
    """Per-output pass mask under the tolerance of ``kind`` ("correctness" or "fidelity")."""
    with np.errstate(invalid="ignore"):
        if task.output_grid is not None:  # the oracle's outputs are on the grid already
            expected = ref if kind == "correctness" else task.quantise(ref)
            return task.quantise(got) == expected
        if kind in PER_OUTPUT_KINDS:
            return np.abs(got - ref) <= REAL_ABS_TOL * np.maximum(1.0, np.abs(ref))
        return np.isfinite(got) & np.isfinite(ref)  # real fidelity: the aggregate decides


def tolerance_text(task: Task, kind: str) -> str:
    grid = task.output_grid
    if grid == 1:
        return "exact after rounding"
    if grid is not None:
        return f"exact on multiples of 1/{grid}"
    if kind in PER_OUTPUT_KINDS:
        return f"|err| <= {REAL_ABS_TOL:g}*max(1,|y|)"
    return f"relMSE <= {REL_MSE_BAR:g}"


def json_value(value: object) -> object:
    """Numbers and nested sequences as JSON-able values (non-finite floats as strings)."""
    if isinstance(value, (list, tuple, np.ndarray)):
        return [json_value(v) for v in value]
    if isinstance(value, bool | np.bool_):
        return bool(value)
    if isinstance(value, numbers.Integral):
        return int(value)
    if isinstance(value, numbers.Real):
        number = float(value)
        if not math.isfinite(number):
            return str(number)
        return int(number) if number.is_integer() and abs(number) < 2**53 else number
    return repr(value)[:200]


@dataclass
class Tally:
    """Running statistics of one check over one method, and its first counterexample."""

    task: Task
    kind: str
    cases: int = 0
    lengths: tuple[int, int] | None = None
    max_abs_error: float = 0.0
    outputs: int = 0
    sq_error: float = 0.0
    ref_sum: float = 0.0
    ref_sq: float = 0.0
    failure: dict[str, Any] | None = None
    worst: tuple[float, dict[str, Any]] | None = field(default=None, repr=False)

    @property
    def failed(self) -> bool:
        return self.failure is not None

    def add(
        self,
        sequences: Sequence[Sequence[Any]],
        got: np.ndarray,
        ref: np.ndarray,
        problems: dict[int, tuple[str, object]],
    ) -> None:
        """Fold in one batch (all of one length); keeps the first failure in batch order."""
        count, length = got.shape[:2]
        self.cases += count
        low, high = self.lengths or (length, length)
        self.lengths = (min(low, length), max(high, length))
        valid = np.isfinite(got) & np.isfinite(ref)
        diff = np.where(valid, got - ref, 0.0)
        if valid.any():
            self.max_abs_error = max(self.max_abs_error, float(np.max(np.abs(diff))))
        self.outputs += int(valid.sum())
        self.sq_error += float(np.sum(diff**2))
        self.ref_sum += float(np.sum(np.where(valid, ref, 0.0)))
        self.ref_sq += float(np.sum(np.where(valid, ref, 0.0) ** 2))
        if self.aggregate and count:
            row = int(np.argmax(np.sum(diff.reshape(count, -1) ** 2, axis=1)))
            score = float(np.sum(diff[row] ** 2))
            if self.worst is None or score > self.worst[0]:
                self.worst = (score, self._example(sequences[row], ref[row], got[row], None))
        if self.failed:
            return
        ok = output_ok(self.task, self.kind, got, ref).reshape(count, length, -1)
        bad_rows = np.flatnonzero(~ok.reshape(count, -1).all(axis=1))
        first = min([*problems, *bad_rows.tolist()], default=None)
        if first is None:
            return
        if first in problems:
            message, raw = problems[first]
            self.failure = self._example(sequences[first], ref[first], raw, message)
        else:
            position, channel = np.unravel_index(int(np.argmin(ok[first])), ok[first].shape)
            self.failure = self._example(sequences[first], ref[first], got[first], None)
            self.failure["position"] = int(position)
            if self.task.n_outputs > 1:
                self.failure["output"] = self.task.outputs[int(channel)]

    @property
    def aggregate(self) -> bool:
        """Real-output fidelity is judged over the whole check set (relMSE), not per output."""
        return self.task.output_grid is None and self.kind == "fidelity"

    def _example(
        self, xs: Sequence[Any], expected: np.ndarray, got: object, error: str | None
    ) -> dict[str, Any]:
        example: dict[str, Any] = {
            "xs": json_value(xs),
            "expected": json_value(expected),
            "got": json_value(got),
        }
        if error is not None:
            example["error"] = error
        return example

    @property
    def rel_mse(self) -> float | None:
        if not self.outputs:
            return None
        mean = self.ref_sum / self.outputs
        variance = max(self.ref_sq / self.outputs - mean**2, 0.0)
        return (self.sq_error / self.outputs) / max(variance, 1e-12)

    def verdict(self) -> tuple[bool, dict[str, Any] | None]:
        """Passed?, and the counterexample (for real fidelity: the worst sequence)."""
        if self.failed:
            return False, self.failure
        if self.aggregate:
            rel = self.rel_mse
            if rel is None or rel > REL_MSE_BAR:
                return False, self.worst[1] if self.worst else None
        return self.cases > 0, None

    def describe(self) -> str:
        span = ""
        if self.lengths:
            low, high = self.lengths
            span = f", lengths {low}..{high}" if low != high else f", length {low}"
        plural = "" if self.cases == 1 else "s"
        text = f"{self.cases} sequence{plural}{span}, {tolerance_text(self.task, self.kind)}"
        text += f", max |err| {self.max_abs_error:.3g}"
        if self.aggregate and self.rel_mse is not None:
            text += f", relMSE {self.rel_mse:.3g}"
        return text
