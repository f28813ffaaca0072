"""One task's two steps, each run by the suite in a child process of its own (run.py):

    python benchmarks/suite/worker.py train SPEC CHECKPOINT RESULT.json [--seed N]
    python benchmarks/suite/worker.py compile SPEC CHECKPOINT RESULT.json

A child per step lets the runner stop training at the task's budget (it kills the child's
process group) and keeps a crash or a memory blow-up of one task from ending the suite.
Each step writes its outcome as JSON to RESULT.json; a missing file means the child died.

``train_model`` is the suite's only call into training: when w2c's automatic model search
lands, only that function changes.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
import time
from pathlib import Path
from typing import Any


def train_model(spec: str, checkpoint: Path, seed: int) -> dict[str, Any]:
    """Train ``spec`` with the project's one training plan and save the accepted model.

    Today: ``w2c.train_checkpoint.train_and_save`` with ``require_clean=True`` (restarts until
    an exact model also compiles cleanly; when none does, the first exact one is kept).
    """
    from w2c.errors import CheckFailed
    from w2c.network.checkpoint import load
    from w2c.train_checkpoint import train_and_save

    try:
        train_and_save(
            spec, checkpoint, force=True, seed=seed, steps=None, quiet=False, require_clean=True
        )
    except CheckFailed as exc:
        attempts = re.search(r"after (\d+) attempts", str(exc))
        return {
            "exact": False,
            "attempts": int(attempts.group(1)) if attempts else None,
            "detail": str(exc),
        }
    record = load(checkpoint).training
    return {
        "exact": True,
        "attempts": int(record["attempts"]),
        "train_seconds": float(record["seconds"]),
        "size": str(record["size"]),
        "exact_fraction": float(record["exact_fraction"]),
        "detail": "",
    }


def _records(ir: Any, kinds: tuple[type, ...]) -> list[dict[str, Any]]:
    from w2c.compiler import node_record

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
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("step", choices=("train", "compile"))
    parser.add_argument("spec")
    parser.add_argument("checkpoint", type=Path)
    parser.add_argument("result", type=Path)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)
    from w2c.errors import UserCodeStopped, W2CError

    try:
        if args.step == "train":
            outcome = train_model(args.spec, args.checkpoint, args.seed)
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
