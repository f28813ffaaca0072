"""Python values as z3 terms: the arithmetic of the proof subset with Python's semantics.

A value of the symbolic execution (w2c/verify/symexec.py) is either concrete (a Python int,
bool, float, None, tuple or list) or a z3 term (an Int or Real arithmetic term, or a Bool).
These functions combine values the way Python would, folding concrete operands in Python and
building z3 terms otherwise: ``//`` and ``%`` floor like Python's, ``round`` rounds half to
even, ``max``/``min`` keep the first of equal arguments, a bool counts as 0 or 1. Anything
outside that arithmetic raises :class:`Unsupported`, never a guess (docs/verification.md).
"""

from __future__ import annotations

import math
import numbers
from fractions import Fraction
from typing import Any

import z3

Guard = bool | z3.BoolRef  # a path condition: True, False or a z3 formula
MAX_EXPONENT = 64  # ``a ** k`` is unrolled into k multiplications


class Unsupported(Exception):
    """The program (or rule) leaves the documented subset: it is not proved, and this says why."""


class Arithmetic(Exception):
    """Python would raise here (ZeroDivisionError, ...): the program fails on this path."""


def is_term(value: object) -> bool:
    return isinstance(value, z3.ExprRef)


def is_number(value: object) -> bool:
    """A concrete number (bool included, as Python treats it) or an arithmetic/Bool term."""
    if isinstance(value, z3.ExprRef):
        return z3.is_arith(value) or z3.is_bool(value)
    return isinstance(value, numbers.Real) and not isinstance(value, complex)


def is_real_term(value: object) -> bool:
    return isinstance(value, z3.ArithRef) and value.is_real()


def constant(value: Any, real: bool) -> z3.ArithRef:
    """A concrete number as a z3 numeral (floats exactly, by their binary value)."""
    if isinstance(value, bool):
        value = int(value)
    if isinstance(value, float):
        if not math.isfinite(value):
            raise Unsupported(f"the non-finite number {value} is outside the subset")
        return z3.RealVal(Fraction(value))
    if isinstance(value, Fraction):
        return z3.RealVal(value)
    return z3.RealVal(value) if real else z3.IntVal(value)


def arith(value: Any, real: bool = False) -> z3.ArithRef:
    """A number as an arithmetic term: a Bool becomes If(b, 1, 0), an Int is widened if real."""
    if isinstance(value, z3.BoolRef):
        value = z3.If(value, z3.IntVal(1), z3.IntVal(0))
    if isinstance(value, z3.ArithRef):
        return z3.ToReal(value) if real and value.is_int() else value
    if not is_number(value):
        raise Unsupported(f"a {type(value).__name__} is used as a number")
    return constant(value, real)


def pair(a: Any, b: Any) -> tuple[z3.ArithRef, z3.ArithRef]:
    """Two numbers as terms of one sort (Real when either is real or a float)."""
    real = any(is_real_term(v) or isinstance(v, (float, Fraction)) for v in (a, b))
    return arith(a, real), arith(b, real)


def truth(value: Any) -> Guard:
    """Python's truth value of a number, None, tuple or list."""
    if isinstance(value, z3.BoolRef):
        return value
    if isinstance(value, z3.ArithRef):
        return value != 0
    if value is None or isinstance(value, (numbers.Real, tuple, list, str)):
        return bool(value)
    raise Unsupported(f"the truth value of a {type(value).__name__} is outside the subset")


def both(a: Guard, b: Guard) -> Guard:
    if a is False or b is False:
        return False
    if a is True:
        return b
    if b is True:
        return a
    if _negation_of(a, b) or _negation_of(b, a):
        return False
    return z3.And(a, b)


def either(a: Guard, b: Guard) -> Guard:
    if a is True or b is True:
        return True
    if a is False:
        return b
    if b is False:
        return a
    if _negation_of(a, b) or _negation_of(b, a):
        return True
    return z3.Or(a, b)


def _negation_of(a: z3.BoolRef, b: z3.BoolRef) -> bool:
    return z3.is_not(b) and b.arg(0).eq(a)


def negate(a: Guard) -> Guard:
    if isinstance(a, bool):
        return not a
    if z3.is_not(a):
        return a.arg(0)
    return z3.Not(a)


def same(a: Any, b: Any) -> bool:
    """The very same value on both paths (so no If is needed)."""
    if is_term(a) or is_term(b):
        return is_term(a) and is_term(b) and a.eq(b)
    if type(a) is not type(b):
        return False
    if isinstance(a, tuple):
        return len(a) == len(b) and all(same(x, y) for x, y in zip(a, b, strict=True))
    if isinstance(a, list):
        return a is b
    return bool(a == b)


