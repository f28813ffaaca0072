"""emit: build the program module with libcst and format it with black.

The module holds a documented ``def program(xs)`` (docs/tasks.md): it takes the input sequence
(a number per position, or a tuple per position for multi-channel tasks) of any length and
returns the list of outputs, computing fed-back outputs itself in a loop. Reads before the start
are guarded explicitly (``x[t - 1] if t >= 1 else 0``; Python's ``x[-1]`` would wrap). A header
docstring records the task, the model's hash, the pipeline, the update rule and the verification
result. Nodes that stay unresolved are embedded as small NumPy functions that repeat the
hardened network's exact computation, clearly marked as fallbacks. Every identifier comes from
validated names and every constant becomes a libcst node: no text is pasted into the code.
"""

from __future__ import annotations

import textwrap
from collections.abc import Sequence

import black
import libcst as cst
import numpy as np
import sympy

from w2c.ir import (
    IR,
    Attend,
    Expr,
    FirstPosition,
    GatedShift,
    HeadWeights,
    Input,
    Node,
    Output,
    PrevMatch,
    Shift,
    SubMLP,
    WindowArgExtreme,
    sym,
)
from w2c.passes.simplify import pure
from w2c.passes.sympy_to_cst import Converter
from w2c.pipeline import Context, Pass
from w2c.tasks import Task, parse_symbol

UNVERIFIED = ("Verification: not run yet.",)
_DOC_FORBIDDEN = ('"""', "\\")

# ---------------------------------------------------------------------------------------------
# small libcst builders
# ---------------------------------------------------------------------------------------------


def name(text: str) -> cst.Name:
    return cst.Name(text)


def integer(value: int) -> cst.BaseExpression:
    return cst.Integer(str(value))


def line(statement: cst.BaseSmallStatement) -> cst.SimpleStatementLine:
    return cst.SimpleStatementLine([statement])


def assign(target: str, value: cst.BaseExpression) -> cst.SimpleStatementLine:
    return line(cst.Assign([cst.AssignTarget(name(target))], value))


def call(function: cst.BaseExpression, *args: cst.BaseExpression) -> cst.Call:
    return cst.Call(function, [cst.Arg(a) for a in args])


def method(obj: str, attribute: str, *args: cst.BaseExpression) -> cst.Call:
    return call(cst.Attribute(name(obj), name(attribute)), *args)


def index(seq: str, position: cst.BaseExpression) -> cst.Subscript:
    return cst.Subscript(name(seq), [cst.SubscriptElement(cst.Index(position))])


def column(seq: str, position: cst.BaseExpression) -> cst.Subscript:
    """``seq[:, position]``: one time step of a batch."""
    every = cst.SubscriptElement(cst.Slice(lower=None, upper=None))
    return cst.Subscript(name(seq), [every, cst.SubscriptElement(cst.Index(position))])


def float_array(value: cst.BaseExpression, function: str) -> cst.Call:
    """``np.<function>(value, dtype=np.float64)``."""
    dtype = cst.Arg(cst.Attribute(name("np"), name("float64")), keyword=name("dtype"))
    return cst.Call(cst.Attribute(name("np"), name(function)), [cst.Arg(value), dtype])


def leading_shape(count: int) -> cst.Subscript:
    """``xs.shape[:count]``."""
    every = cst.SubscriptElement(cst.Slice(lower=None, upper=integer(count)))
    return cst.Subscript(cst.Attribute(name("xs"), name("shape")), [every])


def t_minus(k: int) -> cst.BaseExpression:
    if k == 0:
        return name("t")
    return cst.BinaryOperation(name("t"), cst.Subtract(), integer(k))


