"""The compiler's IR: SSA nodes over per-position scalar sequences (torch-free).

Every node names one scalar sequence v[t]. Lowering (w2c.network.lower) produces Input, Expr (input
scaling), Attend (unresolved router), SubMLP (unresolved operator) and Output nodes; passes
replace unresolved nodes by resolved ones that keep the node's name, so the model's trace for a
name stays the ground truth for whatever op now defines it.

Which pass produces what (the node contract, after Tracr's compiler/nodes.py):

| field / op            | set by              | read by                                   |
|-----------------------|---------------------|-------------------------------------------|
| Input, Attend, SubMLP | lower               | every pass                                |
| Node.domain           | infer_domains       | mlp_symbolic, simplify (domain facts)     |
| Shift, Window, First, | attention_patterns  | prune, simplify, emit                     |
| PrevMatch             |                     |                                           |
| Expr (from a SubMLP)  | mlp_symbolic        | simplify, emit                            |
| Output.rule           | simplify            | emit, verification (symbolic check)       |
| IR.source             | emit                | compile, verification                     |

Evidence (agreement rates, fit errors, sample counts) rides on each node for the report.
Semantics of reads before the sequence start: every node reads 0 there (the model's zero pads).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np
import sympy

# --------------------------------------------------------------------------------------------
# Ops
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Input:
    """A task input: channel ``channel`` at t - lag (the feedback input is ("y", 1))."""

    channel: str
    lag: int = 0

    def operands(self) -> tuple[str, ...]:
        return ()

    def describe(self) -> str:
        return (
            f"input {self.channel}[t]" if self.lag == 0 else f"input {self.channel}[t-{self.lag}]"
        )


@dataclass(frozen=True)
class Expr:
    """A sympy expression over the operands' symbols (``sym(name)``), position-wise."""

    expr: sympy.Expr
    args: tuple[str, ...]

    def operands(self) -> tuple[str, ...]:
        return self.args

    def describe(self) -> str:
        return f"expr {self.expr}"


@dataclass(frozen=True)
class HeadWeights:
    """A head's hardened scoring parameters (for the exact NumPy fallback)."""

    q_weight: np.ndarray  # [d, bins + 1]
    q_bias: np.ndarray  # [d]
    k_weight: np.ndarray
    k_bias: np.ndarray
    rel_bias: np.ndarray  # [distances]
    ple_bins: int
    ple_range: float
    pad: int


@dataclass(frozen=True)
class Attend:
    """Unresolved attention head: reads query, key and value variables."""

    query: str
    key: str
    value: str
    layer: int
    head: int
    weights: HeadWeights | None = field(default=None, repr=False, compare=False)

    def operands(self) -> tuple[str, ...]:
        return (self.query, self.key, self.value)

    def describe(self) -> str:
        where = f"L{self.layer}H{self.head}"
        return f"attend q={self.query} k={self.key} v={self.value}  # unresolved {where}"


@dataclass(frozen=True)
class Shift:
    """src[t - k] (0 before the start): a fixed-offset head."""

    src: str
    k: int

    def operands(self) -> tuple[str, ...]:
        return (self.src,)

    def describe(self) -> str:
        return f"shift {self.src} by {self.k}"


@dataclass(frozen=True)
class WindowArgExtreme:
    """value[j] at the arg-max/min of key over j in {t-delta-z+1 .. t-delta} (pads read 0).

    Ties go to the earliest (``tie="first"``) or latest (``tie="last"``) position.
    """

    value: str
    key: str
    z: int
    kind: str  # "max" | "min"
    tie: str = "first"
    delta: int = 0

    def operands(self) -> tuple[str, ...]:
        return (self.value, self.key) if self.value != self.key else (self.value,)

    def describe(self) -> str:
        of = self.value if self.value == self.key else f"{self.value} at arg{self.kind} {self.key}"
        where = f"t-{self.delta + self.z - 1}..t" + (f"-{self.delta}" if self.delta else "")
        return f"window {self.kind} of {of} over {where}"


@dataclass(frozen=True)
class GatedShift:
    """src[t - k] when query[t] is one of ``values``, else 0 (a head that reads a pad)."""

    src: str
    k: int
    query: str
    values: tuple[float, ...]

    def operands(self) -> tuple[str, ...]:
        return (self.src, self.query) if self.src != self.query else (self.src,)

    def describe(self) -> str:
        shown = ", ".join(f"{v:g}" for v in self.values)
        return f"shift {self.src} by {self.k} where {self.query} in {{{shown}}}, else 0"