def choose(condition: Guard, a: Any, b: Any) -> Any:
    """The value that is ``a`` where ``condition`` holds and ``b`` elsewhere."""
    if condition is True:
        return a
    if condition is False:
        return b
    if same(a, b):
        return a
    if isinstance(a, tuple) and isinstance(b, tuple) and len(a) == len(b):
        return tuple(choose(condition, x, y) for x, y in zip(a, b, strict=True))
    if is_number(a) and is_number(b):
        if isinstance(a, (z3.BoolRef, bool)) and isinstance(b, (z3.BoolRef, bool)):
            return z3.If(condition, z3.BoolVal(a) if isinstance(a, bool) else a, b)
        x, y = pair(a, b)
        return z3.If(condition, x, y)
    raise Unsupported(
        f"a value is a {type(a).__name__} on one path and a {type(b).__name__} on another"
    )


# ---- operators --------------------------------------------------------------------------


def binary(op: str, a: Any, b: Any, exact: bool) -> Any:
    """``a op b`` for op in + - * / // % **, as Python computes it.

    ``exact``: integer tasks, where a float would mean rounding the proof does not model.
    """
    if isinstance(a, (list, tuple)) or isinstance(b, (list, tuple)):
        return _sequence_op(op, a, b)
    if not (is_number(a) and is_number(b)):
        raise Unsupported(f"{type(a).__name__} {op} {type(b).__name__} is outside the subset")
    if not (is_term(a) or is_term(b)):
        return _concrete(op, a, b, exact)
    if op == "/" and exact:
        raise Unsupported("true division on an integer task computes in floating point")
    if op == "**":
        return _power(a, b)
    if op in ("//", "%"):
        return _floor_op(op, a, b)
    x, y = pair(a, b)
    if op == "+":
        return x + y
    if op == "-":
        return x - y
    if op == "*":
        return x * y
    if op == "/":
        if is_term(b):
            raise Unsupported("division by a value that depends on the inputs")
        if b == 0:
            raise Arithmetic("ZeroDivisionError: division by zero")
        return arith(a, True) / arith(b, True)
    raise Unsupported(f"the operator {op} is outside the subset")


def _concrete(op: str, a: Any, b: Any, exact: bool) -> Any:
    """Python's result; on real tasks floats and ``/`` computed exactly (rounding not modelled)."""
    if not exact and (op == "/" or _inexact(a) or _inexact(b)):
        if not all(math.isfinite(v) for v in (a, b)):
            raise Unsupported("a non-finite number is outside the subset")
        a = Fraction(a)
        b = b if op == "**" else Fraction(b)
    try:
        if op == "**" and (not isinstance(b, int) or abs(b) > MAX_EXPONENT):
            raise Unsupported(f"the exponent {b!r} is outside the subset")
        value = {
            "+": lambda: a + b,
            "-": lambda: a - b,
            "*": lambda: a * b,
            "/": lambda: a / b,
            "//": lambda: a // b,
            "%": lambda: a % b,
            "**": lambda: a**b,
        }[op]()
    except ZeroDivisionError as exc:
        raise Arithmetic(f"ZeroDivisionError: {exc}") from None
    except OverflowError as exc:
        raise Arithmetic(f"OverflowError: {exc}") from None
    if exact and isinstance(value, float):
        raise Unsupported("floating-point arithmetic on an integer task (not modelled)")
    return value


def _inexact(value: Any) -> bool:
    return isinstance(value, (float, Fraction))


def _sequence_op(op: str, a: Any, b: Any) -> Any:
    """``list + list`` and ``list * int`` (concrete lengths), as Python builds them."""
    if op == "+" and type(a) is type(b):
        return a + b
    if op == "*":
        seq, count = (a, b) if isinstance(a, (list, tuple)) else (b, a)
        if isinstance(count, int) and not is_term(count) and 0 <= count * len(seq) <= 10**5:
            return seq * count
    raise Unsupported(f"{type(a).__name__} {op} {type(b).__name__} is outside the subset")


def _power(a: Any, b: Any) -> Any:
    if is_term(b) or not isinstance(b, int) or not 0 <= b <= MAX_EXPONENT:
        raise Unsupported("a power whose exponent is not a small non-negative integer")
    result: Any = 1
    for _ in range(int(b)):
        result = binary("*", result, a, False)
    return result


