"""Fits of *trained* tiny ReLU nets: the engine must see the simple formula through float weights.

Each net is trained here (seeded torch, one thread, about a second); the truth it was trained
towards is written in the test. The tolerance given to ``fit`` is derived from how far the net
itself is from the truth (so the true structure is admissible), never from the fit's answer.
"""

from __future__ import annotations

import numpy as np
import pytest
import sympy

from w2c.sr import OperandDomain, default_tolerance, fit
from w2c.sr.nets import train_sub_mlp

A, B = sympy.symbols("a0 a1", real=True)
UNIT = OperandDomain.interval(0, 1)
BITS = OperandDomain.bits()
TRITS = OperandDomain.integers(0, 3)
RNG = np.random.default_rng(7)


def rounded(expr: sympy.Expr, places: int) -> sympy.Expr:
    """Every float in ``expr`` rounded to ``places`` decimals, as an exact rational."""
    numbers = {
        n: sympy.nsimplify(round(float(n), places), rational=True) for n in expr.atoms(sympy.Float)
    }
    return expr.xreplace(numbers)


def values(expr: sympy.Expr, x: np.ndarray) -> np.ndarray:
    return np.broadcast_to(sympy.lambdify((A, B), expr, "numpy")(x[:, 0], x[:, 1]), len(x)) + 0.0


@pytest.fixture(scope="module")
def max_net():
    train = RNG.uniform(0, 1, (1024, 2))
    return train_sub_mlp(train, np.maximum(train[:, 0], train[:, 1]), hidden=8, seed=0)


def test_trained_max_net_is_max(max_net) -> None:
    x = RNG.uniform(0, 1, (3000, 2))
    traced = max_net(x)
    truth = sympy.Max(A, B)
    net_error = float(np.max(np.abs(traced - values(truth, x))))
    assert net_error < 0.1, "the net did not learn max; the test would be meaningless"
    result = fit(x, traced, (A, B), [UNIT, UNIT], tolerance=2 * net_error)
    assert result.max_abs_error <= 2 * net_error
    assert result.complexity <= 8  # c * max(a, b) + d at most
    assert np.max(np.abs(values(rounded(result.expr, 1), x) - values(truth, x))) < 1e-12


def test_trained_max_net_at_default_tolerance_reports_honestly(max_net) -> None:
    x = RNG.uniform(0, 1, (3000, 2))
    traced = max_net(x)
    result = fit(x, traced, (A, B), [UNIT, UNIT], time_limit=1.0)
    measured = float(np.max(np.abs(values(result.expr, x) - traced)))
    assert result.max_abs_error == pytest.approx(measured, abs=1e-12)
    if result.max_abs_error > default_tolerance(traced):
        # nothing simple reproduces the net's kinks to 1e-3: the best found is still close
        assert result.max_abs_error < float(np.max(np.abs(traced - values(sympy.Max(A, B), x))))


def test_trained_xor_net_is_xor() -> None:
    bits = np.array([[0, 0], [0, 1], [1, 0], [1, 1]], dtype=float)
    xor = np.array([0.0, 1.0, 1.0, 0.0])
    net = train_sub_mlp(bits, xor, hidden=8, steps=400, seed=0)
    x = RNG.integers(0, 2, (5000, 2)).astype(float)
    traced = net(x)
    net_error = float(np.max(np.abs(net(bits) - xor)))
    assert net_error < 0.1
    result = fit(x, traced, (A, B), [BITS, BITS], tolerance=max(2 * net_error, 1e-6))
    assert result.complexity <= 10
    got = values(rounded(result.expr, 2), bits)
    assert np.array_equal(got, xor), f"{result.expr} rounds to {got}"
    exact = fit(x, traced, (A, B), [BITS, BITS])  # default tolerance: exact on the 4 points
    assert exact.max_abs_error <= default_tolerance(traced)


def test_trained_add_mod_3_net_is_mod() -> None:
    grid = np.array([[i, j] for i in range(3) for j in range(3)], dtype=float)
    truth = (grid[:, 0] + grid[:, 1]) % 3
    net = train_sub_mlp(grid, truth, hidden=16, steps=800, seed=0)
    net_error = float(np.max(np.abs(net(grid) - truth)))
    assert net_error < 0.1
    x = RNG.integers(0, 3, (2000, 2)).astype(float)
    result = fit(x, net(x), (A, B), [TRITS, TRITS], tolerance=max(2 * net_error, 1e-6))
    assert result.expr.has(sympy.Mod) and result.complexity <= 9
    assert np.array_equal(values(rounded(result.expr, 1), grid), truth)
