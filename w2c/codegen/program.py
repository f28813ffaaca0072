"""The program module: ``def program(xs)`` and its helpers, built with libcst, formatted by black.

The module holds a documented ``def program(xs)`` (docs/tasks.md): it takes the input sequence
(a number per position, or a tuple per position for multi-channel tasks) of any length and
returns the list of outputs (a tuple per position for several outputs), computing fed-back
outputs itself in a loop. Reads before the start
are guarded explicitly. A header docstring records the task, the model's hash, the pipeline, the
update rule and the verification result. Nodes that stay unresolved are embedded as small NumPy
functions that repeat the hardened network's exact computation, clearly marked as fallbacks.
Every identifier comes from validated names and every constant becomes a libcst node: no text
is pasted into the code. Each op kind emits itself (``Op.emit`` in w2c/compiler/ir.py) through
the ``ProgramBuilder`` here.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import black
import libcst as cst
import sympy

from w2c.codegen.build import (
    assign,
    call,
    docstring,
    guarded_read,
    integer,
    line,
    method,
    name,
    symbol_variable,
)
from w2c.codegen.header import UNVERIFIED, header_text, program_doc
from w2c.codegen.printer import PythonPrinter
from w2c.codegen.runtime import helper
from w2c.codegen.twin import twin
from w2c.compiler.algebra import integer_rule, is_task_symbol
from w2c.compiler.ir import IR, UNRESOLVED, Input, Node, Output, sym
from w2c.tasks import parse_symbol


class ProgramBuilder:
    """Collects the program's pieces: helpers, constants, imports and the per-step bindings."""

    def __init__(self, ir: IR) -> None:
        self.ir = ir
        self.task = ir.task
        self.helpers: dict[str, cst.FunctionDef] = {}
        self.constants: dict[str, cst.BaseExpression] = {}
        self.bound: set[str] = set()
        self.imports: set[str] = set()
        self.pending: list[cst.BaseStatement] = []
        self.delayed: list[str] = []  # delayed inputs kept as lists of their own (``sequence``)
        self.outputs: dict[str, Output] = {}
        for output in ir.outputs:
            op = ir.node(output).op
            assert isinstance(op, Output)
            self.outputs[output] = op
        self.rules = {output: op.expression() for output, op in self.outputs.items()}
        self.symbols: set[sympy.Symbol] = set().union(
            *(r.free_symbols for r in self.rules.values())
        )
        self.kept = [
            n for n in ir.nodes if n.name not in ir.outputs and not isinstance(n.op, Input)
        ]
        self.inputs = [n for n in ir.nodes if isinstance(n.op, Input)]
        # The model runs closed-loop on its own outputs put on the task's grid (rounded, for
        # integer outputs); a program whose rules do not land on the grid by construction
        # (fallbacks, inexact constants) reads its fed-back outputs put on the grid the same
        # way, so per-step errors cannot compound.
        self.round_feedback = self.task.feedback and not all(
            on_grid(rule, self.task.grid) for rule in self.rules.values()
        )

    # ---- what the op kinds call (Op.emit) ------------------------------------------------

    def read(self, seq: str, lag: int, batched: bool = False) -> cst.BaseExpression:
        """A guarded read; fed-back outputs put on the grid when ``round_feedback``."""
        rounded = self.round_feedback and seq in self.outputs
        return guarded_read(seq, lag, batched, rounded, self.task.grid or 1)

    def value_at_t(self, node_name: str) -> cst.BaseExpression:
        return (
            self.ir.node(node_name).op.emit(node_name, self)
            if self._is_input(node_name)
            else name(f"{node_name}_t")
        )

    def history(self, node_name: str) -> tuple[str, int]:
        """(list holding the node's past values, extra lag to read it at)."""
        op = self.ir.node(node_name).op
        if isinstance(op, Input):
            return op.channel, op.lag
        return node_name, 0

    def sequence(self, node_name: str) -> str:
        """A list whose item j is the node's value at position j (j <= t).

        A delayed input (y[t-1] fed back) has no such list of its own, so the program keeps
        one, appended at the top of each step (rounded like every read of the fed-back output).
        """
        op = self.ir.node(node_name).op
        if isinstance(op, Input) and op.lag:
            if node_name not in self.delayed:
                self.delayed.append(node_name)
            return node_name
        return self.history(node_name)[0]

    def bind(self, node_name: str) -> str:
        """The variable holding the node's value at t (an input is bound to it first)."""
        variable = f"{node_name}_t"
        if self._is_input(node_name) and variable not in self.bound:
            self.pending.append(assign(variable, self.value_at_t(node_name)))
            self.bound.add(variable)
        return variable

    def printer(self, mapping: dict[sympy.Symbol, str]) -> PythonPrinter:
        return PythonPrinter(mapping, self.imports.add)

    def use_helper(self, function_name: str) -> cst.Name:
        """A runtime helper (w2c/codegen/runtime.py), embedded once."""
        self.helpers[function_name] = helper(function_name)
        return name(function_name)

    def add_helper(self, function: cst.FunctionDef) -> cst.Name:
        self.helpers[function.name.value] = function
        return function.name

    def add_constant(self, key: str, value: cst.BaseExpression) -> cst.Name:
        self.constants[key] = value
        return name(key)

    def rule_value(self, output: str = "y") -> cst.BaseExpression:
        rule = self.rules[output]
        mapping = {s: symbol_variable(s) for s in rule.free_symbols}
        return self.printer(mapping)(rule)

    def _is_input(self, node_name: str) -> bool:
        return isinstance(self.ir.node(node_name).op, Input)

    # ---- assembling -----------------------------------------------------------------------

    def compute(self, node: Node) -> list[cst.BaseStatement]:
        value = node.op.emit(node.name, self)
        bindings, self.pending = self.pending, []
        return [*bindings, assign(f"{node.name}_t", value)]

    def rule_inputs(self, batched: bool = False) -> list[cst.BaseStatement]:
        """``x_t1 = x[t - 1] if t >= 1 else 0`` for each task symbol the rule reads, in order."""
        symbols = sorted((s for s in self.symbols if is_task_symbol(s)), key=parse_symbol)
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
            if sym(node.name) in self.symbols:
                self.bind(node.name)
        body.extend(self.pending)
        self.pending = []
        for output, op in self.outputs.items():
            result = op.emit(output, self)
            body.append(line(cst.Expr(method(output, "append", result))))
        delayed = [self.delayed_step(node_name) for node_name in self.delayed]
        return delayed + body

    def delayed_step(self, node_name: str) -> cst.BaseStatement:
        """``y_prev.append(round(y[t - 1]) if t >= 1 else 0)``: a delayed input's list."""
        op = self.ir.node(node_name).op
        assert isinstance(op, Input)
        return line(cst.Expr(method(node_name, "append", self.read(op.channel, op.lag))))

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
        loop = cst.For(
            target=name("t"),
            iter=call(name("range"), call(name("len"), name(channels[0]))),
            body=cst.IndentedBlock(self.loop_body()),
        )
        for output in self.outputs:
            body.append(assign(output, cst.List([])))
        for list_name in [node.name for node in self.kept] + self.delayed:
            body.append(assign(list_name, cst.List([])))
        body.extend([loop, line(cst.Return(self.result()))])
        return cst.FunctionDef(
            name=name("program"),
            params=cst.Parameters([cst.Param(name("xs"))]),
            body=cst.IndentedBlock(body),
        )

    def result(self) -> cst.BaseExpression:
        """``y``, or ``list(zip(lo, hi))`` (a tuple per position) for several outputs."""
        if len(self.outputs) == 1:
            return name(next(iter(self.outputs)))
        return call(name("list"), call(name("zip"), *(name(o) for o in self.outputs)))

    def twin(self) -> cst.FunctionDef:
        return twin(self)


