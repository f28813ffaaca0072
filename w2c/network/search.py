"""The model search: the plan's attempts on a local process pool, accepted in plan order.

``train`` (``w2c.train``) is the one entry point behind `w2c train`, `w2c corpus train` and the
Python API. It walks the plan of w2c/network/plan.py, ``jobs`` attempts at a time, each in a
forked child process (one torch thread each), and accepts the first attempt *in plan order*
that is exact and compiles cleanly (w2c/network/clean.py): an attempt that finishes first but
comes later in the plan is held until every earlier one has failed, so the same seed gives the
same model whatever the machine's timing. Once an attempt is acceptable, later attempts are
stopped and none is started; the search also stops when ``budget`` seconds have passed.

The scheduling (:func:`run_plan`) is separate from the processes (:class:`ForkPool`), so the
order logic is tested with fake attempts that finish in any order.
"""

from __future__ import annotations

import multiprocessing
import pickle
import signal
import time
import traceback
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from multiprocessing.connection import Connection, wait
from typing import Any, Protocol

from w2c.errors import CheckFailed, InputError, UserCodeStopped
from w2c.network.config import Attempt
from w2c.network.progress import Event
from w2c.tasks import Task

DEFAULT_JOBS = 2
DEFAULT_BUDGET = 600.0  # seconds per task
MAX_JOBS = 64
MAX_BUDGET = 10**7  # seconds (about 4 months)
MAX_RECORDED = 10_000  # attempts a checkpoint's search record may list

# An attempt's outcome (docs/checkpoint.md, training.search).
CLEAN = "exact, clean"  # the bar: acceptable
UNCLEAN = "exact, not clean"
INEXACT = "not exact"
FAILED = "failed"  # the attempt's process died
STOPPED = "stopped"  # the search stopped it (an earlier attempt was accepted, or the budget)

EARLIER_CLEAN = "an earlier attempt is clean"
BUDGET_SPENT = "the budget ran out"
PR_SET_PDEATHSIG = 1  # linux/prctl.h

EventHook = Callable[[Event], None]


# --------------------------------------------------------------------------------------------
# One attempt (runs in a child process)
# --------------------------------------------------------------------------------------------


@dataclass
class AttemptResult:
    """What one attempt produced: its record and, when it finished, its run (the model)."""

    index: int
    attempt: Attempt
    outcome: str
    detail: str
    seconds: float
    run: Any = None  # w2c.network.train.RunResult; None when the attempt did not finish

    def record(self) -> dict[str, Any]:
        """This attempt in the checkpoint's search record (docs/checkpoint.md)."""
        exactness = self.run.exactness if self.run is not None else None
        return {
            "index": self.index,
            "size": self.attempt.size.describe(),
            "seed": self.attempt.seed,
            "settings": self.attempt.settings.describe(),
            "outcome": self.outcome,
            "detail": self.detail[:200],
            "seconds": round(self.seconds, 3),
            "exact_fraction": exactness.exact_fraction if exactness else 0.0,
            "rel_mse": min(exactness.rel_mse, 1e300) if exactness else 0.0,
            "pruned": list(self.run.pruned) if self.run is not None else [],
            "stopped_early": -1
            if self.run is None or self.run.stopped_early is None
            else self.run.stopped_early,
        }

    def line(self) -> str:
        """One line for the progress display and the final listing."""
        head = f"#{self.index} {self.attempt.describe()}: {self.outcome}"
        return f"{head} ({self.detail}, {self.seconds:.1f} s)" if self.detail else head


def run_attempt(
    task: Task, index: int, attempt: Attempt, on_log: EventHook | None = None
) -> AttemptResult:
    """Train one attempt and judge it: exact on random sequences, clean, exact on short ones.

    The compile (a second or so) comes before the exhaustive part of the exactness bar, which
    can take longer and only matters for a model that would be accepted.
    """
    from w2c.network.clean import clean_verdict
    from w2c.network.train import train_run, with_short_sequences

    start = time.perf_counter()
    run = train_run(task, attempt.size, attempt.settings, attempt.seed, on_log)
    outcome, detail = INEXACT, run.exactness.describe()
    if run.exactness.passed:
        reason = clean_verdict(run, task)
        if reason is not None:
            outcome, detail = UNCLEAN, reason
        else:
            run.exactness = with_short_sequences(run.exactness, run.model, task)
            if run.exactness.passed:
                outcome, detail = CLEAN, run.exactness.describe()
            else:
                detail = run.exactness.describe()
    run.seconds = time.perf_counter() - start
    return AttemptResult(index, attempt, outcome, detail, run.seconds, run)


