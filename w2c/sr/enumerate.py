"""Bounded bottom-up enumeration of small expression trees E, each wrapped as c * E + d
(or c * E + d + sum b_i x_i when there are enough distinct points: allows_linear_part).

Used when no small feature subset fits. Trees are built by size (node count: a leaf is 1, an
operator adds 1, mod/floor add 2 for their modulus) from the operands and the constants
1, -1, 2, 1/2 with + - * /, min, max, relu, abs, and mod/floor by 2..6 on integer-valued
subtrees. Two subtrees with the same values on a small screening set of points are the same
subtree (observational equivalence), so each distinct function is kept once, in its smallest
and earliest form. Every new tree gets the least-squares wrapper on the screening points;
the ones within tolerance there are refit and checked on all fitting points.

The search stops after the first size with a tree within tolerance (the best of that size wins:
lowest quantised error, then enumeration order), at MAX_SIZE, or when the work budget runs out.
The budget is a count of candidate trees proportional to ``time_limit`` (and at most MAX_NODES
stored trees), so results do not depend on machine speed. The safety stop is this process's
CPU time (SAFETY_FACTOR times ``time_limit``), which other jobs on a loaded machine do not
inflate, so a busy machine ends on the same count budget as a quiet one.
"""

from __future__ import annotations

import time
from bisect import bisect_right
from collections.abc import Iterator
from dataclasses import dataclass, field

import numpy as np
import sympy

from w2c.sr.ops import BINARY, UNARY, Op, floordiv, mod
from w2c.sr.samples import Problem, subsample_index

MAX_SIZE = 9
SCREEN_ROWS = 128
CHUNK = 4096
#: Candidate trees per second of ``time_limit``: 150-250k/s were measured on the 2-core
#: development machine, so the count budget, not the clock, normally ends a search.
CANDIDATES_PER_SECOND = 80_000
#: Stored trees at most (their screening values are kept in memory: ~1 KiB each).
MAX_NODES = 250_000
ENUMERATION_MODULI = tuple(range(2, 7))
CONSTANTS = (sympy.Integer(1), sympy.Integer(-1), sympy.Integer(2), sympy.Rational(1, 2))
ERROR_QUANTUM = 1e-3
LINEAR_POINTS_PER_COEFFICIENT = 3
#: The CPU-time stop, in multiples of time_limit: the count budget normally ends a search first,
#: so results stay reproducible; CPU time (not wall time) keeps that true under load.
SAFETY_FACTOR = 4.0
_HASH = np.random.default_rng(20240607).integers(1, 2**63, size=SCREEN_ROWS, dtype=np.int64)
_HASH = _HASH.view(np.uint64)
_EXPONENT_MIX = np.uint64(0x9E3779B97F4A7C15)


@dataclass(frozen=True)
class TreeFit:
    """An enumerated tree (node id) with its wrapped max-abs error on the fitting points."""

    node: int
    error: float


@dataclass(frozen=True)
class Segment:
    """Trees ``start .. start + len(children) - 1``: one operator over rows of child ids."""

    start: int
    op: Op
    children: np.ndarray


@dataclass
class TreeSearch:
    """Outcome: the best tree within tolerance (or None), the most accurate seen, work done.

    Node ids below ``len(leaves)`` are leaves (an operand index or a constant); the others live
    in ``segments`` (stored as arrays: a Python object per tree would dominate the run time).
    """

    leaves: list[sympy.Expr | int] = field(default_factory=list)
    segments: list[Segment] = field(default_factory=list)
    within: TreeFit | None = None
    most_accurate: TreeFit | None = None
    tried: int = 0
    linear: bool = False

    @property
    def count(self) -> int:
        if not self.segments:
            return len(self.leaves)
        last = self.segments[-1]
        return last.start + len(last.children)

    def _node(self, node_id: int) -> tuple[Op, tuple[int, ...]]:
        starts = [s.start for s in self.segments]
        segment = self.segments[bisect_right(starts, node_id) - 1]
        return segment.op, tuple(int(c) for c in segment.children[node_id - segment.start])

    def expression(self, node_id: int, symbols: tuple[sympy.Symbol, ...]) -> sympy.Expr:
        """The sympy expression of a node (built only for the trees that are returned)."""
        if node_id < len(self.leaves):
            leaf = self.leaves[node_id]
            return symbols[leaf] if isinstance(leaf, int) else leaf
        op, children = self._node(node_id)
        return op.symbolic(*(self.expression(c, symbols) for c in children))

    def values(self, node_id: int, x: np.ndarray, memo: dict[int, np.ndarray]) -> np.ndarray:
        """The node's values on the rows of ``x`` (for the check on all fitting points)."""
        if node_id not in memo:
            if node_id < len(self.leaves):
                leaf = self.leaves[node_id]
                memo[node_id] = (
                    x[:, leaf] if isinstance(leaf, int) else np.full(len(x), float(leaf))
                )
            else:
                op, children = self._node(node_id)
                with np.errstate(all="ignore"):
                    memo[node_id] = op.numeric(*(self.values(c, x, memo) for c in children))
        return memo[node_id]


