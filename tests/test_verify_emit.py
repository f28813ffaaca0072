"""The test file `w2c compile --emit-tests` writes: it runs under pytest, passes for a right
program, fails for a wrong one, and carries its paths only as string literals."""

from __future__ import annotations

import ast
import os
import subprocess
import sys
from pathlib import Path

import black
import pytest
import torch
from test_verify_fidelity import parity_model, running_max_model

from w2c.corpus import TASKS
from w2c.errors import InputError
from w2c.network import checkpoint
from w2c.report.test_file import render_test_file
from w2c.tasks import Task

RIGHT = "def program(xs):\n    return [a ^ b for a, b in zip(xs, [0, *xs[:-1]])]\n"
WRONG = "def program(xs):\n    out = [a ^ b for a, b in zip(xs, [0, *xs[:-1]])]\n" + (
    "    if len(xs) == 6:\n        out[-1] = 1 - out[-1]\n    return out\n"
)
RUNNING_MAX = (
    "def program(xs):\n    out, best = [], 0\n    for x in xs:\n"
    "        best = max(best, x)\n        out.append(best)\n    return out\n"
)
USER_TASK = """
import numpy as np
from w2c.corpus import TASKS

my_max = TASKS["running_max"]
"""


def _training() -> dict:
    record: dict = {
        k: (1 if kind is int else 0.0) for k, kind in checkpoint.TRAINING_SCALARS.items()
    }
    record["history"] = {k: torch.zeros(1, dtype=d) for k, d in checkpoint.HISTORY_KEYS.items()}
    record["size"] = "hand-built"
    return record


def _save_model(model, task: Task, path: Path) -> Path:
    checkpoint.save(checkpoint.build(model, task, _training(), "0.1.0"), path)
    return path


def _run_pytest(test_file: Path) -> subprocess.CompletedProcess:
    env = dict(os.environ, PYTHONDONTWRITEBYTECODE="1")
    return subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-rs", test_file.name],
        cwd=test_file.parent,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )


@pytest.fixture(scope="module")
def odd_folder(tmp_path_factory) -> Path:
    """A folder whose name would break naive string pasting."""
    folder = tmp_path_factory.mktemp("emit") / 'it\'s "odd" \\ {x}'
    folder.mkdir()
    _save_model(parity_model(), TASKS["parity_last2"], folder / "model.pt")
    return folder


def test_rendered_file_is_black_formatted_and_holds_literals(odd_folder: Path) -> None:
    source = render_test_file(odd_folder / "prog.py", odd_folder / "model.pt", "parity_last2")
    assert black.format_str(source, mode=black.Mode()) == source
    constants = {
        node.targets[0].id: node.value
        for node in ast.parse(source).body
        if isinstance(node, ast.Assign) and isinstance(node.targets[0], ast.Name)
    }
    assert ast.literal_eval(constants["TASK_NAME"]) == "parity_last2"
    assert ast.literal_eval(constants["TASK_FILE"]) is None
    assert ast.literal_eval(constants["PROGRAM"].right) == "prog.py"
    assert ast.literal_eval(constants["MODEL"].right) == "model.pt"


def test_rendered_file_passes_for_a_right_program_and_fails_for_a_wrong_one(
    odd_folder: Path,
) -> None:
    (odd_folder / "prog.py").write_text(RIGHT)
    test_file = odd_folder / "test_prog.py"
    test_file.write_text(
        render_test_file(test_file.with_name("prog.py"), odd_folder / "model.pt", "parity_last2")
    )
    result = _run_pytest(test_file)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "2 passed, 1 skipped" in result.stdout and "no NumPy twin" in result.stdout
    (odd_folder / "prog.py").write_text(WRONG)
    result = _run_pytest(test_file)
    assert result.returncode == 1, result.stdout + result.stderr
    assert "2 failed" in result.stdout and "counterexample" in result.stdout
    assert not (odd_folder / ".hypothesis").exists()  # (other pytest plugins may write here)


def test_user_task_file_and_model_in_another_folder(tmp_path: Path) -> None:
    """FILE.py:VAR is found relative to the test file; without a spec only fidelity runs."""
    models = tmp_path / "models"
    out = tmp_path / "out"
    models.mkdir()
    out.mkdir()
    (tmp_path / "tasks.py").write_text(USER_TASK)
    task = TASKS["running_max"]
    _save_model(running_max_model(), task, models / "max.pt")
    (out / "prog.py").write_text(RUNNING_MAX)
    with_task = out / "test_with_task.py"
    with_task.write_text(
        render_test_file(out / "prog.py", models / "max.pt", f"{tmp_path / 'tasks.py'}:my_max")
    )
    result = _run_pytest(with_task)
    assert result.returncode == 0 and "2 passed" in result.stdout, result.stdout + result.stderr
    without = out / "test_without.py"
    without.write_text(render_test_file(out / "prog.py", models / "max.pt", None))
    assert "TASK_NAME = None" in without.read_text()


TWIN = (
    "def program_numpy(xs):\n    import numpy as np\n    xs = np.asarray(xs, dtype=float)\n"
    "    before = np.pad(xs, ((0, 0), (1, 0)))[:, :-1]\n    return OUT\n"
)


def test_rendered_file_checks_a_numpy_twin(tmp_path: Path) -> None:
    _save_model(parity_model(), TASKS["parity_last2"], tmp_path / "model.pt")
    test_file = tmp_path / "test_prog.py"
    test_file.write_text(
        render_test_file(tmp_path / "prog.py", tmp_path / "model.pt", "parity_last2")
    )
    right = TWIN.replace("OUT", "np.abs(xs - before)")
    (tmp_path / "prog.py").write_text(RIGHT + right)
    result = _run_pytest(test_file)
    assert result.returncode == 0 and "3 passed" in result.stdout, result.stdout + result.stderr
    (tmp_path / "prog.py").write_text(RIGHT + TWIN.replace("OUT", "xs * before"))
    result = _run_pytest(test_file)
    assert result.returncode == 1 and "1 failed, 2 passed" in result.stdout, result.stdout


@pytest.mark.parametrize("spec", ["tasks.py:not a name", "no such task!", "a.py"])
def test_bad_task_specs_are_input_errors(tmp_path: Path, spec: str) -> None:
    with pytest.raises(InputError):
        render_test_file(tmp_path / "prog.py", tmp_path / "model.pt", spec)
