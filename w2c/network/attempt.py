"""One attempt of the model search, run wherever a pool placed it (a forked process, a Ray
worker): train, judge, and answer with a message that every pool handles the same way.
"""

from __future__ import annotations

import time
import traceback
from collections.abc import Callable
from typing import Any

from w2c.errors import InputError, UserCodeStopped
from w2c.network.config import Attempt
from w2c.network.outcome import CLEAN, FAILED, INEXACT, UNCLEAN, AttemptResult
from w2c.network.progress import EventHook
from w2c.tasks import Task


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


Message = tuple[str, Any]  # ("done", AttemptResult) or ("error", (kind, message[, role]))


def attempt_message(
    load: Callable[[], Task],
    index: int,
    attempt: Attempt,
    threads: int,
    on_log: EventHook | None,
) -> Message:
    """Load the task and run one attempt where a pool placed it; what to send back, never an
    exception (every pool runs its attempts through here).

    Bad input and user code that stopped end the whole search (:func:`raise_message`); any
    other error is this attempt's failure, with the error's type, text and place as its detail.
    """
    from w2c.threads import torch_threads

    start = time.perf_counter()
    try:
        task = load()
        with torch_threads(threads):
            return "done", run_attempt(task, index, attempt, on_log)
    except InputError as exc:
        return "error", ("input", str(exc))
    except UserCodeStopped as exc:
        return "error", ("stopped", exc.message, exc.role)
    except Exception as exc:  # a bug or a resource error: this attempt failed
        seconds = time.perf_counter() - start
        return "done", AttemptResult(index, attempt, FAILED, _raised(exc), seconds)


def _raised(exc: BaseException) -> str:
    """``raised KeyError: 'x' (at train.py:123)``: the error and the innermost frame."""
    frames = traceback.extract_tb(exc.__traceback__)
    where = f" (at {frames[-1].filename.rsplit('/', 1)[-1]}:{frames[-1].lineno})" if frames else ""
    text = " ".join(str(exc).split())[:120]
    return f"raised {type(exc).__name__}: {text}{where}"


def raise_message(payload: tuple[str, ...]) -> None:
    """An attempt's ("error", payload) message as the exception that ends the search."""
    if payload[0] == "stopped":
        raise UserCodeStopped(payload[1], payload[2])
    raise InputError(payload[1])