# --------------------------------------------------------------------------------------------
# Scheduling: plan order, whatever order attempts finish in
# --------------------------------------------------------------------------------------------


def accepted_index(results: dict[int, AttemptResult], size: int) -> int | None:
    """The first attempt in plan order that is clean once every earlier one has failed."""
    for index in range(size):
        result = results.get(index)
        if result is None:
            return None  # still running or not started: a later success must wait
        if result.outcome == CLEAN:
            return index
    return None


def first_clean(results: dict[int, AttemptResult]) -> int | None:
    """The earliest clean attempt finished so far (later attempts cannot be accepted)."""
    return min((i for i, r in results.items() if r.outcome == CLEAN), default=None)


class Pool(Protocol):
    """Where attempts run: started by index, their events polled, stopped on demand."""

    def start(self, index: int, attempt: Attempt) -> None: ...

    def poll(self, timeout: float) -> list[Event]: ...

    def stop(self, index: int) -> None: ...


@dataclass
class PlanRun:
    """What :func:`run_plan` did: every attempt's result by index, and why it stopped."""

    results: dict[int, AttemptResult]
    accepted: int | None
    stopped: str  # "accepted", "plan exhausted" or "budget"
    seconds: float


def run_plan(
    plan: Sequence[Attempt],
    pool: Pool,
    jobs: int,
    budget: float,
    on_event: EventHook | None = None,
    clock: Callable[[], float] = time.monotonic,
) -> PlanRun:
    """Run ``plan`` on ``pool``, ``jobs`` at a time, until an attempt is accepted in plan order.

    Attempts start in plan order. When attempt k is clean, attempts after k are stopped and no
    new one starts past k; k is accepted once every attempt before it has failed. When the
    budget runs out, running attempts are stopped and the earliest clean one (if any) is
    accepted: only then can timing change the result, and the record says so.
    """
    say = on_event or (lambda _event: None)
    began = clock()
    results: dict[int, AttemptResult] = {}
    running: dict[int, float] = {}  # index -> start time
    upcoming = 0
    stopped = "plan exhausted"
    try:
        while True:
            accepted = accepted_index(results, len(plan))
            if accepted is not None:
                stopped = "accepted"
                break
            limit = first_clean(results)
            cutoff = len(plan) if limit is None else limit
            for index in [i for i in running if i > cutoff]:
                _stop(pool, index, plan[index], running, results, clock, EARLIER_CLEAN, say)
            if clock() - began >= budget:
                stopped = "budget"
                break
            while len(running) < jobs and upcoming < cutoff:
                pool.start(upcoming, plan[upcoming])
                running[upcoming] = clock()
                say({"event": "start", "index": upcoming, "attempt": plan[upcoming]})
                upcoming += 1
            if not running:
                break  # every attempt up to the cutoff has finished
            remaining = budget - (clock() - began)
            for event in pool.poll(max(0.0, min(0.5, remaining))):
                if event["event"] == "done":
                    result = event["result"]
                    results[result.index] = result
                    running.pop(result.index, None)
                say(event)
    finally:
        why = {"accepted": EARLIER_CLEAN, "budget": BUDGET_SPENT}.get(stopped, "interrupted")
        for index in list(running):
            _stop(pool, index, plan[index], running, results, clock, why, say)
    accepted = accepted_index(results, len(plan))
    if accepted is None and stopped == "budget":
        accepted = first_clean(results)
    return PlanRun(results, accepted, stopped, clock() - began)


def _stop(
    pool: Pool,
    index: int,
    attempt: Attempt,
    running: dict[int, float],
    results: dict[int, AttemptResult],
    clock: Callable[[], float],
    why: str,
    say: EventHook,
) -> None:
    pool.stop(index)
    result = AttemptResult(index, attempt, STOPPED, why, clock() - running.pop(index))
    results[index] = result
    say({"event": "done", "index": index, "result": result})