def search_trees(problem: Problem, time_limit: float, started: float | None = None) -> TreeSearch:
    """Enumerate trees by size until one fits within tolerance or the budget is spent.

    The budget comes from ``time_limit`` alone (so it is the same on every run); the safety
    deadline counts this process's CPU time from ``started`` (time.process_time(); default now).
    """
    begun = time.process_time() if started is None else started
    return _Enumerator(problem, time_limit, begun).run()


def wrapper_basis(x: np.ndarray, linear: bool) -> np.ndarray:
    """Orthonormal basis (n, q) of the wrapper's free terms: 1, plus the operands if ``linear``."""
    columns = np.column_stack([np.ones(len(x)), x]) if linear else np.ones((len(x), 1))
    columns = columns / np.linalg.norm(columns, axis=0)
    u, singular, _ = np.linalg.svd(columns, full_matrices=False)
    return u[:, singular > 1e-9 * singular[0]]  # a constant or repeated operand adds nothing


def wrapped_errors(values: np.ndarray, target: np.ndarray, basis: np.ndarray) -> np.ndarray:
    """Max-abs error of the least-squares fit c * v + (span of ``basis``), per row v of values.

    Both sides are projected off the basis, leaving a one-coefficient regression per row.
    """
    residual = values - (values @ basis) @ basis.T
    goal = target - basis @ (basis.T @ target)
    power = np.einsum("ij,ij->i", residual, residual)
    slope = np.divide(residual @ goal, power, out=np.zeros(len(values)), where=power > 1e-300)
    return np.max(np.abs(goal[None, :] - slope[:, None] * residual), axis=1)


def allows_linear_part(problem: Problem) -> bool:
    """Add c0 + sum b_i x_i to a tree only with enough distinct points to tell it apart from
    overfitting (on the 8 points of three bits, 5 free coefficients would fit almost anything)."""
    return len(problem.x) >= LINEAR_POINTS_PER_COEFFICIENT * (problem.arity + 2)


