"""The network proof: the hardened network computes a rule at every position of every sequence.

Fidelity asks whether the hardened model and the program agree on every input sequence of
length 1..T. The program is proved to compute a rule from its text (w2c/verify/proof.py); this
module proves that the network computes the same rule, so the two agree everywhere
(docs/verification.md, "The network proof"). Three steps, all over the float64 arithmetic the
model runs, each computed value carried as a centre and a radius that bounds how far the
model's own float64 result can be from it (any summation order, with or without FMA):

1. **Value sets.** Every variable read as a query or key takes finitely many values: an input
   its declared domain, a fed-back output the declared output domain (and 0 at t = 0), a head
   the values of its value variable plus the pad 0, a sub-MLP its image over the product of its
   operands' sets.
2. **Heads.** From the finite score table score(q, k, distance), for every query position t
   and every query value, each key slot (pads included) gets an interval over every key value;
   a slot whose best score is below the best slot's worst score can never win. What remains
   are the head's *candidate* slots at t: a proved fixed-offset pointer has one.
3. **Windows.** So the output at t depends only on finitely many inputs (the leaves: x at the
   candidates' positions, recursively, and fed-back outputs, free over the output domain).
   Every combination of the leaves' values is evaluated, the argmax among the candidates
   decided with a strict margin (or equal values), and the output rounded on the task's grid
   with a margin from the rounding boundary, then compared with the rule evaluated exactly.

Positions are treated as independent (except that a head's query and key at distance 0 are one
value when they read the same variable), which over-approximates: a pass is a proof, a failure
only a candidate counterexample. Candidates are realised as real input sequences (for feedback
tasks by a search for inputs that make the model feed back the wanted values) for the verifier
to run on the model and the program. Work is counted (table cells and evaluated combinations),
never timed, so the same model gets the same answer on any machine.
"""

from __future__ import annotations

import itertools
import math
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from fractions import Fraction
from typing import Any

import numpy as np
import sympy

from w2c.tasks import IntRange, Task, feedback_input, parse_symbol

WORK_BUDGET = 400_000_000  # table cells + (combinations x nodes) per proof, deterministic
COMBINATIONS = 4_000_000  # leaf combinations of one position
VALUE_SET = 1_000_000  # product of a sub-MLP's operand sets, and the size of any value set
MAX_MAGNITUDE = 1e150  # a bound on every value, so no variable (read or not) can overflow
CHUNK = 1 << 16
NEGLIGIBLE = 1e-6  # an output term this small (task units) is an error term, not evaluated
CANDIDATES = 8  # failing combinations realised as sequences for the verifier to run
UNIT = 2.0**-53  # float64 unit roundoff


def _gamma(n: int) -> float:
    """Higham's gamma_n, doubled: |fl(sum of n products) - exact| <= this * sum |products|,
    for the model's order and for ours."""
    return 2.0 * n * UNIT / (1.0 - n * UNIT)


class Unproved(Exception):
    """The proof does not apply or ran out of budget; the message says which."""


@dataclass(frozen=True)
class NetworkProof:
    """``status``: "proved", "refuted" (``candidates`` to run) or "unknown" (``detail``)."""

    status: str
    detail: str
    lengths: tuple[int, int] | None
    combinations: int = 0
    candidates: tuple[list[Any], ...] = ()
    seconds: float = 0.0


# ---- the hardened network, as arrays ----------------------------------------------------------


@dataclass(frozen=True)
class _Head:
    q: int
    k: int
    v: int
    q_weight: np.ndarray  # [d, bins + 1]
    q_bias: np.ndarray
    k_weight: np.ndarray
    k_bias: np.ndarray
    rel_bias: np.ndarray  # [T + pad]
    name: str


@dataclass(frozen=True)
class _Mlp:
    operands: tuple[int, ...]
    w1: np.ndarray  # [k, hidden]
    b1: np.ndarray
    w2: np.ndarray  # [hidden]
    b2: float
    name: str


@dataclass
class _Net:
    inputs: list[tuple[str, int]]  # per input variable: ("x", channel) or ("y", output)
    scales: list[float]
    nodes: list[_Head | _Mlp | None]  # variable n_inputs + j; None: pruned, always 0
    out_weight: np.ndarray  # [width]
    out_bias: float
    out_scale: float
    bins: int
    limit: float
    dim: int
    pad: int

    @property
    def n_inputs(self) -> int:
        return len(self.inputs)

    def node(self, variable: int) -> _Head | _Mlp | None:
        return self.nodes[variable - self.n_inputs]


