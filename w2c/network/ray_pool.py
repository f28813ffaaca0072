"""The Ray executor of the model search: each attempt a Ray task of one CPU (docs/cli.md).

The scheduling (plan order, the budget, retries, events) is w2c/network/search.py's
:func:`~w2c.network.search.run_plan`, the same as for the local pool; this module only submits,
waits for and cancels Ray tasks (the ``Pool`` interface). Ray is an optional extra
(``w2c[ray]``) and is imported here only, when the ray executor is chosen.

A worker gets the task by content, so a remote cluster needs no shared disk: a corpus task by
name, a task file as its bytes plus their sha256 (checked on the worker before the file is
imported there), any other task as the object itself (Ray pickles it, closures included).
Log points reach the driver through a small actor, so the progress display is the local one.
"""

from __future__ import annotations

import hashlib
import os
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType
from typing import Any

from w2c.errors import InputError
from w2c.network.attempt import Message, attempt_message, raise_message
from w2c.network.config import Attempt
from w2c.network.outcome import FAILED, AttemptResult
from w2c.network.progress import Event
from w2c.tasks import Task

NO_RAY = "--executor ray needs Ray, which is not installed (pip install 'w2c[ray]')"


def require_ray() -> ModuleType:
    """The ray module, or InputError (exit 2) in one line when it is not installed."""
    try:
        import ray
    except ImportError:
        raise InputError(NO_RAY) from None
    return ray


# --------------------------------------------------------------------------------------------
# The task, by content
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ShippedTask:
    """A task as a Ray worker receives it: by corpus name, a task file's bytes, or the object."""

    kind: str  # "corpus", "file" or "object"
    name: str
    content: bytes = b""
    sha256: str = ""
    variable: str = ""
    task: Task | None = None

    @classmethod
    def of(cls, task: Task) -> ShippedTask:
        from w2c.corpus import TASKS
        from w2c.usercode import RemoteOracle

        if TASKS.get(task.name) is task:
            return cls("corpus", task.name)
        if isinstance(task.oracle, RemoteOracle):
            file = task.oracle.file
            try:
                content = Path(file.path).read_bytes()
            except OSError as exc:
                raise InputError(f"cannot read {file.path}: {exc.strerror}") from None
            if hashlib.sha256(content).hexdigest() != file.sha256:
                raise InputError(f"{file.path} changed while w2c was reading it")
            name = Path(file.path).name
            return cls("file", name, content, file.sha256, task.oracle.variable)
        return cls("object", task.name, task=task)

    def load(self) -> Task:
        """The task on the worker; a task file only once its bytes match their sha256."""
        if self.kind == "corpus":
            from w2c.corpus import TASKS

            return TASKS[self.name]
        if self.kind == "object" and self.task is not None:
            return self.task
        if hashlib.sha256(self.content).hexdigest() != self.sha256:
            raise InputError(f"task file {self.name} arrived damaged (its sha256 differs)")
        key = (self.sha256, self.variable)
        if key not in _LOADED:
            from w2c.usercode import remote_task

            _LOADED[key] = remote_task(self._written(), self.variable)
        return _LOADED[key]

    def _written(self) -> Path:
        """The file in this machine's temporary folder, under its own name, keyed by its hash."""
        folder = Path(tempfile.gettempdir()) / "w2c-ray-tasks" / self.sha256
        path = folder / self.name
        if not path.is_file() or hashlib.sha256(path.read_bytes()).hexdigest() != self.sha256:
            folder.mkdir(parents=True, exist_ok=True)
            partial = folder / f".{self.name}.{os.getpid()}"
            partial.write_bytes(self.content)
            partial.replace(path)  # atomic: a reader never sees half a file
        return path


_LOADED: dict[tuple[str, str], Task] = {}  # per worker process: a task file imported once


def _remote_attempt(
    shipped: ShippedTask, index: int, attempt: Attempt, threads: int, version: str, logs: Any
) -> Message:
    """One attempt on a Ray worker (the body of the Ray task)."""
    import w2c

    if w2c.__version__ != version:
        message = f"the Ray worker has w2c {w2c.__version__}, this process {version}"
        return "error", ("input", f"{message}: install the same w2c on the cluster")
    return attempt_message(
        shipped.load, index, attempt, threads, lambda entry: logs.put.remote(index, entry)
    )