# --------------------------------------------------------------------------------------------
# The process pool: one forked child per attempt
# --------------------------------------------------------------------------------------------


class ChildTraceback(Exception):
    """The traceback text of an unexpected error in an attempt's process."""


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
                raise _child_error(index, payload)
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


def _child_error(index: int, payload: tuple[str, ...]) -> BaseException:
    kind, message = payload[0], payload[1]
    if kind == "input":
        return InputError(message)
    if kind == "stopped":
        return UserCodeStopped(message, payload[2])
    error = RuntimeError(f"attempt #{index} failed: {message}")
    error.__cause__ = ChildTraceback(payload[2])
    return error


def _child_main(conn: Connection, task: Task, index: int, attempt: Attempt, threads: int) -> None:
    """An attempt's process: train, judge, send the result; errors become messages."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the parent's to handle
    _die_with_parent()

    def send(kind: str, payload: object) -> None:
        conn.send_bytes(pickle.dumps((kind, payload), protocol=pickle.HIGHEST_PROTOCOL))

    try:
        from w2c.threads import torch_threads

        task = _own_user_code(task)
        with torch_threads(threads):
            result = run_attempt(task, index, attempt, lambda entry: send("log", entry))
        send("done", result)
    except InputError as exc:
        send("error", ("input", str(exc)))
    except UserCodeStopped as exc:
        send("error", ("stopped", exc.message, exc.role))
    except BaseException as exc:  # a bug: the parent reports it with this traceback
        send("error", ("internal", f"{type(exc).__name__}: {exc}", traceback.format_exc()))
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


# --------------------------------------------------------------------------------------------
# The public entry point
# --------------------------------------------------------------------------------------------


@dataclass
class SearchOutcome:
    """The search's result: the delivered run, every attempt, and how the search ended.

    ``best`` is the accepted run (exact and clean), else the first exact run in plan order,
    else the closest run; ``accepted`` is its plan index only when it met the whole bar.
    """

    best: Any  # w2c.network.train.RunResult, or None when no attempt finished
    attempts: list[AttemptResult]
    accepted: int | None
    stopped: str
    total_seconds: float
    jobs: int
    budget: float
    plan_size: int
    first_index: int | None = None  # plan index of ``best``

    @property
    def passed(self) -> bool:
        """The delivered model is exact."""
        return self.best is not None and self.best.exactness.passed

    @property
    def clean(self) -> bool:
        """The delivered model is exact and compiles cleanly: the search's whole bar."""
        return self.accepted is not None

    def record(self) -> dict[str, Any]:
        """The checkpoint's ``training.search`` field (docs/checkpoint.md)."""
        return {
            "jobs": self.jobs,
            "budget": float(self.budget),
            "plan_size": self.plan_size,
            "accepted": self.accepted,
            "delivered": self.first_index,
            "stopped": self.stopped,
            "seconds": round(self.total_seconds, 3),
            "attempts": [a.record() for a in self.attempts[:MAX_RECORDED]],
        }

    def training_record(self) -> dict[str, Any]:
        """The checkpoint's whole ``training`` field for the delivered model."""
        from w2c.network.train import run_record

        record = run_record(self.best, self.total_seconds, len(self.attempts))
        record["search"] = self.record()
        return record

    def listing(self) -> list[str]:
        """What was tried, one line per attempt, in plan order."""
        return [a.line() for a in self.attempts]

    def summary(self, name: str) -> str:
        """One line: what the search found, or that it found nothing and why it stopped."""
        spent = f"{len(self.attempts)} of {self.plan_size} attempt(s) in {self.total_seconds:.0f} s"
        why = {"budget": "the budget ran out", "plan exhausted": "the plan was exhausted"}
        ended = why.get(self.stopped, self.stopped)
        if self.clean:
            return f"{name}: attempt #{self.accepted} is exact and clean ({spent})"
        if self.passed:
            return (
                f"{name}: no attempt is both exact and clean ({spent}; {ended}); kept the first "
                f"exact one, #{self.first_index}"
            )
        return f"{name}: no attempt reached the exactness bar ({spent}; {ended})"


