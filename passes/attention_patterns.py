"""attention_patterns: hypothesis tests that turn each hardened head into a routing primitive.

For every unresolved head the traced output is compared, position by position, with what each
candidate pattern predicts from the head's own operands: a fixed offset delta (0..T-1), the first
position, the arg-max/min of the key over a window of z positions ending delta steps back
(pads read 0; ties to the earliest or latest position), and the value at the last earlier
position whose key equals the current query; for a two-valued query (bits), a fixed offset
read only when the query has one of its values (the head reads a pad, 0, otherwise), and more
generally one plain pattern per value of a two-valued query (fitted on that value's positions).
The head agreement is the fraction of positions where the prediction equals the head's output.

A head can deviate from its pattern exactly where the deviation cannot matter (a max over
x[t] and the head ignores the head whenever x[t] is larger), so each candidate is also tested
where it counts: the whole network is re-evaluated with the head replaced by the candidate,
and the output agreement is the fraction of traced positions whose output is unchanged
(identical after rounding for integer tasks; within relMSE 1e-9 for real tasks). A candidate
whose output agreement is 1 is accepted (the one with the best head agreement, simplest on
ties); failing that, the best candidate whose head agreement reaches the threshold (default
0.99). Two heads of a layer that stay unmatched are then tested jointly (their top candidates
in pairs, replaced together), since a pair can split one job between them by content (one
takes the larger of two values, the other the smaller). A head still unmatched is then told
case by case on its finite domain: a decision list over one or two features it reads (its
operands at t, t-1, t-2, each with few integer values) whose every cell one pattern, or a pad
(0), explains exactly on the traces (e.g. ``x[t] if y[t-1] == 0 else 0``), accepted when the
whole network is unchanged. The same exact decision list is preferred to a pattern accepted
only by its output agreement (right where the head matters, not everywhere). Otherwise a head
stays unresolved and is reported.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from dataclasses import dataclass, replace
from typing import ClassVar

import numpy as np
import sympy

from w2c.compiler import cases
from w2c.compiler.interpret import evaluate, evaluate_op, reproduces_outputs
from w2c.compiler.ir import (
    IR,
    Attend,
    Expr,
    FirstPosition,
    GatedShift,
    Node,
    Op,
    PrevMatch,
    QueryGated,
    Shift,
    WindowArgExtreme,
)
from w2c.compiler.kernels import shift
from w2c.compiler.pipeline import Context, Options, Pass
from w2c.contract import REAL_TRACE_TOLERANCE


def candidates(op: Attend, length: int, query_values: tuple[float, ...] | None) -> Iterator[Op]:
    """Every hypothesis, simplest first."""
    for delta in range(length):
        yield Shift(op.value, delta)
    yield FirstPosition(op.value)
    if query_values is not None and len(query_values) == 2:  # a two-valued query gates a copy
        for delta in range(length):
            for value in query_values:
                yield GatedShift(op.value, delta, op.query, (value,))
    for delta in range(length - 1):
        for z in range(2, length - delta + 1):
            for kind in ("max", "min"):
                for tie in ("first", "last"):
                    if tie == "last" and op.key == op.value:
                        continue  # ties cannot change the value read
                    yield WindowArgExtreme(op.value, op.key, z, kind, tie, delta)
    yield PrevMatch(op.value, op.query, op.key)


def matches(predicted: np.ndarray, actual: np.ndarray) -> np.ndarray:
    """Where a prediction equals the head's output."""
    return np.abs(predicted - actual) <= REAL_TRACE_TOLERANCE * np.maximum(1.0, np.abs(actual))


def agreement(predicted: np.ndarray, actual: np.ndarray) -> float:
    return float(np.mean(matches(predicted, actual)))


MIN_HEAD_AGREEMENT = 0.5  # below this a candidate is not worth re-evaluating the network for
PAIR_CANDIDATES = 6  # per head, when two heads are tested jointly


def output_agreement(ir: IR, replacements: dict[str, Op], context: Context) -> float:
    """Fraction of traced outputs unchanged when heads are replaced by candidate patterns."""
    traces = context.traces
    replaced = ir.with_nodes(
        replace(n, op=replacements[n.name]) if n.name in replacements else n for n in ir.nodes
    )
    try:
        env = evaluate(replaced, traces.inputs)
    except (TypeError, ValueError):  # something downstream cannot be evaluated
        return 0.0
    ok, score = reproduces_outputs(env, ir, traces)
    return score if ir.task.grid is not None and not np.isnan(score) else float(ok)


