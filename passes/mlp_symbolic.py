"""mlp_symbolic: symbolic regression of each sub-MLP from its traced input/output pairs.

The operands' traced values (model units) and the sub-MLP's traced output go to the selected
backend of ``w2c.sr`` (``library`` by default: in-process, deterministic). A fit within the
backend's tolerance replaces the node by an Expr over its operands, carrying the fit's evidence;
when every operand has a finite domain of at most MAX_TABLE_CELLS combinations, the node may
instead become a table: the hardened sub-MLP evaluated on every combination, each value the
simplest fraction (denominator <= 12) within the tolerance or else its float, written as a
decision list over the operands (the most frequent value as the default). The table is taken
when no formula fits, or when it is the shorter description (``cases.size`` below the fit's
node count: a formula of Mod terms that merely interpolates five points loses to their
table). Only a node that fits neither stays unresolved (a marked NumPy fallback) and is
reported.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from typing import ClassVar

import numpy as np
import sympy

from w2c.compiler import cases
from w2c.compiler.ir import IR, DomainInfo, Expr, Node, Op, SubMLP, sym
from w2c.compiler.pipeline import Context, Options, Pass
from w2c.sr import OperandDomain, default_tolerance, fit
from w2c.sr.rational import nearest_rational

MAX_TABLE_CELLS = cases.MAX_CELLS


def operand_domain(domain: DomainInfo | None, values: np.ndarray) -> OperandDomain:
    if domain is None:
        finite = np.unique(values)
        return OperandDomain(None, float(finite.min()), float(finite.max()), False)
    return OperandDomain(domain.values, domain.lo, domain.hi, domain.integer)


def resolve_mlp(ir: IR, node: Node, op: SubMLP, context: Context, options: MlpSymbolic) -> Node:
    values = context.traces.values
    operands = tuple(dict.fromkeys(op.inputs))  # a sub-MLP may read one variable twice
    inputs = np.stack([values[name].ravel() for name in operands], axis=1)
    outputs = values[node.name].ravel()
    domains = [operand_domain(ir.node(name).domain, values[name]) for name in operands]
    symbols = [sym(name) for name in operands]
    result = fit(
        inputs,
        outputs,
        symbols,
        domains,
        backend=options.backend,
        seed=options.seed,
        time_limit=options.time_limit,
    )
    tolerance = default_tolerance(outputs)
    evidence = dict(node.evidence)
    evidence.update(
        backend=result.backend,
        max_abs_error=result.max_abs_error,
        rmse=result.rmse,
        samples=result.samples,
        complexity=result.complexity,
        tolerance=tolerance,
        fit=str(result.expr),
        sr_seconds=result.seconds,
    )
    fits = result.max_abs_error <= tolerance
    rule = table(ir, op, operands, tolerance)
    if rule is not None:
        error = float(np.max(np.abs(rule.evaluate(values, values) - values[node.name])))
        size = cases.size(rule)
        if error <= tolerance and (not fits or size < result.complexity):
            evidence.update(method="mlp_symbolic", rule="table", max_abs_error=error, size=size)
            return Node(node.name, rule, node.domain, evidence)
    if fits:
        evidence["method"] = "mlp_symbolic"
        return Node(node.name, Expr(result.expr, operands), node.domain, evidence)
    evidence["method"] = "unresolved"
    return Node(node.name, op, node.domain, evidence)


def exact_value(value: float, tolerance: float) -> sympy.Expr:
    """The simplest fraction (denominator <= 12) within ``tolerance``, else the float."""
    fraction = nearest_rational(value)
    if fraction is not None and abs(float(fraction) - value) <= tolerance:
        return sympy.Rational(fraction.numerator, fraction.denominator)
    return sympy.Float(value)


def table(ir: IR, op: SubMLP, operands: tuple[str, ...], tolerance: float) -> Op | None:
    """The sub-MLP on every combination of its operands' finite domains, as a decision list."""
    domains = [ir.node(name).domain for name in operands]
    if any(d is None or d.values is None for d in domains):
        return None
    grid = list(itertools.product(*[d.values for d in domains]))  # type: ignore[union-attr]
    if len(grid) > MAX_TABLE_CELLS:
        return None
    points = np.array(grid, dtype=float)
    column = {name: points[:, i] for i, name in enumerate(operands)}
    outputs = op.apply(*[column[name] for name in op.inputs])
    constants = [exact_value(float(v), tolerance) for v in outputs]
    outcomes = list(dict.fromkeys(constants))
    choice = [outcomes.index(c) for c in constants]
    ops: list[Op] = [Expr(c, ()) for c in outcomes]
    features = tuple((name, 0) for name in operands)
    return cases.assemble(features, [tuple(row) for row in grid], choice, ops)


@dataclass(frozen=True)
class MlpSymbolic(Pass):
    """mlp_symbolic: symbolic regression of each sub-MLP from its traced input/output pairs."""

    name: ClassVar[str] = "mlp_symbolic"
    backend: str = "library"  # w2c.sr.api.BACKENDS
    seed: int = 0
    time_limit: float = 2.0  # seconds of search per sub-MLP

    @classmethod
    def configured(cls, options: Options) -> MlpSymbolic:
        return cls(options.sr_backend, options.seed, options.sr_time_limit)

    def run(self, ir: IR, context: Context) -> IR:
        return ir.with_nodes(
            resolve_mlp(ir, node, node.op, context, self) if isinstance(node.op, SubMLP) else node
            for node in ir.nodes
        )


PASS = MlpSymbolic
