"""Turn the caller's traced samples into a validated, deduplicated, bounded fitting problem.

Backends search on ``Problem.x``/``Problem.y``: the unique input points (duplicate rows averaged,
so a 2-operand bit function is 4 points however many positions were traced), deterministically
subsampled to at most ``MAX_FIT_SAMPLES``. The reported errors are measured on every given sample.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import sympy

from w2c.errors import InputError
from w2c.sr.records import OperandDomain

MAX_FIT_SAMPLES = 4096
MAX_OPERANDS = 3
#: Default tolerance: max-abs error <= RELATIVE_TOLERANCE * output scale (see default_tolerance).
RELATIVE_TOLERANCE = 1e-3


@dataclass(frozen=True)
class Problem:
    """One validated fitting problem; arrays are float64 and never modified."""

    symbols: tuple[sympy.Symbol, ...]
    x_all: np.ndarray
    y_all: np.ndarray
    x: np.ndarray
    y: np.ndarray
    integer: tuple[bool, ...]
    tolerance: float
    seed: int

    @property
    def arity(self) -> int:
        return len(self.symbols)


def output_scale(outputs: np.ndarray) -> float:
    """The scale errors are judged against: the output range, floored for (near-)constants.

    A sub-MLP's output scale is arbitrary (the head rescales it), so the tolerance is relative to
    it; the floor of 1e-3 * max|y| keeps float32 noise on a constant output from failing the fit.
    """
    y = np.asarray(outputs, dtype=np.float64).ravel()
    if y.size == 0:
        return 1e-12
    return float(max(np.ptp(y), 1e-3 * np.max(np.abs(y)), 1e-12))


def default_tolerance(outputs: np.ndarray) -> float:
    """Max-abs error allowed by default: 1e-3 of the output scale (docs/sr.md, "Tolerance")."""
    return RELATIVE_TOLERANCE * output_scale(outputs)


def prepare(
    inputs: np.ndarray,
    outputs: np.ndarray,
    symbols: Sequence[sympy.Symbol],
    domains: Sequence[OperandDomain],
    tolerance: float | None,
    seed: int,
) -> Problem:
    """Validate shapes and values, dedupe the input points and bound the fitting set."""
    symbols = tuple(symbols)
    k = len(symbols)
    if not 1 <= k <= MAX_OPERANDS:
        raise InputError(f"symbolic regression takes 1 to {MAX_OPERANDS} operands, got {k}")
    if not all(isinstance(s, sympy.Symbol) for s in symbols) or len(set(symbols)) != k:
        raise InputError("symbols must be distinct sympy Symbols")
    if len(domains) != k or not all(isinstance(d, OperandDomain) for d in domains):
        raise InputError(f"expected {k} OperandDomain values, one per symbol")
    x = np.asarray(inputs, dtype=np.float64)
    if x.ndim == 1 and k == 1:
        x = x[:, None]
    y = np.asarray(outputs, dtype=np.float64)
    if y.ndim == 2 and y.shape[1] == 1:
        y = y[:, 0]
    if x.ndim != 2 or x.shape[1] != k or y.ndim != 1 or y.shape[0] != x.shape[0]:
        raise InputError(f"inputs must be (n, {k}) and outputs (n,); got {x.shape} and {y.shape}")
    if x.shape[0] == 0:
        raise InputError("no samples to fit")
    if not (np.isfinite(x).all() and np.isfinite(y).all()):
        raise InputError("samples contain NaN or infinite values")
    if tolerance is None:
        tolerance = default_tolerance(y)
    elif not (np.isfinite(tolerance) and tolerance > 0):
        raise InputError(f"tolerance must be a positive number, got {tolerance!r}")
    x = x + 0.0  # -0.0 -> 0.0, so equal points dedupe and print alike
    integer = tuple(
        bool(d.integer) and bool(np.all(x[:, i] == np.round(x[:, i])))
        for i, d in enumerate(domains)
    )
    ux, uy = _unique_points(x, y)
    ux, uy = _subsample(ux, uy, seed)
    for a in (x, y, ux, uy):
        a.setflags(write=False)
    return Problem(symbols, x, y, ux, uy, integer, float(tolerance), int(seed))


def _unique_points(x: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Unique input rows (sorted, so deterministic) with the mean output of their duplicates."""
    ux, inverse, counts = np.unique(x, axis=0, return_inverse=True, return_counts=True)
    inverse = inverse.ravel()
    uy = np.bincount(inverse, weights=y, minlength=len(ux)) / counts
    return ux, uy


def _subsample(x: np.ndarray, y: np.ndarray, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """At most MAX_FIT_SAMPLES rows (see subsample_index)."""
    if len(x) <= MAX_FIT_SAMPLES:
        return x, y
    index = subsample_index(np.column_stack([x, y]), MAX_FIT_SAMPLES, seed)
    return x[index], y[index]


def subsample_index(columns: np.ndarray, limit: int, seed: int) -> np.ndarray:
    """Sorted indices of at most ``limit`` rows: every column's extremes plus a seeded subset."""
    n = len(columns)
    if n <= limit:
        return np.arange(n)
    keep = set(np.argmin(columns, axis=0).tolist()) | set(np.argmax(columns, axis=0).tolist())
    rng = np.random.default_rng(seed)
    for i in rng.permutation(n)[:limit].tolist():
        if len(keep) >= limit:
            break
        keep.add(i)
    return np.array(sorted(keep))