def ranked(node: Node, op: Attend, context: Context) -> list[tuple[float, Op]]:
    """Every candidate with its head agreement, best first (simplest first on ties)."""
    values = context.traces.values
    actual = values[node.name]
    env = {name: values[name] for name in op.operands()}
    query = np.unique(np.round(values[op.query], 9))
    query_values = tuple(float(v) for v in query) if len(query) <= 2 else None
    plain = list(candidates(op, context.task.length, query_values))
    predictions = [evaluate_op(c, env, {"_": actual}) for c in plain]
    scored = [
        (agreement(p, actual), -order, c)
        for order, (c, p) in enumerate(zip(plain, predictions, strict=True))
    ]
    if query_values is not None and len(query_values) == 2:
        gated = query_gated(op, query_values, plain, predictions, values[op.query], actual)
        score = agreement(evaluate_op(gated, env, {"_": actual}), actual)
        scored.append((score, -len(plain), gated))
    scored.sort(key=lambda item: item[:2], reverse=True)
    return [(score, candidate) for score, _, candidate in scored]


def query_gated(
    op: Attend,
    query_values: tuple[float, ...],
    plain: list[Op],
    predictions: list[np.ndarray],
    query: np.ndarray,
    actual: np.ndarray,
) -> QueryGated:
    """The best plain pattern on the positions of each query value, combined."""
    best = []
    for value in query_values:
        mask = np.isclose(query, value)
        scores = [agreement(p[mask], actual[mask]) for p in predictions]
        best.append(plain[int(np.argmax(scores))])  # first (simplest) on ties
    return QueryGated(op.query, (query_values[0], query_values[1]), best[0], best[1])


def _decided(  # type: ignore[no-untyped-def]
    node: Node,
    op: Op,
    method: str,
    best: Op,
    score: float,
    output: float | None,
    context: Context,
    threshold: float,
    **extra,
) -> Node:
    """The head as ``op`` (its pattern, or itself when unmatched), with the test's evidence."""
    evidence = dict(node.evidence)
    evidence.update(
        method=method,
        agreement=score,
        output_agreement=output,
        best_pattern=best.describe(),
        samples=int(context.traces.values[node.name].size),
        threshold=threshold,
        **extra,
    )
    return Node(node.name, op, node.domain, evidence)


def _resolved(  # type: ignore[no-untyped-def]
    node: Node,
    pattern: Op,
    score: float,
    output: float | None,
    context: Context,
    threshold: float,
    **extra,
) -> Node:
    return _decided(
        node, pattern, "attention_patterns", pattern, score, output, context, threshold, **extra
    )


def resolve_head(ir: IR, node: Node, op: Attend, context: Context, threshold: float) -> Node:
    candidates = ranked(node, op, context)
    for score, candidate in candidates:
        if score < MIN_HEAD_AGREEMENT:
            break
        if output_agreement(ir, {node.name: candidate}, context) == 1.0:
            if score < 1.0:  # right only where it matters: an exact decision list says more
                exact = resolve_by_cases(ir, node, op, context, threshold)
                if exact is not node:
                    return exact
            return _resolved(node, candidate, score, 1.0, context, threshold)
    best_score, best = candidates[0]
    if best_score >= threshold:
        return _resolved(node, best, best_score, None, context, threshold)
    return _decided(node, op, "unmatched", best, best_score, None, context, threshold)


def resolve_pair(ir: IR, first: Node, second: Node, context: Context, threshold: float) -> IR:
    """Two heads that only jointly follow patterns (e.g. max and min of the same two values)."""
    top = [
        [(s, c) for s, c in ranked(n, n.op, context)[:PAIR_CANDIDATES] if s >= MIN_HEAD_AGREEMENT]
        for n in (first, second)
    ]
    pairs = sorted(
        ((sa + sb, i, j) for i, (sa, _) in enumerate(top[0]) for j, (sb, _) in enumerate(top[1])),
        key=lambda item: (-item[0], item[1], item[2]),
    )
    for _, i, j in pairs:
        (sa, ca), (sb, cb) = top[0][i], top[1][j]
        if output_agreement(ir, {first.name: ca, second.name: cb}, context) == 1.0:
            a = _resolved(first, ca, sa, 1.0, context, threshold, jointly_with=second.name)
            b = _resolved(second, cb, sb, 1.0, context, threshold, jointly_with=first.name)
            return ir.with_nodes({first.name: a, second.name: b}.get(n.name, n) for n in ir.nodes)
    return ir


