"""The NumPy twin ``program_numpy(xs)`` (``--numpy-twin``): program() over a batch.

NumPy is imported inside the function, so program() itself needs only the standard library
(docs/compiler.md, "Emit"). A rule over the task's inputs runs vectorised over the batch, one
time step at a time (feedback reads the step before); a program that keeps helper nodes calls
program() per sequence instead, which is what its docstring then says.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import libcst as cst

from w2c.codegen.build import (
    assign,
    call,
    column,
    docstring,
    float_array,
    integer,
    leading_shape,
    line,
    method,
    name,
    symbol_variable,
)
from w2c.codegen.header import twin_doc
from w2c.codegen.printer import NumpyPrinter
from w2c.compiler.algebra import is_task_symbol

if TYPE_CHECKING:
    from w2c.codegen.program import ProgramBuilder


def twin(builder: ProgramBuilder) -> cst.FunctionDef:
    """``def program_numpy(xs)``: program() over a batch, NumPy imported inside (docs/compiler.md).

    A rule over the task's inputs runs vectorised over the batch, one time step at a time
    (feedback reads the step before); a program that keeps helper nodes calls program() per
    sequence instead, which is what its docstring then says.
    """
    channels = builder.task.channels
    vectorised = not builder.kept and all(is_task_symbol(s) for s in builder.symbols)
    shape = "(batch, T)" if len(channels) == 1 else f"(batch, T, {len(channels)})"
    body: list[cst.BaseStatement] = [
        docstring(twin_doc(builder.task, shape, vectorised, output_shape(builder))),
        line(cst.Import([cst.ImportAlias(name("numpy"), cst.AsName(name("np")))])),
        assign("xs", float_array(name("xs"), "asarray")),
        shape_guard(builder, shape),
    ]
    if vectorised:
        body.extend(twin_steps(builder))
    else:
        rows = cst.ListComp(
            call(name("program"), method("sequence", "tolist")),
            cst.CompFor(target=name("sequence"), iter=name("xs")),
        )
        stacked = float_array(rows, "array")
        shape_of_y: cst.BaseExpression = leading_shape(2)
        if len(builder.outputs) > 1:  # (batch, T, K)
            outputs = cst.Tuple([cst.Element(integer(len(builder.outputs)))])
            shape_of_y = cst.BinaryOperation(shape_of_y, cst.Add(), outputs)
        reshaped = call(cst.Attribute(stacked, name("reshape")), shape_of_y)
        body.append(line(cst.Return(reshaped)))
    return cst.FunctionDef(
        name=name("program_numpy"),
        params=cst.Parameters([cst.Param(name("xs"))]),
        body=cst.IndentedBlock(body),
    )


def shape_guard(builder: ProgramBuilder, shape: str) -> cst.If:
    """Raise ValueError unless xs has the documented shape."""
    channels = len(builder.task.channels)

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


def twin_steps(builder: ProgramBuilder) -> list[cst.BaseStatement]:
    """Bind the channels, then y[:, t] = rule for each t over the whole batch."""
    channels = builder.task.channels
    steps: list[cst.BaseStatement] = []
    if len(channels) == 1:
        steps.append(assign(channels[0], name("xs")))
    else:
        for position, channel in enumerate(channels):
            every = cst.SubscriptElement(cst.Slice(lower=None, upper=None))
            pick = cst.SubscriptElement(cst.Index(integer(position)))
            steps.append(assign(channel, cst.Subscript(name("xs"), [every, every, pick])))
    for output in builder.outputs:
        steps.append(assign(output, method("np", "zeros", leading_shape(2))))
    loop = builder.rule_inputs(batched=True)
    for output, rule in builder.rules.items():
        mapping = {s: symbol_variable(s) for s in rule.free_symbols}
        value = NumpyPrinter(mapping)(rule)
        loop.append(line(cst.Assign([cst.AssignTarget(column(output, name("t")))], value)))
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
    if len(builder.outputs) == 1:
        steps.append(line(cst.Return(name(next(iter(builder.outputs))))))
    else:
        stacked = cst.List([cst.Element(name(o)) for o in builder.outputs])
        axis = cst.Arg(integer(2), keyword=name("axis"))
        stack = cst.Call(cst.Attribute(name("np"), name("stack")), [cst.Arg(stacked), axis])
        steps.append(line(cst.Return(stack)))
    return steps


def output_shape(builder: ProgramBuilder) -> str:
    """The twin's result shape: (batch, T), or (batch, T, K) for K outputs."""
    count = len(builder.outputs)
    return "(batch, T)" if count == 1 else f"(batch, T, {count})"
