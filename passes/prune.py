"""prune: drop output terms too small to matter, merge duplicate nodes, remove dead nodes.

An output term is dropped when its largest contribution over the traces is below epsilon
(1e-4 of the output's magnitude over its grid spacing for tasks with an output grid, where
rounding to the grid absorbs it; ``REAL_TRACE_TOLERANCE`` of w2c/contract.py for real outputs),
for each output node on its own. Two nodes with the same resolved
op over the same operands (e.g. two offset-1 heads) are merged and their output weights added.
Nodes the output no longer reads are removed.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import ClassVar

import numpy as np

from w2c.compiler.ir import IR, UNRESOLVED, Input, Node, Output
from w2c.compiler.pipeline import Context, Pass
from w2c.contract import REAL_TRACE_TOLERANCE


def epsilon(context: Context, output: str = "y") -> float:
    """The smallest contribution an output term must reach to stay in ``output``."""
    scale = max(1.0, float(np.max(np.abs(context.traces.values[output]))))
    grid = context.task.output_grid
    return (REAL_TRACE_TOLERANCE if grid is None else 1e-4 / grid) * scale


def _rename(op, mapping: dict[str, str]):  # type: ignore[no-untyped-def]
    """The same op reading renamed operands (dataclass fields that hold node names)."""
    changes = {}
    for key, value in vars(op).items():
        if isinstance(value, str) and value in mapping:
            changes[key] = mapping[value]
        elif isinstance(value, tuple) and value and all(isinstance(v, str) for v in value):
            changes[key] = tuple(mapping.get(v, v) for v in value)
    return replace(op, **changes) if changes else op


def merge_duplicates(ir: IR) -> tuple[IR, dict[str, str]]:
    """Nodes whose resolved op (after renaming) equals an earlier node's op become aliases."""
    mapping: dict[str, str] = {}
    first_by_op: dict[object, str] = {}
    nodes: list[Node] = []
    for node in ir.nodes:
        op = _rename(node.op, mapping)
        if isinstance(op, Output):
            merged: dict[str, float] = {}
            for name, weight in op.terms:
                merged[mapping.get(name, name)] = merged.get(mapping.get(name, name), 0.0) + weight
            op = replace(op, terms=tuple(merged.items()))
        key = op if not isinstance(op, (Output, Input, *UNRESOLVED)) else None
        if key is not None and key in first_by_op:
            mapping[node.name] = first_by_op[key]
            continue
        if key is not None:
            first_by_op[key] = node.name
        nodes.append(Node(node.name, op, node.domain, node.evidence))
    return ir.with_nodes(nodes), mapping


def drop_small_terms(ir: IR, context: Context) -> IR:
    for output in ir.outputs:
        out = ir.node(output)
        assert isinstance(out.op, Output)
        limit = epsilon(context, output)
        values = context.traces.values
        kept, dropped = [], []
        for name, weight in out.op.terms:
            contribution = abs(weight) * out.op.scale * float(np.max(np.abs(values[name])))
            (kept if contribution >= limit else dropped).append((name, weight))
        evidence = dict(out.evidence, pruned_terms=[n for n, _ in dropped], prune_epsilon=limit)
        ir = ir.replace_node(output, op=replace(out.op, terms=tuple(kept)), evidence=evidence)
    return ir


def remove_dead(ir: IR) -> IR:
    live = ir.live()
    return ir.with_nodes(n for n in ir.nodes if n.name in live or isinstance(n.op, Input))


@dataclass(frozen=True)
class Prune(Pass):
    """prune: drop output terms too small to matter, merge duplicate nodes, remove dead nodes."""

    name: ClassVar[str] = "prune"

    def run(self, ir: IR, context: Context) -> IR:
        ir, _ = merge_duplicates(ir)
        return remove_dead(drop_small_terms(ir, context))


PASS = Prune
