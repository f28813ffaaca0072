"""The fixed suite of SR benchmark cases: clean targets traced as a model would, and trained nets.

A case is (name, inputs, outputs, domains) plus, when known, the ``truth`` it should recover and
the ``tolerance`` to fit it with (None: the engine's default). More cases -- e.g. every sub-MLP of
the corpus models -- are appended as further ``Case`` values (see run.py ``--help``).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import sympy

from w2c.sr import OperandDomain
from w2c.sr.nets import train_sub_mlp

SYMBOLS = sympy.symbols("a0 a1 a2", real=True)
A, B, C = SYMBOLS
BITS = OperandDomain.bits()
TRITS = OperandDomain.integers(0, 3)
INT100 = OperandDomain.integers(0, 100)
SIGNED100 = OperandDomain.integers(-100, 100)
UNIT = OperandDomain.interval(0, 1)
SIGNED = OperandDomain.interval(-1, 1)
FORCE = OperandDomain.interval(-10, 10)
TRACED = 4000  # positions traced per case (batch x length), with repeats on finite domains


@dataclass(frozen=True)
class Case:
    """One benchmark row: samples to fit, what is known about them, what should come out."""

    name: str
    inputs: np.ndarray
    outputs: np.ndarray
    domains: tuple[OperandDomain, ...]
    truth: sympy.Expr | None = None
    tolerance: float | None = None

    @property
    def symbols(self) -> tuple[sympy.Symbol, ...]:
        return SYMBOLS[: len(self.domains)]


def trace(domains: tuple[OperandDomain, ...], rng: np.random.Generator, n: int = TRACED):
    """Operand values as a trace gives them: drawn from the finite value set, else uniform."""
    return np.column_stack(
        [
            rng.choice(np.array(d.values), n)
            if d.values is not None
            else rng.uniform(d.lo, d.hi, n)
            for d in domains
        ]
    )


def evaluate(truth: sympy.Expr, x: np.ndarray) -> np.ndarray:
    symbols = SYMBOLS[: x.shape[1]]
    value = sympy.lambdify(symbols, truth, "numpy")(*x.T)
    return np.broadcast_to(np.asarray(value, dtype=np.float64), (len(x),)).copy()


CLEAN: list[tuple[str, sympy.Expr, tuple[OperandDomain, ...]]] = [
    ("2a+b", 2 * A + B, (INT100, INT100)),
    ("xor a+b-2ab", A + B - 2 * A * B, (BITS, BITS)),
    ("relu(a-b)+b", sympy.Max(0, A - B) + B, (UNIT, UNIT)),
    ("min", sympy.Min(A, B), (INT100, INT100)),
    ("max", sympy.Max(A, B), (INT100, INT100)),
    ("|a|", sympy.Abs(A), (SIGNED100,)),
    ("(a+b) mod 3", sympy.Mod(A + B, 3), (TRITS, TRITS)),
    ("a*b bits", A * B, (BITS, BITS)),
    ("constant", sympy.Rational(7, 2), (UNIT, UNIT)),
    ("identity", A, (SIGNED,)),
    ("negation", -A, (SIGNED,)),
    ("0.75max-0.25", sympy.Rational(3, 4) * sympy.Max(A, B) - sympy.Rational(1, 4), (UNIT, UNIT)),
    ("parity3", sympy.Mod(A + B + C, 2), (BITS, BITS, BITS)),
    ("spring y1-y2+x", A - B + C, (FORCE, FORCE, FORCE)),
    ("max3", sympy.Max(A, B, C), (SIGNED, SIGNED, SIGNED)),
    ("relu(a+b) [tree]", sympy.Max(0, A + B), (SIGNED, SIGNED)),
    ("a*relu(b) [tree]", A * sympy.Max(0, B), (SIGNED, SIGNED)),
    ("relu(a+b)-c [tree]", sympy.Max(0, A + B) - C, (SIGNED100, SIGNED100, SIGNED100)),
]


def clean_cases(seed: int = 0) -> list[Case]:
    rng = np.random.default_rng(seed)
    cases = []
    for name, truth, domains in CLEAN:
        x = trace(domains, rng)
        cases.append(Case(name, x, evaluate(truth, x), domains, truth))
    return cases


@dataclass(frozen=True)
class NetSpec:
    name: str
    truth: sympy.Expr
    domains: tuple[OperandDomain, ...]
    training_points: Callable[[np.random.Generator], np.ndarray]
    hidden: int


NETS = [
    NetSpec(
        "net max [0,1]", sympy.Max(A, B), (UNIT, UNIT), lambda r: r.uniform(0, 1, (1024, 2)), 8
    ),
    NetSpec(
        "net xor",
        sympy.Mod(A + B, 2),
        (BITS, BITS),
        lambda r: np.array([[0, 0], [0, 1], [1, 0], [1, 1]], dtype=float),
        8,
    ),
    NetSpec(
        "net (a+b) mod 3",
        sympy.Mod(A + B, 3),
        (TRITS, TRITS),
        lambda r: np.array([[i, j] for i in range(3) for j in range(3)], dtype=float),
        16,
    ),
    NetSpec(
        "net |a-b|", sympy.Abs(A - B), (SIGNED, SIGNED), lambda r: r.uniform(-1, 1, (1024, 2)), 8
    ),
]


def net_cases(seed: int = 0) -> list[Case]:
    """Each net twice: at 2x its own error from the truth (the truth is admissible), and at the
    engine's default tolerance (what a strict caller would see)."""
    rng = np.random.default_rng(seed)
    cases = []
    for spec in NETS:
        train = spec.training_points(rng)
        net = train_sub_mlp(train, evaluate(spec.truth, train), hidden=spec.hidden, seed=seed)
        x = trace(spec.domains, rng)
        traced = net(x)
        net_error = float(np.max(np.abs(traced - evaluate(spec.truth, x))))
        tolerance = max(2 * net_error, 1e-9)
        cases.append(Case(f"{spec.name} @2x", x, traced, spec.domains, spec.truth, tolerance))
        cases.append(Case(f"{spec.name} @default", x, traced, spec.domains, spec.truth))
    return cases


def suite(seed: int = 0, nets: bool = True) -> list[Case]:
    return clean_cases(seed) + (net_cases(seed) if nets else [])
