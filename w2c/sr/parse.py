"""Parse the infix model strings that GP libraries print, without evaluating arbitrary text.

The string is first split into tokens by a strict grammar (numbers, the given variable names,
a fixed set of function names, + - * / ^ ( ) ,); anything else is rejected. Only then is it
handed to sympy's parser, with every name bound explicitly.
"""

from __future__ import annotations

import re
from collections.abc import Mapping

import sympy
from sympy.parsing.sympy_parser import auto_number, parse_expr

from w2c.errors import InputError
from w2c.sr.exprs import relu

FUNCTIONS: Mapping[str, object] = {
    "max": sympy.Max,
    "min": sympy.Min,
    "abs": sympy.Abs,
    "relu": relu,
    "floor": sympy.floor,
    "square": lambda e: e**2,
}
_TOKEN = re.compile(
    r"\s*(?:(?P<number>(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?)|(?P<name>[A-Za-z_][A-Za-z0-9_]*)"
    r"|(?P<op>[-+*/^(),]))"
)


def parse_model(text: str, variables: Mapping[str, sympy.Symbol]) -> sympy.Expr:
    """``text`` as a sympy expression over ``variables``; InputError on any unexpected token."""
    position, names = 0, set()
    stripped = text.rstrip()
    while position < len(stripped):
        match = _TOKEN.match(stripped, position)
        if match is None or match.end() == position:
            raise InputError(f"unexpected text in a model string at {position}: {text[:80]!r}")
        if match.group("name") is not None:
            names.add(match.group("name"))
        position = match.end()
    unknown = names - set(variables) - set(FUNCTIONS)
    if unknown:
        raise InputError(f"unknown names in a model string: {', '.join(sorted(unknown))}")
    local = {**FUNCTIONS, **variables}
    glob = {"Integer": sympy.Integer, "Float": sympy.Float, "Rational": sympy.Rational}
    expr = parse_expr(
        stripped.replace("^", "**"),
        local_dict=local,
        global_dict=glob,
        transformations=(auto_number,),
    )
    return sympy.sympify(expr)
