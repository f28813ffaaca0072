"""mlp_symbolic: symbolic regression of each sub-MLP from its traced input/output pairs.

The operands' traced values (model units) and the sub-MLP's traced output go to the selected
backend of ``w2c.sr`` (``library`` by default: in-process, deterministic). A fit within the
backend's tolerance replaces the node by an Expr over its operands, carrying the fit's evidence;
otherwise the node stays unresolved (emitted as a marked NumPy fallback) and is reported.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

import numpy as np

from w2c.compiler.ir import IR, DomainInfo, Expr, Node, SubMLP, sym
from w2c.compiler.pipeline import Context, Options, Pass
from w2c.sr import OperandDomain, default_tolerance, fit


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
    if result.max_abs_error <= tolerance:
        evidence["method"] = "mlp_symbolic"
        return Node(node.name, Expr(result.expr, operands), node.domain, evidence)
    evidence["method"] = "unresolved"
    return Node(node.name, op, node.domain, evidence)


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
