"""Every shipped corpus model compiles to a program proved to be the textbook algorithm.

The expected rules below are written by hand from each task's definition (not copied from the
compiler's output); equality is checked by sympy or, where sympy cannot decide, on every point
of the finite per-step domain. The program is also run against the task's oracle here.
"""

from __future__ import annotations

import ast
import itertools
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import sympy

from w2c.compiler import CompiledProgram, compile_model
from w2c.corpus import TASKS, model_path
from w2c.tasks import IntRange, Task, parse_symbol, x_sym, y_sym

x0, x1, x2 = x_sym(0), x_sym(1), x_sym(2)
y1, y2 = y_sym(1), y_sym(2)
a0, b0 = x_sym(0, "a"), x_sym(0, "b")

TEXTBOOK: dict[str, sympy.Expr] = {
    "sum_last2": x0 + x1,
    "sum_last3": x0 + x1 + x2,
    "diff_last2": x0 - x1,
    "prev2": x2,
    "abs_value": sympy.Abs(x0),
    "parity_last2": x0 + x1 - 2 * x0 * x1,
    "parity_last3": x0 + x1 + x2 - 2 * (x0 * x1 + x1 * x2 + x0 * x2) + 4 * x0 * x1 * x2,
    "and_last2": x0 * x1,
    "or_last2": x0 + x1 - x0 * x1,
    "bitwise_xor": a0 + b0 - 2 * a0 * b0,
    "maximum_prev2": sympy.Max(x0, x1),
    "minimum_prev2": sympy.Min(x0, x1),
    "add_mod_3": sympy.Mod(y1 + x0, 3),
    "running_max": sympy.Max(y1, x0),
    "freebody": 2 * y1 - y2 + x0,
    "gravity": 2 * y1 - y2 + x0 - 1,
    "spring": y1 - y2 + x0,
}
OUTPUT_VALUES = {"add_mod_3": range(3), "running_max": range(100)}


def symbol_values(task: Task, symbol: sympy.Symbol) -> list[int] | None:
    channel, lag = parse_symbol(symbol)
    if channel == "y":
        values = OUTPUT_VALUES.get(task.name)
        return None if values is None else sorted(set(values) | {0})
    domain = task.inputs[task.channels.index(channel)]
    if not isinstance(domain, IntRange):
        return None
    return sorted(set(range(domain.lo, domain.hi)) | ({0} if lag else set()))


def same_on_domain(rule: sympy.Expr, expected: sympy.Expr, task: Task) -> bool:
    if sympy.simplify(rule - expected) == 0:
        return True
    symbols = sorted(rule.free_symbols | expected.free_symbols, key=lambda s: s.name)
    grids = [symbol_values(task, s) for s in symbols]
    if any(g is None for g in grids):
        return False
    f = sympy.lambdify(symbols, rule - expected, modules="math")
    return all(f(*point) == 0 for point in itertools.product(*grids))


@pytest.fixture(scope="module", params=sorted(TASKS))
def compiled(request: pytest.FixtureRequest) -> tuple[Task, CompiledProgram]:
    name = request.param
    return TASKS[name], compile_model(model_path(name))


def test_compiles_with_correctness_proved(compiled: tuple[Task, CompiledProgram]) -> None:
    """Correctness proved for every corpus model; fidelity proved by the network proof for every
    integer and bit model (VERIFIED), sampled for the real-valued ones (CHECKED)."""
    task, program = compiled
    verification = program.report.verification
    assert verification.passed and not program.report.fallbacks, verification.lines()
    assert verification.correctness.strength == "proved", verification.lines()
    assert verification.fidelity.checked
    if task.discrete:
        assert verification.verdict == "VERIFIED" and program.report.exit_code == 0
        assert verification.fidelity.strength == "proved", verification.lines()
        assert verification.fidelity.label == (
            f"proved (network = rule = program for every sequence of lengths 1..{task.length})"
        )
    else:
        assert verification.verdict == "CHECKED" and program.report.exit_code == 4
        assert verification.fidelity.strength == "sampled"
    proof = [e for e in verification.correctness.evidence if e.method == "proof"]
    assert proof and proof[0].passed and proof[0].lengths == (1, task.length)


def test_rule_is_the_textbook_algorithm(compiled: tuple[Task, CompiledProgram]) -> None:
    task, program = compiled
    output = program.ir.node(program.ir.output).op
    rule = output.rule
    assert rule is not None
    assert all(isinstance(c, (sympy.Integer, sympy.Rational)) for c in rule.atoms(sympy.Number))
    assert same_on_domain(rule, TEXTBOOK[task.name], task), f"{task.name}: y[t] = {rule}"


def test_program_agrees_with_the_oracle(compiled: tuple[Task, CompiledProgram]) -> None:
    task, program = compiled
    function = program.function
    x = task.sample(np.random.default_rng(7), 200)
    y = task.run_oracle(x)
    for sequence, expected in zip(x, y, strict=True):
        xs = [float(v[0]) if task.n_channels == 1 else tuple(map(float, v)) for v in sequence]
        got = np.array(function(xs), dtype=float)
        if task.discrete:
            assert np.array_equal(np.round(got), expected), (xs, got, expected)
        else:
            assert np.allclose(got, expected, rtol=1e-6, atol=1e-6), (xs, got, expected)


def test_program_imports_only_the_standard_library(
    compiled: tuple[Task, CompiledProgram],
) -> None:
    _, program = compiled
    tree = ast.parse(program.source)
    imported = {
        alias.name.split(".")[0]
        for node in ast.walk(tree)
        if isinstance(node, (ast.Import, ast.ImportFrom))
        for alias in node.names
    }
    assert imported <= set(sys.stdlib_module_names), imported


@pytest.mark.parametrize("name", ["parity_last2", "spring"])
def test_same_model_compiles_to_identical_bytes(name: str) -> None:
    first = compile_model(model_path(name)).source
    second = compile_model(model_path(name)).source
    assert first == second


def test_program_runs_on_its_own(tmp_path: Path) -> None:
    source = compile_model(model_path("running_max")).source
    path = tmp_path / "running_max.py"
    path.write_text(source)
    script = (
        "import runpy, sys; p = runpy.run_path(sys.argv[1])['program']; print(p([3, 1, 4, 1, 5]))"
    )
    result = subprocess.run(
        [sys.executable, "-I", "-S", "-c", script, str(path)],
        capture_output=True,
        text=True,
        check=True,
        cwd=tmp_path,
    )
    assert result.stdout.strip() == "[3, 3, 4, 4, 5]"