def guarded_read(
    seq: str, lag: int, batched: bool = False, rounded: bool = False
) -> cst.BaseExpression:
    """``seq[t - lag] if t >= lag else 0``: reads before the start are 0.

    ``batched`` reads a time step of a (batch, T) array instead: ``seq[:, t - lag]``;
    ``rounded`` reads ``round(seq[t - lag])`` (``np.round`` when batched).
    """
    read = column if batched else index
    if lag == 0:
        return read(seq, name("t"))
    value: cst.BaseExpression = read(seq, t_minus(lag))
    if rounded:
        value = call(cst.Attribute(name("np"), name("round")) if batched else name("round"), value)
    test = cst.Comparison(name("t"), [cst.ComparisonTarget(cst.GreaterThanEqual(), integer(lag))])
    return cst.IfExp(test=test, body=value, orelse=integer(0))


def integer_rule(expr: sympy.Expr) -> bool:
    """Integer inputs give an integer output: task symbols, integer constants, no division."""
    negative_power = any(p.exp.is_negative for p in expr.atoms(sympy.Pow))
    return pure(expr) and not negative_power and all(n.is_Integer for n in expr.atoms(sympy.Number))


def docstring(text: str, indent_hint: str = "") -> cst.SimpleStatementLine:
    for bad in _DOC_FORBIDDEN:
        if bad in text:
            raise ValueError("docstring text may not contain triple quotes or backslashes")
    if not text.isprintable() and not all(c.isprintable() or c == "\n" for c in text):
        raise ValueError("docstring text must be printable")
    del indent_hint
    return line(cst.Expr(cst.SimpleString(f'"""{text}\n"""')))


def float_list(values: np.ndarray) -> cst.BaseExpression:
    """A (nested) list literal of exact float reprs."""
    if values.ndim == 0:
        number = float(values)
        node: cst.BaseExpression = cst.Float(repr(abs(number)))
        return cst.UnaryOperation(cst.Minus(), node) if number < 0 else node
    return cst.List([cst.Element(float_list(v)) for v in values])


# ---------------------------------------------------------------------------------------------
# variable naming
# ---------------------------------------------------------------------------------------------


def symbol_variable(symbol: sympy.Symbol) -> str:
    """x[t] -> x_t, x[t-2] -> x_t2, y[t-1] -> y_t1; node symbols -> <node>_t."""
    try:
        channel, lag = parse_symbol(symbol)
    except ValueError:
        return f"{symbol.name}_t"
    return f"{channel}_t" if lag == 0 else f"{channel}_t{lag}"


# ---------------------------------------------------------------------------------------------
# helper functions embedded in the program
# ---------------------------------------------------------------------------------------------

WINDOW_HELPER = '''
def _window_pick(values, keys, t, z, delta, largest, last):
    """values[j] at the arg-max (largest) or arg-min of keys, j in t-delta-z+1..t-delta.

    Positions before the start read 0.
    """
    best_key = None
    best_value = 0
    for j in range(t - delta - z + 1, t - delta + 1):
        key = keys[j] if j >= 0 else 0
        value = values[j] if j >= 0 else 0
        better = best_key is None or (key > best_key if largest else key < best_key)
        if better or (last and key == best_key):
            best_key, best_value = key, value
    return best_value
'''

ATTEND_HELPER = '''
def _fallback_attend(params, queries, keys, values, t):
    """FALLBACK: an unresolved head's exact hardened computation (arg-max attention)."""
    import numpy as np

    bins, limit, pad = params["bins"], params["range"], params["pad"]
    edges = np.linspace(-limit, limit, bins + 1)

    def encode(v):
        ramps = np.clip((v - edges[:-1]) / (edges[1] - edges[0]), 0.0, 1.0)
        return np.append(ramps, v)

    q = np.array(params["q_weight"]) @ encode(queries[t]) + np.array(params["q_bias"])
    k_weight, k_bias = np.array(params["k_weight"]), np.array(params["k_bias"])
    scale = np.sqrt(len(params["q_bias"]))
    best_score, best_value = None, 0.0
    for j in range(t - pad, t + 1):
        key = keys[j] if j >= 0 else 0.0
        score = float(q @ (k_weight @ encode(key) + k_bias)) / scale
        score += params["rel_bias"][t - j]
        if best_score is None or score > best_score:
            best_score, best_value = score, (values[j] if j >= 0 else 0.0)
    return best_value
'''