def on_grid(rule: sympy.Expr, grid: int | None) -> bool:
    """Does the rule land on the output grid by construction (integer inputs, integer
    constants after scaling by the grid's denominator)? Real outputs (None) need no grid."""
    if grid is None:
        return True
    return integer_rule(rule if grid == 1 else sympy.expand(grid * rule))


def render(
    ir: IR, context: Any, verification: Sequence[str] = UNVERIFIED, *, numpy_twin: bool = False
) -> str:
    """The program's source text (deterministic for the same IR and context); ``numpy_twin``
    adds ``program_numpy(xs)``."""
    builder = ProgramBuilder(ir)
    program = builder.program(program_doc(ir, builder.round_feedback))
    fallbacks = count_fallbacks(ir, builder.kept)
    body: list[cst.BaseStatement | cst.BaseCompoundStatement] = [
        docstring(header_text(ir, context, verification, fallbacks, numpy_twin))
    ]
    for module_name in sorted(builder.imports):
        body.append(line(cst.Import([cst.ImportAlias(name(module_name))])))
    for key in sorted(builder.constants):
        body.append(assign(key, builder.constants[key]))
    body.extend(builder.helpers[key] for key in sorted(builder.helpers))
    body.append(program)
    if numpy_twin:
        body.append(builder.twin())
    code = cst.Module(body=body).code
    return black.format_str(code, mode=black.Mode())


def count_fallbacks(ir: IR, nodes: Sequence[Node] | None = None) -> int:
    """Nodes left unresolved (embedded as NumPy fallbacks)."""
    return sum(1 for n in (ir.nodes if nodes is None else nodes) if isinstance(n.op, UNRESOLVED))
