"""The default ``library`` backend: best feature subset first, small trees only when needed."""

from __future__ import annotations

import time

import numpy as np
import sympy

from w2c.sr.enumerate import TreeSearch, search_trees
from w2c.sr.features import Feature, library
from w2c.sr.rational import linear_combination
from w2c.sr.records import Candidate
from w2c.sr.samples import Problem
from w2c.sr.subsets import SubsetSearch, best_subset


def fit_library(problem: Problem, time_limit: float) -> Candidate:
    """Fewest library features within tolerance; else the smallest enumerated tree; else the
    most accurate expression either stage saw."""
    start = time.process_time()
    features, core = library(problem, problem.x)
    subsets = best_subset(features, problem.y, problem.tolerance, core)
    if subsets.within is not None:
        return Candidate(_subset_expr(problem, features, subsets.within.indices), subsets.tried)
    trees = search_trees(problem, time_limit, start)
    tried = subsets.tried + trees.tried
    if trees.within is not None:
        return Candidate(_tree_expr(problem, trees, trees.within.node), tried)
    return Candidate(_most_accurate(problem, features, subsets, trees), tried)


def _subset_expr(problem: Problem, features: list[Feature], indices: tuple[int, ...]) -> sympy.Expr:
    """The subset's features plus the always-fitted intercept, coefficients snapped."""
    columns = [features[i].values for i in indices] + [np.ones(len(problem.y))]
    exprs = [features[i].expr for i in indices] + [sympy.Integer(1)]
    return linear_combination(np.column_stack(columns), exprs, problem.y, problem.tolerance)[0]


def _tree_expr(problem: Problem, trees: TreeSearch, node: int) -> sympy.Expr:
    columns = [trees.values(node, problem.x, {}), np.ones(len(problem.x))]
    exprs = [trees.expression(node, problem.symbols), sympy.Integer(1)]
    if trees.linear:
        columns += [problem.x[:, i] for i in range(problem.arity)]
        exprs += list(problem.symbols)
    return linear_combination(np.column_stack(columns), exprs, problem.y, problem.tolerance)[0]


def _most_accurate(
    problem: Problem, features: list[Feature], subsets: SubsetSearch, trees: TreeSearch
) -> sympy.Expr:
    """Nothing fits: the lower max-abs error of the two stages (the subset on a tie)."""
    subset, tree = subsets.most_accurate, trees.most_accurate
    if tree is None or subset.error <= tree.error:
        return _subset_expr(problem, features, subset.indices)
    return _tree_expr(problem, trees, tree.node)