PREV_MATCH_HELPER = '''
def _prev_match(values, keys, query, t):
    """values[j] at the last j < t with keys[j] == query; 0 if there is none."""
    for j in range(t - 1, -1, -1):
        if keys[j] == query:
            return values[j]
    return 0
'''


def _parse_helper(source: str) -> cst.FunctionDef:
    """A fixed helper written in this file (no checkpoint data), parsed once."""
    module = cst.parse_module(source.strip() + "\n")
    statement = module.body[0]
    assert isinstance(statement, cst.FunctionDef)
    return statement


def mlp_fallback(node: Node, op: SubMLP) -> cst.FunctionDef:
    """The hardened sub-MLP as NumPy: relu(u @ w1 + b1) @ w2 + b2 with its exact weights."""
    params = [cst.Param(name(f"u{i}")) for i in range(len(op.inputs))]
    inputs = cst.List([cst.Element(name(f"u{i}")) for i in range(len(op.inputs))])
    body = [
        docstring(
            f"FALLBACK (unresolved sub-MLP {node.name}): the hardened network's exact computation."
        ),
        line(cst.Import([cst.ImportAlias(name("numpy"), cst.AsName(name("np")))])),
        assign("w1", method("np", "array", float_list(op.w1))),
        assign("b1", method("np", "array", float_list(op.b1))),
        assign("w2", method("np", "array", float_list(op.w2))),
        assign(
            "hidden",
            method(
                "np",
                "maximum",
                cst.BinaryOperation(
                    cst.BinaryOperation(
                        method("np", "array", inputs), cst.MatrixMultiply(), name("w1")
                    ),
                    cst.Add(),
                    name("b1"),
                ),
                cst.Float("0.0"),
            ),
        ),
        line(
            cst.Return(
                call(
                    name("float"),
                    cst.BinaryOperation(
                        cst.BinaryOperation(name("hidden"), cst.MatrixMultiply(), name("w2")),
                        cst.Add(),
                        float_list(np.array(op.b2)),
                    ),
                )
            )
        ),
    ]
    return cst.FunctionDef(
        name=name(f"_fallback_{node.name}"),
        params=cst.Parameters(params),
        body=cst.IndentedBlock(body),
    )


def head_params(weights: HeadWeights) -> cst.Dict:
    """A dict literal of a head's parameters (numbers only)."""

    def entry(key: str, value: cst.BaseExpression) -> cst.DictElement:
        return cst.DictElement(cst.SimpleString(repr(key)), value)

    return cst.Dict(
        [
            entry("bins", integer(weights.ple_bins)),
            entry("range", float_list(np.array(weights.ple_range))),
            entry("pad", integer(weights.pad)),
            entry("q_weight", float_list(weights.q_weight)),
            entry("q_bias", float_list(weights.q_bias)),
            entry("k_weight", float_list(weights.k_weight)),
            entry("k_bias", float_list(weights.k_bias)),
            entry("rel_bias", float_list(weights.rel_bias)),
        ]
    )


# ---------------------------------------------------------------------------------------------
# the program
# ---------------------------------------------------------------------------------------------


