"""Training benchmark: the model search on every corpus task (and held-out ones), timed.

    python benchmarks/train/run.py [--only TASK ...] [--heldout] [--seed N] [--jobs N]
                                   [--budget S] [--fresh]

Each task runs the search exactly as `w2c train TASK --jobs N --budget S` does (one plan for
every task), then its delivered model is compiled and verified as `w2c compile` does. The table
reports the wall seconds to the accepted model (a task with none counts at the budget), the
CPU seconds of the attempts' processes (what a busy machine cannot inflate), the accepted plan
index, and whether the program is clean, verified and textbook (the rule proven equal to the
task's reference). `--heldout` adds benchmarks/train/heldout.py, tasks never used to choose
the plan. Results are cached in benchmarks/train/results.json so an interrupted run resumes
(--fresh starts over).
"""

from __future__ import annotations

import argparse
import json
import resource
import statistics
import sys
import tempfile
import time
from pathlib import Path

import w2c
from w2c.corpus import TASKS
from w2c.network import checkpoint
from w2c.report.scoreboard import textbook

sys.path.insert(0, str(Path(__file__).parent))
from heldout import TASKS as HELDOUT  # noqa: E402

RESULTS = Path(__file__).with_name("results.json")


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def run_task(name: str, seed: int, jobs: int, budget: float) -> dict:
    task = TASKS.get(name) or HELDOUT[name]
    start, cpu = time.perf_counter(), _children_cpu()
    outcome = w2c.train(task, seed, jobs=jobs, budget=budget, require_exact=False)
    seconds = time.perf_counter() - start
    row = {
        "task": name,
        "set": "corpus" if name in TASKS else "held-out",
        "seconds": round(seconds, 1),
        "cpu_seconds": round(_children_cpu() - cpu, 1),
        "accepted": outcome.accepted,
        "attempts": len(outcome.attempts),
        "stopped": outcome.stopped,
        "exact": outcome.passed,
        "clean": outcome.clean,
        "listing": outcome.listing(),
    }
    if not outcome.passed:
        return row
    row["size"] = outcome.best.size.describe()
    data = checkpoint.build(outcome.best.model, task, outcome.training_record(), w2c.__version__)
    with tempfile.TemporaryDirectory() as folder:
        path = checkpoint.save(data, Path(folder) / f"{name}.pt")
        began = time.perf_counter()
        compiled = w2c.compile_model(path, task=task)
    report = compiled.report
    row.update(
        compile_seconds=round(time.perf_counter() - began, 1),
        exit_code=report.exit_code,
        verified=report.verification is not None and report.verification.passed,
        textbook=textbook(report),
        rule=report.rule,
    )
    return row


def _yes(value: object) -> str:
    return "yes" if value else "no"


def table(rows: list[dict], budget: float) -> str:
    lines = [
        "| task | set | s to accepted | CPU s | accepted # | attempts | size | clean | "
        "verified | textbook | rule |",
        "|---|---|---:|---:|---:|---:|---|---|---|---|---|",
    ]
    for row in rows:
        accepted = "-" if row["accepted"] is None else str(row["accepted"])
        lines.append(
            f"| {row['task']} | {row['set']} | {row['seconds']:.1f} | {row['cpu_seconds']:.1f} | "
            f"{accepted} | {row['attempts']} | {row.get('size', '')} | {_yes(row['clean'])} | "
            f"{_yes(row.get('verified'))} | {_yes(row.get('textbook'))} | "
            f"`{row.get('rule') or ''}` |"
        )
    times = [row["seconds"] if row["clean"] else budget for row in rows]
    if times:
        clean = sum(r["clean"] for r in rows)
        lines.append(
            f"\n{len(rows)} tasks: {clean} exact and clean, "
            f"{sum(bool(r.get('textbook')) for r in rows)} textbook; seconds to the accepted "
            f"model: median {statistics.median(times):.1f}, max {max(times):.1f} (failures "
            f"at the budget, {budget:g} s)"
        )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", nargs="*", default=None)
    parser.add_argument("--heldout", action="store_true", help="add the held-out tasks")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--jobs", type=int, default=2)
    parser.add_argument("--budget", type=float, default=600.0)
    parser.add_argument("--fresh", action="store_true")
    args = parser.parse_args(argv)
    cache = {} if args.fresh or not RESULTS.exists() else json.loads(RESULTS.read_text())
    names = args.only or sorted(TASKS) + (sorted(HELDOUT) if args.heldout else [])
    rows = []
    for name in names:
        key = f"{name}/seed{args.seed}/jobs{args.jobs}/budget{args.budget:g}"
        if key not in cache:
            print(f"searching {name} ...", file=sys.stderr, flush=True)
            cache[key] = run_task(name, args.seed, args.jobs, args.budget)
            RESULTS.write_text(json.dumps(cache, indent=1, sort_keys=True))
        rows.append(cache[key])
    print(table(rows, args.budget))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
