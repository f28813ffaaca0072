"""infer_domains: the value set or interval of every node.

Inputs get exact domains from the task (an integer range, bits, a real interval; the feedback
inputs y[t-1] from the task's declared output domain when there is one). Every other node gets
the set of values it took in the traces (a finite set when at most 256 distinct values occur,
else an interval), marked as observed rather than exact. Reads before the start add 0.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

import numpy as np

from w2c.compiler.ir import IR, DomainInfo, Input, Node
from w2c.compiler.pipeline import Context, Pass
from w2c.tasks import Fractions, IntRange

MAX_VALUES = 256


def observed(values: np.ndarray) -> DomainInfo:
    """The domain seen in a trace."""
    flat = np.asarray(values, dtype=float).ravel()
    unique = np.unique(np.round(flat, 9))
    integer = bool(np.all(unique == np.round(unique)))
    finite = tuple(float(v) for v in unique) if len(unique) <= MAX_VALUES else None
    return DomainInfo(finite, float(unique.min()), float(unique.max()), integer, exact=False)


def _input_domain(node: Node, op: Input, context: Context) -> DomainInfo:
    task = context.task
    if op.channel in task.outputs:
        domain = task.output
    else:
        domain = task.inputs[task.channels.index(op.channel)]
    if domain is None:
        return observed(context.traces.values[node.name])
    lo, hi = domain.bounds
    if op.lag > 0:  # reads before the start are 0
        lo, hi = min(lo, 0.0), max(hi, 0.0)
    if isinstance(domain, (IntRange, Fractions)) and domain.size <= MAX_VALUES:
        values = set(domain.values().tolist()) | ({0.0} if op.lag > 0 else set())
        integer = isinstance(domain, IntRange)
        return DomainInfo(tuple(sorted(values)), lo, hi, integer, exact=True)
    return DomainInfo(None, lo, hi, isinstance(domain, IntRange), exact=True)


def node_domain(node: Node, context: Context) -> DomainInfo:
    """An input's domain comes from the task; any other traced node's from its traces."""
    if isinstance(node.op, Input):
        return _input_domain(node, node.op, context)
    if node.name in context.traces.values:
        return observed(context.traces.values[node.name])
    return node.domain


@dataclass(frozen=True)
class InferDomains(Pass):
    """infer_domains: the value set or range of every node, from the task's domains and traces."""

    name: ClassVar[str] = "infer_domains"

    def run(self, ir: IR, context: Context) -> IR:
        return ir.with_nodes(
            Node(n.name, n.op, node_domain(n, context), n.evidence) for n in ir.nodes
        )


PASS = InferDomains