class ProgramBuilder:
    def __init__(self, ir: IR) -> None:
        self.ir = ir
        self.task = ir.task
        self.helpers: dict[str, cst.FunctionDef] = {}
        self.constants: dict[str, cst.BaseExpression] = {}
        self.bound: set[str] = set()
        self.imports: set[str] = set()
        output = ir.node(ir.output).op
        assert isinstance(output, Output)
        self.output = output
        self.rule = output.rule if output.rule is not None else self._unsimplified_rule()
        self.kept = [n for n in ir.nodes if n.name != ir.output and not isinstance(n.op, Input)]
        self.inputs = [n for n in ir.nodes if isinstance(n.op, Input)]
        # The model runs closed-loop on its own rounded outputs for integer tasks; a program
        # whose rule is not integer-valued by construction (fallbacks, inexact constants) reads
        # its fed-back outputs rounded the same way, so per-step errors cannot compound.
        self.round_feedback = (
            self.task.discrete and self.task.feedback and not integer_rule(self.rule)
        )

    def read(self, seq: str, lag: int, batched: bool = False) -> cst.BaseExpression:
        """A guarded read; fed-back outputs rounded when ``round_feedback``."""
        return guarded_read(seq, lag, batched, rounded=self.round_feedback and seq == "y")

    def _unsimplified_rule(self) -> sympy.Expr:
        """Without simplify, the output is its weighted sum over named nodes."""
        total = sum((w * sym(n) for n, w in self.output.terms), sympy.Float(self.output.bias))
        return self.output.scale * total

    # ---- values of nodes at time t -------------------------------------------------------

    def value_at_t(self, node_name: str) -> cst.BaseExpression:
        node = self.ir.node(node_name)
        if isinstance(node.op, Input):
            return self.read(node.op.channel, node.op.lag)
        return name(f"{node_name}_t")

    def history(self, node_name: str) -> tuple[str, int]:
        """(list holding the node's past values, extra lag to read it at)."""
        node = self.ir.node(node_name)
        if isinstance(node.op, Input):
            return node.op.channel, node.op.lag
        return node_name, 0

    def converter(self, mapping: dict[sympy.Symbol, str]) -> Converter:
        return Converter(mapping, self.imports.add)

    def compute(self, node: Node) -> list[cst.BaseStatement]:
        op = node.op
        target = f"{node.name}_t"
        if isinstance(op, Expr):
            mapping = {sym(a): f"{a}_t" for a in op.args}
            bindings = []
            for arg in op.args:
                if isinstance(self.ir.node(arg).op, Input) and f"{arg}_t" not in self.bound:
                    bindings.append(assign(f"{arg}_t", self.value_at_t(arg)))
                    self.bound.add(f"{arg}_t")
            return [*bindings, assign(target, self.converter(mapping)(op.expr))]
        if isinstance(op, Shift):
            seq, lag = self.history(op.src)
            return [assign(target, self.read(seq, lag + op.k))]
        if isinstance(op, GatedShift):
            seq, lag = self.history(op.src)
            options = cst.Tuple([cst.Element(float_list(np.array(v))) for v in op.values])
            test = cst.Comparison(
                self.value_at_t(op.query), [cst.ComparisonTarget(cst.In(), options)]
            )
            read = self.read(seq, lag + op.k)
            return [assign(target, cst.IfExp(test=test, body=read, orelse=integer(0)))]
        if isinstance(op, FirstPosition):
            seq, lag = self.history(op.value)
            return [assign(target, self.read(seq, lag) if lag else index(seq, integer(0)))]
        if isinstance(op, WindowArgExtreme):
            self.helpers["_window_pick"] = _parse_helper(WINDOW_HELPER)
            values, vlag = self.history(op.value)
            keys, klag = self.history(op.key)
            if vlag or klag:
                raise ValueError("windowed heads over delayed inputs are not emitted yet")
            args = [
                name(values),
                name(keys),
                name("t"),
                integer(op.z),
                integer(op.delta),
                name("True" if op.kind == "max" else "False"),
                name("True" if op.tie == "last" else "False"),
            ]
            return [assign(target, call(name("_window_pick"), *args))]
        if isinstance(op, PrevMatch):
            self.helpers["_prev_match"] = _parse_helper(PREV_MATCH_HELPER)
            values, _ = self.history(op.value)
            keys, _ = self.history(op.key)
            query = self.value_at_t(op.query)
            args = [name(values), name(keys), query, name("t")]
            return [assign(target, call(name("_prev_match"), *args))]
        if isinstance(op, SubMLP):
            helper = mlp_fallback(node, op)
            self.helpers[helper.name.value] = helper
            args = [self.value_at_t(a) for a in op.inputs]
            return [assign(target, call(helper.name, *args))]
        if isinstance(op, Attend):
            if op.weights is None:
                raise ValueError(f"unresolved head {node.name} carries no weights to embed")
            self.helpers["_fallback_attend"] = _parse_helper(ATTEND_HELPER)
            constant = f"_PARAMS_{node.name}"
            self.constants[constant] = head_params(op.weights)
            histories = [self.history(a) for a in (op.query, op.key, op.value)]
            if any(lag for _, lag in histories):
                raise ValueError("fallback heads over delayed inputs are not emitted yet")
            args = [name(constant), *(name(seq) for seq, _ in histories), name("t")]
            return [assign(target, call(name("_fallback_attend"), *args))]
        raise ValueError(f"cannot emit {type(op).__name__}")

    # ---- assembling -----------------------------------------------------------------------

    def rule_inputs(self, batched: bool = False) -> list[cst.BaseStatement]:
        """``x_t1 = x[t - 1] if t >= 1 else 0`` for each task symbol the rule reads, in order."""
        symbols = sorted(
            (s for s in self.rule.free_symbols if _is_task_symbol(s)), key=parse_symbol
        )
        bindings = []
        for symbol in symbols:
            channel, lag = parse_symbol(symbol)
            bindings.append(assign(symbol_variable(symbol), self.read(channel, lag, batched)))
            self.bound.add(symbol_variable(symbol))
        return bindings

    def loop_body(self) -> list[cst.BaseStatement]:
        body = self.rule_inputs()
        for node in self.kept:
            body.extend(self.compute(node))
            body.append(line(cst.Expr(method(node.name, "append", name(f"{node.name}_t")))))
        for node in self.inputs:  # an unsimplified rule reads input nodes by name
            variable = f"{node.name}_t"
            if sym(node.name) in self.rule.free_symbols and variable not in self.bound:
                body.append(assign(variable, self.value_at_t(node.name)))
                self.bound.add(variable)
        mapping = {s: symbol_variable(s) for s in self.rule.free_symbols}
        result = self.converter(mapping)(self.rule)
        body.append(line(cst.Expr(method("y", "append", result))))
        return body

    def program(self, doc: str) -> cst.FunctionDef:
        body: list[cst.BaseStatement] = [docstring(doc)]
        channels = self.task.channels
        if len(channels) == 1:
            body.append(assign(channels[0], call(name("list"), name("xs"))))
        else:
            for position, channel in enumerate(channels):
                element = cst.Subscript(
                    name("v"), [cst.SubscriptElement(cst.Index(integer(position)))]
                )
                comp = cst.ListComp(
                    element,
                    cst.CompFor(target=name("v"), iter=name("xs")),
                )
                body.append(assign(channel, comp))
        body.append(assign("y", cst.List([])))
        for node in self.kept:
            body.append(assign(node.name, cst.List([])))
        loop = cst.For(
            target=name("t"),
            iter=call(name("range"), call(name("len"), name(channels[0]))),
            body=cst.IndentedBlock(self.loop_body()),
        )
        body.extend([loop, line(cst.Return(name("y")))])
        return cst.FunctionDef(
            name=name("program"),
            params=cst.Parameters([cst.Param(name("xs"))]),
            body=cst.IndentedBlock(body),
        )

    # ---- the NumPy twin (--numpy-twin) --------------------------------------------------

    def twin(self) -> cst.FunctionDef:
        """``def program_numpy(xs)``: program() over a batch, NumPy imported inside (docs/tasks.md).

        A rule over the task's inputs runs vectorised over the batch, one time step at a time
        (feedback reads the step before); a program that keeps helper nodes calls program() per
        sequence instead, which is what its docstring then says.
        """
        channels = self.task.channels
        vectorised = not self.kept and all(_is_task_symbol(s) for s in self.rule.free_symbols)
        shape = "(batch, T)" if len(channels) == 1 else f"(batch, T, {len(channels)})"
        body: list[cst.BaseStatement] = [
            docstring(twin_doc(self.task, shape, vectorised)),
            line(cst.Import([cst.ImportAlias(name("numpy"), cst.AsName(name("np")))])),
            assign("xs", float_array(name("xs"), "asarray")),
            self._shape_guard(shape),
        ]
        if vectorised:
            body.extend(self._twin_steps())
        else:
            rows = cst.ListComp(
                call(name("program"), method("sequence", "tolist")),
                cst.CompFor(target=name("sequence"), iter=name("xs")),
            )
            stacked = float_array(rows, "array")
            reshaped = call(cst.Attribute(stacked, name("reshape")), leading_shape(2))
            body.append(line(cst.Return(reshaped)))
        return cst.FunctionDef(
            name=name("program_numpy"),
            params=cst.Parameters([cst.Param(name("xs"))]),
            body=cst.IndentedBlock(body),
        )

    def _shape_guard(self, shape: str) -> cst.If:
        """Raise ValueError unless xs has the documented shape."""
        channels = len(self.task.channels)

        def attribute(field: str) -> cst.Attribute:
            return cst.Attribute(name("xs"), name(field))

        wrong: cst.BaseExpression = cst.Comparison(
            attribute("ndim"),
            [cst.ComparisonTarget(cst.NotEqual(), integer(2 if channels == 1 else 3))],
        )
        if channels > 1:
            last = cst.Subscript(attribute("shape"), [cst.SubscriptElement(cst.Index(integer(2)))])
            wrong = cst.BooleanOperation(
                wrong,
                cst.Or(),
                cst.Comparison(last, [cst.ComparisonTarget(cst.NotEqual(), integer(channels))]),
            )
        message = cst.SimpleString(repr(f"program_numpy: xs must have shape {shape}"))
        error = line(cst.Raise(call(name("ValueError"), message)))
        return cst.If(test=wrong, body=cst.IndentedBlock([error]))

    def _twin_steps(self) -> list[cst.BaseStatement]:
        """Bind the channels, then y[:, t] = rule for each t over the whole batch."""
        channels = self.task.channels
        steps: list[cst.BaseStatement] = []
        if len(channels) == 1:
            steps.append(assign(channels[0], name("xs")))
        else:
            for position, channel in enumerate(channels):
                every = cst.SubscriptElement(cst.Slice(lower=None, upper=None))
                pick = cst.SubscriptElement(cst.Index(integer(position)))
                steps.append(assign(channel, cst.Subscript(name("xs"), [every, every, pick])))
        steps.append(assign("y", method("np", "zeros", leading_shape(2))))
        loop = self.rule_inputs(batched=True)
        mapping = {s: symbol_variable(s) for s in self.rule.free_symbols}
        value = Converter(mapping, numpy=True)(self.rule)
        loop.append(line(cst.Assign([cst.AssignTarget(column("y", name("t")))], value)))
        length = cst.Subscript(
            cst.Attribute(name("xs"), name("shape")),
            [cst.SubscriptElement(cst.Index(integer(1)))],
        )
        steps.append(
            cst.For(
                target=name("t"),
                iter=call(name("range"), length),
                body=cst.IndentedBlock(loop),
            )
        )
        steps.append(line(cst.Return(name("y"))))
        return steps


