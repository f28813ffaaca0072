"""Planted bugs in every corpus program are NOT VERIFIED, with a counterexample that fails when run.

About three seeded mutants per corpus model (tests/mutation_cases.py; the full set with its
mutation score is ``benchmarks/verify/run.py``). Each mutant carries a witness on which the
oracle confirms it differs from the task; the verifier must say NOT VERIFIED and report a
counterexample sequence on which the mutant, really run, disagrees with the oracle.
"""

from __future__ import annotations

import random
from functools import cache

import pytest
from mutation_cases import MODELS, Mutant, check, corpus_source, mutants

NAMES = sorted(p.stem for p in MODELS.glob("*.pt"))
PER_MODEL = 3


@cache
def _compiled(name: str):  # type: ignore[no-untyped-def]
    return corpus_source(name)


@cache
def _chosen(name: str) -> tuple[Mutant, ...]:
    """A late-value mutant and two more of other kinds, drawn with a fixed seed."""
    task, _checkpoint, source = _compiled(name)
    confirmed = [m for m in mutants(name, task, source) if m.witness is not None]
    late = [m for m in confirmed if m.kind == "late_value"][:1]
    others = [m for m in confirmed if m.kind != "late_value"]
    random.Random(name).shuffle(others)
    return tuple(late + others[: PER_MODEL - len(late)])


def test_every_model_has_mutants() -> None:
    assert len(NAMES) == 17
    for name in NAMES[:2]:
        assert len(_chosen(name)) == PER_MODEL


@pytest.mark.parametrize(
    "name,index", [(n, i) for n in NAMES for i in range(PER_MODEL)], ids=lambda v: str(v)
)
def test_mutant_is_not_verified_with_a_real_counterexample(name: str, index: int) -> None:
    chosen = _chosen(name)
    if index >= len(chosen):
        pytest.skip("fewer confirmed mutants than PER_MODEL")
    mutant = chosen[index]
    task, checkpoint, _source = _compiled(name)
    outcome = check(mutant, task, checkpoint.model)
    assert outcome.verdict == "NOT VERIFIED", mutant.description
    assert outcome.caught and outcome.counterexample is not None, mutant.description


def test_equivalent_mutants_are_excluded_not_counted_as_caught() -> None:
    """Swapping the operands of + changes nothing: no witness, so the mutant is left out."""
    task, _checkpoint, source = _compiled("sum_last2")
    swaps = [m for m in mutants("sum_last2", task, source) if m.kind == "swap"]
    assert swaps and all(m.witness is None for m in swaps)
