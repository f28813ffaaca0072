"""The local executor of the model search: one forked child process per attempt.

The scheduling is w2c/network/search.py's :func:`~w2c.network.search.run_plan`; this module
only starts, watches and kills the processes (the ``Pool`` interface).
"""

from __future__ import annotations

import multiprocessing
import pickle
import signal
import time
from dataclasses import replace
from functools import partial
from multiprocessing.connection import Connection, wait
from typing import Any

from w2c.errors import InputError
from w2c.network.attempt import attempt_message, raise_message
from w2c.network.config import Attempt
from w2c.network.outcome import FAILED, AttemptResult
from w2c.network.progress import Event
from w2c.tasks import Task

PR_SET_PDEATHSIG = 1  # linux/prctl.h


class ForkPool:
    """Each attempt in a forked child that sends its log points and result over a pipe.

    Fork, not spawn: the child inherits the task (a corpus task's oracle is a lambda, which
    does not pickle) and does not re-run the caller's ``__main__``. A user task's oracle is a
    proxy for a child process of the parent (w2c/usercode.py); each attempt opens its own.
    Messages are pickled by the standard pickler (tensors by value), so a child may be killed
    at any time without leaving shared memory behind.
    """

    def __init__(self, task: Task, threads: int = 1) -> None:
        if "fork" not in multiprocessing.get_all_start_methods():
            raise InputError("the model search needs the 'fork' start method (Linux, macOS)")
        self.task, self.threads = task, threads
        self.context = multiprocessing.get_context("fork")
        self.live: dict[int, tuple[Any, Connection]] = {}
        self.attempts: dict[int, tuple[Attempt, float]] = {}

    def start(self, index: int, attempt: Attempt) -> None:
        receive, send = self.context.Pipe(duplex=False)
        process = self.context.Process(
            target=_child_main, args=(send, self.task, index, attempt, self.threads), daemon=True
        )
        process.start()
        send.close()
        self.live[index] = (process, receive)
        self.attempts[index] = (attempt, time.perf_counter())

    def poll(self, timeout: float) -> list[Event]:
        owners = {conn: index for index, (_, conn) in self.live.items()}
        events: list[Event] = []
        for conn in wait(list(owners), timeout):
            index = owners[conn]  # type: ignore[index]
            try:
                kind, payload = pickle.loads(conn.recv_bytes())  # type: ignore[union-attr]
            except (EOFError, OSError):
                kind, payload = "died", None
            if kind == "log":
                events.append({"event": "log", "index": index, **payload})
                continue
            process, _ = self.live.pop(index)
            conn.close()  # type: ignore[union-attr]
            process.join(5)
            if kind == "done":
                events.append({"event": "done", "index": index, "result": payload})
            elif kind == "died":
                attempt, began = self.attempts[index]
                seconds = time.perf_counter() - began
                died = AttemptResult(index, attempt, FAILED, _exit_text(process.exitcode), seconds)
                events.append({"event": "done", "index": index, "result": died})
            else:
                self.close()
                raise_message(payload)
        return events

    def stop(self, index: int) -> None:
        process, conn = self.live.pop(index, (None, None))
        if process is None:
            return
        process.kill()
        process.join()
        conn.close()  # type: ignore[union-attr]

    def close(self) -> None:
        for index in list(self.live):
            self.stop(index)


def _exit_text(code: int | None) -> str:
    if code is not None and code < 0:
        try:
            return f"its process was killed by {signal.Signals(-code).name}"
        except ValueError:
            pass
    return f"its process ended without a result (exit code {code})"


def _child_main(conn: Connection, task: Task, index: int, attempt: Attempt, threads: int) -> None:
    """An attempt's process: train, judge, send the result; errors become messages."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the parent's to handle
    _die_with_parent()

    def send(kind: str, payload: object) -> None:
        conn.send_bytes(pickle.dumps((kind, payload), protocol=pickle.HIGHEST_PROTOCOL))

    try:
        own = partial(_own_user_code, task)
        send(*attempt_message(own, index, attempt, threads, lambda entry: send("log", entry)))
    finally:
        conn.close()


def _die_with_parent() -> None:
    """Linux: the kernel kills this process when the search's process dies (even by SIGKILL),
    so no attempt outlives its search on a shared machine. Elsewhere a no-op."""
    try:
        import ctypes

        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(PR_SET_PDEATHSIG, signal.SIGKILL)
    except (OSError, AttributeError):  # not Linux, or no prctl
        pass


def _own_user_code(task: Task) -> Task:
    """The task with an oracle proxy of the child's own (never the parent's connection)."""
    from w2c.usercode import RemoteOracle

    if isinstance(task.oracle, RemoteOracle):
        return replace(task, oracle=RemoteOracle(task.oracle.file, task.oracle.variable))
    return task