class _Enumerator:
    """One enumeration run; ids[s] / values[s] hold the trees of size s and their screen values."""

    def __init__(self, problem: Problem, time_limit: float, started: float) -> None:
        self.problem = problem
        index = subsample_index(np.column_stack([problem.x, problem.y]), SCREEN_ROWS, problem.seed)
        self.screen_x = problem.x[index]
        self.screen_y = problem.y[index]
        self.budget = max(1, int(CANDIDATES_PER_SECOND * time_limit))
        self.deadline = started + SAFETY_FACTOR * time_limit
        self.result = TreeSearch()
        self.ids: dict[int, np.ndarray] = {}
        self.values: dict[int, np.ndarray] = {}
        self.seen: set[int] = set()
        self.best_screen: tuple[float, int] | None = None
        self.hash = _HASH[: len(self.screen_y)]
        self.result.linear = allows_linear_part(problem)
        self.screen_basis = wrapper_basis(self.screen_x, self.result.linear)
        self.full_basis = wrapper_basis(problem.x, self.result.linear)
        self.unary = UNARY + (
            tuple(op for m in ENUMERATION_MODULI for op in (mod(m), floordiv(m)))
            if any(problem.integer)
            else ()
        )

    def run(self) -> TreeSearch:
        self._leaves()
        for size in range(2, MAX_SIZE + 1):
            ids: list[np.ndarray] = []
            values: list[np.ndarray] = []
            passing: list[np.ndarray] = []
            exhausted = False
            for op, children, candidate_values in self._candidates(size):
                self.result.tried += len(candidate_values)
                new_ids, kept, ok = self._admit(op, children, candidate_values)
                ids.append(new_ids)
                values.append(kept)
                passing.append(new_ids[ok])
                if (
                    self.result.tried >= self.budget
                    or self.result.count >= MAX_NODES
                    or time.process_time() > self.deadline
                ):
                    exhausted = True
                    break
            width = len(self.screen_y)
            self.ids[size] = np.concatenate(ids) if ids else np.zeros(0, dtype=np.int64)
            self.values[size] = np.concatenate(values) if values else np.zeros((0, width))
            within = self._verify(np.concatenate(passing) if passing else [])
            if within is not None:
                self.result.within = self.result.most_accurate = within
                return self.result
            if exhausted:
                break
        if self.best_screen is not None:
            self.result.most_accurate = self._full_fit(self.best_screen[1])
        return self.result

    def _leaves(self) -> None:
        leaves: list[sympy.Expr | int] = [*range(self.problem.arity), *CONSTANTS]
        columns = [self.screen_x[:, i] for i in range(self.problem.arity)]
        columns += [np.full(len(self.screen_y), float(c)) for c in CONSTANTS]
        kept = []
        for leaf, column, key in zip(leaves, columns, self._key(np.array(columns)), strict=True):
            if key not in self.seen:
                self.seen.add(key)
                self.result.leaves.append(leaf)
                kept.append(column)
        self.ids[1] = np.arange(len(kept))
        self.values[1] = np.array(kept)
        operands = [i for i, leaf in enumerate(self.result.leaves) if isinstance(leaf, int)]
        self._track(self.values[1][operands], np.array(operands, dtype=np.int64))

    def _candidates(self, size: int) -> Iterator[tuple[Op, np.ndarray, np.ndarray]]:
        """(operator, child id rows, values) chunks of every tree of this size, in fixed order."""
        for op in self.unary:
            below = size - op.cost
            if below < 1 or not len(self.ids.get(below, ())):
                continue
            source, ids = self.values[below], self.ids[below]
            if op.integer_only:
                whole = np.all(np.abs(source - np.round(source)) < 1e-9, axis=1)
                source, ids = source[whole], ids[whole]
            for start in range(0, len(ids), CHUNK):
                with np.errstate(all="ignore"):
                    values = op.numeric(source[start : start + CHUNK])
                yield op, ids[start : start + CHUNK, None], values
        for op in BINARY:
            for left in range(1, size - 1):
                right = size - 1 - left
                if op.commutative and left > right:
                    continue
                if not len(self.ids.get(left, ())) or not len(self.ids.get(right, ())):
                    continue
                a, b = self.values[left], self.values[right]
                if op.commutative and left == right:
                    rows, cols = np.triu_indices(len(a))
                else:
                    rows, cols = (g.ravel() for g in np.indices((len(a), len(b))))
                left_ids, right_ids = self.ids[left], self.ids[right]
                for start in range(0, len(rows), CHUNK):
                    r, c = rows[start : start + CHUNK], cols[start : start + CHUNK]
                    with np.errstate(all="ignore"):
                        values = op.numeric(a[r], b[c])
                    yield op, np.column_stack([left_ids[r], right_ids[c]]), values

    def _admit(
        self, op: Op, children: np.ndarray, values: np.ndarray
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Keep finite, non-constant, unseen trees; return their ids, values, screen verdicts."""
        with np.errstate(all="ignore"):
            magnitude = np.max(np.abs(values), axis=1)
            spread = np.max(values, axis=1) - np.min(values, axis=1)
        useful = np.isfinite(magnitude) & (magnitude < 1e9) & (spread > 1e-9 * (1 + magnitude))
        rows = np.flatnonzero(useful)
        fresh = []
        for row, key in zip(rows.tolist(), self._key(values[rows]), strict=True):
            if key not in self.seen:
                self.seen.add(key)
                fresh.append(row)
        start = self.result.count
        self.result.segments.append(Segment(start, op, children[fresh]))
        ids = np.arange(start, start + len(fresh), dtype=np.int64)
        kept = values[fresh]
        return ids, kept, self._track(kept, ids)

    def _track(self, values: np.ndarray, ids: np.ndarray) -> np.ndarray:
        """Screen errors of new trees; remember the most accurate; say which pass tolerance."""
        if not len(ids):
            return np.zeros(0, dtype=bool)
        errors = wrapped_errors(values, self.screen_y, self.screen_basis)
        best = int(np.argmin(errors))
        if self.best_screen is None or errors[best] < self.best_screen[0]:
            self.best_screen = (float(errors[best]), int(ids[best]))
        return errors <= self.problem.tolerance

    def _key(self, values: np.ndarray) -> list[int]:
        """A 64-bit fingerprint of each row, quantised to ~1e-9 of the row's magnitude."""
        if not len(values):
            return []
        magnitude = np.max(np.abs(values), axis=1)
        exponent = np.where(
            magnitude > 0, np.ceil(np.log2(np.maximum(magnitude, 1e-300))), 0
        ).astype(np.int64)
        quantised = np.round(values * np.exp2(30 - exponent)[:, None]).astype(np.int64)
        with np.errstate(over="ignore"):
            mixed = quantised.view(np.uint64) @ self.hash + exponent.view(np.uint64) * _EXPONENT_MIX
        return mixed.tolist()

    def _verify(self, node_ids) -> TreeFit | None:
        """The best of this size's screen-passing trees that also fit on all fitting points."""
        fits = [self._full_fit(int(i)) for i in node_ids]
        within = [f for f in fits if f.error <= self.problem.tolerance]
        if not within:
            return None
        quantum = ERROR_QUANTUM * self.problem.tolerance
        return min(within, key=lambda f: (np.floor(f.error / quantum), f.node))

    def _full_fit(self, node_id: int) -> TreeFit:
        values = self.result.values(node_id, self.problem.x, {})
        if not np.all(np.isfinite(values)):
            return TreeFit(node_id, float("inf"))
        error = wrapped_errors(values[None, :], self.problem.y, self.full_basis)[0]
        return TreeFit(node_id, float(error))
