"""What happened to each node across the pipeline, and the facts a report shows about it.

The compiler records the IR after lowering and after every pass (``CompileReport.stages``).
Simplify inlines resolved heads and sub-MLPs into the output rule, so the final IR no longer
holds them; a report needs each node as it was when a pass resolved it (its evidence), and the
pass that later removed it. ``stories`` recovers both from the stages.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import sympy

from w2c.compiler.ir import IR, Attend, Expr, Node, SubMLP, sym
from w2c.report.attention import attention_map, text_grid

Stages = Sequence[tuple[str, IR]]


@dataclass(frozen=True)
class NodeStory:
    """A lowered node: where a pass resolved it, its state then, and where it was removed."""

    lowered: Node
    node: Node  # the node right after the pass that resolved it, else its last state
    resolved_by: str | None  # pass name; "lower" for nodes that were resolved from the start
    removed_by: str | None  # the pass after which the node no longer exists


def stories(stages: Stages) -> dict[str, NodeStory]:
    """Every node of the lowered IR (``stages[0]``), in order, with its story."""
    lowered = stages[0][1]
    found: dict[str, NodeStory] = {}
    for first in lowered.nodes:
        node, resolved_by, removed_by = first, "lower" if first.resolved else None, None
        for pass_name, ir in stages[1:]:
            current = next((n for n in ir.nodes if n.name == first.name), None)
            if current is None:
                removed_by = pass_name
                break
            if resolved_by is None and current.resolved:
                node, resolved_by = current, pass_name
            elif resolved_by in (None, "lower"):  # unresolved, or annotated by later passes
                node = current
        found[first.name] = NodeStory(first, node, resolved_by, removed_by)
    return found


def _number(value: Any) -> float | None:
    return None if value is None else float(value)


def head_facts(story: NodeStory, attended: np.ndarray, pad: int) -> dict[str, Any]:
    """A head's operands, the routing pattern found, its evidence and its attention map."""
    op = story.lowered.op
    assert isinstance(op, Attend)
    evidence = story.node.evidence
    offsets = (np.arange(attended.shape[1])[None, :] - attended).ravel()
    values, counts = np.unique(offsets, return_counts=True)
    matrix = attention_map(attended, pad)
    return {
        "name": story.lowered.name,
        "layer": op.layer,
        "head": op.head,
        "query": op.query,
        "key": op.key,
        "value": op.value,
        "pattern": evidence.get("best_pattern", story.node.op.describe()),
        "resolved": story.node.resolved,
        "agreement": _number(evidence.get("agreement")),
        "output_agreement": _number(evidence.get("output_agreement")),
        "samples": evidence.get("samples", int(attended.size)),  # every traced position
        "offsets": {str(int(v)): int(c) for v, c in zip(values, counts, strict=True)},
        "attention": {
            "first_key": -pad,
            "map": [[round(float(v), 4) for v in row] for row in matrix],
        },
        "grid": text_grid(matrix, pad),
    }


def fit_expression(story: NodeStory) -> sympy.Expr | None:
    """The symbolic fit of a sub-MLP over its operands' symbols (accepted or best attempt)."""
    if isinstance(story.node.op, Expr):
        return story.node.op.expr
    text = story.node.evidence.get("fit")
    if not isinstance(text, str):
        return None
    op = story.lowered.op
    assert isinstance(op, SubMLP)
    names = {name: sym(name) for name in op.inputs}
    try:
        return sympy.sympify(text, locals=names)
    except (sympy.SympifyError, SyntaxError, TypeError):
        return None


def mlp_facts(story: NodeStory) -> dict[str, Any]:
    """A sub-MLP's operands and its symbolic fit with the fit's evidence."""
    op = story.lowered.op
    assert isinstance(op, SubMLP)
    evidence = story.node.evidence
    fit = None
    if "fit" in evidence or isinstance(story.node.op, Expr):
        expr = fit_expression(story)
        fit = {
            "expr": str(expr) if expr is not None else evidence.get("fit"),
            "accepted": story.node.resolved,
            "backend": evidence.get("backend"),
            "max_abs_error": _number(evidence.get("max_abs_error")),
            "rmse": _number(evidence.get("rmse")),
            "tolerance": _number(evidence.get("tolerance")),
            "samples": evidence.get("samples"),
            "complexity": evidence.get("complexity"),
        }
    return {
        "name": story.lowered.name,
        "layer": op.layer,
        "index": op.index,
        "inputs": list(op.inputs),
        "hidden": int(op.w1.shape[1]),
        "fit": fit,
    }


def heads(found: dict[str, NodeStory], traces: Any, pad: int) -> list[dict[str, Any]]:
    """Facts of every attention head, in network order."""
    return [
        head_facts(story, traces.attention[name], pad)
        for name, story in found.items()
        if isinstance(story.lowered.op, Attend)
    ]


def mlp_stories(found: dict[str, NodeStory]) -> list[NodeStory]:
    return [story for story in found.values() if isinstance(story.lowered.op, SubMLP)]


def mlps(found: dict[str, NodeStory]) -> list[dict[str, Any]]:
    """Facts of every sub-MLP, in network order."""
    return [mlp_facts(story) for story in mlp_stories(found)]
