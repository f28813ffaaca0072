"""Resolve a task spec: a corpus task name, or ``FILE.py:VAR`` naming a user's Task object.

Importing a user file runs its code: that is the user's own code, by their explicit choice
(unlike a checkpoint, which is data). It runs in a child process (w2c.usercode) with a time
limit, so an exit or a hang in it is bad input (exit 2), never w2c's verdict. The file's sha256
is recorded in the task.
"""

from __future__ import annotations

from pathlib import Path

from w2c.errors import InputError
from w2c.tasks import Task, is_valid_name
from w2c.usercode import remote_task


def task_file(spec: str | None) -> Path | None:
    """The file a ``FILE.py:VAR`` spec names (an input no output may replace), else None."""
    if spec is not None and ":" in spec and spec.rsplit(":", 1)[0].endswith(".py"):
        return Path(spec.rsplit(":", 1)[0])
    return None


def load_task(spec: str) -> Task:
    """``sum_last2`` -> the corpus task; ``path/to/tasks.py:my_task`` -> that file's Task."""
    if task_file(spec) is not None:
        return _load_from_file(*spec.rsplit(":", 1))
    from w2c.corpus import TASKS

    if spec in TASKS:
        return TASKS[spec]
    if spec.endswith(".py"):
        raise InputError(f"name the Task object in the file as {spec}:VARIABLE")
    raise InputError(f"unknown task {spec!r}; corpus tasks: {', '.join(sorted(TASKS))}")


def _load_from_file(path_text: str, variable: str) -> Task:
    path = Path(path_text)
    if not path.is_file():
        raise InputError(f"task file not found: {path}")
    if not is_valid_name(variable):
        raise InputError(f"{variable!r} is not a Python variable name")
    return remote_task(path, variable)
