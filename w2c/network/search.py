"""The model search: the plan's attempts on an executor, accepted in plan order.

``train`` (``w2c.train``) is the one entry point behind `w2c train`, `w2c corpus train` and the
Python API. It walks the plan of w2c/network/plan.py, ``jobs`` attempts at a time, and accepts
the first attempt *in plan order* that is exact and compiles cleanly (w2c/network/clean.py): an
attempt that finishes first but comes later in the plan is held until every earlier one has
failed, so the same seed gives the same model whatever the machine's timing. Once an attempt is
acceptable, later attempts are stopped and none is started; the search also stops when
``budget`` seconds have passed. An attempt whose process dies or that raises is run once more,
then recorded as ``failed``.

The scheduling (:func:`run_plan`) is separate from where attempts run (a :class:`Pool`: forked
local processes, w2c/network/fork_pool.py, or Ray tasks, w2c/network/ray_pool.py), so the order
logic is one piece of code, tested with fake attempts that finish in any order.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Protocol

from w2c.errors import CheckFailed, InputError
from w2c.network.config import Attempt
from w2c.network.outcome import (
    BUDGET_SPENT,
    CLEAN,
    EARLIER_CLEAN,
    FAILED,
    STOPPED,
    AttemptResult,
    SearchOutcome,
)
from w2c.network.progress import Event, EventHook
from w2c.tasks import Task

DEFAULT_JOBS = 2
DEFAULT_BUDGET = 600.0  # seconds per task
MAX_JOBS = 64
MAX_BUDGET = 10**7  # seconds (about 4 months)

EXECUTORS = ("local", "ray")


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
    """Where attempts run: submitted by index, their events waited for, cancelled on demand.

    ``poll`` returns the log points and results that arrived within ``timeout`` seconds; each
    started attempt ends in exactly one "done" event (its result, ``failed`` when its process
    died) unless it is stopped first. ``close`` stops whatever still runs.
    """

    def start(self, index: int, attempt: Attempt) -> None: ...

    def poll(self, timeout: float) -> list[Event]: ...

    def stop(self, index: int) -> None: ...

    def close(self) -> None: ...


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
    accepted: only then can timing change the result, and the record says so. A ``failed``
    attempt (its process died, or it raised) is started once more before its result counts.
    """
    say = on_event or (lambda _event: None)
    began = clock()
    results: dict[int, AttemptResult] = {}
    running: dict[int, float] = {}  # index -> start time
    retried: set[int] = set()
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
                    if result.outcome == FAILED and result.index not in retried:
                        retried.add(result.index)
                        say({"event": "retry", "index": result.index, "result": result})
                        pool.start(result.index, plan[result.index])
                        say({"event": "start", "index": result.index, "attempt": result.attempt})
                        continue
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
# The public entry point
# --------------------------------------------------------------------------------------------


def check_search_arguments(
    jobs: object, budget: object, executor: object = "local", ray_address: object = None
) -> None:
    """The search's flags before any work: InputError (exit 2) with one line.

    ``--executor ray`` needs Ray installed (the optional extra ``w2c[ray]``); ``--ray-address``
    means nothing without it.
    """
    from w2c.network.train import check_positive, check_whole

    check_whole(jobs, "jobs", 1, MAX_JOBS)
    check_positive(budget, "budget (seconds)", MAX_BUDGET)
    if executor not in EXECUTORS:
        raise InputError(f"executor must be one of {', '.join(EXECUTORS)}, not {executor!r}")
    if ray_address is not None and executor != "ray":
        raise InputError("--ray-address needs --executor ray")
    if ray_address is not None and (not isinstance(ray_address, str) or not ray_address.strip()):
        raise InputError("--ray-address must be an address such as auto or ray://HOST:10001")
    if executor == "ray":
        from w2c.network.ray_pool import require_ray

        require_ray()


def open_pool(task: Task, threads: int, executor: str, ray_address: str | None) -> Pool:
    """The executor's pool: forked local processes, or Ray tasks (started, or joined, here)."""
    if executor == "ray":
        from w2c.network.ray_pool import RayPool

        return RayPool(task, threads, ray_address)
    from w2c.network.clean import warm_up
    from w2c.network.fork_pool import ForkPool

    warm_up()  # once, before the children fork
    return ForkPool(task, threads)


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
    executor: str = "local",
    ray_address: str | None = None,
) -> SearchOutcome:
    """Search for an exact, clean model of ``task`` (``w2c.train``; docs/cli.md, "w2c train").

    ``jobs`` attempts run at a time, each on ``threads`` torch threads (a fixed count makes the
    trained weights the same on every machine for the same seed); ``budget`` bounds the
    search's wall time in seconds; ``progress`` is True for the rich display on stderr or a
    callable that receives every event (start, log point, done); ``max_attempts`` cuts the
    plan. ``executor`` is "local" (forked processes) or "ray" (Ray tasks of one CPU each, on
    the Ray instance at ``ray_address``, else the one this process runs or a new local one);
    the same seed gives the same models on either. Raises CheckFailed when no attempt is exact
    and ``require_exact``; an exact model that does not compile cleanly is returned with
    ``outcome.clean`` False.
    """
    from w2c.network.plan import search_plan
    from w2c.network.train import (
        MAX_SEED,
        MAX_STEPS,
        MAX_THREADS,
        check_attempt,
        check_whole,
        jobs_that_fit,
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
    check_search_arguments(jobs, budget, executor, ray_address)
    plan = search_plan(task, seed, steps)
    if max_attempts is not None:
        plan = plan[:max_attempts]
    for attempt in plan:
        check_attempt(attempt)
    jobs = jobs_that_fit(task, plan, min(jobs, len(plan)))  # fewer at once if memory is short
    display = None
    if progress is True:
        from w2c.network.progress import SearchDisplay

        display = SearchDisplay(task.name, len(plan), jobs, float(budget))
        hook: EventHook | None = display.on_event
    else:
        hook = progress or None
    pool = open_pool(task, threads, executor, ray_address)
    if display is not None:
        display.start()
    try:
        done = run_plan(plan, pool, jobs, float(budget), hook)
    finally:
        pool.close()
        if display is not None:
            display.stop()
    outcome = _outcome(done, plan, jobs, float(budget))
    outcome.task_name = task.name
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