@dataclass(frozen=True)
class QueryGated:
    """``low`` where query[t] == values[0], ``high`` where query[t] == values[1].

    A dot-product head over a two-valued query (bits) can flip between two routings with the
    query's value, e.g. the window max when x[t] = 0 and the window min when x[t] = 1.
    """

    query: str
    values: tuple[float, float]
    low: Op
    high: Op

    def operands(self) -> tuple[str, ...]:
        names = (*self.low.operands(), *self.high.operands(), self.query)
        return tuple(dict.fromkeys(names))

    def describe(self) -> str:
        v0, v1 = self.values
        return (
            f"if {self.query} == {v1:g}: {self.high.describe()}; "
            f"if {self.query} == {v0:g}: {self.low.describe()}"
        )


@dataclass(frozen=True)
class FirstPosition:
    """value[0]: attend to the first position."""

    value: str

    def operands(self) -> tuple[str, ...]:
        return (self.value,)

    def describe(self) -> str:
        return f"first {self.value}"


@dataclass(frozen=True)
class PrevMatch:
    """value[j] at the last j < t with key[j] == query[t]; 0 if there is none."""

    value: str
    query: str
    key: str

    def operands(self) -> tuple[str, ...]:
        return (self.value, self.query, self.key)

    def describe(self) -> str:
        return f"value {self.value} at last earlier {self.key} == {self.query}"


@dataclass(frozen=True)
class SubMLP:
    """Unresolved sub-MLP: one ReLU hidden layer, one scalar out."""

    inputs: tuple[str, ...]
    layer: int
    index: int
    w1: np.ndarray = field(repr=False, compare=False)  # [k, hidden]
    b1: np.ndarray = field(repr=False, compare=False)  # [hidden]
    w2: np.ndarray = field(repr=False, compare=False)  # [hidden]
    b2: float = field(repr=False, compare=False, default=0.0)

    def operands(self) -> tuple[str, ...]:
        return self.inputs

    def describe(self) -> str:
        args = ", ".join(self.inputs)
        return f"submlp({args}) hidden={self.w1.shape[1]}  # unresolved L{self.layer}M{self.index}"

    def evaluate(self, *values: np.ndarray) -> np.ndarray:
        u = np.stack(values, axis=-1)
        return np.maximum(u @ self.w1 + self.b1, 0.0) @ self.w2 + self.b2


@dataclass(frozen=True)
class Output:
    """y[t]: ``scale * (sum_i weight_i * term_i + bias)``; ``rule`` once simplified."""

    terms: tuple[tuple[str, float], ...]
    bias: float
    scale: float
    rule: sympy.Expr | None = None  # over x_sym/y_sym symbols, set by simplify

    def operands(self) -> tuple[str, ...]:
        if self.rule is not None:  # the rule reads task symbols and any node left opaque
            return tuple(sorted(s.name for s in self.rule.free_symbols if "[" not in s.name))
        return tuple(name for name, _ in self.terms)

    def describe(self) -> str:
        if self.rule is not None:
            return f"output {self.rule}"
        terms = " + ".join(f"{w:.6g}*{n}" for n, w in self.terms)
        return f"output {self.scale:g} * ({terms} + {self.bias:.6g})"


Op = (
    Input
    | Expr
    | Attend
    | Shift
    | GatedShift
    | WindowArgExtreme
    | QueryGated
    | FirstPosition
    | PrevMatch
    | SubMLP
    | Output
)
UNRESOLVED = (Attend, SubMLP)


def sym(name: str) -> sympy.Symbol:
    """The sympy symbol standing for node ``name`` inside an Expr."""
    return sympy.Symbol(name, real=True)


# --------------------------------------------------------------------------------------------
# Nodes and the IR
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class DomainInfo:
    """What a node's values range over: a finite set when small, else an interval."""

    values: tuple[float, ...] | None
    lo: float
    hi: float
    integer: bool
    exact: bool  # derived from the task's domains (True) or only observed in traces (False)

    def describe(self) -> str:
        if self.values is not None and len(self.values) <= 6:
            shown = ", ".join(f"{v:g}" for v in self.values)
            return f"{{{shown}}}"
        kind = "ints" if self.integer else "reals"
        return f"{kind} [{self.lo:g}, {self.hi:g}]"


@dataclass(frozen=True)
class Node:
    name: str
    op: Op
    domain: DomainInfo | None = None
    evidence: Mapping[str, Any] = field(default_factory=dict)

    @property
    def resolved(self) -> bool:
        return not isinstance(self.op, UNRESOLVED)

    def line(self) -> str:
        text = f"%{self.name} = {self.op.describe()}"
        notes = []
        if self.domain is not None:
            notes.append(f"in {self.domain.describe()}")
        for key in ("method", "agreement", "output_agreement", "max_abs_error", "samples"):
            if key in self.evidence:
                value = self.evidence[key]
                notes.append(f"{key}={value:.4g}" if isinstance(value, float) else f"{key}={value}")
        return text + (f"    ; {', '.join(notes)}" if notes else "")


