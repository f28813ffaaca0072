"""Sparse best-subset linear regression over the feature library.

Every fit has a free intercept (it is not counted as a term): the columns and the target are
centred, which also keeps the normal equations well conditioned when operands carry a large
offset. The intercept alone is tried first; then subsets of 1, 2, 3, 4 features are scored in
batches through the Gram matrix of the centred, unit-scaled columns (one small solve per subset).
At each size the *core* features (everything but the floor/mod ones) are searched first,
exhaustively; then subsets that use at least one integer feature, exhaustively while their count
stays under EXHAUSTIVE_LIMIT and by a beam over the best smaller subsets beyond it. So mod/floor
forms never displace a plain form of the same size (a + b is not written
mod(a + b, 2) + 2 floor((a + b)/2)).

The sum of squared errors is only a filter (max-abs <= tol implies SSE <= n * tol**2); each
surviving subset is refit by least squares on its centred columns and judged by its max-abs
error.
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
#: At most this many subsets per size and tier get an exact refit (best SSE first).
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
    size: int


@dataclass(frozen=True)
class SubsetSearch:
    """The smallest subset within tolerance (if any), the most accurate one, the work done."""

    within: SubsetFit | None
    most_accurate: SubsetFit | None
    tried: int


@dataclass(frozen=True)
class _Ranked:
    """Well-conditioned subsets of one batch, best first, with their SSE."""

    subsets: np.ndarray
    sse: np.ndarray


def best_subset(
    features: list[Feature], y: np.ndarray, tolerance: float, core: int | None = None
) -> SubsetSearch:
    """Fewest features within tolerance; ties by quantised error, total feature size, order.

    ``core``: the first ``core`` features are preferred at equal size (default: all are core).
    """
    if not features:
        error = max_abs(y - y.mean())
        fit = SubsetFit((), error, 0)
        return SubsetSearch(fit if error <= tolerance else None, fit, 0)
    return _Search(features, y, tolerance, len(features) if core is None else core).run()


class _Search:
    def __init__(self, features: list[Feature], y: np.ndarray, tolerance: float, core: int):
        columns = np.column_stack([f.values for f in features])
        self.columns = columns - columns.mean(axis=0)  # centred: the intercept is always free
        unit = self.columns / np.linalg.norm(self.columns, axis=0)
        self.y = y - y.mean()
        self.gram = unit.T @ unit
        self.projection = unit.T @ self.y
        self.energy = float(self.y @ self.y)
        self.costs = np.array([f.size for f in features])
        self.tolerance = tolerance
        self.quantum = ERROR_QUANTUM * tolerance
        self.bound = len(y) * tolerance**2 * (1 + 1e-9) + 1e-300
        self.core = core
        self.count = len(features)
        self.tried = 0
        self.most_accurate: SubsetFit | None = None

    def run(self) -> SubsetSearch:
        self.most_accurate = SubsetFit((), max_abs(self.y), 0)  # the intercept alone
        if self.most_accurate.error <= self.tolerance:
            return SubsetSearch(self.most_accurate, self.most_accurate, self.tried)
        core_beam: np.ndarray | None = None
        full_beam: np.ndarray | None = None
        for size in range(1, min(MAX_TERMS, self.count) + 1):
            ranked_core = self._rank(_subsets(self.core, size, core_beam))
            within = self._within(ranked_core)
            if within is not None:
                return SubsetSearch(within, within, self.tried)
            core_beam = ranked_core.subsets[:BEAM_WIDTH]
            if self.core == self.count:
                continue
            extended = _subsets(self.count, size, full_beam)
            extended = extended[extended.max(axis=1) >= self.core]
            ranked = self._rank(extended)
            within = self._within(ranked)
            if within is not None:
                return SubsetSearch(within, within, self.tried)
            full_beam = self._merge(ranked_core, ranked).subsets[:BEAM_WIDTH]
        return SubsetSearch(None, self.most_accurate, self.tried)

    def _rank(self, subsets: np.ndarray) -> _Ranked:
        """Score a batch; keep the well-conditioned subsets, ordered best first."""
        self.tried += len(subsets)
        if not len(subsets):
            return _Ranked(subsets, np.zeros(0))
        sse, valid = _batched_sse(self.gram, self.projection, self.energy, subsets)
        subsets, sse = subsets[valid], sse[valid]
        order = self._order(subsets, sse)
        return _Ranked(subsets[order], sse[order])

    def _order(self, subsets: np.ndarray, sse: np.ndarray) -> np.ndarray:
        bucket = np.floor(sse / (len(self.y) * self.quantum**2 + 1e-300))
        cost = self.costs[subsets].sum(axis=1)
        return np.lexsort((*subsets.T[::-1], cost, bucket))

    def _merge(self, first: _Ranked, second: _Ranked) -> _Ranked:
        subsets = np.concatenate([first.subsets, second.subsets])
        sse = np.concatenate([first.sse, second.sse])
        order = self._order(subsets, sse)
        return _Ranked(subsets[order], sse[order])

    def _within(self, ranked: _Ranked) -> SubsetFit | None:
        """Refit the promising subsets exactly; the best one within tolerance, if any."""
        for subset in ranked.subsets[:4]:
            candidate = self._exact(subset)
            if self.most_accurate is None or candidate.error < self.most_accurate.error:
                self.most_accurate = candidate
        promising = ranked.subsets[:EXACT_CHECKS][ranked.sse[:EXACT_CHECKS] <= self.bound]
        within = [c for c in map(self._exact, promising) if c.error <= self.tolerance]
        if not within:
            return None
        return min(within, key=lambda c: (np.floor(c.error / self.quantum), c.size, c.indices))

    def _exact(self, subset: np.ndarray) -> SubsetFit:
        chosen = self.columns[:, subset]
        coefficients = least_squares(chosen, self.y)
        cost = int(self.costs[subset].sum())
        return SubsetFit(
            tuple(int(i) for i in subset), max_abs(chosen @ coefficients - self.y), cost
        )


def _subsets(count: int, size: int, beam: np.ndarray | None) -> np.ndarray:
    """All ``size``-subsets of range(count) in lexicographic order, or the beam's extensions."""
    if size > count:
        return np.zeros((0, size), dtype=np.int64)
    if beam is None or comb(count, size) <= EXHAUSTIVE_LIMIT:
        return np.array(list(combinations(range(count), size)), dtype=np.int64).reshape(-1, size)
    grown = {
        tuple(sorted((*row, j))) for row in beam.tolist() for j in range(count) if j not in row
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
