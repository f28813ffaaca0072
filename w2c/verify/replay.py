"""The proof as evidence, and its counterexample run on the program and each reference.

A proof (w2c/verify/proof.py) is a statement about the program's text. Its counterexample only
counts against the program once the program, really run on it, disagrees with the oracle, the
model or the twin under the usual tolerances (w2c/verify/compare.py): that run is the
``replay`` evidence, and a failed replay fails its check like any other run.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import replace
from typing import Any

import sympy

from w2c.tasks import Task
from w2c.verify.compare import Program, Reference, Tally, run_program, xs_array
from w2c.verify.network import prove_network
from w2c.verify.proof import ProofResult
from w2c.verify.report import Evidence, span

_AGAINST = {"correctness": "oracle", "fidelity": "model", "twin": "NumPy twin"}


def proof_evidence(result: ProofResult, task: Task, target: sympy.Expr, name: str) -> Evidence:
    """The proof's outcome as one Evidence line (method ``proof``)."""
    if result.status == "proved":
        exact = "" if task.discrete else "; exact real arithmetic, float rounding not modelled"
        detail = (
            f"the program text computes the {name} y[t] = {target} at every position of every "
            f"sequence of {span((1, task.length))} (z3{exact})"
        )
    else:
        proved = f" (proved for {span(result.lengths)})" if result.lengths else ""
        detail = f"{result.detail}{proved}"
    return Evidence(
        "proof",
        result.status == "proved",
        result.lengths[1] if result.lengths else 0,
        result.lengths,
        0.0,
        None,
        result.seconds,
        result.example,
        detail,
    )


def replay(
    program: Program,
    task: Task,
    kind: str,
    reference: Reference,
    xs: list[Any],
    proof: str = "proof",
) -> Evidence:
    """Run the program and ``reference`` on the counterexample ``xs`` of ``proof``."""
    began = time.perf_counter()
    tally = Tally(task, kind)
    sequence = list(xs)
    got, problems = run_program(program, [sequence], len(sequence))
    tally.add([sequence], got, reference(xs_array(task, [sequence])), problems)
    passed, example = tally.verdict()
    against = _AGAINST.get(kind, kind)
    if passed:
        detail = (
            f"the program agrees with the {against} on the {proof}'s counterexample "
            f"({tally.describe()})"
        )
    else:
        detail = f"the {proof}'s counterexample, run on the program and the {against}"
    return Evidence(
        "replay",
        passed,
        tally.cases,
        tally.lengths,
        tally.max_abs_error,
        tally.rel_mse,
        time.perf_counter() - began,
        example,
        detail,
    )


def network_evidence(
    program: Program,
    task: Task,
    model: Any,
    computes: tuple[sympy.Expr, str] | None,
    reference: Reference,
    say: Callable[[str], None],
) -> tuple[list[Evidence], str | None]:
    """The network proof (fidelity, w2c/verify/network.py) as evidence, its candidate
    counterexamples run on the program and the model, and what it proved (or None).

    The network is held to the rule the program text was proved to compute (``computes``):
    both computing it is what makes them agree on every sequence. The last evidence fails
    when a candidate is confirmed: the program and the model really differ on it.
    """
    if computes is None:
        detail = "not proved: the program text was not proved to compute a rule to hold it to"
        return [Evidence("network", False, 0, None, 0.0, None, 0.0, None, detail)], None
    rule, name = computes
    say(f"fidelity: proof that the network computes the {name}")
    result = prove_network(model, task, rule, reference, name=name)
    proved = result.status == "proved"
    cases = result.combinations
    detail = result.detail
    if proved:
        detail += "; the program text computes it too (proof)"
    evidence = [
        Evidence("network", proved, cases, result.lengths, 0.0, None, result.seconds, None, detail)
    ]
    if proved:
        return (
            evidence,
            f"network = {name} = program for every sequence of {span((1, task.length))}",
        )
    runs = [
        replay(program, task, "fidelity", reference, xs, "network proof")
        for xs in result.candidates
    ]
    failed = [e for e in runs if not e.passed]
    if failed:
        return [*evidence, failed[0]], None
    if runs:
        note = f"; not confirmed: the program agrees with the model on all {len(runs)} candidates"
        evidence = [replace(evidence[0], detail=f"not proved: {detail}{note}"), runs[0]]
    return evidence, None