def _network(model: Any, task: Task) -> _Net:
    """The hardened model's reads (argmax), weights (float64) and structure."""
    import torch

    cfg = model.config
    names = list(cfg.input_names)
    fed = {feedback_input(o): k for k, o in enumerate(task.outputs)} if task.feedback else {}
    inputs = []
    for name in names:
        if name in task.channels:
            inputs.append(("x", task.channels.index(name)))
        elif name in fed:
            inputs.append(("y", fed[name]))
        else:
            raise Unproved(f"the model reads an input {name!r} the task does not have")
    dead = set(model.dead_variables()) if model.pruned else set()

    def array(tensor: torch.Tensor) -> np.ndarray:
        return tensor.detach().to(torch.float64).numpy().copy()

    def reads(logits: torch.Tensor) -> np.ndarray:
        if model.pruned:
            logits = logits + model._read_bias(logits.shape[-1])
        return logits.detach().argmax(-1).numpy()

    nodes: list[_Head | _Mlp | None] = []
    for index, spec in enumerate(cfg.layers):
        layer = model.layers[index]
        first = cfg.width_before(index)
        if spec.heads:
            read = reads(layer.head_read)
            for h in range(spec.heads):
                q, k, v = (int(i) for i in read[h])
                head = _Head(
                    q,
                    k,
                    v,
                    array(layer.q_weight[h]),
                    array(layer.q_bias[h]),
                    array(layer.k_weight[h]),
                    array(layer.k_bias[h]),
                    array(layer.rel_bias[h]),
                    f"attn_L{index}H{h}",
                )
                nodes.append(None if first + h in dead else head)
        if spec.mlps:
            read = reads(layer.mlp_read)
            for m in range(spec.mlps):
                mlp = _Mlp(
                    tuple(int(i) for i in read[m]),
                    array(layer.w1[m]),
                    array(layer.b1[m]),
                    array(layer.w2[m]),
                    float(layer.b2[m].detach()),
                    f"mlp_L{index}M{m}",
                )
                nodes.append(None if first + spec.heads + m in dead else mlp)
    weight = array(model.out_weight).reshape(task.n_outputs, -1)[0]
    for variable in dead:
        weight[variable] = 0.0
    bias = float(array(model.out_bias).reshape(-1)[0])
    net = _Net(
        inputs,
        [float(s) for s in cfg.input_scales],
        nodes,
        weight,
        bias,
        float(cfg.output_scale),
        int(cfg.ple_bins),
        float(cfg.ple_range),
        int(cfg.attn_dim),
        int(cfg.pad),
    )
    _check_magnitudes(net, task)
    return net


def _check_magnitudes(net: _Net, task: Task) -> None:
    """Every variable stays finite: a crude bound through the layers, with finite weights.

    Variables the output does not read are never evaluated, but the model still computes them
    (and multiplies them by 0): an infinity there would make its output NaN.
    """
    params = [net.out_weight, np.array([net.out_bias, net.out_scale])]
    for node in net.nodes:
        if isinstance(node, _Head):
            params += [node.q_weight, node.q_bias, node.k_weight, node.k_bias, node.rel_bias]
        elif isinstance(node, _Mlp):
            params += [node.w1, node.b1, node.w2, np.array([node.b2])]
    if not all(np.all(np.isfinite(p)) for p in params):
        raise Unproved("the model has a weight that is not finite")
    bound = []
    for (kind, index), scale in zip(net.inputs, net.scales, strict=True):
        domain = task.inputs[index] if kind == "x" else task.output
        lo, hi = domain.bounds  # type: ignore[union-attr]
        bound.append(max(abs(lo), abs(hi), 1.0) / abs(scale))
    for node in net.nodes:
        if isinstance(node, _Mlp):
            inner = len(node.operands) * max(bound) * float(np.max(np.abs(node.w1), initial=0))
            inner += float(np.max(np.abs(node.b1), initial=0))
            value = inner * float(np.sum(np.abs(node.w2))) + abs(node.b2)
            bound.append(value)
        else:
            bound.append(max(bound))
        if bound[-1] > MAX_MAGNITUDE:
            raise Unproved("the model's values are not bounded well inside float64")


# ---- arithmetic with error bounds ----------------------------------------------------------


def _ple(
    centre: np.ndarray, radius: np.ndarray, weight: np.ndarray, bias: np.ndarray, net: _Net
) -> tuple[np.ndarray, np.ndarray]:
    """``weight @ PLE(x) + bias`` as the model computes it (w2c/network/transformer.py
    ``ple_linear``): [N] values -> [N, d] centres and radii.

    Computed once per distinct value (a value's widest radius bounds all its copies)."""
    if len(centre) > 256:
        distinct, inverse = np.unique(centre, return_inverse=True)
        inverse = inverse.reshape(-1)
        if len(distinct) < len(centre) // 2:
            widest = np.zeros(len(distinct))
            np.maximum.at(widest, inverse, radius)
            out, error = _ple(distinct, widest, weight, bias, net)
            return out[inverse], error[inverse]
    bins, limit = net.bins, net.limit
    width = 2.0 * limit / bins
    position = (centre + limit) / width
    index = np.clip(np.floor(position), 0, bins - 1).astype(np.int64)
    fraction = np.clip(position - index, 0.0, 1.0)
    columns = weight.T  # [bins + 1, d]
    running = np.concatenate([np.zeros_like(columns[:1]), np.cumsum(columns[:bins], axis=0)])
    out = running[index] + fraction[:, None] * columns[index] + centre[:, None] * columns[bins]
    out = out + bias
    # slope of the encoding: |column of x's bin| / width + |the x column|; plus the rounding
    lipschitz = np.max(np.abs(columns[:bins]), axis=0) / width + np.abs(columns[bins])
    scale = np.sum(np.abs(columns[:bins]), axis=0) + np.abs(centre)[:, None] * np.abs(columns[bins])
    error = radius[:, None] * lipschitz + _gamma(bins + 4) * (scale + np.abs(bias))
    return out, error


