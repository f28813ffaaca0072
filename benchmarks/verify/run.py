"""Verification of every corpus program, and the mutation score of the verifier.

    python benchmarks/verify/run.py [--only TASK ...] [--seed N] [--no-mutants]

Table 1, per corpus model: the verdict of the unmutated program verified as ``w2c verify`` does
it (the text against the task's reference), the method that decided correctness (``proof``
when the program text was proved to compute the reference), the labels of correctness and
fidelity, the fidelity strength, the seconds of the proof, of the network proof (fidelity,
w2c/verify/network.py) and of the whole ``verify`` (2-core machine, one thread).
Table 2, per model: mutants generated (tests/mutation_cases.py, seeded), excluded (no
confirmed witness: equivalent mutants), caught (NOT VERIFIED with a counterexample that fails
when the mutant runs), and the slowest verification. Then the mutation score = caught / kept.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

os.environ.setdefault("OMP_NUM_THREADS", "1")
ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "tests"))

from mutation_cases import MODELS, check, corpus_source, function_of, mutants  # noqa: E402


def _method(report) -> str:  # type: ignore[no-untyped-def]
    correctness = report.correctness
    if correctness.strength == "proved":
        return "proof"
    passed = [e.method for e in correctness.evidence if e.passed and e.method != "symbolic"]
    return passed[0] if passed else "-"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", nargs="*", default=None)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--no-mutants", action="store_true")
    args = parser.parse_args()
    names = args.only or sorted(p.stem for p in MODELS.glob("*.pt"))

    from w2c.verify import verify

    print(
        "| model | verdict | method | correctness | fidelity | fidelity strength | proof s | "
        "network proof s | verify s |"
    )
    print("|---|---|---|---|---|---|---:|---:|---:|")
    compiled = {}
    for name in names:
        task, checkpoint, source = corpus_source(name)
        compiled[name] = (task, checkpoint, source)
        began = time.perf_counter()
        report = verify(function_of(source), task, model=checkpoint.model, source=source)
        seconds = time.perf_counter() - began
        proof = sum(e.seconds for e in report.correctness.evidence if e.method == "proof")
        network = sum(e.seconds for e in report.fidelity.evidence if e.method == "network")
        print(
            f"| {name} | {report.verdict} | {_method(report)} | {report.correctness.label} | "
            f"{report.fidelity.label} | {report.fidelity.strength} | {proof:.2f} | "
            f"{network:.2f} | {seconds:.2f} |",
            flush=True,
        )
    if args.no_mutants:
        return 0
    print()
    print("| model | mutants | excluded | caught | missed | slowest s |")
    print("|---|---:|---:|---:|---:|---:|")
    total = kept_total = caught_total = 0
    missed_all = []
    for name in names:
        task, checkpoint, source = compiled[name]
        generated = list(mutants(name, task, source, args.seed))
        kept = [m for m in generated if m.witness is not None]
        caught, slowest = 0, 0.0
        for mutant in kept:
            outcome = check(mutant, task, checkpoint.model)
            slowest = max(slowest, outcome.seconds)
            if outcome.caught:
                caught += 1
            else:
                missed_all.append(f"{name}: {mutant.kind} {mutant.description} ({outcome.verdict})")
        total += len(generated)
        kept_total += len(kept)
        caught_total += caught
        print(
            f"| {name} | {len(generated)} | {len(generated) - len(kept)} | {caught} | "
            f"{len(kept) - caught} | {slowest:.2f} |",
            flush=True,
        )
    score = caught_total / kept_total if kept_total else 1.0
    print()
    print(
        f"mutation score {score:.1%}: {caught_total} of {kept_total} mutants caught "
        f"({total - kept_total} of {total} excluded without a confirmed witness)"
    )
    for line in missed_all:
        print(f"missed: {line}")
    return 0 if caught_total == kept_total else 1


if __name__ == "__main__":
    sys.exit(main())
