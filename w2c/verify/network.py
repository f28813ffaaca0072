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
from typing import Any

import numpy as np
import sympy

from w2c.tasks import IntRange, Task, parse_symbol
from w2c.verify.exactrule import exact_rule, on_grid
from w2c.verify.netarith import (
    UNIT,
    Head,
    Mlp,
    Net,
    Unproved,
    biased,
    gamma,
    hardened_network,
    mlp_forward,
    ple,
    score,
)

WORK_BUDGET = 400_000_000  # table cells + (combinations x nodes) per proof, deterministic
COMBINATIONS = 4_000_000  # leaf combinations of one position
VALUE_SET = 1_000_000  # product of a sub-MLP's operand sets, and the size of any value set
CHUNK = 1 << 16
NEGLIGIBLE = 1e-6  # an output term this small (task units) is an error term, not evaluated
CANDIDATES = 8  # failing combinations realised as sequences for the verifier to run


@dataclass(frozen=True)
class NetworkProof:
    """``status``: "proved", "refuted" (``candidates`` to run) or "unknown" (``detail``)."""

    status: str
    detail: str
    lengths: tuple[int, int] | None
    combinations: int = 0
    candidates: tuple[list[Any], ...] = ()
    seconds: float = 0.0


# ---- step 1: value sets ----------------------------------------------------------------------


@dataclass
class _Values:
    """Finite value sets (centre, radius) per variable, computed when a head needs them."""

    net: Net
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
        if isinstance(node, Head):
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
        return mlp_forward(node, centres, radii)


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


def _candidates(head: Head, net: Net, values: _Values, length: int, counter: _Counter):
    """For each query position t: the distances (0..t+pad) whose slot may win, for some query
    value and some key values; every other slot always loses, by a strict margin."""
    qc, qr = values.of(head.q)
    kc, kr = values.of(head.k)
    counter.spend(len(qc) * (len(kc) + 1) * net.dim, f"the score table of {head.name}")
    qv, qe = ple(qc, qr, head.q_weight, head.q_bias, net)
    kv, ke = ple(kc, kr, head.k_weight, head.k_bias, net)
    pv, pe = ple(np.zeros(1), np.zeros(1), head.k_weight, head.k_bias, net)
    dot, error = score(qv[:, None, :], qe[:, None, :], kv[None], ke[None], net.dim)
    real_lo = np.min(dot - error, axis=1)
    real_hi = np.max(dot + error, axis=1)
    real_abs = np.max(np.abs(dot), axis=1)
    pad_dot, pad_error = score(qv, qe, pv, pe, net.dim)
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
                centre, err = biased(pad_dot, pad_error, bias)
                lows.append(centre - err)
                highs.append(centre + err)
            elif distance == 0 and self_dot is not None:
                centre, err = biased(self_dot, self_error, bias)
                lows.append(centre - err)
                highs.append(centre + err)
            else:
                slack = 4 * UNIT * (real_abs + abs(bias)) + 1e-300
                lows.append(real_lo + bias - slack)
                highs.append(real_hi + bias + slack)
        low, high = np.stack(lows, axis=1), np.stack(highs, axis=1)  # [nq, distances]
        if not (np.all(np.isfinite(low)) and np.all(np.isfinite(high))):
            raise Unproved(f"{head.name} has scores that are not finite")
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
    net: Net, candidates: dict[int, list[tuple[int, ...]]], values: _Values, t: int
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
        if isinstance(node, Mlp):
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


def _evaluate(plan: _Plan, out: int, leaf_values: list[np.ndarray], net: Net, n: int):
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
                mlp_forward(
                    mlp, [results[o][0] for o in operands], [results[o][1] for o in operands]
                )
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
            error = (spread + gamma(width) * (magnitude + abs(net.out_bias))) * abs(net.out_scale)
            error = error + 4 * UNIT * np.abs(y) + 1e-300
            results.append((y, error))
    centre, radius = results[out]
    return centre, radius, undecided


def _attend(head: Head, query: int, choices, results, net: Net, n: int):
    qc, qr = results[query]
    qv, qe = ple(qc, qr, head.q_weight, head.q_bias, net)
    pv, pe = ple(np.zeros(1), np.zeros(1), head.k_weight, head.k_bias, net)
    lows, highs, centres, values, radii = [], [], [], [], []
    for distance, key, value in choices:
        if key is None:
            dot, error = score(qv, qe, pv, pe, net.dim)
            vc, vr = np.zeros(n), np.zeros(n)
        else:
            kv, ke = ple(*results[key], head.k_weight, head.k_bias, net)
            dot, error = score(qv, qe, kv, ke, net.dim)
            vc, vr = results[value]
        total, err = biased(dot, error, float(head.rel_bias[distance]))
        centres.append(total)
        lows.append(total - err)
        highs.append(total + err)
        values.append(vc)
        radii.append(vr)
    low, high = np.stack(lows, 1), np.stack(highs, 1)
    value, radius = np.stack(values, 1), np.stack(radii, 1)
    best = np.argmax(np.stack(centres, 1), axis=1)
    rows = np.arange(n)
    contenders = high >= low[rows, best][:, None]  # may still win: must hold the same value
    chosen = value[rows, best]
    undecided = np.any(contenders & (value != chosen[:, None]), axis=1)
    undecided |= ~np.all(np.isfinite(low) & np.isfinite(high), axis=1)  # no margin to trust
    widest = np.max(np.where(contenders, radius, 0.0), axis=1)
    return chosen, widest, undecided


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
    net = hardened_network(model, task)
    values = _Values(net, task, counter)
    length = task.length
    candidates: dict[int, list[tuple[int, ...]]] = {}
    for offset, node in enumerate(net.nodes):
        if isinstance(node, Head):
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
        value = exact_rule(sympy.sympify(rule), env, n)
        num, den = (value.astype(np.int64), 1) if isinstance(value, np.ndarray) else value
        want = on_grid(np.asarray(num, dtype=np.int64), den, grid)
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
