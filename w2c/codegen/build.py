"""Small libcst builders: every identifier, number and operator of a program is a libcst node.

Reads before the start are guarded explicitly (``x[t - 1] if t >= 1 else 0``; Python's
``x[-1]`` would wrap).
"""

from __future__ import annotations

import libcst as cst
import numpy as np
import sympy

from w2c.tasks import parse_symbol

_DOC_FORBIDDEN = ('"""', "\\")


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
    seq: str, lag: int, batched: bool = False, rounded: bool = False, denominator: int = 1
) -> cst.BaseExpression:
    """``seq[t - lag] if t >= lag else 0``: reads before the start are 0.

    ``batched`` reads a time step of a (batch, T) array instead: ``seq[:, t - lag]``;
    ``rounded`` reads ``round(seq[t - lag])`` (``np.round`` when batched), or with a
    ``denominator`` d > 1 the nearest multiple of 1/d, ``round(seq[t - lag] * d) / d``.
    """
    read = column if batched else index
    if lag == 0:
        return read(seq, name("t"))
    value: cst.BaseExpression = read(seq, t_minus(lag))
    if rounded:
        if denominator != 1:
            value = cst.BinaryOperation(value, cst.Multiply(), integer(denominator))
        value = call(cst.Attribute(name("np"), name("round")) if batched else name("round"), value)
        if denominator != 1:
            value = cst.BinaryOperation(value, cst.Divide(), integer(denominator))
    test = cst.Comparison(name("t"), [cst.ComparisonTarget(cst.GreaterThanEqual(), integer(lag))])
    return cst.IfExp(test=test, body=value, orelse=integer(0))


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


def symbol_variable(symbol: sympy.Symbol) -> str:
    """x[t] -> x_t, x[t-2] -> x_t2, y[t-1] -> y_t1; node symbols -> <node>_t."""
    try:
        channel, lag = parse_symbol(symbol)
    except ValueError:
        return f"{symbol.name}_t"
    return f"{channel}_t" if lag == 0 else f"{channel}_t{lag}"