def twin_doc(task: Task, shape: str, vectorised: bool) -> str:
    how = (
        "vectorised over the batch, one time step at a time"
        if vectorised
        else "by calling program() on each sequence (this program keeps helper nodes)"
    )
    return (
        f"NumPy twin of program(): the outputs of {task.name} for a batch of sequences.\n\n"
        f"    xs: an array of shape {shape}. Returns a float64 array of shape (batch, T),\n"
        f"    computed {how}.\n"
        "    Imports NumPy; program() itself needs only the standard library."
    )


def _is_task_symbol(symbol: sympy.Basic) -> bool:
    try:
        parse_symbol(symbol)  # type: ignore[arg-type]
    except ValueError:
        return False
    return True


def header_text(ir: IR, context: Context, verification: Sequence[str], fallbacks: int) -> str:
    from w2c import __version__

    rule = ir.node(ir.output).op.rule  # type: ignore[union-attr]
    lines = [
        f"Program compiled by w2c {__version__} from a Discrete Transformer.",
        "",
        f"Task: {ir.task.name}",
        f"Model sha256: {context.model_hash or 'unknown'}",
        f"Pipeline: {', '.join(context.pipeline)}",
        f"Update rule: y[t] = {rule if rule is not None else 'not simplified'}",
    ]
    if fallbacks:
        lines.append(
            f"PARTIAL: {fallbacks} unresolved node(s) are embedded as marked NumPy fallbacks."
        )
    if context.options.numpy_twin:
        lines.append("NumPy twin: program_numpy(xs) runs program() over a batch (--numpy-twin).")
    lines += ["", *verification]
    return "\n".join(wrapped for line in lines for wrapped in _wrap(line))


