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
| Shift, GatedShift,    | attention_patterns  | prune, simplify, emit                     |
| QueryGated, Window,   |                     |                                           |
| First, PrevMatch      |                     |                                           |
| Expr (from a SubMLP)  | mlp_symbolic        | simplify, emit                            |
| Output.rule           | simplify            | emit, verification (symbolic check)       |
| IR.source             | emit                | compile, verification                     |

Evidence (agreement rates, fit errors, sample counts) rides on each node for the report.
Semantics of reads before the sequence start: every node reads 0 there (the model's zero pads).
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any, ClassVar

import libcst as cst
import numpy as np
import sympy

from w2c.codegen.build import call, float_list, index, integer, name
from w2c.compiler import algebra, kernels
from w2c.tasks import Task, x_sym, y_sym

if TYPE_CHECKING:
    from w2c.codegen.program import ProgramBuilder

Env = Mapping[str, np.ndarray]
Exprs = Mapping[str, sympy.Expr]

# --------------------------------------------------------------------------------------------
# Ops
# --------------------------------------------------------------------------------------------


class Op(ABC):
    """One op kind: what it reads, how it prints, and its three meanings in one place.

    ``evaluate`` is the reference semantics (NumPy over [B, T] sequences, w2c/compiler/
    interpret.py runs a whole IR with it), ``inline`` its expression over the task's symbols for
    simplify (None: the node stays opaque), ``emit`` the libcst expression computing its value
    at position t in the emitted program (w2c/codegen/program.py). An op kind without any of
    them cannot be instantiated.
    """

    reads: ClassVar[tuple[str, ...]] = ()  # the fields that name operand nodes, in order

    def operands(self) -> tuple[str, ...]:
        """The nodes this op reads (by default the values of its ``reads`` fields)."""
        return tuple(getattr(self, field_name) for field_name in self.reads)

    @abstractmethod
    def describe(self) -> str: ...

    @abstractmethod
    def evaluate(self, env: Env, inputs: Env) -> np.ndarray:
        """The node's values [B, T] given its operands' values (``env``) and the inputs."""

    @abstractmethod
    def inline(self, exprs: Exprs, ir: IR) -> sympy.Expr | None:
        """The node as an expression over task symbols, or None when it cannot be inlined."""

    @abstractmethod
    def emit(self, node: str, b: ProgramBuilder) -> cst.BaseExpression:
        """The node's value at position t in the program (``b`` binds names and helpers)."""


def _window_flag(value: bool) -> cst.Name:
    return name("True" if value else "False")


def _parenthesised(expr: cst.BaseExpression) -> cst.BaseExpression:
    """A conditional expression nested in another needs parentheses."""
    if isinstance(expr, cst.IfExp):
        return expr.with_changes(lpar=[cst.LeftParen()], rpar=[cst.RightParen()])
    return expr


@dataclass(frozen=True)
class Input(Op):
    """A task input: channel ``channel`` at t - lag (the feedback input is ("y", 1))."""

    channel: str
    lag: int = 0

    def operands(self) -> tuple[str, ...]:
        return ()

    def describe(self) -> str:
        return (
            f"input {self.channel}[t]" if self.lag == 0 else f"input {self.channel}[t-{self.lag}]"
        )

    def evaluate(self, env: Env, inputs: Env) -> np.ndarray:
        return kernels.shift(inputs[self.channel], self.lag)

    def inline(self, exprs: Exprs, ir: IR) -> sympy.Expr | None:
        return y_sym(self.lag) if self.channel == "y" else x_sym(self.lag, self.channel)

    def emit(self, node: str, b: ProgramBuilder) -> cst.BaseExpression:
        return b.read(self.channel, self.lag)


@dataclass(frozen=True)
class Expr(Op):
    """A sympy expression over the operands' symbols (``sym(name)``), position-wise."""

    expr: sympy.Expr
    args: tuple[str, ...]

    def operands(self) -> tuple[str, ...]:
        return self.args

    def describe(self) -> str:
        return f"expr {self.expr}"

    def evaluate(self, env: Env, inputs: Env) -> np.ndarray:
        fn = sympy.lambdify([sym(a) for a in self.args], self.expr, modules="numpy")
        shape = next(iter(inputs.values())).shape
        return np.broadcast_to(
            np.asarray(fn(*[env[a] for a in self.args]), dtype=float), shape
        ).copy()

    def inline(self, exprs: Exprs, ir: IR) -> sympy.Expr | None:
        return self.expr.xreplace({sym(a): exprs[a] for a in self.args})

    def emit(self, node: str, b: ProgramBuilder) -> cst.BaseExpression:
        mapping = {sym(a): b.bind(a) for a in self.args}
        return b.printer(mapping)(self.expr)


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
class Attend(Op):
    """Unresolved attention head: reads query, key and value variables."""

    query: str
    key: str
    value: str
    layer: int
    head: int
    weights: HeadWeights | None = field(default=None, repr=False, compare=False)

    reads = ("query", "key", "value")

    def describe(self) -> str:
        where = f"L{self.layer}H{self.head}"
        return f"attend q={self.query} k={self.key} v={self.value}  # unresolved {where}"

    def evaluate(self, env: Env, inputs: Env) -> np.ndarray:
        if self.weights is None:
            raise TypeError("cannot evaluate Attend nodes")  # it needs the model
        return kernels.attend_values(self.weights, env[self.query], env[self.key], env[self.value])

    def inline(self, exprs: Exprs, ir: IR) -> sympy.Expr | None:
        return None

    def emit(self, node: str, b: ProgramBuilder) -> cst.BaseExpression:
        from w2c.codegen.runtime import head_params

        if self.weights is None:
            raise ValueError(f"unresolved head {node} carries no weights to embed")
        helper = b.use_helper("_fallback_attend")
        constant = b.add_constant(f"_PARAMS_{node}", head_params(self.weights))
        sequences = [b.sequence(a) for a in (self.query, self.key, self.value)]
        return call(helper, constant, *(name(seq) for seq in sequences), name("t"))


@dataclass(frozen=True)
class Shift(Op):
    """src[t - k] (0 before the start): a fixed-offset head."""

    src: str
    k: int

    reads = ("src",)

    def describe(self) -> str:
        return f"shift {self.src} by {self.k}"

    def evaluate(self, env: Env, inputs: Env) -> np.ndarray:
        return kernels.shift(env[self.src], self.k)

    def inline(self, exprs: Exprs, ir: IR) -> sympy.Expr | None:
        src = exprs[self.src]
        if algebra.pure(src) and algebra.vanishes_at_zero(src):
            return algebra.shift_lags(src, self.k)
        return None

    def emit(self, node: str, b: ProgramBuilder) -> cst.BaseExpression:
        seq, lag = b.history(self.src)
        return b.read(seq, lag + self.k)


@dataclass(frozen=True)
class WindowArgExtreme(Op):
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

    def evaluate(self, env: Env, inputs: Env) -> np.ndarray:
        value, key = env[self.value], env[self.key]
        return kernels.window_pick(value, key, self.z, self.kind, self.tie, self.delta)

    def inline(self, exprs: Exprs, ir: IR) -> sympy.Expr | None:
        src = exprs[self.value]
        if self.key == self.value and algebra.pure(src) and algebra.vanishes_at_zero(src):
            copies = [algebra.shift_lags(src, self.delta + j) for j in range(self.z)]
            return (sympy.Max if self.kind == "max" else sympy.Min)(*copies)
        return None

    def emit(self, node: str, b: ProgramBuilder) -> cst.BaseExpression:
        helper = b.use_helper("_window_pick")
        return call(
            helper,
            name(b.sequence(self.value)),
            name(b.sequence(self.key)),
            name("t"),
            integer(self.z),
            integer(self.delta),
            _window_flag(self.kind == "max"),
            _window_flag(self.tie == "last"),
        )


@dataclass(frozen=True)
class GatedShift(Op):
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

    def evaluate(self, env: Env, inputs: Env) -> np.ndarray:
        gate = np.isin(np.round(env[self.query], 9), np.round(np.array(self.values), 9))
        return np.where(gate, kernels.shift(env[self.src], self.k), 0.0)

    def inline(self, exprs: Exprs, ir: IR) -> sympy.Expr | None:
        src, query = exprs[self.src], exprs[self.query]
        gate = algebra.bit_gate(query, self.values, ir.node(self.query).domain)
        if gate is not None and algebra.pure(src) and algebra.vanishes_at_zero(src):
            if algebra.pure(query):
                return algebra.shift_lags(src, self.k) * gate
        return None

    def emit(self, node: str, b: ProgramBuilder) -> cst.BaseExpression:
        seq, lag = b.history(self.src)
        options = cst.Tuple([cst.Element(float_list(np.array(v))) for v in self.values])
        query = _parenthesised(b.value_at_t(self.query))
        test = cst.Comparison(query, [cst.ComparisonTarget(cst.In(), options)])
        read = _parenthesised(b.read(seq, lag + self.k))
        return cst.IfExp(test=test, body=read, orelse=integer(0))


@dataclass(frozen=True)
class QueryGated(Op):
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

    def evaluate(self, env: Env, inputs: Env) -> np.ndarray:
        high = np.isclose(env[self.query], self.values[1])
        return np.where(high, self.high.evaluate(env, inputs), self.low.evaluate(env, inputs))

    def inline(self, exprs: Exprs, ir: IR) -> sympy.Expr | None:
        query = exprs[self.query]
        low, high = self.low.inline(exprs, ir), self.high.inline(exprs, ir)
        gate = algebra.bit_gate(query, (self.values[1],), ir.node(self.query).domain)
        if low is not None and high is not None and gate is not None and algebra.pure(query):
            return gate * high + (1 - gate) * low
        return None

    def emit(self, node: str, b: ProgramBuilder) -> cst.BaseExpression:
        target = float_list(np.array(self.values[1]))
        query = _parenthesised(b.value_at_t(self.query))
        test = cst.Comparison(query, [cst.ComparisonTarget(cst.Equal(), target)])
        high = _parenthesised(self.high.emit(node, b))
        low = _parenthesised(self.low.emit(node, b))
        return cst.IfExp(test=test, body=high, orelse=low)


Cell = tuple[float, ...]  # one value per feature of a DecisionList


def _number(value: float) -> cst.BaseExpression:
    """An integral value as an integer literal (``0``, not ``0.0``), else its exact float."""
    if value == int(value):
        literal = integer(abs(int(value)))
        return cst.UnaryOperation(cst.Minus(), literal) if value < 0 else literal
    return float_list(np.array(value))


def _shown(value: float) -> str:
    return f"{value:g}"


@dataclass(frozen=True)
class DecisionList(Op):
    """A node told case by case from a few features it reads on a finite domain.

    ``features`` are reads node[t - lag] (0 before the start). Each case lists the cells (one
    value per feature) where its op gives the node; every other cell, seen or not, takes
    ``default``. A head no single pattern explains, e.g. ``x[t] if y[t-1] == 0 else 0``
    (passes/attention_patterns.py), and a sub-MLP symbolic regression cannot fit, as a table of
    constants over its operands' values (passes/mlp_symbolic.py), are described this way.
    """

    features: tuple[tuple[str, int], ...]
    cases: tuple[tuple[tuple[Cell, ...], Op], ...]
    default: Op

    def operands(self) -> tuple[str, ...]:
        names = [n for n, _ in self.features]
        for _, op in self.cases:
            names.extend(op.operands())
        return tuple(dict.fromkeys([*names, *self.default.operands()]))

    def _feature_names(self) -> list[str]:
        return [f"{n}[t]" if lag == 0 else f"{n}[t-{lag}]" for n, lag in self.features]

    def _cells_text(self, cells: tuple[Cell, ...]) -> str:
        names = self._feature_names()
        if len(names) == 1:
            shown = ", ".join(_shown(c[0]) for c in cells)
            return f"{names[0]} == {shown}" if len(cells) == 1 else f"{names[0]} in {{{shown}}}"
        tuples = ", ".join("(" + ", ".join(_shown(v) for v in c) + ")" for c in cells)
        if len(cells) == 1:
            return f"({', '.join(names)}) == {tuples}"
        return f"({', '.join(names)}) in {{{tuples}}}"

    def describe(self) -> str:
        parts = [f"if {self._cells_text(cells)}: {op.describe()}" for cells, op in self.cases]
        return "; ".join([*parts, f"else: {self.default.describe()}"])

    def feature_values(self, env: Env) -> list[np.ndarray]:
        """Each feature's values [B, T], rounded as cells are (to 9 decimals)."""
        return [np.round(kernels.shift(env[n], lag), 9) for n, lag in self.features]

    def evaluate(self, env: Env, inputs: Env) -> np.ndarray:
        features = self.feature_values(env)
        out = self.default.evaluate(env, inputs)
        for cells, op in reversed(self.cases):  # the first case whose cells hold wins
            inside = np.zeros(out.shape, dtype=bool)
            for cell in cells:
                hit = np.ones(out.shape, dtype=bool)
                for values, value in zip(features, cell, strict=True):
                    hit &= values == round(value, 9)
                inside |= hit
            out = np.where(inside, op.evaluate(env, inputs), out)
        return out

    def inline(self, exprs: Exprs, ir: IR) -> sympy.Expr | None:
        """Over bit features only: each cell's indicator as a product of bit gates."""
        gates = []
        for node_name, lag in self.features:
            expr = exprs[node_name]
            bits = algebra.bit_gate(expr, (1.0,), ir.node(node_name).domain)
            if bits is None or not algebra.pure(expr):
                return None
            if lag and not algebra.vanishes_at_zero(expr):
                return None
            gates.append(algebra.shift_lags(expr, lag) if lag else expr)
        default = self.default.inline(exprs, ir)
        parts = [op.inline(exprs, ir) for _, op in self.cases]
        if default is None or any(part is None for part in parts):
            return None
        total, covered = sympy.Integer(0), sympy.Integer(0)
        for (cells, _), part in zip(self.cases, parts, strict=True):
            indicator = sympy.Add(*[self._indicator(gates, cell) for cell in cells])
            total, covered = total + indicator * part, covered + indicator
        return total + (1 - covered) * default

    @staticmethod
    def _indicator(gates: list[sympy.Expr], cell: Cell) -> sympy.Expr:
        return sympy.Mul(*[g if v == 1 else 1 - g for g, v in zip(gates, cell, strict=True)])

    def _read(self, node_name: str, lag: int, b: ProgramBuilder) -> cst.BaseExpression:
        if lag == 0:
            return name(b.bind(node_name))
        seq, extra = b.history(node_name)
        return _parenthesised(b.read(seq, extra + lag))

    def _test(self, cells: tuple[Cell, ...], b: ProgramBuilder) -> cst.BaseExpression:
        subjects = [self._read(n, lag, b) for n, lag in self.features]
        if len(subjects) == 1:
            subject: cst.BaseExpression = subjects[0]
            options = [_number(c[0]) for c in cells]
        else:
            subject = cst.Tuple([cst.Element(r) for r in subjects])
            options = [cst.Tuple([cst.Element(_number(v)) for v in c]) for c in cells]
        if len(options) == 1:
            return cst.Comparison(subject, [cst.ComparisonTarget(cst.Equal(), options[0])])
        choices = cst.Tuple([cst.Element(o) for o in options])
        return cst.Comparison(subject, [cst.ComparisonTarget(cst.In(), choices)])

    def emit(self, node: str, b: ProgramBuilder) -> cst.BaseExpression:
        result = _parenthesised(self.default.emit(node, b))
        for cells, op in reversed(self.cases):
            body = _parenthesised(op.emit(node, b))
            result = cst.IfExp(test=self._test(cells, b), body=body, orelse=result)
        return result


@dataclass(frozen=True)
class FirstPosition(Op):
    """value[0]: attend to the first position."""

    value: str

    reads = ("value",)

    def describe(self) -> str:
        return f"first {self.value}"

    def evaluate(self, env: Env, inputs: Env) -> np.ndarray:
        return np.broadcast_to(env[self.value][:, :1], env[self.value].shape).copy()

    def inline(self, exprs: Exprs, ir: IR) -> sympy.Expr | None:
        return None

    def emit(self, node: str, b: ProgramBuilder) -> cst.BaseExpression:
        seq, lag = b.history(self.value)
        return integer(0) if lag else index(seq, integer(0))  # a delayed input reads a pad


@dataclass(frozen=True)
class PrevMatch(Op):
    """value[j] at the last j < t with key[j] == query[t]; 0 if there is none."""

    value: str
    query: str
    key: str

    reads = ("value", "query", "key")

    def describe(self) -> str:
        return f"value {self.value} at last earlier {self.key} == {self.query}"

    def evaluate(self, env: Env, inputs: Env) -> np.ndarray:
        return kernels.prev_match(env[self.value], env[self.query], env[self.key])

    def inline(self, exprs: Exprs, ir: IR) -> sympy.Expr | None:
        return None

    def emit(self, node: str, b: ProgramBuilder) -> cst.BaseExpression:
        helper = b.use_helper("_prev_match")
        values, keys = b.sequence(self.value), b.sequence(self.key)
        return call(helper, name(values), name(keys), b.value_at_t(self.query), name("t"))


@dataclass(frozen=True)
class SubMLP(Op):
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

    def apply(self, *values: np.ndarray) -> np.ndarray:
        """The hardened sub-MLP on its operands' values."""
        u = np.stack(values, axis=-1)
        return np.maximum(u @ self.w1 + self.b1, 0.0) @ self.w2 + self.b2

    def evaluate(self, env: Env, inputs: Env) -> np.ndarray:
        return self.apply(*[env[a] for a in self.inputs])

    def inline(self, exprs: Exprs, ir: IR) -> sympy.Expr | None:
        return None

    def emit(self, node: str, b: ProgramBuilder) -> cst.BaseExpression:
        from w2c.codegen.runtime import mlp_fallback

        helper = b.add_helper(mlp_fallback(node, self))
        return call(helper, *[b.value_at_t(a) for a in self.inputs])


@dataclass(frozen=True)
class Output(Op):
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

    def expression(self) -> sympy.Expr:
        """The rule, or (before simplify) the weighted sum over the named nodes."""
        if self.rule is not None:
            return self.rule
        total = sum((w * sym(n) for n, w in self.terms), sympy.Float(self.bias))
        return self.scale * total

    def evaluate(self, env: Env, inputs: Env) -> np.ndarray:
        if self.rule is not None:
            return kernels.evaluate_rule(self.rule, inputs)
        total = np.full_like(next(iter(inputs.values())), self.bias, dtype=float)
        for node_name, weight in self.terms:
            total = total + weight * env[node_name]
        return self.scale * total

    def inline(self, exprs: Exprs, ir: IR) -> sympy.Expr | None:
        total = sum((w * exprs[n] for n, w in self.terms), sympy.Float(self.bias))
        return self.scale * total

    def emit(self, node: str, b: ProgramBuilder) -> cst.BaseExpression:
        return b.rule_value(node)


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
    """What the IR needs to know of the task (from the checkpoint record).

    ``grid`` is the task's output grid (``Task.output_grid``: outputs compared as
    round(y * grid) / grid; None for real outputs); ``outputs`` the output channels' names.
    """

    name: str
    channels: tuple[str, ...]
    feedback: bool
    length: int
    grid: int | None
    outputs: tuple[str, ...] = ("y",)


def task_info(task: Task) -> TaskInfo:
    """The IR's view of a task."""
    return TaskInfo(
        task.name, tuple(task.channels), task.feedback, task.length, task.output_grid, task.outputs
    )


@dataclass(frozen=True)
class IR:
    """The nodes, in definition order, and the output nodes (one per output channel)."""

    task: TaskInfo
    nodes: tuple[Node, ...]
    outputs: tuple[str, ...]  # a single name is accepted and becomes a 1-tuple
    source: str | None = None  # set by emit
    notes: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        if isinstance(self.outputs, str):
            object.__setattr__(self, "outputs", (self.outputs,))
        seen: set[str] = set()
        for node in self.nodes:
            for operand in node.op.operands():
                if operand not in seen:
                    raise ValueError(f"node {node.name} reads {operand} before it is defined")
            if node.name in seen:
                raise ValueError(f"node {node.name} defined twice")
            seen.add(node.name)
        for output in self.outputs:
            if output not in seen:
                raise ValueError(f"output node {output} is not defined")

    @property
    def output(self) -> str:
        """The output node of a one-output IR (several outputs: use ``outputs``)."""
        if len(self.outputs) != 1:
            raise ValueError(f"this IR has {len(self.outputs)} outputs; read ir.outputs")
        return self.outputs[0]

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
        """Names the outputs depend on."""
        needed = set(self.outputs)
        for node in reversed(self.nodes):
            if node.name in needed:
                needed.update(node.op.operands())
        return needed


@dataclass(frozen=True)
class Traces:
    """What the hardened model computed on the traced inputs (recorded by w2c/lower.py)."""

    inputs: dict[str, np.ndarray]  # channel -> [B, T] task units; "y" = outputs fed back
    values: dict[str, np.ndarray]  # node name -> [B, T] (model units)
    attention: dict[str, np.ndarray]  # head node -> [B, T] attended time (negative = pad)
    samples: int
