"""attention_patterns: hypothesis tests that turn each hardened head into a routing primitive.

For every unresolved head the traced output is compared, position by position, with what each
candidate pattern predicts from the head's own operands: a fixed offset delta (0..T-1), the first
position, the arg-max/min of the key over a window of the last z positions (pads read 0; ties
to the earliest or latest position), and the value at the last earlier position whose key
equals the current query. The agreement rate is the fraction of positions where the prediction
equals the head's output. The best pattern (simplest on ties) is accepted when its agreement
reaches the threshold (default 0.99); otherwise the head stays unresolved and is reported.
"""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np

from w2c.ir import (
    IR,
    Attend,
    FirstPosition,
    Node,
    Op,
    PrevMatch,
    Shift,
    WindowArgExtreme,
    evaluate_op,
)
from w2c.pipeline import Context, Pass


def candidates(op: Attend, length: int) -> Iterator[Op]:
    """Every hypothesis, simplest first."""
    for delta in range(length):
        yield Shift(op.value, delta)
    yield FirstPosition(op.value)
    for z in range(2, length + 1):
        for kind in ("max", "min"):
            for tie in ("first", "last"):
                if tie == "last" and op.key == op.value:
                    continue  # ties cannot change the value read
                yield WindowArgExtreme(op.value, op.key, z, kind, tie)
    yield PrevMatch(op.value, op.query, op.key)


def agreement(predicted: np.ndarray, actual: np.ndarray) -> float:
    close = np.abs(predicted - actual) <= 1e-9 * np.maximum(1.0, np.abs(actual))
    return float(np.mean(close))


def resolve_head(node: Node, op: Attend, context: Context) -> Node:
    values = context.traces.values
    actual = values[node.name]
    env = {name: values[name] for name in op.operands()}
    inputs = {"_": actual}
    best: tuple[float, Op] | None = None
    for candidate in candidates(op, context.task.length):
        score = agreement(evaluate_op(candidate, env, inputs), actual)
        if best is None or score > best[0]:
            best = (score, candidate)
        if score == 1.0:
            break
    assert best is not None
    score, pattern = best
    evidence = dict(node.evidence)
    evidence.update(
        agreement=score,
        samples=int(actual.size),
        threshold=context.options.attention_threshold,
        best_pattern=pattern.describe(),
    )
    if score >= context.options.attention_threshold:
        evidence["method"] = "attention_patterns"
        return Node(node.name, pattern, node.domain, evidence)
    evidence["method"] = "unmatched"
    return Node(node.name, op, node.domain, evidence)


def run(ir: IR, context: Context) -> IR:
    return ir.with_nodes(
        resolve_head(node, node.op, context) if isinstance(node.op, Attend) else node
        for node in ir.nodes
    )


PASS = Pass("attention_patterns", run, __doc__.splitlines()[0])
