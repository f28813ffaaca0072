"""Property-based checking with hypothesis: deterministic, and writing nothing to disk.

Sequences of every length 1..T whose values mix the domain's edge values (bounds, 0, 1 where in
range) with uniform draws; real domains draw finite floats in [lo, hi]. Settings: derandomize,
no example database, no deadline, no health checks, quiet. Each length also gets two explicit
examples first (all upper bounds; the edge values in turn), so every length is always covered.
"""

from __future__ import annotations

import contextlib
import itertools
import tempfile
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import hypothesis
from hypothesis import HealthCheck, Phase, Verbosity, given
from hypothesis import strategies as st

from w2c.tasks import Domain, IntRange, Task
from w2c.verify.compare import Program, Reference, Tally, run_program, xs_array
from w2c.verify.report import Evidence

DEFAULT_EXAMPLES = 300


def hypothesis_settings(max_examples: int = DEFAULT_EXAMPLES) -> hypothesis.settings:
    """The settings of every w2c property run (and of the emitted test files)."""
    return hypothesis.settings(
        max_examples=max_examples,
        derandomize=True,
        database=None,
        deadline=None,
        phases=(Phase.explicit, Phase.generate, Phase.shrink),
        suppress_health_check=list(HealthCheck),
        report_multiple_bugs=False,
        verbosity=Verbosity.quiet,
        print_blob=False,
    )


@contextlib.contextmanager
def isolated_hypothesis() -> Iterator[None]:
    """Make a run independent of its surroundings and keep it off the disk.

    Hypothesis mixes in constants it finds in every loaded module outside site-packages (here:
    the user's program and task files, an editable w2c) and caches them under ``./.hypothesis``.
    That would make the examples depend on what happens to be imported and write into the
    user's folder, so for the duration of a run the local-constant pool is empty and the storage
    directory is a temporary folder that is removed afterwards. Both hooks are internal to
    hypothesis (checked with 6.155); when they are missing the run simply goes without them.
    """
    from hypothesis import configuration

    try:
        from hypothesis.internal.conjecture import providers
        from hypothesis.internal.constants_ast import Constants

        saved = providers._get_local_constants
        cache = providers.CONSTANTS_CACHE.cache
    except (ImportError, AttributeError):  # another hypothesis version: no hook
        providers = saved = cache = None
    previous = configuration.storage_directory(intent_to_write=False).home_directory
    with tempfile.TemporaryDirectory(prefix="w2c-hypothesis-") as home:
        configuration.set_hypothesis_home_dir(Path(home))
        if providers is not None:
            providers._get_local_constants = Constants
            cache.clear()
        try:
            yield
        finally:
            configuration.set_hypothesis_home_dir(previous)
            if providers is not None:
                providers._get_local_constants = saved
                cache.clear()


def _edges(domain: Domain) -> list[Any]:
    if isinstance(domain, IntRange):
        return [int(v) for v in domain.edge_values()]
    return [float(v) for v in domain.edge_values()]


def _values(domain: Domain) -> st.SearchStrategy[Any]:
    """Edge values half the time, uniform draws otherwise."""
    if isinstance(domain, IntRange):
        uniform = st.integers(domain.lo, domain.hi - 1)
    else:
        lo, hi = domain.bounds
        uniform = st.floats(lo, hi, allow_nan=False, allow_infinity=False)
    return st.one_of(st.sampled_from(_edges(domain)), uniform)


def sequences(task: Task) -> st.SearchStrategy[list[Any]]:
    """Program inputs: a number (one channel) or a tuple (several) per position, length 1..T."""
    if task.n_channels == 1:
        point = _values(task.inputs[0])
    else:
        point = st.tuples(*(_values(d) for d in task.inputs))
    return st.integers(1, task.length).flatmap(lambda n: st.lists(point, min_size=n, max_size=n))


def explicit_examples(task: Task) -> list[list[Any]]:
    """Per length: every channel at its upper bound, and the edge values cycling."""
    edges = [_edges(d) for d in task.inputs]

    def point(values: tuple[Any, ...]) -> Any:
        return values[0] if task.n_channels == 1 else values

    top = point(tuple(e[-1] for e in edges))
    columns = [list(itertools.islice(itertools.cycle(e), 64)) for e in edges]
    cycle = [point(v) for v in zip(*columns, strict=True)]
    examples = []
    for n in range(1, task.length + 1):
        examples.append([top] * n)
        examples.append([cycle[i % len(cycle)] for i in range(n)])
    return examples


class ExampleFailed(AssertionError):
    """One generated sequence failed its check (hypothesis shrinks on this)."""


def property_check(
    program: Program,
    task: Task,
    kind: str,
    reference: Reference,
    max_examples: int = DEFAULT_EXAMPLES,
    seed: int = 0,
) -> Evidence:
    """Hypothesis search for a failing sequence; the Evidence carries the shrunk counterexample."""
    overall = Tally(task, kind)
    state: dict[str, Any] = {"last": None, "error": None}

    def body(xs: list[Any]) -> None:
        seq = list(xs)
        try:
            ref = reference(xs_array(task, [seq]))
        except Exception as exc:  # the oracle's or model's fault, not the program's: re-raise
            state["error"] = exc
            raise
        got, problems = run_program(program, [seq], len(seq), task.n_outputs)
        single = Tally(task, kind)
        single.add([seq], got, ref, problems)
        if state["last"] is None:
            overall.add([seq], got, ref, problems)
        if single.failure is not None:
            state["last"] = single.failure
            raise ExampleFailed(kind)

    test: Callable[[], None] = given(sequences(task))(body)
    for example in reversed(explicit_examples(task)):
        test = hypothesis.example(example)(test)
    test = hypothesis.seed(seed)(hypothesis_settings(max_examples)(test))
    began = time.perf_counter()
    hypothesis_error = None
    try:
        with isolated_hypothesis():
            test()
    except Exception as exc:  # hypothesis re-raises the (shrunk) failure, or its own errors
        if state["error"] is not None:
            raise state["error"] from None
        hypothesis_error = exc
    seconds = time.perf_counter() - began
    if state["last"] is not None:
        overall.failure = state["last"]
    passed, example = overall.verdict()
    detail = f"hypothesis: {overall.describe()}"
    if hypothesis_error is not None and state["last"] is None:
        passed = False
        detail += f"; hypothesis stopped: {type(hypothesis_error).__name__}"
    return Evidence(
        "property",
        passed,
        overall.cases,
        overall.lengths,
        overall.max_abs_error,
        overall.rel_mse,
        seconds,
        example,
        detail,
    )
