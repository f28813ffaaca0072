"""The default ``library`` backend recovers known exact forms from clean traced samples.

Each truth below is written independently of the engine; a fit counts as recovered when it is
sympy-equal to the truth or equal to it on every domain point (|a - b| is xor on bits).
"""

from __future__ import annotations

import math
import os
import subprocess
import sys

import numpy as np
import pytest
import sympy

from w2c.errors import InputError
from w2c.sr import Fit, OperandDomain, default_tolerance, fit

A, B, C = sympy.symbols("a0 a1 a2", real=True)
BITS = OperandDomain.bits()
TRITS = OperandDomain.integers(0, 3)
INT100 = OperandDomain.integers(0, 100)
SIGNED100 = OperandDomain.integers(-100, 100)
UNIT = OperandDomain.interval(0, 1)
SIGNED = OperandDomain.interval(-1, 1)
RNG = np.random.default_rng(1234)


def traced(domains: list[OperandDomain], n: int = 2000) -> np.ndarray:
    """Operand values as a model's trace would give them: many positions, repeated points."""
    columns = []
    for d in domains:
        if d.values is not None:
            columns.append(RNG.choice(np.array(d.values), size=n))
        else:
            columns.append(RNG.uniform(d.lo, d.hi, size=n))
    return np.column_stack(columns)


def same_function(expr: sympy.Expr, truth: sympy.Expr, symbols, x: np.ndarray) -> bool:
    """sympy proves them equal, or they agree on every sampled point (exactly, up to 1e-9)."""
    if sympy.simplify(expr - truth) == 0:
        return True
    f = sympy.lambdify(symbols, expr, modules="math")
    g = sympy.lambdify(symbols, truth, modules="math")
    return all(math.isclose(f(*row), g(*row), abs_tol=1e-9) for row in np.unique(x, axis=0))


CASES = [
    ("2a+b", 2 * A + B, [INT100, INT100]),
    ("xor-poly", A + B - 2 * A * B, [BITS, BITS]),
    ("relu(a-b)+b", sympy.Max(0, A - B) + B, [UNIT, UNIT]),
    ("min", sympy.Min(A, B), [INT100, INT100]),
    ("max", sympy.Max(A, B), [INT100, INT100]),
    ("abs", sympy.Abs(A), [SIGNED100]),
    ("add-mod-3", sympy.Mod(A + B, 3), [TRITS, TRITS]),
    ("and", A * B, [BITS, BITS]),
    ("constant", sympy.Rational(7, 2), [UNIT, UNIT]),
    ("identity", A, [SIGNED]),
    ("negation", -A, [SIGNED]),
    ("scaled-max", sympy.Rational(3, 4) * sympy.Max(A, B) - sympy.Rational(1, 4), [UNIT, UNIT]),
    ("spring-like", A - B + C, [SIGNED, SIGNED, SIGNED]),
    ("parity3", sympy.Mod(A + B + C, 2), [BITS, BITS, BITS]),
    ("relu(a+b) (tree)", sympy.Max(0, A + B), [SIGNED, SIGNED]),
    ("a*relu(b) (tree)", A * sympy.Max(0, B), [SIGNED, SIGNED]),
    ("relu(a+b)-c (tree + linear part)", sympy.Max(0, A + B) - C, [SIGNED100] * 3),
]


@pytest.mark.parametrize("name,truth,domains", CASES, ids=[c[0] for c in CASES])
def test_recovers_exact_form(name: str, truth: sympy.Expr, domains: list[OperandDomain]) -> None:
    symbols = (A, B, C)[: len(domains)]
    x = traced(domains)
    y = np.broadcast_to(sympy.lambdify(symbols, truth, modules="numpy")(*x.T), len(x)) + 0.0
    result = fit(x, y, symbols, domains)
    assert isinstance(result, Fit) and result.backend == "library"
    assert result.max_abs_error <= default_tolerance(y)
    assert result.samples == len(x)
    assert same_function(result.expr, truth, symbols, x), f"{name}: got {result.expr}"
    assert result.expr.free_symbols <= set(symbols)
    assert result.complexity <= 12


def test_affine_scaled_exact_form_gets_rational_coefficients() -> None:
    x = traced([INT100, INT100])
    y = 0.5 * np.maximum(x[:, 0], x[:, 1]) - 3.0
    result = fit(x, y, (A, B), [INT100, INT100])
    assert result.expr == sympy.Max(A, B) / 2 - 3
    assert not result.expr.atoms(sympy.Float)