MAX_FEATURE_LAG = 2  # decision-list features: operands at t, t-1, t-2
MAX_FEATURE_VALUES = 8  # ... each with at most this many (integer) values
PAD = Expr(sympy.Integer(0), ())  # a head reading a pad copies 0


def features(op: Attend, context: Context) -> list[tuple[tuple[str, int], np.ndarray]]:
    """The reads a decision list may test: operands with few integer values, at small lags."""
    found = []
    for name in dict.fromkeys(op.operands()):
        values = context.traces.values[name]
        distinct = np.unique(np.round(values, 9))
        if len(distinct) > MAX_FEATURE_VALUES or not np.all(distinct == np.round(distinct)):
            continue
        for lag in range(min(MAX_FEATURE_LAG, context.task.length - 1) + 1):
            found.append(((name, lag), shift(values, lag)))
    return found


def decision_list(node: Node, op: Attend, context: Context) -> Op | None:
    """The simplest exact decision list over one, else two, features (fewest outcomes, then
    fewest cells), or None."""
    values = context.traces.values
    actual = values[node.name]
    env = {name: values[name] for name in op.operands()}
    plain = candidates(op, context.task.length, None)
    outcomes: list[Op] = [PAD, *(c for c in plain if not isinstance(c, GatedShift))]
    right = np.stack(
        [np.ravel(np.abs(evaluate_op(c, env, {"_": actual}) - actual) <= 1e-9) for c in outcomes]
    )
    reads = features(op, context)
    for size in (1, 2):
        found = []
        for order, chosen in enumerate(itertools.combinations(reads, size)):
            cell_of, cell_values = cases.cells([v for _, v in chosen])
            if len(cell_values) > cases.MAX_CELLS:
                continue
            choice = cases.cover(cases.explained(right, cell_of, len(cell_values)))
            if choice is not None:
                found.append(
                    (len(set(choice)), len(cell_values), order, chosen, cell_values, choice)
                )
        if found:
            _, _, _, chosen, cell_values, choice = min(found, key=lambda item: item[:3])
            keys = tuple(key for key, _ in chosen)
            return cases.assemble(keys, cell_values, choice, outcomes)
    return None


def resolve_by_cases(ir: IR, node: Node, op: Attend, context: Context, threshold: float) -> Node:
    """An unmatched head as a decision list, when one reproduces the whole network."""
    rule = decision_list(node, op, context)
    if rule is None or output_agreement(ir, {node.name: rule}, context) != 1.0:
        return node
    return _resolved(node, rule, 1.0, 1.0, context, threshold, rule="cases")


def resolve_heads(ir: IR, context: Context, threshold: float) -> IR:
    for node in ir.nodes:
        if isinstance(node.op, Attend):
            resolved = resolve_head(ir, node, node.op, context, threshold)
            ir = ir.with_nodes(resolved if n.name == node.name else n for n in ir.nodes)
    for first, second in itertools.combinations(ir.unresolved(), 2):
        current = {n.name: n for n in ir.nodes}
        a, b = current[first.name], current[second.name]
        if isinstance(a.op, Attend) and isinstance(b.op, Attend) and a.op.layer == b.op.layer:
            ir = resolve_pair(ir, a, b, context, threshold)
    for node in ir.unresolved():
        if isinstance(node.op, Attend):
            resolved = resolve_by_cases(ir, node, node.op, context, threshold)
            ir = ir.with_nodes(resolved if n.name == node.name else n for n in ir.nodes)
    return ir


@dataclass(frozen=True)
class AttentionPatterns(Pass):
    """attention_patterns: hypothesis tests turning each hardened head into a routing primitive."""

    name: ClassVar[str] = "attention_patterns"
    threshold: float = 0.99  # head agreement that accepts the best pattern without the output test

    @classmethod
    def configured(cls, options: Options) -> AttentionPatterns:
        return cls(threshold=options.attention_threshold)

    def run(self, ir: IR, context: Context) -> IR:
        return resolve_heads(ir, context, self.threshold)


PASS = AttentionPatterns