def _score(
    qv: np.ndarray, qe: np.ndarray, kv: np.ndarray, ke: np.ndarray, dim: int
) -> tuple[np.ndarray, np.ndarray]:
    """q.k / sqrt(d) and its error bound, broadcasting over the leading axes."""
    root = math.sqrt(dim)
    dot = np.sum(qv * kv, axis=-1) / root
    magnitude = np.sum((np.abs(qv) + qe) * (np.abs(kv) + ke), axis=-1)
    spread = np.sum(np.abs(qv) * ke + np.abs(kv) * qe + qe * ke, axis=-1)
    error = (spread + _gamma(dim + 2) * magnitude) / root + 4 * UNIT * np.abs(dot)
    return dot, error


def _biased(dot: np.ndarray, error: np.ndarray, bias: float) -> tuple[np.ndarray, np.ndarray]:
    """score + relative-position bias, with the addition's rounding (both sides)."""
    return dot + bias, error + 4 * UNIT * (np.abs(dot) + abs(bias)) + 1e-300


def _mlp(
    mlp: _Mlp, centres: list[np.ndarray], radii: list[np.ndarray]
) -> tuple[np.ndarray, np.ndarray]:
    """relu(u @ w1 + b1) @ w2 + b2 for [N] operands, with the error of any summation order."""
    u = np.stack(centres, axis=-1)  # [N, k]
    ru = np.stack(radii, axis=-1)
    k, hidden = mlp.w1.shape
    z = u @ mlp.w1 + mlp.b1
    rz = ru @ np.abs(mlp.w1) + _gamma(k + 1) * ((np.abs(u) + ru) @ np.abs(mlp.w1) + np.abs(mlp.b1))
    h = np.maximum(z, 0.0)
    out = h @ mlp.w2 + mlp.b2
    magnitude = (h + rz) @ np.abs(mlp.w2) + abs(mlp.b2)
    error = rz @ np.abs(mlp.w2) + _gamma(hidden + 1) * magnitude
    return out, error


def _broadcast(value: np.ndarray | float, n: int) -> np.ndarray:
    array = np.asarray(value, dtype=np.float64)
    return np.broadcast_to(array, (n,)) if array.ndim == 0 else array


# ---- step 1: value sets ----------------------------------------------------------------------


@dataclass
class _Values:
    """Finite value sets (centre, radius) per variable, computed when a head needs them."""

    net: _Net
    task: Task
    counter: _Counter
    known: dict[int, tuple[np.ndarray, np.ndarray]] = field(default_factory=dict)

    def of(self, variable: int) -> tuple[np.ndarray, np.ndarray]:
        if variable not in self.known:
            self.known[variable] = _unique(*self._compute(variable))
        return self.known[variable]

    def _compute(self, variable: int) -> tuple[np.ndarray, np.ndarray]:
        net = self.net
        if variable < net.n_inputs:
            kind, index = net.inputs[variable]
            raw = _domain_values(self.task, kind, index)
            if kind == "y":
                raw = np.union1d(raw, [0.0])  # y_prev is 0 at t = 0
            return raw / net.scales[variable], np.zeros(len(raw))
        node = net.node(variable)
        if node is None:
            return np.zeros(1), np.zeros(1)
        if isinstance(node, _Head):
            centre, radius = self.of(node.v)
            return np.append(centre, 0.0), np.append(radius, 0.0)
        distinct = sorted(set(node.operands))
        sets = [self.of(v) for v in distinct]
        count = math.prod(len(c) for c, _ in sets)
        if count > VALUE_SET:
            raise Unproved(
                f"{node.name} reads {count:,} operand combinations as a query or key "
                f"(more than {VALUE_SET:,})"
            )
        self.counter.spend(count * (len(node.b1) + 1), f"the value set of {node.name}")
        grids = np.meshgrid(*[np.arange(len(c)) for c, _ in sets], indexing="ij")
        pick = {v: g.reshape(-1) for v, g in zip(distinct, grids, strict=True)}
        centres = [sets[distinct.index(v)][0][pick[v]] for v in node.operands]
        radii = [sets[distinct.index(v)][1][pick[v]] for v in node.operands]
        return _mlp(node, centres, radii)


