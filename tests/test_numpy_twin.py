"""--numpy-twin: program_numpy(xs) runs the program over a batch and is verified against it.

The twin is checked here against the task's oracle (independent of the compiler) and against
program() sequence by sequence; verification must catch a twin that disagrees or breaks.
"""

from __future__ import annotations

import ast
from pathlib import Path

import numpy as np
import pytest

from w2c.cli import run
from w2c.compiler import compile_model, program_from_source
from w2c.corpus import TASKS, model_path
from w2c.tasks import Task
from w2c.verify import load_functions, verify

TASK_NAMES = [
    "parity_last2",
    "bitwise_xor",
    "add_mod_3",
    "running_max",
    "maximum_prev2",
    "abs_value",
    "sum_last3",
    "spring",
    "gravity",
]


def _batch(task: Task, count: int = 300, seed: int = 3) -> tuple[np.ndarray, np.ndarray]:
    """Twin input (batch, T[, C]) and the oracle's outputs for it."""
    x = task.sample(np.random.default_rng(seed), count)
    return (x[..., 0] if task.n_channels == 1 else x), task.run_oracle(x)


def _per_sequence(task: Task, program, xs: np.ndarray) -> np.ndarray:
    rows = []
    for sequence in xs:
        items = sequence.tolist() if task.n_channels == 1 else [tuple(v) for v in sequence.tolist()]
        rows.append(program(items))
    return np.array(rows, dtype=float)


def _agree(task: Task, got: np.ndarray, expected: np.ndarray) -> bool:
    if task.discrete:
        return bool(np.array_equal(np.rint(got), np.rint(expected)))
    return bool(np.allclose(got, expected, rtol=1e-6, atol=1e-6))


@pytest.mark.parametrize("name", TASK_NAMES)
def test_twin_matches_the_oracle_and_the_program(name: str) -> None:
    task = TASKS[name]
    compiled = compile_model(model_path(name), numpy_twin=True, verify=False)
    twin = compiled.numpy_function
    assert twin is not None
    xs, oracle = _batch(task)
    got = twin(xs)
    assert got.shape == oracle.shape and got.dtype == np.float64
    assert _agree(task, got, oracle)
    assert _agree(task, got, _per_sequence(task, compiled.function, xs))
    assert _agree(
        task,
        twin(xs[:, :3]),
        task.run_oracle(xs[:, :3, None] if task.n_channels == 1 else xs[:, :3]),
    )  # shorter sequences


def test_without_the_flag_there_is_no_twin() -> None:
    compiled = compile_model(model_path("parity_last2"), verify=False)
    assert "program_numpy" not in compiled.source and compiled.numpy_function is None


def test_twin_imports_numpy_only_inside_itself() -> None:
    source = compile_model(model_path("add_mod_3"), numpy_twin=True, verify=False).source
    tree = ast.parse(source)
    top_level = {
        alias.name for node in tree.body if isinstance(node, ast.Import) for alias in node.names
    }
    assert "numpy" not in top_level
    twin = next(
        n for n in tree.body if isinstance(n, ast.FunctionDef) and n.name == "program_numpy"
    )
    inner = [a.name for n in ast.walk(twin) if isinstance(n, ast.Import) for a in n.names]
    assert inner == ["numpy"]


def test_twin_rejects_a_wrong_shape() -> None:
    single = compile_model(model_path("parity_last2"), numpy_twin=True, verify=False)
    with pytest.raises(ValueError, match=r"shape \(batch, T\)"):
        single.numpy_function(np.zeros(10))
    double = compile_model(model_path("bitwise_xor"), numpy_twin=True, verify=False)
    with pytest.raises(ValueError, match=r"shape \(batch, T, 2\)"):
        double.numpy_function(np.zeros((4, 10, 3)))


def test_twin_of_an_unsimplified_program_calls_program_per_sequence() -> None:
    task = TASKS["maximum_prev2"]
    compiled = compile_model(
        model_path("maximum_prev2"),
        numpy_twin=True,
        passes="infer_domains,attention_patterns,mlp_symbolic",
        verify=False,
    )
    assert "calling program() on each sequence" in compiled.source
    xs, oracle = _batch(task, 50)
    assert _agree(task, compiled.numpy_function(xs), oracle)


def test_verification_checks_the_twin_and_it_is_deterministic() -> None:
    first = compile_model(model_path("add_mod_3"), numpy_twin=True)
    second = compile_model(model_path("add_mod_3"), numpy_twin=True)
    assert first.source == second.source
    twin = first.report.verification.twin
    assert twin is not None and twin.passed and twin.strength == "exhaustive"
    assert "twin: exhaustive (every sequence of lengths 1..10)" in first.source
    assert first.report.verification.verdict == "VERIFIED"  # add_mod_3: every sequence fits
    assert first.report.to_dict()["verification"]["twin"]["passed"] is True


def _broken(source: str, old: str, new: str) -> tuple:
    assert old in source
    namespace_source = source.replace(old, new)
    program = program_from_source(namespace_source)
    twin = program_from_source(namespace_source, function="program_numpy")
    return program, twin


def test_verification_catches_a_twin_that_disagrees() -> None:
    compiled = compile_model(model_path("add_mod_3"), numpy_twin=True, verify=False)
    program, twin = _broken(compiled.source, "y[:, t] = (x_t + y_t1) % 3", "y[:, t] = x_t % 3")
    task = TASKS["add_mod_3"]
    report = verify(program, task, model=None, twin=twin)
    assert report.correctness.passed and report.twin is not None and not report.twin.passed
    assert report.twin.evidence[0].counterexample is not None


def test_verification_reports_a_twin_that_raises() -> None:
    compiled = compile_model(model_path("spring"), numpy_twin=True, verify=False)
    program, twin = _broken(compiled.source, "y = np.zeros(", "y = np.zeros_like_missing(")
    report = verify(program, TASKS["spring"], model=None, twin=twin, property_examples=20)
    assert not report.twin.passed
    assert "program_numpy raised AttributeError" in report.twin.evidence[0].detail


def test_cli_compile_and_verify_with_the_twin(tmp_path: Path, capsys) -> None:
    target = tmp_path / "xor.py"
    model = str(model_path("parity_last2"))
    assert run(["compile", model, "-o", str(target), "--numpy-twin", "-q"]) == 0
    program, twin = load_functions(target)
    assert twin is not None
    capsys.readouterr()
    assert run(["verify", str(target), model]) == 0
    assert "twin: exhaustive (every sequence of lengths 1..10)" in capsys.readouterr().out
    source = target.read_text()
    twin_line = next(line for line in source.splitlines() if "y[:, t] = -2 * " in line)
    target.write_text(source.replace(twin_line, twin_line.replace("-2 * ", "-1 * ")))
    assert run(["verify", str(target), model]) == 1
    out = capsys.readouterr().out
    assert "twin: FAILED" in out and "correctness: proved" in out
