"""Exhaustive checking: every input sequence of every length 1..L on an all-discrete domain.

L is the longest length (at most the task's T) whose count |domain|^L stays within the budget:
bits reach T = 10 (2^10), two bit channels 4^10, integers in [0, 100) lengths 1-3. The program is
a scalar Python function, so it is called once per sequence (shared by the correctness and the
fidelity check); the oracle and the model run batched on the same sequences.
"""

from __future__ import annotations

import itertools
import time
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from w2c.limits import check_memory
from w2c.tasks import Task
from w2c.verify.compare import Program, Reference, Tally, run_program
from w2c.verify.report import Evidence

CHUNK = 4096  # sequences per batch: small batches keep the model's tensors in cache (measured)


def exhaustive_length(task: Task, budget: int) -> int:
    """The longest L <= T with |domain|^L <= budget; 0 when exhaustive checking does not apply."""
    if not task.discrete:
        return 0
    size = domain_size(task)
    length = 0
    while length < task.length and size ** (length + 1) <= budget:
        length += 1
    return length


def domain_size(task: Task) -> int:
    size = 1
    for domain in task.inputs:
        size *= int(domain.size)
    return size


def domain_points(task: Task) -> tuple[list[Any], np.ndarray]:
    """Every per-position input (an int, or a tuple for several channels) and the same as [V, C].

    Sized before it is built: V = |domain| points of C channels, as Python tuples and float64.
    """
    count = float(domain_size(task))
    check_memory(count * task.n_channels * 48.0, f"enumerating the {count:.3g} inputs of a step")
    channels = [list(range(d.lo, d.hi)) for d in task.inputs]  # type: ignore[union-attr]
    points: list[Any] = channels[0] if len(channels) == 1 else list(itertools.product(*channels))
    array = np.asarray(points, dtype=np.float64).reshape(len(points), len(channels))
    return points, array


def sweep(
    program: Program,
    task: Task,
    references: dict[str, Reference],
    budget: int,
    progress: Callable[[str], None] | None = None,
) -> dict[str, Evidence]:
    """One exhaustive pass; an Evidence per reference ("correctness"/"fidelity") that applies.

    A check stops comparing at its first counterexample (the first failing sequence in
    enumeration order: shorter lengths first, then lexicographic); the sweep stops when every
    check has one.
    """
    max_length = exhaustive_length(task, budget)
    if max_length == 0 or not references:
        return {}
    points, array = domain_points(task)
    size = len(points)
    tallies = {kind: Tally(task, kind) for kind in references}
    seconds = dict.fromkeys(references, 0.0)
    program_seconds = 0.0
    for length in range(1, max_length + 1):
        total = size**length
        if all(t.failed for t in tallies.values()):
            break
        if progress is not None:
            progress(f"exhaustive: {total} sequences of length {length} (up to {max_length})")
        enumeration = itertools.product(points, repeat=length)
        powers = size ** np.arange(length - 1, -1, -1, dtype=np.int64)
        for start in range(0, total, CHUNK):
            active = [k for k, t in tallies.items() if not t.failed]
            if not active:
                break
            chunk: Sequence[Any] = list(itertools.islice(enumeration, CHUNK))
            began = time.perf_counter()
            got, problems = run_program(program, chunk, length, task.n_outputs)
            program_seconds += time.perf_counter() - began
            index = np.arange(start, start + len(chunk), dtype=np.int64)
            x = array[(index[:, None] // powers) % size]  # [n, L, C], same order as product
            for kind in active:
                began = time.perf_counter()
                ref = references[kind](x)
                tallies[kind].add(chunk, got, ref, problems)
                seconds[kind] += time.perf_counter() - began
    evidence = {}
    for kind, tally in tallies.items():
        passed, example = tally.verdict()
        scope = "all lengths" if max_length == task.length else f"lengths 1..{max_length}"
        if tally.failed:
            detail = f"every sequence of {scope}, stopped at the first failure: {tally.describe()}"
        else:
            detail = f"every sequence of {scope}: {tally.describe()}"
        evidence[kind] = Evidence(
            "exhaustive",
            passed,
            tally.cases,
            tally.lengths,
            tally.max_abs_error,
            tally.rel_mse,
            program_seconds + seconds[kind],
            example,
            detail,
        )
    return evidence
