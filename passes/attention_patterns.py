"""attention_patterns: hypothesis tests that turn each hardened head into a routing primitive.

For every unresolved head the traced output is compared, position by position, with what each
candidate pattern predicts from the head's own operands: a fixed offset delta (0..T-1), the first
position, the arg-max/min of the key over a window of the last z positions (pads read 0; ties
to the earliest or latest position), and the value at the last earlier position whose key
equals the current query. The head agreement is the fraction of positions where the prediction
equals the head's output.

A head can deviate from its pattern exactly where the deviation cannot matter (a max over
x[t] and the head ignores the head whenever x[t] is larger), so each candidate is also tested
where it counts: the whole network is re-evaluated with the head replaced by the candidate,
and the output agreement is the fraction of traced positions whose output is unchanged
(identical after rounding for integer tasks; within relMSE 1e-9 for real tasks). A candidate
whose output agreement is 1 is accepted (the one with the best head agreement, simplest on
ties); failing that, the best candidate whose head agreement reaches the threshold (default
0.99). Otherwise the head stays unresolved and is reported.
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
    evaluate,
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


MIN_HEAD_AGREEMENT = 0.5  # below this a candidate is not worth re-evaluating the network for


def output_agreement(ir: IR, name: str, candidate: Op, context: Context) -> float:
    """Fraction of traced outputs unchanged when head ``name`` is replaced by ``candidate``."""
    traces = context.traces
    try:
        values = evaluate(ir.replace_node(name, op=candidate), traces.inputs)["y"]
    except (TypeError, ValueError):  # something downstream cannot be evaluated
        return 0.0
    target = traces.values["y"]
    if context.task.discrete:
        return float(np.mean(np.round(values) == np.round(target)))
    rel = float(np.mean((values - target) ** 2) / max(float(np.var(target)), 1e-12))
    return 1.0 if rel <= 1e-9 else 0.0


def resolve_head(ir: IR, node: Node, op: Attend, context: Context) -> Node:
    values = context.traces.values
    actual = values[node.name]
    env = {name: values[name] for name in op.operands()}
    inputs = {"_": actual}
    scored = []
    for order, candidate in enumerate(candidates(op, context.task.length)):
        score = agreement(evaluate_op(candidate, env, inputs), actual)
        scored.append((score, -order, candidate))
    scored.sort(key=lambda item: item[:2], reverse=True)
    best_score, _, best = scored[0]
    chosen, output_score = None, None
    for score, _, candidate in scored:
        if score < MIN_HEAD_AGREEMENT:
            break
        if output_agreement(ir, node.name, candidate, context) == 1.0:
            chosen, best_score, output_score = candidate, score, 1.0
            break
    evidence = dict(node.evidence)
    evidence.update(
        agreement=best_score if chosen is None else best_score,
        output_agreement=output_score,
        samples=int(actual.size),
        threshold=context.options.attention_threshold,
        best_pattern=(chosen or best).describe(),
    )
    if chosen is None and best_score >= context.options.attention_threshold:
        chosen = best
    if chosen is not None:
        evidence["method"] = "attention_patterns"
        return Node(node.name, chosen, node.domain, evidence)
    evidence["method"] = "unmatched"
    return Node(node.name, op, node.domain, evidence)


def run(ir: IR, context: Context) -> IR:
    for node in ir.nodes:
        if isinstance(node.op, Attend):
            resolved = resolve_head(ir, node, node.op, context)
            ir = ir.with_nodes(resolved if n.name == node.name else n for n in ir.nodes)
    return ir


PASS = Pass("attention_patterns", run, __doc__.splitlines()[0])