class _Logs:
    """The actor that holds the attempts' log points until the driver takes them."""

    def __init__(self) -> None:
        self.entries: list[tuple[int, dict[str, Any]]] = []

    def put(self, index: int, entry: dict[str, Any]) -> None:
        self.entries.append((index, entry))

    def take(self) -> list[tuple[int, dict[str, Any]]]:
        entries, self.entries = self.entries, []
        return entries


# --------------------------------------------------------------------------------------------
# The pool
# --------------------------------------------------------------------------------------------


def connect(ray: ModuleType, address: str | None) -> None:
    """Join the Ray instance at ``address`` (``auto``, ``ray://HOST:10001``), else the one
    this process already runs, else start a local one (no dashboard); InputError if it fails."""
    if ray.is_initialized():
        return
    options: dict[str, Any] = {"log_to_driver": False}
    if address is None:
        options["include_dashboard"] = False
    try:
        ray.init(address=address, **options)
    except Exception as exc:  # Ray raises ConnectionError, ValueError, RuntimeError...
        where = address or "a new local instance"
        text = " ".join(str(exc).split())[:200]
        raise InputError(f"cannot start Ray ({where}): {type(exc).__name__}: {text}") from None


class RayPool:
    """Each attempt a Ray task (``num_cpus=1``); cancelled with ``ray.cancel(force=True)``.

    Ray does not retry a task itself (``max_retries=0``): the search runs a failed attempt
    once more, the same way for every executor.
    """

    def __init__(self, task: Task, threads: int = 1, address: str | None = None) -> None:
        import w2c

        ray = require_ray()
        connect(ray, address)
        self.ray, self.threads, self.version = ray, threads, w2c.__version__
        try:
            self.shipped = ray.put(ShippedTask.of(task))  # sent once, shared by every attempt
        except Exception as exc:  # a task that does not pickle (Ray wraps pickle's errors)
            text = f"{type(exc).__name__}: {str(exc)[:120]}"
            raise InputError(f"task {task.name} cannot be sent to Ray workers ({text})") from None
        self.remote = ray.remote(num_cpus=1, max_retries=0)(_remote_attempt)
        self.logs = ray.remote(num_cpus=0)(_Logs).remote()
        self.live: dict[int, tuple[Any, Attempt, float]] = {}  # index -> (ref, attempt, began)

    def start(self, index: int, attempt: Attempt) -> None:
        ref = self.remote.remote(
            self.shipped, index, attempt, self.threads, self.version, self.logs
        )
        self.live[index] = (ref, attempt, time.perf_counter())

    def poll(self, timeout: float) -> list[Event]:
        refs = {ref: index for index, (ref, _, _) in self.live.items()}
        ready, _ = self.ray.wait(list(refs), num_returns=1, timeout=timeout)
        if ready:  # and every other one that is done by now
            ready, _ = self.ray.wait(list(refs), num_returns=len(refs), timeout=0)
        events: list[Event] = [
            {"event": "log", "index": index, **entry}
            for index, entry in self.ray.get(self.logs.take.remote())
        ]
        for ref in ready:
            index = refs[ref]
            _, attempt, began = self.live.pop(index)
            try:
                kind, payload = self.ray.get(ref)
            except self.ray.exceptions.RayError as exc:  # the worker died, or Ray lost it
                first = " ".join(str(exc).split())[:160]
                why = f"the Ray task failed: {type(exc).__name__}: {first}"
                payload = AttemptResult(index, attempt, FAILED, why, time.perf_counter() - began)
                kind = "done"
            if kind != "done":
                self.close()
                raise_message(payload)
            events.append({"event": "done", "index": index, "result": payload})
        return events

    def stop(self, index: int) -> None:
        ref, _, _ = self.live.pop(index, (None, None, None))
        if ref is not None:
            self.ray.cancel(ref, force=True)

    def close(self) -> None:
        for index in list(self.live):
            self.stop(index)
        if self.logs is not None:
            self.ray.kill(self.logs)
            self.logs = None
