"""Training benchmark: `w2c train` on every corpus task, timed; prints a Markdown table.

    python benchmarks/train/run.py [--only TASK ...] [--seed N] [--threads N] [--fresh]

Each task runs its corpus recipe (restarts included) until the hardened model is exact, exactly
as `w2c train TASK` does. Results are cached in benchmarks/train/results.json so an interrupted
run resumes (--fresh starts over). The table reports wall time, attempts and the final bar.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from pathlib import Path

from w2c.corpus import TASKS
from w2c.errors import CheckFailed
from w2c.network.train import recipe_for, train

RESULTS = Path(__file__).with_name("results.json")


def run_task(name: str, seed: int, threads: int) -> dict:
    task = TASKS[name]
    start = time.perf_counter()
    try:
        outcome = train(task, recipe_for(task), seed=seed, threads=threads)
        best, passed = outcome.best, True
        attempts = len(outcome.attempts)
    except CheckFailed as exc:
        return {
            "task": name,
            "passed": False,
            "seconds": time.perf_counter() - start,
            "error": str(exc),
        }
    return {
        "task": name,
        "passed": passed,
        "seconds": round(time.perf_counter() - start, 2),
        "attempts": attempts,
        "size": best.size.describe(),
        "steps": best.settings.steps + best.settings.polish_steps,
        "final_hard_loss": best.history.hard[-1],
        "exact_fraction": best.exactness.exact_fraction,
        "rel_mse": best.exactness.rel_mse,
    }


def table(rows: list[dict]) -> str:
    lines = [
        "| task | seconds | attempts | size | steps/attempt | hard loss | exact seqs | relMSE |",
        "|---|---:|---:|---|---:|---:|---:|---:|",
    ]
    for row in rows:
        if not row["passed"]:
            lines.append(f"| {row['task']} | {row['seconds']:.1f} | FAILED | | | | | |")
            continue
        exact = f"{row['exact_fraction']:.2%}" if TASKS[row["task"]].discrete else "(real)"
        lines.append(
            f"| {row['task']} | {row['seconds']:.1f} | {row['attempts']} | {row['size']} | "
            f"{row['steps']} | {row['final_hard_loss']:.1e} | {exact} | {row['rel_mse']:.1e} |"
        )
    times = [row["seconds"] for row in rows]
    if times:
        lines.append(
            f"\nmedian {statistics.median(times):.1f} s, max {max(times):.1f} s, "
            f"{sum(r['passed'] for r in rows)}/{len(rows)} exact"
        )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", nargs="*", default=None)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--threads", type=int, default=1, help="torch threads (default 1)")
    parser.add_argument("--fresh", action="store_true")
    args = parser.parse_args(argv)
    cache = {} if args.fresh or not RESULTS.exists() else json.loads(RESULTS.read_text())
    rows = []
    for name in args.only or sorted(TASKS):
        key = f"{name}/seed{args.seed}/threads{args.threads}"
        if key not in cache:
            print(f"training {name} ...", file=sys.stderr, flush=True)
            cache[key] = run_task(name, args.seed, args.threads)
            RESULTS.write_text(json.dumps(cache, indent=1, sort_keys=True))
        rows.append(cache[key])
    print(table(rows))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