def check_search_arguments(jobs: object, budget: object) -> None:
    """``jobs`` and ``budget`` before any work: InputError (exit 2) with one line."""
    from w2c.network.train import check_positive, check_whole

    check_whole(jobs, "jobs", 1, MAX_JOBS)
    check_positive(budget, "budget (seconds)", MAX_BUDGET)


def train(
    task: Task,
    seed: int = 0,
    steps: int | None = None,
    *,
    jobs: int = DEFAULT_JOBS,
    budget: float = DEFAULT_BUDGET,
    progress: bool | EventHook | None = None,
    max_attempts: int | None = None,
    threads: int = 1,
    require_exact: bool = True,
) -> SearchOutcome:
    """Search for an exact, clean model of ``task`` (``w2c.train``; docs/cli.md, "w2c train").

    ``jobs`` attempts run at a time, each on ``threads`` torch threads (a fixed count makes the
    trained weights the same on every machine for the same seed); ``budget`` bounds the
    search's wall time in seconds; ``progress`` is True for the rich display on stderr or a
    callable that receives every event (start, log point, done); ``max_attempts`` cuts the
    plan. Raises CheckFailed when no attempt is exact and ``require_exact``; an exact model
    that does not compile cleanly is returned with ``outcome.clean`` False.
    """
    from w2c.network.clean import warm_up
    from w2c.network.plan import search_plan
    from w2c.network.train import (
        MAX_SEED,
        MAX_STEPS,
        MAX_THREADS,
        check_attempt,
        check_training_memory,
        check_whole,
    )

    if not isinstance(task, Task):
        raise InputError(f"train needs a w2c.Task, not {type(task).__name__}")
    if not task.has_oracle:
        raise InputError(f"task {task.name} has no oracle to train on")
    check_whole(seed, "seed", 0, MAX_SEED)
    if steps is not None:
        check_whole(steps, "steps", 1, MAX_STEPS)
    if max_attempts is not None:
        check_whole(max_attempts, "max_attempts", 1, 10**6)
    check_whole(threads, "threads", 1, MAX_THREADS)
    check_search_arguments(jobs, budget)
    plan = search_plan(task, seed, steps)
    if max_attempts is not None:
        plan = plan[:max_attempts]
    for attempt in plan:
        check_attempt(attempt)
    check_training_memory(task, plan, min(jobs, len(plan)))
    display = None
    if progress is True:
        from w2c.network.progress import SearchDisplay

        display = SearchDisplay(task.name, len(plan), jobs, float(budget))
        hook: EventHook | None = display.on_event
    else:
        hook = progress or None
    warm_up()
    pool = ForkPool(task, threads)
    if display is not None:
        display.start()
    try:
        done = run_plan(plan, pool, jobs, float(budget), hook)
    finally:
        pool.close()
        if display is not None:
            display.stop()
    outcome = _outcome(done, plan, jobs, float(budget))
    if require_exact and not outcome.passed:
        raise CheckFailed(outcome.summary(task.name))
    return outcome


def _outcome(done: PlanRun, plan: Sequence[Attempt], jobs: int, budget: float) -> SearchOutcome:
    """The delivered run: accepted, else the first exact in plan order, else the closest."""
    from w2c.network.train import better

    attempts = [done.results[i] for i in sorted(done.results)]
    finished = [a for a in attempts if a.run is not None]
    chosen = None
    if done.accepted is not None:
        chosen = done.results[done.accepted]
    else:
        exact = [a for a in finished if a.run.exactness.passed]
        if exact:
            chosen = exact[0]
        elif finished:
            chosen = finished[0]
            for candidate in finished[1:]:
                if better(candidate.run.exactness, chosen.run.exactness):
                    chosen = candidate
    return SearchOutcome(
        best=chosen.run if chosen is not None else None,
        attempts=attempts,
        accepted=done.accepted,
        stopped=done.stopped,
        total_seconds=done.seconds,
        jobs=jobs,
        budget=budget,
        plan_size=len(plan),
        first_index=chosen.index if chosen is not None else None,
    )
