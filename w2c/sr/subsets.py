"""Sparse best-subset linear regression over the feature library.

Subsets of 1, 2, 3, 4 features are scored in batches through the Gram matrix of the unit-scaled
columns (one small solve per subset), exhaustively while the count stays under
EXHAUSTIVE_LIMIT and by a beam over the best smaller subsets beyond it. The sum of squared errors
is only a filter (max-abs <= tol implies SSE <= n * tol**2); each surviving subset is refit by
least squares on its raw columns and judged by its max-abs error.
"""

from __future__ import annotations

from dataclasses import dataclass
from itertools import combinations
from math import comb

import numpy as np

from w2c.sr.features import Feature
from w2c.sr.rational import least_squares, max_abs

MAX_TERMS = 4
EXHAUSTIVE_LIMIT = 250_000
BEAM_WIDTH = 400
#: At most this many subsets per size get an exact refit (best SSE first).
EXACT_CHECKS = 256
#: Subsets whose normalised Gram matrix has a smaller eigenvalue are (near) rank-deficient.
MIN_EIGENVALUE = 1e-9
#: Errors within this fraction of the tolerance count as equal when ranking.
ERROR_QUANTUM = 1e-3


@dataclass(frozen=True)
class SubsetFit:
    """A subset of feature indices with its max-abs error on the fitting points."""

    indices: tuple[int, ...]
    error: float
    complexity: int


@dataclass(frozen=True)
class SubsetSearch:
    """The smallest subset within tolerance (if any), the most accurate one, the work done."""

    within: SubsetFit | None
    most_accurate: SubsetFit | None
    tried: int


def best_subset(features: list[Feature], y: np.ndarray, tolerance: float) -> SubsetSearch:
    """Fewest features within tolerance; ties by quantised error, complexity, library order."""
    if not features:
        return SubsetSearch(None, None, 0)
    columns = np.column_stack([f.values for f in features])
    unit = columns / np.linalg.norm(columns, axis=0)
    gram = unit.T @ unit
    projection = unit.T @ y
    energy = float(y @ y)
    costs = np.array([f.complexity for f in features])
    quantum = ERROR_QUANTUM * tolerance
    bound = len(y) * tolerance**2 * (1 + 1e-9) + 1e-300
    tried = 0
    most_accurate: SubsetFit | None = None
    previous: np.ndarray | None = None
    for size in range(1, min(MAX_TERMS, len(features)) + 1):
        subsets = _subsets(len(features), size, previous)
        if len(subsets) == 0:
            break
        sse, valid = _batched_sse(gram, projection, energy, subsets)
        tried += len(subsets)
        subsets, sse = subsets[valid], sse[valid]
        cost = costs[subsets].sum(axis=1)
        order = np.lexsort((*subsets.T[::-1], cost, np.floor(sse / (len(y) * quantum**2 + 1e-300))))
        previous = subsets[order[:BEAM_WIDTH]]
        exact: dict[int, SubsetFit] = {}
        for i in [*order[:4], *(i for i in order[:EXACT_CHECKS] if sse[i] <= bound)]:
            if i not in exact:
                exact[i] = _exact(columns, y, subsets[i], int(cost[i]))
        for i in order[:4]:
            if most_accurate is None or exact[i].error < most_accurate.error:
                most_accurate = exact[i]
        checked = [exact[i] for i in order[:EXACT_CHECKS] if sse[i] <= bound]
        within = [c for c in checked if c.error <= tolerance]
        if within:
            best = min(within, key=lambda c: (np.floor(c.error / quantum), c.complexity, c.indices))
            return SubsetSearch(best, best, tried)
    return SubsetSearch(None, most_accurate, tried)


def _subsets(count: int, size: int, previous: np.ndarray | None) -> np.ndarray:
    """All ``size``-subsets in lexicographic order, or the beam's one-feature extensions."""
    if previous is None or comb(count, size) <= EXHAUSTIVE_LIMIT:
        return np.array(list(combinations(range(count), size)), dtype=np.int64).reshape(-1, size)
    grown = {
        tuple(sorted((*row, j))) for row in previous.tolist() for j in range(count) if j not in row
    }
    return np.array(sorted(grown), dtype=np.int64).reshape(-1, size)


def _batched_sse(
    gram: np.ndarray, projection: np.ndarray, energy: float, subsets: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Least-squares SSE of every subset at once; ``valid`` drops rank-deficient subsets."""
    block = gram[subsets[:, :, None], subsets[:, None, :]]
    rhs = projection[subsets]
    valid = np.linalg.eigvalsh(block)[:, 0] > MIN_EIGENVALUE
    coefficients = np.zeros_like(rhs)
    if valid.any():
        coefficients[valid] = np.linalg.solve(block[valid], rhs[valid][..., None])[..., 0]
    sse = np.maximum(energy - np.einsum("ij,ij->i", coefficients, rhs), 0.0)
    return sse, valid


def _exact(columns: np.ndarray, y: np.ndarray, subset: np.ndarray, cost: int) -> SubsetFit:
    chosen = columns[:, subset]
    coefficients = least_squares(chosen, y)
    return SubsetFit(tuple(int(i) for i in subset), max_abs(chosen @ coefficients - y), cost)


def subset_columns(features: list[Feature], indices: tuple[int, ...]) -> np.ndarray:
    """The raw columns (n, len(indices)) of a subset, for the final rational snapping."""
    return np.column_stack([features[i].values for i in indices])