@dataclass(frozen=True)
class TaskInfo:
    """What the IR needs to know of the task (from the checkpoint record)."""

    name: str
    channels: tuple[str, ...]
    feedback: bool
    length: int
    discrete: bool


@dataclass(frozen=True)
class IR:
    task: TaskInfo
    nodes: tuple[Node, ...]
    output: str
    source: str | None = None  # set by emit
    notes: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        seen: set[str] = set()
        for node in self.nodes:
            for operand in node.op.operands():
                if operand not in seen:
                    raise ValueError(f"node {node.name} reads {operand} before it is defined")
            if node.name in seen:
                raise ValueError(f"node {node.name} defined twice")
            seen.add(node.name)
        if self.output not in seen:
            raise ValueError(f"output node {self.output} is not defined")

    def __str__(self) -> str:
        header = f"; task {self.task.name}: {len(self.nodes)} nodes"
        lines = [header] + [node.line() for node in self.nodes]
        if self.source is not None:
            lines.append(f"; program emitted: {len(self.source.splitlines())} lines")
        return "\n".join(lines)

    # ---- access -----------------------------------------------------------------------------

    def node(self, name: str) -> Node:
        for node in self.nodes:
            if node.name == name:
                return node
        raise KeyError(name)

    @property
    def names(self) -> tuple[str, ...]:
        return tuple(node.name for node in self.nodes)

    def unresolved(self) -> list[Node]:
        return [node for node in self.nodes if not node.resolved]

    def users(self, name: str) -> list[Node]:
        return [node for node in self.nodes if name in node.op.operands()]

    # ---- rebuilding -------------------------------------------------------------------------

    def with_nodes(self, nodes: Iterable[Node]) -> IR:
        return replace(self, nodes=tuple(nodes), source=None)

    def replace_node(self, name: str, **changes: Any) -> IR:
        return self.with_nodes(replace(n, **changes) if n.name == name else n for n in self.nodes)

    def live(self) -> set[str]:
        """Names the output depends on."""
        needed = {self.output}
        for node in reversed(self.nodes):
            if node.name in needed:
                needed.update(node.op.operands())
        return needed


# --------------------------------------------------------------------------------------------
# Reference interpreter (numpy): the semantics every pass must preserve
# --------------------------------------------------------------------------------------------


def _shift(values: np.ndarray, k: int) -> np.ndarray:
    out = np.zeros_like(values)
    if k < values.shape[1]:
        out[:, k:] = values[:, : values.shape[1] - k]
    return out


def _window(op: WindowArgExtreme, value: np.ndarray, key: np.ndarray) -> np.ndarray:
    value, key = _shift(value, op.delta), _shift(key, op.delta)
    batch, steps = value.shape
    pad = op.z - 1
    v = np.concatenate([np.zeros((batch, pad)), value], axis=1)
    k = np.concatenate([np.zeros((batch, pad)), key], axis=1)
    windows_k = np.lib.stride_tricks.sliding_window_view(k, op.z, axis=1)  # [B, T, z]
    windows_v = np.lib.stride_tricks.sliding_window_view(v, op.z, axis=1)
    chooser = np.argmax if op.kind == "max" else np.argmin
    if op.tie == "last":
        index = op.z - 1 - chooser(windows_k[..., ::-1], axis=-1)
    else:
        index = chooser(windows_k, axis=-1)
    return np.take_along_axis(windows_v, index[..., None], axis=-1)[..., 0]


def _prev_match(value: np.ndarray, query: np.ndarray, key: np.ndarray) -> np.ndarray:
    out = np.zeros_like(value)
    for t in range(1, value.shape[1]):
        match = key[:, :t] == query[:, t : t + 1]
        last = np.where(match.any(axis=1), t - 1 - np.argmax(match[:, ::-1], axis=1), -1)
        out[:, t] = np.where(last >= 0, value[np.arange(value.shape[0]), np.maximum(last, 0)], 0.0)
    return out


def _ple(values: np.ndarray, bins: int, limit: float) -> np.ndarray:
    edges = np.linspace(-limit, limit, bins + 1)
    ramps = np.clip((values[..., None] - edges[:-1]) / (edges[1] - edges[0]), 0.0, 1.0)
    return np.concatenate([ramps, values[..., None]], axis=-1)


