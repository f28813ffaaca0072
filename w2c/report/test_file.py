"""The pytest file that ``w2c compile --emit-tests`` writes beside a program.

The module is a fixed template; its only variable parts (paths and the task spec) enter as
Python string literals made with ``repr`` inside libcst nodes, replacing placeholder names in the
parsed template, so no user text is ever pasted into code. The tests run the same hypothesis
property checks as ``w2c verify`` (same strategies, settings and tolerances).
"""

from __future__ import annotations

import os
from pathlib import Path

import black
import libcst as cst

from w2c.errors import InputError
from w2c.tasks import is_valid_name

_TEMPLATE = '''
"""Property tests for the program beside this file, written by `w2c compile --emit-tests`.

They run the property-based checks of `w2c verify` (hypothesis: derandomized, no example
database, every length 1..T with edge values): the program against the task's oracle
(correctness), against the hardened model (fidelity) and, when the program has one, its NumPy
twin against the program, with the same tolerances. A shrunk counterexample is in the failure
message. Run: pytest THIS_FILE
"""

from pathlib import Path

import pytest

from w2c.network.checkpoint import load, resolve_task
from w2c.task_loader import load_task
from w2c.tasks import task_from_record
from w2c.verify import load_functions, model_reference, oracle_reference, twin_reference
from w2c.verify.property import property_check

HERE = Path(__file__).resolve().parent
PROGRAM = HERE / PROGRAM_LITERAL
MODEL = HERE / MODEL_LITERAL
TASK_FILE = TASK_FILE_LITERAL  # a user task file (relative to HERE), or None
TASK_NAME = TASK_NAME_LITERAL  # its variable, a corpus task name, or None


def _named_task():
    if TASK_FILE is not None:
        return load_task(f"{HERE / TASK_FILE}:{TASK_NAME}")
    return None if TASK_NAME is None else load_task(TASK_NAME)


@pytest.fixture(scope="module")
def subject():
    checkpoint = load(MODEL)
    program, twin = load_functions(PROGRAM)
    return program, twin, checkpoint, resolve_task(checkpoint, _named_task())


def test_correctness(subject):
    program, _, checkpoint, task = subject
    if task is None or not task.has_oracle:
        pytest.skip("no oracle for this model's task: emit the tests with --task FILE.py:VAR")
    evidence = property_check(program, task, "correctness", oracle_reference(task))
    assert evidence.passed, evidence.line()


def test_fidelity(subject):
    program, _, checkpoint, task = subject
    task = task or task_from_record(checkpoint.task)
    reference = model_reference(task, checkpoint.model)
    evidence = property_check(program, task, "fidelity", reference)
    assert evidence.passed, evidence.line()


def test_numpy_twin(subject):
    program, twin, checkpoint, task = subject
    if twin is None:
        pytest.skip("the program has no NumPy twin (compile with --numpy-twin)")
    task = task or task_from_record(checkpoint.task)
    evidence = property_check(program, task, "twin", twin_reference(task, twin))
    assert evidence.passed, evidence.line()
'''


class _Fill(cst.CSTTransformer):
    """Replace each placeholder name by its literal node."""

    def __init__(self, values: dict[str, cst.BaseExpression]) -> None:
        super().__init__()
        self.values = values
        self.used: set[str] = set()

    def leave_Name(self, original_node: cst.Name, updated_node: cst.Name) -> cst.BaseExpression:
        if updated_node.value in self.values:
            self.used.add(updated_node.value)
            return self.values[updated_node.value]
        return updated_node


def _literal(value: str | None) -> cst.BaseExpression:
    return cst.Name("None") if value is None else cst.SimpleString(repr(value))


def _relative(target: Path, folder: Path) -> str:
    """``target`` relative to ``folder`` where possible (the pair can move together)."""
    try:
        return os.path.relpath(target.resolve(), folder.resolve())
    except ValueError:  # another drive
        return str(target.resolve())


def _split_task_spec(spec: str | None, folder: Path) -> tuple[str | None, str | None]:
    """(task file relative to the test's folder, variable or corpus name)."""
    if spec is None:
        return None, None
    if ":" in spec and spec.rsplit(":", 1)[0].endswith(".py"):
        path, variable = spec.rsplit(":", 1)
        if not is_valid_name(variable):
            raise InputError(f"{variable!r} is not a Python variable name")
        return _relative(Path(path), folder), variable
    if not is_valid_name(spec):
        raise InputError(f"{spec!r} is neither a corpus task name nor FILE.py:VAR")
    return None, spec


def render_test_file(program_path: Path, model_path: Path, task_spec: str | None) -> str:
    """Source of a pytest + hypothesis module checking the program written at ``program_path``.

    The module goes in the program's folder and finds the program, model and task file relative
    to itself.
    """
    folder = Path(program_path).resolve().parent
    task_file, task_name = _split_task_spec(task_spec, folder)
    values: dict[str, cst.BaseExpression] = {
        "PROGRAM_LITERAL": _literal(Path(program_path).name),
        "MODEL_LITERAL": _literal(_relative(Path(model_path), folder)),
        "TASK_FILE_LITERAL": _literal(task_file),
        "TASK_NAME_LITERAL": _literal(task_name),
    }
    fill = _Fill(values)
    module = cst.parse_module(_TEMPLATE.lstrip()).visit(fill)
    assert fill.used == set(values), "template placeholders out of sync"
    return black.format_str(module.code, mode=black.Mode())
