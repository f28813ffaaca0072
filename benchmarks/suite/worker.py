"""One task's two steps, each run by the suite in a child process of its own (run.py):

    python benchmarks/suite/worker.py train SPEC CHECKPOINT RESULT.json [--seed N] [--jobs J]
                                      [--budget SECONDS] [--executor local|ray]
                                      [--ray-address ADDRESS]
    python benchmarks/suite/worker.py compile SPEC CHECKPOINT RESULT.json

A child per step lets the runner stop training at the task's budget (it kills the child's
process group) and keeps a crash or a memory blow-up of one task from ending the suite.
Each step writes its outcome as JSON to RESULT.json; a missing file means the child died.

``train_model`` is the suite's only call into training: w2c's model search (``w2c.train``,
the same plan as ``w2c train``), ``--jobs`` attempts at a time within ``--budget`` seconds, on
the executor ``--executor`` names (``w2c train --executor``; docs/cli.md).
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path
from typing import Any


def train_model(
    spec: str,
    checkpoint: Path,
    seed: int,
    jobs: int,
    budget: float,
    executor: str = "local",
    ray_address: str | None = None,
) -> dict[str, Any]:
    """Search ``spec`` with the project's one plan and save the delivered model.

    The delivered model is the accepted one (exact and clean), else the first exact one in plan
    order (saved too, so the suite still compiles it); with no exact model nothing is saved.
    """
    import w2c
    from w2c.network import checkpoint as checkpoints
    from w2c.network.search import train
    from w2c.task_loader import load_task

    task = load_task(spec)
    outcome = train(
        task, seed, jobs=jobs, budget=budget, progress=False, require_exact=False,
        executor=executor, ray_address=ray_address,
    )  # fmt: skip
    for line in outcome.listing():
        print(line, file=sys.stderr, flush=True)
    record = outcome.record()
    result: dict[str, Any] = {
        "exact": outcome.passed,
        "clean": outcome.clean,
        "attempts": len(outcome.attempts),
        "accepted": outcome.accepted,
        "first_exact": outcome.first_index,
        "search_stopped": outcome.stopped,
        "train_seconds": round(outcome.total_seconds, 3),
        "detail": "" if outcome.passed else outcome.summary(task.name),
        "listing": outcome.listing(),
        "plan_size": record["plan_size"],
    }
    if outcome.passed:
        data = checkpoints.build(
            outcome.best.model, task, outcome.training_record(), w2c.__version__
        )
        checkpoints.save(data, checkpoint, force=True)
        result.update(
            size=outcome.best.size.describe(),
            exact_fraction=float(outcome.best.exactness.exact_fraction),
        )
    return result


def _records(ir: Any, kinds: tuple[type, ...]) -> list[dict[str, Any]]:
    from w2c.compiler.records import node_record

    return [node_record(node) for node in ir.nodes if isinstance(node.op, kinds)]


def evidence(report: Any) -> dict[str, list[dict[str, Any]]]:
    """Every head the attention pass left unmatched, every sub-MLP the fit left unresolved, and
    every node left as a NumPy fallback, each with the evidence its pass recorded."""
    from w2c.compiler.ir import Attend, SubMLP

    stages = dict(report.stages)
    found: dict[str, list[dict[str, Any]]] = {
        "unmatched_heads": [],
        "unfitted_sub_mlps": [],
        "fallbacks": [r for r in report.nodes if r["name"] in set(report.fallbacks)],
    }
    if "attention_patterns" in stages:
        found["unmatched_heads"] = _records(stages["attention_patterns"], (Attend,))
    if "mlp_symbolic" in stages:
        found["unfitted_sub_mlps"] = _records(stages["mlp_symbolic"], (SubMLP,))
    return found


def node_kinds(report: Any) -> list[dict[str, str]]:
    """How each head and sub-MLP of the lowered model ended: its kind (``head``/``sub-MLP``)
    and ``pruned``, the op kind a pattern resolved it to (``Shift``, ``DecisionList``...),
    ``table`` or ``formula`` for a fitted sub-MLP, or ``fallback`` (issue 13's coverage table)."""
    from w2c.compiler.ir import Attend, SubMLP
    from w2c.report.stages import stories

    found = []
    for name, story in stories(report.stages).items():
        if not isinstance(story.lowered.op, (Attend, SubMLP)):
            continue
        kind = "head" if isinstance(story.lowered.op, Attend) else "sub-MLP"
        if story.resolved_by is None:
            how = "pruned" if story.removed_by == "prune" else "fallback"
        elif kind == "sub-MLP":
            how = "table" if story.node.evidence.get("rule") == "table" else "formula"
        else:
            how = type(story.node.op).__name__
        found.append({"node": name, "kind": kind, "resolved": how})
    return found


def compile_checkpoint(spec: str, checkpoint: Path) -> dict[str, Any]:
    """Compile and verify the checkpoint against the task; the suite's columns and evidence."""
    from w2c.compiler import compile_model
    from w2c.compiler.algebra import pure
    from w2c.report.compile_doc import verdict
    from w2c.report.scoreboard import textbook
    from w2c.task_loader import load_task

    task = load_task(spec)
    began = time.perf_counter()
    compiled = compile_model(checkpoint, task=task)
    seconds = time.perf_counter() - began
    report = compiled.report
    rules = [getattr(compiled.ir.node(o).op, "rule", None) for o in compiled.ir.outputs]
    return {
        "exit_code": report.exit_code,
        "verdict": verdict(report),
        # proved (network proof), exhaustive, sampled, or None when fidelity failed or not run
        "fidelity": None if report.verification is None else report.verification.fidelity.strength,
        # the bar w2c's training holds a corpus model to: no fallback, a rule over task symbols
        # (for every output of a task with several)
        "clean": not report.fallbacks
        and all(rule is not None and bool(pure(rule)) for rule in rules),
        "textbook": textbook(report),
        "compile_seconds": round(seconds, 3),
        "pass_seconds": {name: round(value, 3) for name, value in report.timings},
        "verify_seconds": round(report.verify_seconds, 3),
        "rule": report.rule,
        "reference": None if task.reference is None else str(task.reference),
        "evidence": evidence(report),
        "node_kinds": node_kinds(report),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("step", choices=("train", "compile"))
    parser.add_argument("spec")
    parser.add_argument("checkpoint", type=Path)
    parser.add_argument("result", type=Path)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--jobs", type=int, default=2)
    parser.add_argument("--budget", type=float, default=300.0)
    parser.add_argument("--executor", choices=("local", "ray"), default="local")
    parser.add_argument("--ray-address", default=None)
    args = parser.parse_args(argv)
    from w2c.errors import UserCodeStopped, W2CError

    try:
        if args.step == "train":
            outcome = train_model(
                args.spec, args.checkpoint, args.seed, args.jobs, args.budget,
                args.executor, args.ray_address,
            )  # fmt: skip
        else:
            outcome = compile_checkpoint(args.spec, args.checkpoint)
    except (W2CError, UserCodeStopped) as exc:  # bad input, a failed check: not a crash
        outcome = {"error": f"{type(exc).__name__}: {exc}"}
    tmp = args.result.with_suffix(".tmp")
    tmp.write_text(json.dumps(outcome, indent=1, sort_keys=True))
    tmp.replace(args.result)
    return 0


if __name__ == "__main__":
    sys.exit(main())
