"""Resolve a task spec: a corpus task name, or ``FILE.py:VAR`` naming a user's Task object.

Importing a user file runs its code: that is the user's own code, by their explicit choice
(unlike a checkpoint, which is data). The file's sha256 is recorded in the task.
"""

from __future__ import annotations

import dataclasses
import importlib.util
import sys
from pathlib import Path

from w2c.errors import InputError
from w2c.tasks import Task, file_sha256, is_valid_name


def load_task(spec: str) -> Task:
    """``sum_last2`` -> the corpus task; ``path/to/tasks.py:my_task`` -> that file's Task."""
    if ":" in spec and spec.rsplit(":", 1)[0].endswith(".py"):
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
    module_name = f"_w2c_user_task_{abs(hash(path.resolve()))}"
    spec = importlib.util.spec_from_file_location(module_name, path)
    if spec is None or spec.loader is None:
        raise InputError(f"cannot import {path}")
    module = importlib.util.module_from_spec(spec)
    sys.modules[module_name] = module
    try:
        spec.loader.exec_module(module)
    except InputError as exc:
        raise InputError(f"{path}: {exc}") from None
    except Exception as exc:  # the user's file failed to import: report it in one line
        raise InputError(f"{path}: importing failed: {type(exc).__name__}: {exc}") from None
    finally:
        sys.modules.pop(module_name, None)
    task = getattr(module, variable, None)
    if task is None:
        raise InputError(f"{path} has no variable {variable!r}")
    if not isinstance(task, Task):
        raise InputError(f"{path}:{variable} is a {type(task).__name__}, not a w2c.Task")
    return dataclasses.replace(task, source_sha256=file_sha256(str(path)))