def test_irrational_scale_stays_an_accurate_float() -> None:
    x = traced([UNIT, UNIT])
    y = math.pi * np.abs(x[:, 0] - x[:, 1]) + math.e
    result = fit(x, y, (A, B), [UNIT, UNIT])
    floats = sorted(float(f) for f in result.expr.atoms(sympy.Float))
    assert floats == pytest.approx([math.e, math.pi], rel=1e-10)
    assert result.max_abs_error < 1e-9


def test_relu_spelling_prints_and_lambdifies() -> None:
    x = traced([SIGNED, SIGNED])
    y = 2.0 * np.maximum(x[:, 0] + x[:, 1], 0.0)
    result = fit(x, y, (A, B), [SIGNED, SIGNED])
    assert str(result.expr) == "2*Max(0, a0 + a1)"
    assert sympy.pycode(result.expr) == "2*max(0, a0 + a1)"
    assert sympy.lambdify((A, B), result.expr, modules="math")(0.25, -1.0) == 0.0
    assert sympy.lambdify((A, B), result.expr, modules="math")(0.5, 0.25) == 1.5


def test_symbols_that_are_not_identifiers() -> None:
    now, before = sympy.Symbol("x[t]", real=True), sympy.Symbol("x[t-1]", real=True)
    x = traced([INT100, INT100])
    result = fit(x, np.maximum(x[:, 0], x[:, 1]), (now, before), [INT100, INT100])
    assert result.expr == sympy.Max(now, before)


def test_deterministic_srepr() -> None:
    x = traced([UNIT, UNIT])
    y = 0.37 * np.maximum(x[:, 0] - x[:, 1], 0) + 0.11 * x[:, 1] + RNG.normal(0, 1e-4, len(x))
    first = fit(x, y, (A, B), [UNIT, UNIT])
    second = fit(x.copy(), y.copy(), (A, B), [UNIT, UNIT])
    assert sympy.srepr(first.expr) == sympy.srepr(second.expr)
    assert first.max_abs_error == second.max_abs_error


def test_noise_above_tolerance_returns_best_with_its_error() -> None:
    rng = np.random.default_rng(11)
    x = rng.uniform(0, 1, (400, 2))
    noise = rng.normal(0, 0.05, len(x))
    y = x[:, 0] + x[:, 1] + noise
    result = fit(x, y, (A, B), [UNIT, UNIT], time_limit=0.5)
    assert result.max_abs_error > default_tolerance(y)
    prediction = sympy.lambdify((A, B), result.expr)(x[:, 0], x[:, 1])
    assert result.max_abs_error == pytest.approx(np.max(np.abs(prediction - y)))
    assert result.max_abs_error <= np.max(np.abs(noise)) + 1e-9  # no worse than the truth
    loose = fit(x, y, (A, B), [UNIT, UNIT], tolerance=0.25)
    # within a generous tolerance the true structure wins (maybe as max + min = a + b),
    # with a small least-squares intercept the noise leaves behind
    offset = sympy.lambdify((A, B), loose.expr - A - B)(x[:, 0], x[:, 1])
    assert np.ptp(offset) < 1e-9 and abs(np.mean(offset)) < 0.02
    assert loose.complexity <= 9


def test_bits_dedupe_to_four_points_and_duplicates_are_harmless() -> None:
    x = traced([BITS, BITS], n=50_000)
    y = np.abs(x[:, 0] - x[:, 1])
    result = fit(x, y, (A, B), [BITS, BITS])
    assert same_function(result.expr, A + B - 2 * A * B, (A, B), x)
    assert result.samples == 50_000 and result.seconds < 2


def test_huge_continuous_sample_is_subsampled() -> None:
    x = traced([UNIT, UNIT], n=300_000)
    y = np.minimum(x[:, 0], x[:, 1])
    result = fit(x, y, (A, B), [UNIT, UNIT])
    assert result.expr == sympy.Min(A, B)
    assert result.samples == 300_000 and result.max_abs_error == 0.0


def test_constant_operand() -> None:
    x = traced([UNIT, UNIT])
    x[:, 1] = 3.0
    result = fit(x, 2 * x[:, 0] + x[:, 1], (A, B), [UNIT, OperandDomain.finite([3])])
    assert same_function(result.expr, 2 * A + 3, (A, B), x)
    assert result.max_abs_error < 1e-12


def test_operand_copy_of_another() -> None:
    x = traced([INT100, INT100])
    x[:, 1] = x[:, 0]
    result = fit(x, np.maximum(x[:, 0], x[:, 1]) + 1, (A, B), [INT100, INT100])
    assert same_function(result.expr, A + 1, (A, B), x)
    assert result.complexity <= 3