HEADER_WIDTH = 100  # the emitted file stays within the project's line length (ruff E501)


def _wrap(line: str) -> list[str]:
    """One header line as lines of at most HEADER_WIDTH, continuations indented 4 more."""
    if len(line) <= HEADER_WIDTH:
        return [line]
    indent = " " * (len(line) - len(line.lstrip()))
    return textwrap.wrap(
        line,
        HEADER_WIDTH,
        initial_indent="",
        subsequent_indent=indent + "    ",
        break_long_words=False,
        break_on_hyphens=False,
    ) or [line]


def program_doc(ir: IR, round_feedback: bool = False) -> str:
    task = ir.task
    if len(task.channels) == 1:
        shape = "a sequence of numbers, one per position"
    else:
        shape = f"a sequence of tuples ({', '.join(task.channels)}), one per position"
    feedback = ""
    if task.feedback:
        feedback = "\n    Outputs are fed back: y[t-1] is this function's own previous output"
        feedback += (
            ",\n    rounded to the nearest integer as the model was run (its rule is not exact)."
            if round_feedback
            else "."
        )
    return (
        f"The outputs of {task.name} for the input sequence xs.\n\n"
        f"    xs: {shape}, any length.\n"
        "    Returns the list of outputs y[0..T-1]; reads before the start of the sequence"
        f" are 0.{feedback}"
    )


