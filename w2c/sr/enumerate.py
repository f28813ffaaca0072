"""Bounded bottom-up enumeration of small expression trees, each wrapped as c * E + d.

Used when no small feature subset fits. Trees are built by size (node count: a leaf is 1, an
operator adds 1, mod/floor add 2 for their modulus) from the operands and the constants
1, -1, 2, 1/2 with + - * /, min, max, relu, abs, and mod/floor by 2..6 on integer-valued
subtrees. Two subtrees with the same values on a small screening set of points are the same
subtree (observational equivalence), so each distinct function is kept once, in its smallest
and earliest form. Every new tree gets the least-squares affine wrapper on the screening points;
the ones within tolerance there are refit and checked on all fitting points.

The search stops after the first size with a tree within tolerance (the best of that size wins:
lowest quantised error, then enumeration order), at MAX_SIZE, or when the work budget runs out.
The budget is a count of candidate trees proportional to ``time_limit``, so results do not depend
on machine speed; the wall clock is only a safety stop.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from dataclasses import dataclass, field

import numpy as np
import sympy

from w2c.sr.ops import BINARY, UNARY, Op, floordiv, mod
from w2c.sr.samples import Problem, subsample_index

MAX_SIZE = 9
SCREEN_ROWS = 128
CHUNK = 4096
#: Candidate trees per second of ``time_limit`` (measured ~3x faster on a 2-core machine).
CANDIDATES_PER_SECOND = 150_000
ENUMERATION_MODULI = tuple(range(2, 7))
CONSTANTS = (sympy.Integer(1), sympy.Integer(-1), sympy.Integer(2), sympy.Rational(1, 2))
ERROR_QUANTUM = 1e-3
_HASH = np.random.default_rng(20240607).integers(1, 2**63, size=(2, SCREEN_ROWS), dtype=np.int64)


@dataclass(frozen=True)
class Node:
    """A tree: a leaf (``op`` None, ``leaf`` its expression or operand index) or an operator."""

    size: int
    op: Op | None = None
    children: tuple[int, ...] = ()
    leaf: sympy.Expr | int | None = None


@dataclass(frozen=True)
class TreeFit:
    """An enumerated tree (node id) with its affine-wrapped max-abs error on the fitting points."""

    node: int
    error: float


@dataclass
class TreeSearch:
    """Outcome: the best tree within tolerance (or None), the most accurate seen, work done."""

    nodes: list[Node] = field(default_factory=list)
    within: TreeFit | None = None
    most_accurate: TreeFit | None = None
    tried: int = 0

    def expression(self, node_id: int, symbols: tuple[sympy.Symbol, ...]) -> sympy.Expr:
        """The sympy expression of a node (built only for the trees that are returned)."""
        node = self.nodes[node_id]
        if node.op is None:
            return symbols[node.leaf] if isinstance(node.leaf, int) else node.leaf
        return node.op.symbolic(*(self.expression(c, symbols) for c in node.children))

    def values(self, node_id: int, x: np.ndarray, memo: dict[int, np.ndarray]) -> np.ndarray:
        """The node's values on the rows of ``x`` (for the check on all fitting points)."""
        if node_id not in memo:
            node = self.nodes[node_id]
            if node.op is None:
                if isinstance(node.leaf, int):
                    memo[node_id] = x[:, node.leaf]
                else:
                    memo[node_id] = np.full(len(x), float(node.leaf))
            else:
                with np.errstate(all="ignore"):
                    memo[node_id] = node.op.numeric(
                        *(self.values(c, x, memo) for c in node.children)
                    )
        return memo[node_id]


def search_trees(problem: Problem, time_limit: float) -> TreeSearch:
    """Enumerate trees by size until one fits within tolerance or the budget is spent."""
    return _Enumerator(problem, time_limit).run()


def affine_errors(values: np.ndarray, target: np.ndarray) -> np.ndarray:
    """Max-abs error of the least-squares fit c * v + d, for each row v of ``values``."""
    centred = values - values.mean(axis=1, keepdims=True)
    goal = target - target.mean()
    power = np.einsum("ij,ij->i", centred, centred)
    slope = np.divide(centred @ goal, power, out=np.zeros(len(values)), where=power > 0)
    return np.max(np.abs(goal[None, :] - slope[:, None] * centred), axis=1)