def test_single_point_and_one_operand_vector_input() -> None:
    result = fit(np.array([[0.5, 0.5]] * 10), np.full(10, 2.0), (A, B), [UNIT, UNIT])
    assert result.expr == 2
    one = fit(np.array([0.0, 1.0, 1.0]), np.array([1.0, 0.0, 0.0]), (A,), [BITS])
    assert one.expr == 1 - A


def test_float32_traces_of_an_exact_function() -> None:
    x = traced([TRITS, TRITS]).astype(np.float32)
    y = ((x[:, 0] + x[:, 1]) % 3 * np.float32(0.7) + np.float32(0.1)).astype(np.float32)
    result = fit(x, y, (A, B), [TRITS, TRITS])
    assert result.expr.has(sympy.Mod) and result.complexity <= 9
    assert result.max_abs_error < 1e-6


@pytest.mark.parametrize(
    "inputs,outputs,symbols,domains,message",
    [
        (np.zeros((4, 3)), np.zeros(4), (A, B), [UNIT, UNIT], "inputs must be"),
        (np.zeros((4, 2)), np.zeros(5), (A, B), [UNIT, UNIT], "inputs must be"),
        (np.zeros((0, 2)), np.zeros(0), (A, B), [UNIT, UNIT], "no samples"),
        (np.full((4, 2), np.nan), np.zeros(4), (A, B), [UNIT, UNIT], "NaN"),
        (np.zeros((4, 2)), np.zeros(4), (A, A), [UNIT, UNIT], "distinct"),
        (np.zeros((4, 2)), np.zeros(4), (A, B), [UNIT], "OperandDomain"),
        (np.zeros((4, 4)), np.zeros(4), sympy.symbols("p:4"), [UNIT] * 4, "1 to 3 operands"),
    ],
)
def test_bad_input_is_an_input_error(inputs, outputs, symbols, domains, message) -> None:
    with pytest.raises(InputError, match=message):
        fit(inputs, outputs, symbols, domains)


def test_bad_options_are_input_errors() -> None:
    x, y = np.zeros((4, 1)), np.zeros(4)
    with pytest.raises(InputError, match="unknown SR backend"):
        fit(x, y, (A,), [UNIT], backend="magic")
    with pytest.raises(InputError, match="tolerance"):
        fit(x, y, (A,), [UNIT], tolerance=-1.0)
    with pytest.raises(InputError, match="time_limit"):
        fit(x, y, (A,), [UNIT], time_limit=0)


def test_domain_constructors() -> None:
    assert OperandDomain.bits() == OperandDomain((0.0, 1.0), 0.0, 1.0, True)
    assert OperandDomain.integers(0, 3).values == (0.0, 1.0, 2.0)
    assert OperandDomain.integers(0, 1000) == OperandDomain(None, 0.0, 999.0, True)
    assert OperandDomain.finite([0.5, 0.0, 0.5]) == OperandDomain((0.0, 0.5), 0.0, 0.5, False)
    assert OperandDomain.interval(-1, 1) == OperandDomain(None, -1.0, 1.0, False)


def test_integer_domain_claim_is_checked_against_the_samples() -> None:
    x = traced([UNIT, UNIT])  # not integers, though the domain says so: no mod features
    y = x[:, 0] + x[:, 1]
    result = fit(x, y, (A, B), [OperandDomain(None, 0, 1, True)] * 2)
    assert result.expr == A + B


def test_same_srepr_across_processes_and_hash_seeds() -> None:
    code = (
        "import numpy as np, sympy\n"
        "from w2c.sr import OperandDomain, fit\n"
        "rng = np.random.default_rng(3)\n"
        "x = rng.uniform(0, 1, (300, 2)); y = rng.normal(size=300)\n"  # nothing fits: full search
        "r = fit(x, y, sympy.symbols('a b'), [OperandDomain.interval(0, 1)] * 2, time_limit=0.3)\n"
        "print(sympy.srepr(r.expr), r.candidates_tried)\n"
    )
    runs = [
        subprocess.run(
            [sys.executable, "-c", code],
            capture_output=True,
            text=True,
            check=True,
            env={**os.environ, "PYTHONHASHSEED": seed},
        ).stdout
        for seed in ("1", "2")
    ]
    assert runs[0] == runs[1] and runs[0].strip()


@pytest.mark.parametrize("offset", [1e3, 1e5])
def test_operands_with_a_large_offset(offset: float) -> None:
    x = RNG.uniform(offset, offset + 1, (1000, 2))
    domains = [OperandDomain.interval(offset, offset + 1)] * 2
    assert fit(x, 2 * x[:, 0] - x[:, 1] + 3, (A, B), domains).expr == 2 * A - B + 3
    assert fit(x, 2 * x[:, 0] - x[:, 1], (A, B), domains).expr == 2 * A - B
