"""The operator table shared by the feature library and the tree enumeration.

Each operator has a sympy builder and a NumPy twin, so a feature's column and its expression
come from one definition and cannot drift apart.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import sympy

from w2c.sr.exprs import relu


@dataclass(frozen=True)
class Op:
    """An operator: ``symbolic`` builds the sympy node, ``numeric`` evaluates it on arrays.

    ``cost`` is what the node adds to an enumerated tree's size (a mod/floor node also carries
    its modulus constant, so it costs 2).
    """

    name: str
    arity: int
    symbolic: Callable[..., sympy.Expr]
    numeric: Callable[..., np.ndarray]
    commutative: bool = False
    integer_only: bool = False
    cost: int = 1


def _safe_divide(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    with np.errstate(all="ignore"):
        return np.where(np.abs(b) > 1e-12, a / np.where(b == 0, 1.0, b), np.nan)


ADD = Op("add", 2, lambda a, b: a + b, np.add, commutative=True)
SUB = Op("sub", 2, lambda a, b: a - b, np.subtract)
MUL = Op("mul", 2, lambda a, b: a * b, np.multiply, commutative=True)
DIV = Op("div", 2, lambda a, b: a / b, _safe_divide)
MIN = Op("min", 2, sympy.Min, np.minimum, commutative=True)
MAX = Op("max", 2, sympy.Max, np.maximum, commutative=True)
RELU = Op("relu", 1, relu, lambda a: np.maximum(a, 0.0))
ABS = Op("abs", 1, sympy.Abs, np.abs)

BINARY: tuple[Op, ...] = (ADD, SUB, MUL, DIV, MIN, MAX)
UNARY: tuple[Op, ...] = (RELU, ABS)


def mod(m: int) -> Op:
    """``e mod m`` (sympy.Mod; Python's floor-mod, which NumPy's mod matches)."""
    return Op(
        f"mod{m}",
        1,
        lambda a: sympy.Mod(a, m),
        lambda a: np.mod(a, m),
        integer_only=True,
        cost=2,
    )


def floordiv(m: int) -> Op:
    """``floor(e / m)``."""
    return Op(
        f"floordiv{m}",
        1,
        lambda a: sympy.floor(a / m),
        lambda a: np.floor(a / m),
        integer_only=True,
        cost=2,
    )