def render(ir: IR, context: Context, verification: Sequence[str] = UNVERIFIED) -> str:
    """The program's source text (deterministic for the same IR and context)."""
    builder = ProgramBuilder(ir)
    program = builder.program(program_doc(ir, builder.round_feedback))
    fallbacks = sum(1 for n in builder.kept if isinstance(n.op, (SubMLP, Attend)))
    body: list[cst.BaseStatement | cst.BaseCompoundStatement] = [
        docstring(header_text(ir, context, verification, fallbacks))
    ]
    for module_name in sorted(builder.imports):
        body.append(line(cst.Import([cst.ImportAlias(name(module_name))])))
    for key in sorted(builder.constants):
        body.append(assign(key, builder.constants[key]))
    body.extend(builder.helpers[key] for key in sorted(builder.helpers))
    body.append(program)
    if context.options.numpy_twin:
        body.append(builder.twin())
    code = cst.Module(body=body).code
    return black.format_str(code, mode=black.Mode())


def count_fallbacks(ir: IR) -> int:
    return sum(1 for n in ir.nodes if isinstance(n.op, (SubMLP, Attend)))


def run(ir: IR, context: Context) -> IR:
    from dataclasses import replace

    return replace(ir, source=render(ir, context))


PASS = Pass("emit", run, __doc__.splitlines()[0])