def attend_values(w: HeadWeights, q: np.ndarray, k: np.ndarray, v: np.ndarray) -> np.ndarray:
    """A hardened head's output from its weights: arg-max attention over pads + history."""
    batch, steps = q.shape
    zeros = np.zeros((batch, w.pad))
    k_pad, v_pad = np.concatenate([zeros, k], axis=1), np.concatenate([zeros, v], axis=1)
    qv = _ple(q, w.ple_bins, w.ple_range) @ w.q_weight.T + w.q_bias  # [B, T, d]
    kv = _ple(k_pad, w.ple_bins, w.ple_range) @ w.k_weight.T + w.k_bias  # [B, S, d]
    scores = qv @ kv.transpose(0, 2, 1) / np.sqrt(w.q_bias.shape[0])
    distance = np.arange(steps)[:, None] + w.pad - np.arange(steps + w.pad)[None, :]
    scores = scores + w.rel_bias[np.clip(distance, 0, None)]
    scores = np.where(distance[None] >= 0, scores, -np.inf)
    index = np.argmax(scores, axis=-1)
    return np.take_along_axis(v_pad, index, axis=1)


def evaluate_op(
    op: Op, env: Mapping[str, np.ndarray], inputs: Mapping[str, np.ndarray]
) -> np.ndarray:
    """One node's values [B, T] given its operands' values."""
    if isinstance(op, Input):
        return _shift(inputs[op.channel], op.lag)
    if isinstance(op, Expr):
        fn = sympy.lambdify([sym(a) for a in op.args], op.expr, modules="numpy")
        shape = next(iter(inputs.values())).shape
        return np.broadcast_to(
            np.asarray(fn(*[env[a] for a in op.args]), dtype=float), shape
        ).copy()
    if isinstance(op, Shift):
        return _shift(env[op.src], op.k)
    if isinstance(op, QueryGated):
        high = np.isclose(env[op.query], op.values[1])
        return np.where(high, evaluate_op(op.high, env, inputs), evaluate_op(op.low, env, inputs))
    if isinstance(op, GatedShift):
        gate = np.isin(np.round(env[op.query], 9), np.round(np.array(op.values), 9))
        return np.where(gate, _shift(env[op.src], op.k), 0.0)
    if isinstance(op, WindowArgExtreme):
        return _window(op, env[op.value], env[op.key])
    if isinstance(op, FirstPosition):
        return np.broadcast_to(env[op.value][:, :1], env[op.value].shape).copy()
    if isinstance(op, PrevMatch):
        return _prev_match(env[op.value], env[op.query], env[op.key])
    if isinstance(op, SubMLP):
        return op.evaluate(*[env[a] for a in op.inputs])
    if isinstance(op, Attend) and op.weights is not None:
        return attend_values(op.weights, env[op.query], env[op.key], env[op.value])
    if isinstance(op, Output):
        total = np.full_like(next(iter(inputs.values())), op.bias, dtype=float)
        for name, weight in op.terms:
            total = total + weight * env[name]
        return op.scale * total
    raise TypeError(f"cannot evaluate {type(op).__name__} nodes")  # Attend needs the model


def evaluate(
    ir: IR, inputs: Mapping[str, np.ndarray], known: Mapping[str, np.ndarray] | None = None
) -> dict[str, np.ndarray]:
    """Every node's values given the inputs ({channel: [B, T]}, "y" = the true outputs).

    ``known`` supplies values for nodes the interpreter cannot compute (unresolved heads), e.g.
    the model's traces; the output uses the rule when simplify has set one.
    """
    env: dict[str, np.ndarray] = {}
    for node in ir.nodes:
        op = node.op
        if isinstance(op, Output) and op.rule is not None:
            env[node.name] = evaluate_rule(op.rule, inputs)
        elif isinstance(op, Attend) and (op.weights is None or (known and node.name in known)):
            if known is None or node.name not in known:
                raise ValueError(f"unresolved head {node.name} has no known values")
            env[node.name] = known[node.name]
        else:
            env[node.name] = evaluate_op(op, env, inputs)
    return env


def evaluate_rule(rule: sympy.Expr, inputs: Mapping[str, np.ndarray]) -> np.ndarray:
    """A rule over x_sym/y_sym symbols evaluated on sequences (reads before the start are 0)."""
    from w2c.tasks import parse_symbol

    symbols = sorted(rule.free_symbols, key=lambda s: s.name)
    fn = sympy.lambdify(symbols, rule, modules="numpy")
    args = []
    for symbol in symbols:
        channel, lag = parse_symbol(symbol)  # type: ignore[arg-type]
        args.append(_shift(inputs[channel], lag))
    shape = next(iter(inputs.values())).shape
    return np.broadcast_to(np.asarray(fn(*args), dtype=float), shape).copy()