def _unique(centre: np.ndarray, radius: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    if not np.all(np.isfinite(centre)):
        raise Unproved("a value set holds a value that is not finite")
    values, inverse = np.unique(centre, return_inverse=True)
    if len(values) > VALUE_SET:
        raise Unproved(f"a value set has {len(values):,} values (more than {VALUE_SET:,})")
    widest = np.zeros(len(values))
    np.maximum.at(widest, inverse.reshape(-1), radius)
    return values, widest


def _domain_values(task: Task, kind: str, index: int) -> np.ndarray:
    """The raw values of an input channel, or of an output as the model is fed it back."""
    domain = task.inputs[index] if kind == "x" else task.output
    if not isinstance(domain, IntRange):
        raise Unproved(f"{_what(task, kind, index)} has no finite integer domain")
    if domain.size > VALUE_SET:
        raise Unproved(f"{_what(task, kind, index)} has {domain.size:,} values")
    return domain.values()


def _what(task: Task, kind: str, index: int) -> str:
    return f"input {task.channels[index]}" if kind == "x" else f"output {task.outputs[index]}"


@dataclass
class _Counter:
    budget: int
    spent: int = 0

    def spend(self, amount: int, what: str) -> None:
        self.spent += amount
        if self.spent > self.budget:
            raise Unproved(f"the work budget ({self.budget:,} units) ran out at {what}")


# ---- step 2: candidate slots per head and query position ------------------------------------


def _candidates(head: _Head, net: _Net, values: _Values, length: int, counter: _Counter):
    """For each query position t: the distances (0..t+pad) whose slot may win, for some query
    value and some key values; every other slot always loses, by a strict margin."""
    qc, qr = values.of(head.q)
    kc, kr = values.of(head.k)
    counter.spend(len(qc) * (len(kc) + 1) * net.dim, f"the score table of {head.name}")
    qv, qe = _ple(qc, qr, head.q_weight, head.q_bias, net)
    kv, ke = _ple(kc, kr, head.k_weight, head.k_bias, net)
    pv, pe = _ple(np.zeros(1), np.zeros(1), head.k_weight, head.k_bias, net)
    dot, error = _score(qv[:, None, :], qe[:, None, :], kv[None], ke[None], net.dim)
    real_lo = np.min(dot - error, axis=1)
    real_hi = np.max(dot + error, axis=1)
    real_abs = np.max(np.abs(dot), axis=1)
    pad_dot, pad_error = _score(qv, qe, pv, pe, net.dim)
    if head.q == head.k:  # distance 0: the key is the query's own value
        own = np.searchsorted(kc, qc)
        self_dot, self_error = dot[np.arange(len(qc)), own], error[np.arange(len(qc)), own]
    else:
        self_dot = None
    result = []
    for t in range(length):
        lows, highs = [], []
        for distance in range(t + net.pad + 1):
            bias = float(head.rel_bias[distance])
            if distance > t:
                centre, err = _biased(pad_dot, pad_error, bias)
                lows.append(centre - err)
                highs.append(centre + err)
            elif distance == 0 and self_dot is not None:
                centre, err = _biased(self_dot, self_error, bias)
                lows.append(centre - err)
                highs.append(centre + err)
            else:
                slack = 4 * UNIT * (real_abs + abs(bias)) + 1e-300
                lows.append(real_lo + bias - slack)
                highs.append(real_hi + bias + slack)
        low, high = np.stack(lows, axis=1), np.stack(highs, axis=1)  # [nq, distances]
        best = np.max(low, axis=1, keepdims=True)
        possible = np.any(high >= best, axis=0)
        result.append(tuple(int(d) for d in np.flatnonzero(possible)))
    return result


# ---- step 3: the window of each output position ------------------------------------------------


@dataclass
class _Plan:
    """The computation of the output at position t over its leaves (inputs at positions)."""

    t: int
    leaves: list[tuple[str, int, int]] = field(default_factory=list)  # (kind, index, position)
    nodes: list[tuple[Any, ...]] = field(default_factory=list)
    keys: list[str] = field(default_factory=list)  # a canonical text per node, for dedup
    memo: dict[tuple[int, int], int] = field(default_factory=dict)

    def leaf(self, kind: str, index: int, position: int) -> int:
        key = (kind, index, position)
        if key not in self.leaves:
            self.leaves.append(key)
        return self.leaves.index(key)

    def add(self, node: tuple[Any, ...], key: str) -> int:
        self.nodes.append(node)
        self.keys.append(key)
        return len(self.nodes) - 1


def _plan(
    net: _Net, candidates: dict[int, list[tuple[int, ...]]], values: _Values, t: int
) -> tuple[_Plan, int]:
    """The nodes the output at t reads, over leaves; an output term too small to matter
    (at most NEGLIGIBLE in task units over its whole value set) becomes an error term."""
    plan = _Plan(t)
    zero = plan.add(("const", 0.0), "0")

    def build(variable: int, p: int) -> int:
        if (variable, p) in plan.memo:
            return plan.memo[(variable, p)]
        plan.memo[(variable, p)] = index = _build(variable, p)
        return index

    def _build(variable: int, p: int) -> int:
        if variable < net.n_inputs:
            kind, channel = net.inputs[variable]
            position = p if kind == "x" else p - 1  # y_prev at p is the output at p - 1
            if position < 0:
                return zero
            leaf = plan.leaf(kind, channel, position)
            return plan.add(("leaf", leaf, net.scales[variable]), f"{kind}{channel}@{t - position}")
        node = net.node(variable)
        if node is None:
            return zero
        if isinstance(node, _Mlp):
            operands = tuple(build(v, p) for v in node.operands)
            key = f"{node.name}({','.join(plan.keys[o] for o in operands)})"
            return plan.add(("mlp", node, operands), key)
        slots = candidates[variable][p]
        real = [d for d in slots if d <= p]
        if not real:
            return zero  # only pads can win: every pad holds 0
        if len(slots) == 1:
            return build(node.v, p - slots[0])  # a proved pointer: a copy
        query = build(node.q, p)
        choices = []
        for d in slots:
            if d > p:
                choices.append((d, None, None))
            else:
                choices.append((d, build(node.k, p - d), build(node.v, p - d)))
        inner = ";".join(
            f"{d}:" + ("pad" if k is None else f"{plan.keys[k]}/{plan.keys[v]}")
            for d, k, v in choices
        )
        return plan.add(
            ("head", node, query, tuple(choices)), f"{node.name}[{plan.keys[query]};{inner}]"
        )

    terms, noise = [], 0.0
    for variable, w in enumerate(net.out_weight):
        if w == 0.0:
            continue
        largest = _largest(values, variable)
        if largest is not None and abs(w) * largest * abs(net.out_scale) <= NEGLIGIBLE:
            noise += abs(w) * largest  # bounded by its value set instead of evaluated
        else:
            terms.append((build(variable, t), float(w)))
    shown = ",".join(f"{plan.keys[n]}*{w!r}" for n, w in terms)
    out = plan.add(("out", tuple(terms), noise), f"out({shown}+-{noise!r})")
    return plan, out


def _largest(values: _Values, variable: int) -> float | None:
    """max |value| over a variable's value set, or None when the set is out of reach."""
    try:
        centre, radius = values.of(variable)
    except Unproved:
        return None
    return float(np.max(np.abs(centre) + radius))


def _evaluate(plan: _Plan, out: int, leaf_values: list[np.ndarray], net: _Net, n: int):
    """(centre, radius, undecided mask) of the output at t for N leaf combinations."""
    results: list[tuple[np.ndarray, np.ndarray]] = []
    undecided = np.zeros(n, dtype=bool)
    for node in plan.nodes:
        kind = node[0]
        if kind == "const":
            results.append((np.full(n, node[1]), np.zeros(n)))
        elif kind == "leaf":
            results.append((leaf_values[node[1]] / node[2], np.zeros(n)))
        elif kind == "mlp":
            mlp, operands = node[1], node[2]
            results.append(
                _mlp(mlp, [results[o][0] for o in operands], [results[o][1] for o in operands])
            )
        elif kind == "head":
            centre, radius, bad = _attend(node[1], node[2], node[3], results, net, n)
            undecided |= bad
            results.append((centre, radius))
        else:
            total = np.full(n, 0.0)
            spread = np.zeros(n)
            magnitude = np.zeros(n)
            for index, w in node[1]:
                c, r = results[index]
                total = total + c * w
                spread = spread + r * abs(w)
                magnitude = magnitude + (np.abs(c) + r) * abs(w)
            spread = spread + node[2]
            magnitude = magnitude + node[2]
            y = (total + net.out_bias) * net.out_scale
            width = len(net.out_weight) + 1
            error = (spread + _gamma(width) * (magnitude + abs(net.out_bias))) * abs(net.out_scale)
            error = error + 4 * UNIT * np.abs(y) + 1e-300
            results.append((y, error))
    centre, radius = results[out]
    return centre, radius, undecided


def _attend(head: _Head, query: int, choices, results, net: _Net, n: int):
    qc, qr = results[query]
    qv, qe = _ple(qc, qr, head.q_weight, head.q_bias, net)
    pv, pe = _ple(np.zeros(1), np.zeros(1), head.k_weight, head.k_bias, net)
    lows, highs, centres, values, radii = [], [], [], [], []
    for distance, key, value in choices:
        if key is None:
            dot, error = _score(qv, qe, pv, pe, net.dim)
            vc, vr = np.zeros(n), np.zeros(n)
        else:
            kv, ke = _ple(*results[key], head.k_weight, head.k_bias, net)
            dot, error = _score(qv, qe, kv, ke, net.dim)
            vc, vr = results[value]
        score, err = _biased(dot, error, float(head.rel_bias[distance]))
        centres.append(score)
        lows.append(score - err)
        highs.append(score + err)
        values.append(vc)
        radii.append(vr)
    low, high = np.stack(lows, 1), np.stack(highs, 1)
    value, radius = np.stack(values, 1), np.stack(radii, 1)
    best = np.argmax(np.stack(centres, 1), axis=1)
    rows = np.arange(n)
    contenders = high >= low[rows, best][:, None]  # may still win: must hold the same value
    chosen = value[rows, best]
    undecided = np.any(contenders & (value != chosen[:, None]), axis=1)
    widest = np.max(np.where(contenders, radius, 0.0), axis=1)
    return chosen, widest, undecided


# ---- the rule, exactly -----------------------------------------------------------------------


def _exact(expr: sympy.Basic, env: dict[str, tuple[np.ndarray, int]], n: int) -> Any:
    """The rule on N points, exactly: (numerators int64[N], common denominator) or a bool[N]."""

    def number(value: Fraction) -> tuple[np.ndarray, int]:
        return np.full(n, value.numerator, dtype=np.int64), value.denominator

    def common(a, b):
        den = math.lcm(a[1], b[1])
        return _scaled(a[0], den // a[1]), _scaled(b[0], den // b[1]), den

    if isinstance(expr, sympy.Symbol):
        return env[expr.name]
    if expr is sympy.true or expr is sympy.false:
        return np.full(n, bool(expr))
    if isinstance(expr, sympy.Rational):
        return number(Fraction(int(expr.p), int(expr.q)))
    if isinstance(expr, sympy.Float):
        return number(Fraction(float(expr)))
    if isinstance(expr, sympy.Piecewise):
        result = None
        for piece, condition in reversed(expr.args):
            value = _exact(piece, env, n)
            holds = _exact(condition, env, n)
            if result is None:
                result = value
                continue
            a, b, den = common(value, result)
            result = (np.where(holds, a, b), den)
        return result
    args = [_exact(a, env, n) for a in expr.args]
    if isinstance(expr, sympy.Add):
        total = args[0]
        for arg in args[1:]:
            a, b, den = common(total, arg)
            total = (_checked(a.astype(np.float64) + b, a + b), den)
        return total
    if isinstance(expr, sympy.Mul):
        total = args[0]
        for arg in args[1:]:
            num = _checked(total[0].astype(np.float64) * arg[0], total[0] * arg[0])
            total = (num, total[1] * arg[1])
        return total
    if isinstance(expr, sympy.Pow):
        exponent = expr.args[1]
        if not (isinstance(exponent, sympy.Integer) and 0 <= int(exponent) <= 64):
            raise Unproved(f"the rule raises to the power {exponent}")
        total = (np.ones(n, dtype=np.int64), 1)
        for _ in range(int(exponent)):
            num = _checked(total[0].astype(np.float64) * args[0][0], total[0] * args[0][0])
            total = (num, total[1] * args[0][1])
        return total
    if isinstance(expr, (sympy.Max, sympy.Min)):
        total = args[0]
        pick = np.maximum if isinstance(expr, sympy.Max) else np.minimum
        for arg in args[1:]:
            a, b, den = common(total, arg)
            total = (pick(a, b), den)
        return total
    if isinstance(expr, sympy.Abs):
        return np.abs(args[0][0]), args[0][1]
    if isinstance(expr, sympy.Mod):
        a, b, den = common(args[0], args[1])
        if np.any(b == 0):
            raise Unproved("the rule takes a remainder by 0")
        return np.mod(a, b), den
    if isinstance(expr, (sympy.floor, sympy.ceiling)):
        num, den = args[0]
        if isinstance(expr, sympy.floor):
            return num // den, 1
        return -((-num) // den), 1
    if isinstance(expr, sympy.core.relational.Relational):
        a, b, _ = common(args[0], args[1])
        ops = {"<": np.less, "<=": np.less_equal, ">": np.greater, ">=": np.greater_equal}
        ops.update({"==": np.equal, "!=": np.not_equal})
        return ops[expr.rel_op](a, b)
    if isinstance(expr, sympy.And):
        return np.logical_and.reduce(args)
    if isinstance(expr, sympy.Or):
        return np.logical_or.reduce(args)
    if isinstance(expr, sympy.Not):
        return np.logical_not(args[0])
    raise Unproved(f"the rule uses {type(expr).__name__}, which the network proof cannot evaluate")


def _scaled(num: np.ndarray, factor: int) -> np.ndarray:
    return _checked(num.astype(np.float64) * factor, num * factor)


def _checked(estimate: np.ndarray, exact: np.ndarray) -> np.ndarray:
    """int64 arithmetic, refused where a float estimate says it could overflow."""
    if np.any(np.abs(estimate) >= 2.0**62):
        raise Unproved("the rule's exact values leave int64")
    return exact


def _on_grid(num: np.ndarray, den: int, grid: int) -> np.ndarray:
    """round(num / den * grid), half to even, exactly (NumPy's rounding of the program)."""
    scaled = _scaled(num, grid)
    twice = 2 * scaled + den
    low = twice // (2 * den)  # floor(x + 1/2)
    tie = (twice % (2 * den)) == 0
    return np.where(tie & (low % 2 == 1), low - 1, low)


# ---- the proof ------------------------------------------------------------------------------


def prove_network(
    model: Any,
    task: Task,
    rule: sympy.Expr,
    run_model: Callable[[np.ndarray], np.ndarray] | None = None,
    budget: int = WORK_BUDGET,
    name: str = "rule",
) -> NetworkProof:
    """Prove that the hardened ``model`` computes ``rule`` at every position of every sequence
    of length 1..T, on the task's output grid; or find candidate counterexamples.

    ``run_model`` (x[B, L, C] -> y[B, L], the hardened model closed-loop) realises a candidate
    of a feedback task: it searches inputs that make the model feed back the wanted outputs.
    ``name`` is what the messages call ``rule`` ("rule", "reference").
    """
    began = time.perf_counter()

    def done(status: str, detail: str, **extra: Any) -> NetworkProof:
        lengths = (1, task.length) if status == "proved" else None
        return NetworkProof(status, detail, lengths, seconds=time.perf_counter() - began, **extra)

    try:
        outcome = _prove(model, task, rule, budget, name)
    except Unproved as exc:
        return done("unknown", f"not proved: {exc}")
    if outcome.failures:
        xs = _realise_all(task, outcome.failures, run_model)
        detail = (
            f"the network may differ from the {name} at position {outcome.failures[0][0]} "
            f"({outcome.failures[0][2]})"
        )
        if not xs:
            detail += "; no input sequence realising it was found"
            return done("unknown", f"not proved: {detail}", combinations=outcome.combinations)
        return done("refuted", detail, combinations=outcome.combinations, candidates=tuple(xs))
    heads = ", ".join(outcome.pointers) or "no heads"
    detail = (
        f"the hardened network computes the {name} y[t] = {rule} at every position of every "
        f"sequence of lengths 1..{task.length} ({heads}; {outcome.combinations:,} window "
        f"combinations, float64 error bounds)"
    )
    return done("proved", detail, combinations=outcome.combinations)


@dataclass
class _Outcome:
    combinations: int
    pointers: list[str]
    failures: list[tuple[int, dict[tuple[str, int, int], int], str]]


def _prove(model: Any, task: Task, rule: sympy.Expr, budget: int, name: str) -> _Outcome:
    if not task.discrete:
        raise Unproved("the task has real-valued inputs (the proof needs finite domains)")
    if task.n_outputs != 1:
        raise Unproved("the task has several outputs")
    grid = task.output_grid
    if grid is None:
        raise Unproved("the task's outputs are real-valued")
    if task.feedback and not (isinstance(task.output, IntRange) and grid == 1):
        raise Unproved("a feedback task needs a declared integer output domain")
    counter = _Counter(budget)
    net = _network(model, task)
    values = _Values(net, task, counter)
    length = task.length
    candidates: dict[int, list[tuple[int, ...]]] = {}
    for offset, node in enumerate(net.nodes):
        if isinstance(node, _Head):
            candidates[net.n_inputs + offset] = _candidates(node, net, values, length, counter)
    rule_leaves = _rule_symbols(rule, task)
    seen: set[str] = set()
    used: set[int] = set()  # variables some output position reads
    combinations = 0
    for t in range(length):
        plan, out = _plan(net, candidates, values, t)
        used.update(variable for variable, _ in plan.memo)
        env_leaves = {}
        for name, (kind, index, lag) in rule_leaves.items():
            env_leaves[name] = None if t - lag < 0 else plan.leaf(kind, index, t - lag)
        reads = [(name, lag if t - lag >= 0 else None) for name, (_, _, lag) in rule_leaves.items()]
        key = f"{plan.keys[out]}|{reads}"
        if key in seen:
            continue  # the same computation as at an earlier position
        seen.add(key)
        sizes = [len(_domain_values(task, kind, index)) for kind, index, _ in plan.leaves]
        count = math.prod(sizes)
        if count > COMBINATIONS:
            raise Unproved(
                f"the output at position {t} depends on {len(sizes)} inputs, "
                f"{count:,} combinations (more than {COMBINATIONS:,})"
            )
        counter.spend(count * len(plan.nodes), f"position {t}")
        combinations += count
        failures = _check_position(plan, out, env_leaves, rule, task, net, sizes, grid, name)
        if failures:
            return _Outcome(combinations, [], failures)
    pointers = [
        _describe(net.node(v).name, per_t) if v in used else f"{net.node(v).name} not read"
        for v, per_t in candidates.items()
    ]
    return _Outcome(combinations, pointers, [])


def _describe(name: str, per_t: list[tuple[int, ...]]) -> str:
    """What step 2 showed about a head: a fixed-offset pointer, or how many slots may win."""
    offsets = set()
    for t, slots in enumerate(per_t):
        real = [d for d in slots if d <= t]
        if real and len(slots) > 1:
            widest = max(len(c) for c in per_t)
            return f"{name} decided among up to {widest} slots"
        offsets.update(real)
    if not offsets:
        return f"{name} reads only pads (0)"
    if len(offsets) == 1:
        return f"{name} a pointer to offset {offsets.pop()}"
    return f"{name} a pointer to offsets {sorted(offsets)} depending on t"


def _rule_symbols(rule: sympy.Expr, task: Task) -> dict[str, tuple[str, int, int]]:
    """Each symbol of the rule as (kind, index, lag)."""
    leaves = {}
    for symbol in sorted(sympy.sympify(rule).free_symbols, key=lambda s: s.name):
        try:
            name, lag = parse_symbol(symbol)
        except ValueError:
            raise Unproved(f"the rule reads {symbol}, which is no task symbol") from None
        if name in task.channels:
            leaves[symbol.name] = ("x", task.channels.index(name), lag)
        elif task.feedback and name in task.outputs and lag >= 1:
            leaves[symbol.name] = ("y", task.outputs.index(name), lag)
        else:
            raise Unproved(f"the rule reads {symbol}, which the task does not provide")
    return leaves


def _check_position(plan, out, env_leaves, rule, task, net, sizes, grid, name):
    """The failing combinations (first few, in enumeration order) at position plan.t."""
    count = math.prod(sizes)
    strides = [math.prod(sizes[i + 1 :]) for i in range(len(sizes))]
    domains = [_domain_values(task, kind, index) for kind, index, _ in plan.leaves]
    failures = []
    for start in range(0, count, CHUNK):
        index = np.arange(start, min(count, start + CHUNK), dtype=np.int64)
        n = len(index)
        digits = [(index // s) % size for s, size in zip(strides, sizes, strict=True)]
        raw = [d[digit] for d, digit in zip(domains, digits, strict=True)]
        centre, radius, undecided = _evaluate(plan, out, raw, net, n)
        env = {}
        for name, leaf in env_leaves.items():
            env[name] = (
                (np.zeros(n, dtype=np.int64), 1)
                if leaf is None
                else (raw[leaf].astype(np.int64), 1)
            )
        value = _exact(sympy.sympify(rule), env, n)
        num, den = (value.astype(np.int64), 1) if isinstance(value, np.ndarray) else value
        want = _on_grid(np.asarray(num, dtype=np.int64), den, grid)
        y = centre * grid
        spread = radius * grid + 4 * UNIT * np.abs(y)
        got = np.round(y)
        margin = (y - spread > got - 0.5) & (y + spread < got + 0.5) & np.isfinite(y)
        bad = undecided | ~margin | (got != want)
        for row in np.flatnonzero(bad)[: CANDIDATES - len(failures)]:
            if undecided[row]:
                why = "a head's argmax is not decided by a margin"
            elif not margin[row]:
                why = f"output {y[row] / grid:.17g} is within float error of a rounding boundary"
            else:
                why = f"the network gives {got[row] / grid:g}, the {name} {want[row] / grid:g}"
            assignment = {leaf: int(raw[i][row]) for i, leaf in enumerate(plan.leaves)}
            failures.append((plan.t, assignment, why))
        if failures:
            return failures
    return failures


def _realise_all(task, failures, run_model) -> list[list[Any]]:
    sequences = []
    for t, assignment, _why in failures:
        xs = _realise(task, t, assignment, run_model)
        if xs is not None and xs not in sequences:
            sequences.append(xs)
    return sequences


def _realise(task: Task, t: int, assignment: dict, run_model) -> list[Any] | None:
    """An input sequence of length t + 1 with the assignment's inputs, and (feedback tasks)
    inputs chosen position by position so that the model feeds back the assignment's outputs."""
    channels = task.n_channels
    x = np.array([[d.lo for d in task.inputs]] * (t + 1), dtype=np.float64)
    fixed = np.zeros_like(x, dtype=bool)
    wanted = {}
    for (kind, index, position), value in assignment.items():
        if kind == "x":
            x[position, index] = value
            fixed[position, index] = True
        else:
            wanted[position] = value
    if wanted:
        if run_model is None:
            return None
        for s in range(t + 1):
            if s not in wanted:
                continue
            free = [c for c in range(channels) if not fixed[s, c]]
            options = list(itertools.product(*[task.inputs[c].values() for c in free]))[:4096]
            trial = np.repeat(x[None, : s + 1], max(1, len(options)), axis=0)
            for row, option in enumerate(options):
                trial[row, s, free] = option
            y = task.quantise(np.asarray(run_model(trial)).reshape(len(trial), s + 1))[:, s]
            hits = np.flatnonzero(y == wanted[s])
            if len(hits) == 0:
                return None
            x[s] = trial[hits[0], s]
            fixed[s] = True
    rows = [int(v) for v in x[:, 0]] if channels == 1 else [tuple(int(v) for v in r) for r in x]
    return rows