def _floor_op(op: str, a: Any, b: Any) -> Any:
    """Python's ``//`` and ``%`` (floor division; the remainder takes the divisor's sign)."""
    if is_term(b):
        raise Unsupported(f"{op} by a value that depends on the inputs")
    if b == 0:
        raise Arithmetic("ZeroDivisionError: integer division or modulo by zero")
    x, d = pair(a, b)
    if x.is_int():
        positive = int(b) > 0
        quotient = x / d if positive else (-x) / (-d)  # SMT div floors for a positive divisor
    else:
        quotient = z3.ToReal(z3.ToInt(x / d))
    return quotient if op == "//" else x - d * quotient


def unary(op: str, a: Any) -> Any:
    if op == "not":
        return negate(truth(a))
    if not is_number(a):
        raise Unsupported(f"unary {op} on a {type(a).__name__}")
    if not is_term(a):
        return -a if op == "-" else +a
    term = arith(a)
    return -term if op == "-" else term


def compare(op: str, a: Any, b: Any) -> Guard:
    """``a op b`` for the six comparisons (tuples compare element by element for == and !=)."""
    if not (is_term(a) or is_term(b) or _has_term(a) or _has_term(b)):
        try:
            return bool(_COMPARE[op](a, b))
        except TypeError as exc:
            raise Arithmetic(f"TypeError: {exc}") from None
    if isinstance(a, tuple) and isinstance(b, tuple) and op in ("==", "!="):
        equal: Guard = len(a) == len(b)
        for x, y in zip(a, b, strict=False):
            equal = both(equal, compare("==", x, y))
        return equal if op == "==" else negate(equal)
    if not (is_number(a) and is_number(b)):
        if op in ("==", "!="):  # a number never equals None, a tuple or a list
            return op == "!="
        raise Unsupported(f"{type(a).__name__} {op} {type(b).__name__} is outside the subset")
    x, y = pair(a, b)
    return _COMPARE[op](x, y)


def _has_term(value: Any) -> bool:
    return isinstance(value, (tuple, list)) and any(is_term(v) or _has_term(v) for v in value)


_COMPARE = {
    "==": lambda a, b: a == b,
    "!=": lambda a, b: a != b,
    "<": lambda a, b: a < b,
    "<=": lambda a, b: a <= b,
    ">": lambda a, b: a > b,
    ">=": lambda a, b: a >= b,
}


# ---- builtins on numbers ----------------------------------------------------------------


def absolute(a: Any) -> Any:
    if not is_number(a):
        raise Unsupported(f"abs of a {type(a).__name__}")
    if not is_term(a):
        return abs(a)
    term = arith(a)
    return z3.If(term < 0, -term, term)


def extreme(values: list[Any], largest: bool) -> Any:
    """Python's max/min: the first of equal values wins (``best = v if v > best``)."""
    if not values:
        raise Arithmetic(f"ValueError: {'max' if largest else 'min'}() arg is an empty sequence")
    best = values[0]
    for value in values[1:]:
        better = compare(">" if largest else "<", value, best)
        best = choose(better, value, best)
    return best


def rounded(a: Any, exact: bool) -> Any:
    """``round(a)``: an int stays itself; a real rounds half to even, as Python's round."""
    if not is_number(a):
        raise Unsupported(f"round of a {type(a).__name__}")
    if not is_term(a):
        return round(a)
    term = arith(a)
    if term.is_int():
        return term
    floor = z3.ToInt(term)
    fraction = term - z3.ToReal(floor)
    half = z3.RealVal(Fraction(1, 2))
    even = floor % 2 == 0
    return z3.If(
        fraction > half, floor + 1, z3.If(fraction < half, floor, z3.If(even, floor, floor + 1))
    )


def to_int(a: Any) -> Any:
    """``int(a)``: truncation toward zero."""
    if not is_number(a):
        raise Unsupported(f"int() of a {type(a).__name__}")
    if not is_term(a):
        return int(a)
    term = arith(a)
    if term.is_int():
        return term
    return z3.If(term >= 0, z3.ToInt(term), -z3.ToInt(-term))


def floor_ceil(a: Any, ceiling: bool) -> Any:
    """``math.floor`` / ``math.ceil`` (an int result)."""
    if not is_number(a):
        raise Unsupported(f"math.{'ceil' if ceiling else 'floor'} of a {type(a).__name__}")
    if not is_term(a):
        return math.ceil(a) if ceiling else math.floor(a)
    term = arith(a)
    if term.is_int():
        return term
    return -z3.ToInt(-term) if ceiling else z3.ToInt(term)


def to_float(a: Any, exact: bool) -> Any:
    if exact:
        raise Unsupported("float() on an integer task (floating point is not modelled)")
    if not is_number(a):
        raise Unsupported(f"float() of a {type(a).__name__}")
    return float(a) if not is_term(a) else arith(a, True)
