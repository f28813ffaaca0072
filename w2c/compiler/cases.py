"""Decision lists over a few features of a finite domain (the DecisionList op of ir.py).

Shared by the passes that describe a node case by case (docs/compiler.md, "Rules on a finite
domain"): attention_patterns, for a head that follows one pattern in some cells of its
features and another (or reads a pad) in others, and mlp_symbolic, for a sub-MLP that symbolic
regression cannot fit, as a table of its exact values over its operands' domain.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from w2c.compiler.ir import Cell, DecisionList, Op

MAX_CELLS = 64  # a decision list over more cells than this is no longer a readable rule


def cells(features: Sequence[np.ndarray]) -> tuple[np.ndarray, list[Cell]]:
    """The cell of every position (an index into the sorted value tuples) and those tuples."""
    stacked = np.stack([np.round(np.ravel(f), 9) for f in features], axis=1)
    unique, index = np.unique(stacked, axis=0, return_inverse=True)
    return np.ravel(index), [tuple(float(v) for v in row) for row in unique]


def explained(right: np.ndarray, cell_of: np.ndarray, count: int) -> np.ndarray:
    """ok[c, cell]: outcome c is right at every position of the cell (``right`` is [C, N])."""
    ok = np.ones((right.shape[0], count), dtype=bool)
    for cell in range(count):
        ok[:, cell] = right[:, cell_of == cell].all(axis=1)
    return ok


def cover(ok: np.ndarray) -> list[int] | None:
    """An outcome per cell, as few distinct ones as the greedy set cover finds; None if a cell
    has none. Outcomes are listed simplest first, and ties go to the simplest."""
    if not ok.any(axis=0).all():
        return None
    choice = np.full(ok.shape[1], -1)
    while (choice < 0).any():
        open_cells = choice < 0
        best = int(np.argmax(ok[:, open_cells].sum(axis=1)))  # the first (simplest) on ties
        choice[open_cells & ok[best]] = best
    return [int(c) for c in choice]


def assemble(
    features: tuple[tuple[str, int], ...],
    cell_values: Sequence[Cell],
    choice: Sequence[int],
    outcomes: Sequence[Op],
) -> Op:
    """The decision list: the outcome over most cells is the default (simplest on ties), the
    others are cases in the outcomes' order; a single outcome is returned as itself."""
    groups: dict[int, list[Cell]] = {}
    for cell, index in zip(cell_values, choice, strict=True):
        groups.setdefault(index, []).append(cell)
    if len(groups) == 1:
        return outcomes[next(iter(groups))]
    default = min(groups, key=lambda index: (-len(groups[index]), index))
    cases = tuple(
        (tuple(groups[index]), outcomes[index]) for index in sorted(groups) if index != default
    )
    return DecisionList(features, cases, outcomes[default])


def size(rule: Op) -> int:
    """A decision list's description length, comparable to a formula's node count: per case
    its test, its listed values and its outcome; plus the default (any other op counts 1)."""
    if not isinstance(rule, DecisionList):
        return 1
    listed = sum(2 + len(cells) * len(rule.features) for cells, _ in rule.cases)
    return listed + 1
