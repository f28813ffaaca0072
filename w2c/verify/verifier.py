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
from w2c.verify.proof import prove
from w2c.verify.property import DEFAULT_EXAMPLES, property_check
from w2c.verify.replay import network_evidence, proof_evidence, replay
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
    "program_source",
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
    source: str | None = None,
    exhaustive_budget: int = EXHAUSTIVE_BUDGET,
    property_examples: int = DEFAULT_EXAMPLES,
    seed: int = 0,
    twin: Callable[[np.ndarray], Any] | None = None,
    progress: Callable[[str], None] | None = None,
) -> VerificationReport:
    """Check ``program`` for correctness (oracle, reference rule) and fidelity (model).

    ``source`` is the program's text: with it the program is proved to compute ``rule`` (the
    extracted update rule; without one, the task's reference) from the text itself
    (w2c/verify/proof.py), and a counterexample the proof finds is run on the program and
    every reference. With ``twin`` (a program's ``program_numpy``), a third check holds it
    against program() on the same sequences. Deterministic: the same arguments give the same
    report (apart from the timings).
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
    proved: str | None = None
    fidelity_proved: str | None = None
    if task.n_outputs > 1:
        source = None  # the proof reads one value per step: docs/verification.md
    with torch_threads(1):
        target, target_name = (rule, "rule") if rule is not None else (task.reference, "reference")
        result = None
        if source is not None and target is not None:
            say(f"correctness: proof that the program text computes the {target_name}")
            result = prove(source, task, target)
            found["correctness"].append(proof_evidence(result, task, target, target_name))
        if rule is not None and task.reference is not None:
            say("correctness: symbolic check of the rule against the reference")
            found["correctness"].append(symbolic_check(rule, task, exhaustive_budget))
        text_computes = None  # (the rule the program text is proved to compute, its name)
        if result is not None and result.status == "proved":
            text_computes = (target, target_name)
            if rule is None:
                proved = "program = reference"
            elif found["correctness"][-1].method == "symbolic" and found["correctness"][-1].passed:
                proved = "program = rule = reference"
        if source is not None and rule is not None and task.reference is not None and not proved:
            # the rule is not shown to be the reference: prove the text against the reference
            say("correctness: proof that the program text computes the reference")
            direct = prove(source, task, task.reference)
            found["correctness"].append(proof_evidence(direct, task, task.reference, "reference"))
            if direct.status == "proved":
                proved = "program = reference"
                text_computes = text_computes or (task.reference, "reference")
            if result is None or result.xs is None:
                result = direct
        remaining = dict(references)
        if result is not None and result.xs is not None:
            for kind, reference in references.items():
                if kind == "fidelity" and not task.discrete:
                    continue  # judged on the whole check set (relMSE), not on one sequence
                evidence = replay(program, task, kind, reference, result.xs)
                found[kind].append(evidence)
                if not evidence.passed:
                    del remaining[kind]  # a check stops at its first counterexample
        if "fidelity" in remaining:
            evidence, fidelity_proved = network_evidence(
                program, task, model, text_computes, remaining["fidelity"], say
            )
            found["fidelity"] += evidence
            confirmed = evidence[-1].method == "replay" and not evidence[-1].passed
            if fidelity_proved is not None or confirmed:
                del remaining["fidelity"]  # proved for every sequence, or a counterexample
        swept = sweep(program, task, remaining, exhaustive_budget, say)
        complete = exhaustive_length(task, exhaustive_budget) == task.length
        for kind, reference in remaining.items():
            if kind in swept:
                found[kind].append(swept[kind])
                if complete:
                    continue  # every sequence of every length was checked: nothing to sample
            if property_examples > 0:
                say(f"{kind}: property-based, {property_examples} hypothesis examples")
                found[kind].append(
                    property_check(program, task, kind, reference, property_examples, seed)
                )
    length = task.length
    correctness = (
        make_check("correctness", found["correctness"], length, proved)
        if task.has_oracle
        else unchecked("correctness", NO_ORACLE.format(name=task.name), tuple(found["correctness"]))
    )
    fidelity = (
        make_check("fidelity", found["fidelity"], length, fidelity_proved)
        if model is not None
        else None
    )
    twin_check = None
    if twin is not None:
        evidence = [_with_twin_problem(e, references["twin"]) for e in found["twin"]]
        twin_check = make_check("twin", evidence, length)
    return VerificationReport(correctness, fidelity or unchecked("fidelity", NO_MODEL), twin_check)


def load_program(path: str | Path) -> Callable[[Sequence[Any]], list[Any]]:
    """A program file's ``program``, imported and run in a child process (w2c.usercode)."""
    return load_functions(path)[0]


def program_source(program: Any) -> str | None:
    """The text of a loaded program file, if it is still the one the child process runs.

    The proof reads this text; the runs call the child, which refuses a file whose sha256
    changed since loading, so both see the same bytes or the proof is not attempted.
    """
    import hashlib

    pinned = getattr(program, "file", None)
    if pinned is None:
        return None
    try:
        data = Path(pinned.path).read_bytes()
    except OSError:
        return None
    if hashlib.sha256(data).hexdigest() != pinned.sha256:
        return None
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        return None


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
