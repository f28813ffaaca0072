"""The verifier: ``verify()`` and its references (docs/verification.md).

Two questions, answered separately: **correctness** (the program against the task's oracle, and
the extracted rule against the task's reference rule) and **fidelity** (the program against the
hardened model, closed-loop for feedback tasks). Each is answered by the methods that apply:
symbolic (correctness only), exhaustive (all-discrete inputs, every sequence up to the budget's
length) and property-based (hypothesis, every length 1..T). The report names the strongest method
that passed for each question.
"""

from __future__ import annotations

import copy
from collections.abc import Callable, Sequence
from dataclasses import replace
from pathlib import Path
from typing import Any

import numpy as np
import sympy

from w2c.contract import EXHAUSTIVE_BUDGET
from w2c.errors import InputError
from w2c.network.transformer import DiscreteTransformer
from w2c.tasks import Task
from w2c.threads import torch_threads
from w2c.usercode import Budget, remote_program
from w2c.verify.compare import Reference
from w2c.verify.exhaustive import exhaustive_length, sweep
from w2c.verify.property import DEFAULT_EXAMPLES, property_check
from w2c.verify.report import (
    Check,
    Evidence,
    VerificationReport,
    make_check,
    unchecked,
)
from w2c.verify.symbolic import symbolic_check

__all__ = [
    "Check",
    "Evidence",
    "VerificationReport",
    "load_functions",
    "load_program",
    "model_reference",
    "oracle_reference",
    "verify",
]

NO_ORACLE = "task {name} has no oracle: pass --task FILE.py:VAR"
NO_MODEL = "no model to compare with"


def oracle_reference(task: Task) -> Reference:
    """x[B, L, C] -> the oracle's y[B, L] (a broken user oracle is an InputError)."""
    return task.run_oracle


def model_reference(task: Task, model: DiscreteTransformer) -> Reference:
    """x[B, L, C] -> the hardened model's y[B, L] in float64 (closed-loop for feedback tasks).

    Works on a float64 copy, so verifying never changes the caller's model.
    """
    expected = len(task.model_inputs)
    if model.config.n_inputs != expected:
        raise InputError(
            f"the model reads {model.config.n_inputs} inputs but task {task.name} gives {expected}"
        )
    from w2c.network.train import hardened_outputs

    model64 = copy.deepcopy(model).double().eval()

    def run(x: np.ndarray) -> np.ndarray:
        return hardened_outputs(model64, task, x)

    return run


def twin_reference(task: Task, twin: Callable[[np.ndarray], Any]) -> Reference:
    """x[B, L, C] -> ``program_numpy``'s y[B, L] (y[B, L, K]), to hold against program().

    A twin that raises or returns the wrong shape yields NaN rows, so the check fails with a
    counterexample instead of stopping the verifier; ``problems`` keeps the first reason.
    """

    def run(x: np.ndarray) -> np.ndarray:
        xs = x[..., 0].copy() if task.n_channels == 1 else x.copy()
        shape = task.output_shape(*x.shape[:2])
        try:
            y = np.asarray(twin(xs), dtype=np.float64)
        except Exception as exc:  # the twin under test: any failure is a finding
            run.problems.append(f"program_numpy raised {type(exc).__name__}: {exc}"[:200])
            return np.full(shape, np.nan)
        if y.shape != shape:
            run.problems.append(f"program_numpy returned shape {y.shape} for {shape}")
            return np.full(shape, np.nan)
        return y

    run.problems = []  # type: ignore[attr-defined]
    return run


def _with_twin_problem(evidence: Evidence, reference: Reference) -> Evidence:
    problems = getattr(reference, "problems", [])
    if evidence.passed or not problems:
        return evidence
    return replace(evidence, detail=f"{evidence.detail}; {problems[0]}")


def verify(
    program: Callable[[Sequence[Any]], list[Any]],
    task: Task,
    *,
    model: DiscreteTransformer | None,
    rule: sympy.Expr | None = None,
    exhaustive_budget: int = EXHAUSTIVE_BUDGET,
    property_examples: int = DEFAULT_EXAMPLES,
    seed: int = 0,
    twin: Callable[[np.ndarray], Any] | None = None,
    progress: Callable[[str], None] | None = None,
) -> VerificationReport:
    """Check ``program`` for correctness (oracle, reference rule) and fidelity (model).

    With ``twin`` (a program's ``program_numpy``), a third check holds it against program() on
    the same exhaustive and property-based sequences. Deterministic: the same arguments give the
    same report (apart from the timings).
    """
    if not callable(program):
        raise InputError("the program is not callable")
    say = progress or (lambda _message: None)
    references: dict[str, Reference] = {}
    if task.has_oracle:
        references["correctness"] = oracle_reference(task)
    if model is not None:
        references["fidelity"] = model_reference(task, model)
    if twin is not None:
        references["twin"] = twin_reference(task, twin)
    found: dict[str, list[Evidence]] = {kind: [] for kind in ("correctness", "fidelity", "twin")}
    with torch_threads(1):
        if rule is not None and task.reference is not None:
            say("correctness: symbolic check of the rule against the reference")
            found["correctness"].append(symbolic_check(rule, task, exhaustive_budget))
        swept = sweep(program, task, references, exhaustive_budget, say)
        complete = exhaustive_length(task, exhaustive_budget) == task.length
        for kind, reference in references.items():
            if kind in swept:
                found[kind].append(swept[kind])
                if complete:
                    continue  # every sequence of every length was checked: nothing to sample
            if property_examples > 0:
                say(f"{kind}: property-based, {property_examples} hypothesis examples")
                found[kind].append(
                    property_check(program, task, kind, reference, property_examples, seed)
                )
    correctness = (
        make_check("correctness", found["correctness"])
        if task.has_oracle
        else unchecked("correctness", NO_ORACLE.format(name=task.name), tuple(found["correctness"]))
    )
    fidelity = make_check("fidelity", found["fidelity"]) if model is not None else None
    twin_check = None
    if twin is not None:
        evidence = [_with_twin_problem(e, references["twin"]) for e in found["twin"]]
        twin_check = make_check("twin", evidence)
    return VerificationReport(correctness, fidelity or unchecked("fidelity", NO_MODEL), twin_check)


def load_program(path: str | Path) -> Callable[[Sequence[Any]], list[Any]]:
    """A program file's ``program``, imported and run in a child process (w2c.usercode)."""
    return load_functions(path)[0]


def load_functions(
    path: str | Path, budget: Budget | None = None
) -> tuple[Callable[[Sequence[Any]], list[Any]], Callable[[np.ndarray], Any] | None]:
    """A program file's ``program`` and, when it defines one, ``program_numpy``.

    The file is the user's code: it is imported and run in a child process, so an exit or a
    hang in it ends as NOT VERIFIED (UserCodeStopped) instead of deciding w2c's exit code.
    ``budget`` bounds the total time of every call into it (``w2c verify --timeout``).
    """
    file = Path(path)
    if not file.is_file():
        raise InputError(f"program not found: {file}")
    return remote_program(file, budget)
