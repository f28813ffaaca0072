"""The optional backends: operon (pyoperon GP) and pysr (never imported unless it can run)."""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import pytest
import sympy

from w2c.errors import InputError
from w2c.sr import OperandDomain, available_backends, fit
from w2c.sr.parse import parse_model

A, B = sympy.symbols("a0 a1", real=True)
UNIT = OperandDomain.interval(0, 1)
SIGNED = OperandDomain.interval(-1, 1)
BITS = OperandDomain.bits()
INT100 = OperandDomain.integers(0, 100)
RNG = np.random.default_rng(99)
BACKENDS = available_backends()
needs_operon = pytest.mark.skipif(
    BACKENDS["operon"] is not None, reason=f"operon backend unavailable: {BACKENDS['operon']}"
)


def test_available_backends_shape() -> None:
    assert set(BACKENDS) == {"library", "operon", "pysr"}
    assert BACKENDS["library"] is None
    assert all(v is None or (isinstance(v, str) and v) for v in BACKENDS.values())


def test_importing_w2c_sr_never_imports_pysr_or_pyoperon() -> None:
    code = (
        "import sys, w2c.sr\n"
        "print('pysr' in sys.modules, 'pyoperon' in sys.modules, 'torch' in sys.modules)\n"
        "w2c.sr.available_backends()\n"
        "print('pysr' in sys.modules)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.split() == ["False", "False", "False", "False"]


@pytest.mark.skipif(BACKENDS["pysr"] is None, reason="pysr and julia are installed here")
def test_pysr_unavailable_is_a_clear_input_error() -> None:
    with pytest.raises(InputError, match="pysr backend needs"):
        fit(np.zeros((4, 1)), np.zeros(4), (A,), [UNIT], backend="pysr")
    assert "pysr" not in sys.modules


@pytest.mark.skipif(BACKENDS["pysr"] is not None, reason=f"pysr unavailable: {BACKENDS['pysr']}")
def test_pysr_recovers_a_linear_form() -> None:  # pragma: no cover - needs Julia
    x = RNG.uniform(0, 1, (300, 2))
    result = fit(x, 2 * x[:, 0] + x[:, 1], (A, B), [UNIT, UNIT], backend="pysr")
    assert sympy.simplify(result.expr - (2 * A + B)) == 0


@needs_operon
@pytest.mark.parametrize(
    "truth,domains",
    [
        (2 * A + B, [INT100, INT100]),
        (sympy.Max(A, B), [UNIT, UNIT]),
        (A * sympy.Max(0, B), [SIGNED, SIGNED]),
    ],
    ids=["2a+b", "max", "a*relu(b)"],
)
def test_operon_recovers_exact_forms(truth: sympy.Expr, domains: list[OperandDomain]) -> None:
    x = np.column_stack(
        [
            RNG.choice(np.array(d.values), 400) if d.values else RNG.uniform(d.lo, d.hi, 400)
            for d in domains
        ]
    )
    y = sympy.lambdify((A, B), truth, "numpy")(x[:, 0], x[:, 1])
    result = fit(x, y, (A, B), domains, backend="operon", time_limit=1.0)
    assert result.backend == "operon"
    assert result.max_abs_error < 1e-9
    assert result.complexity <= 12
    if sympy.simplify(result.expr - truth) != 0:  # e.g. max(a, b) as b + relu(a - b)
        got = sympy.lambdify((A, B), result.expr, "numpy")(x[:, 0], x[:, 1])
        np.testing.assert_allclose(got, y, atol=1e-9, err_msg=str(result.expr))


@needs_operon
def test_operon_is_deterministic() -> None:
    x = RNG.uniform(0, 1, (300, 2))
    y = 0.3 * np.maximum(x[:, 0] - x[:, 1], 0) + 0.2 * x[:, 1] + RNG.normal(0, 1e-3, 300)
    first = fit(x, y, (A, B), [UNIT, UNIT], backend="operon", time_limit=0.5, seed=3)
    second = fit(x, y, (A, B), [UNIT, UNIT], backend="operon", time_limit=0.5, seed=3)
    assert sympy.srepr(first.expr) == sympy.srepr(second.expr)


def test_parse_model_accepts_gp_output() -> None:
    x0, x1 = sympy.symbols("x0 x1")
    expr = parse_model("(max((1.5 * x0), abs(x1)) - 2.5e-1) ^ 2 + relu(x0)", {"x0": x0, "x1": x1})
    assert expr == (sympy.Max(1.5 * x0, sympy.Abs(x1)) - 0.25) ** 2 + sympy.Max(0, x0)


@pytest.mark.parametrize(
    "text",
    [
        "__import__('os')",
        "x0.real",
        "x0; x1",
        "lambda: 1",
        "x0 @ x1",
        "exec(x0)",
        "x0[0]",
        "x0 == 1",
    ],
)
def test_parse_model_rejects_anything_else(text: str) -> None:
    with pytest.raises(InputError):
        parse_model(text, {"x0": sympy.Symbol("x0"), "x1": sympy.Symbol("x1")})