class _Enumerator:
    """One enumeration run; levels[s] holds the node ids and screening values of size s."""

    def __init__(self, problem: Problem, time_limit: float) -> None:
        self.problem = problem
        index = subsample_index(np.column_stack([problem.x, problem.y]), SCREEN_ROWS, problem.seed)
        self.screen_x = problem.x[index]
        self.screen_y = problem.y[index]
        self.budget = max(1, int(CANDIDATES_PER_SECOND * time_limit))
        self.deadline = time.monotonic() + time_limit
        self.result = TreeSearch()
        self.ids: dict[int, list[int]] = {}
        self.values: dict[int, np.ndarray] = {}
        self.seen: set[tuple[int, int, int]] = set()
        self.best_screen: tuple[float, int] | None = None
        self.hash = _HASH[:, : len(self.screen_y)].astype(np.uint64)
        self.unary = UNARY + (
            tuple(op for m in ENUMERATION_MODULI for op in (mod(m), floordiv(m)))
            if any(problem.integer)
            else ()
        )

    def run(self) -> TreeSearch:
        self._leaves()
        for size in range(2, MAX_SIZE + 1):
            passing: list[int] = []
            exhausted = False
            new_ids: list[int] = []
            new_values: list[np.ndarray] = []
            for op, children, values in self._candidates(size):
                self.result.tried += len(values)
                ids, kept, screen_ok = self._admit(size, op, children, values)
                new_ids += ids
                new_values.append(kept)
                passing += [i for i, ok in zip(ids, screen_ok, strict=True) if ok]
                if self.result.tried >= self.budget or time.monotonic() > self.deadline:
                    exhausted = True
                    break
            self.ids[size] = new_ids
            self.values[size] = (
                np.concatenate(new_values) if new_values else np.zeros((0, len(self.screen_y)))
            )
            within = self._verify(passing)
            if within is not None:
                self.result.within = self.result.most_accurate = within
                return self.result
            if exhausted:
                break
        if self.best_screen is not None:
            self.result.most_accurate = self._full_fit(self.best_screen[1])
        return self.result

    def _leaves(self) -> None:
        leaves: list[Node] = [Node(1, leaf=i) for i in range(self.problem.arity)]
        leaves += [Node(1, leaf=c) for c in CONSTANTS]
        columns = [self.screen_x[:, i] for i in range(self.problem.arity)]
        columns += [np.full(len(self.screen_y), float(c)) for c in CONSTANTS]
        ids, kept = [], []
        for node, column in zip(leaves, columns, strict=True):
            key = self._key(column[None, :])[0]
            if key in self.seen:
                continue
            self.seen.add(key)
            self.result.nodes.append(node)
            ids.append(len(self.result.nodes) - 1)
            kept.append(column)
            if isinstance(node.leaf, int):
                self._track(np.array(column)[None, :], [ids[-1]])
        self.ids[1] = ids
        self.values[1] = np.array(kept)

    def _candidates(self, size: int) -> Iterator[tuple[Op, np.ndarray, np.ndarray]]:
        """(operator, child id rows, values) chunks of every tree of this size, in fixed order."""
        for op in self.unary:
            below = size - op.cost
            if below < 1 or not self.ids.get(below):
                continue
            source = self.values[below]
            ids = np.array(self.ids[below])
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
                if not self.ids.get(left) or not self.ids.get(right):
                    continue
                a, b = self.values[left], self.values[right]
                if op.commutative and left == right:
                    rows, cols = np.triu_indices(len(a))
                else:
                    rows, cols = (g.ravel() for g in np.indices((len(a), len(b))))
                left_ids, right_ids = np.array(self.ids[left]), np.array(self.ids[right])
                for start in range(0, len(rows), CHUNK):
                    r, c = rows[start : start + CHUNK], cols[start : start + CHUNK]
                    with np.errstate(all="ignore"):
                        values = op.numeric(a[r], b[c])
                    yield op, np.column_stack([left_ids[r], right_ids[c]]), values

    def _admit(
        self, size: int, op: Op, children: np.ndarray, values: np.ndarray
    ) -> tuple[list[int], np.ndarray, list[bool]]:
        """Keep finite, non-constant, unseen trees; return their ids, values, screen verdicts."""
        finite = np.all(np.isfinite(values), axis=1) & (np.max(np.abs(values), axis=1) < 1e9)
        spread = np.ptp(np.where(finite[:, None], values, 0.0), axis=1)
        scale = 1.0 + np.max(np.abs(np.where(finite[:, None], values, 0.0)), axis=1)
        useful = finite & (spread > 1e-9 * scale)
        rows = np.flatnonzero(useful)
        keys = self._key(values[rows])
        fresh: list[int] = []
        for row, key in zip(rows.tolist(), keys, strict=True):
            if key not in self.seen:
                self.seen.add(key)
                fresh.append(row)
        ids = []
        for row in fresh:
            self.result.nodes.append(Node(size, op, tuple(int(c) for c in children[row])))
            ids.append(len(self.result.nodes) - 1)
        kept = values[fresh]
        verdict = self._track(kept, ids)
        return ids, kept, verdict

    def _track(self, values: np.ndarray, ids: list[int]) -> list[bool]:
        """Screen errors of new trees; remember the most accurate; say which pass tolerance."""
        if not ids:
            return []
        errors = affine_errors(values, self.screen_y)
        best = int(np.argmin(errors))
        if self.best_screen is None or errors[best] < self.best_screen[0]:
            self.best_screen = (float(errors[best]), ids[best])
        return (errors <= self.problem.tolerance).tolist()

    def _key(self, values: np.ndarray) -> list[tuple[int, int, int]]:
        """A 128-bit fingerprint of each row, quantised to ~1e-9 of the row's magnitude."""
        magnitude = np.max(np.abs(values), axis=1) if values.size else np.zeros(len(values))
        exponent = np.ceil(np.log2(np.maximum(magnitude, 1e-300))).astype(np.int64)
        exponent = np.where(magnitude > 0, exponent, 0)
        quantised = np.round(values * np.exp2(30 - exponent)[:, None]).astype(np.int64)
        with np.errstate(over="ignore"):
            first = quantised.astype(np.uint64) @ self.hash[0]
            second = quantised.astype(np.uint64) @ self.hash[1]
        return list(zip(first.tolist(), second.tolist(), exponent.tolist(), strict=True))

    def _verify(self, node_ids: list[int]) -> TreeFit | None:
        """The best of this size's screen-passing trees that also fit on all fitting points."""
        fits = [self._full_fit(i) for i in node_ids]
        within = [f for f in fits if f.error <= self.problem.tolerance]
        if not within:
            return None
        quantum = ERROR_QUANTUM * self.problem.tolerance
        return min(within, key=lambda f: (np.floor(f.error / quantum), f.node))

    def _full_fit(self, node_id: int) -> TreeFit:
        values = self.result.values(node_id, self.problem.x, {})
        if not np.all(np.isfinite(values)):
            return TreeFit(node_id, float("inf"))
        return TreeFit(node_id, float(affine_errors(values[None, :], self.problem.y)[0]))
