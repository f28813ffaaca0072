"""A wall-clock limit for running code we do not control (a user's program under verification).

A program that never returns would otherwise hang ``w2c verify`` for good. The limit is a
SIGALRM timer, so it works only in the main thread of a POSIX process; the exception it raises
derives from BaseException, so the verifier's "any Exception from the program is a finding"
handlers do not swallow it.
"""

from __future__ import annotations

import signal
import threading
from collections.abc import Iterator
from contextlib import contextmanager

from w2c.errors import InputError


class DeadlineExceeded(BaseException):
    """The time limit ran out (raised from the SIGALRM handler)."""


@contextmanager
def deadline(seconds: float | None) -> Iterator[None]:
    """Raise DeadlineExceeded in this block once ``seconds`` have passed (None: no limit)."""
    if seconds is None:
        yield
        return
    if seconds <= 0:
        raise InputError("--timeout must be a positive number of seconds")
    if (
        not hasattr(signal, "setitimer")
        or threading.current_thread() is not threading.main_thread()
    ):
        raise InputError("--timeout needs the main thread of a POSIX process")

    def expire(signum: int, frame: object) -> None:
        raise DeadlineExceeded

    previous = signal.signal(signal.SIGALRM, expire)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)
