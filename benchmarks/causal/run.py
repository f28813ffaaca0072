"""Causal-graph benchmark: w2c vs PCMCI-ParCorr vs random guess on generated systems.

    python benchmarks/causal/run.py            # full: 4 regimes x 3 seeds, p=10, L=5, T=20000,
                                               # plus the p=25, L=10 scaling row
    python benchmarks/causal/run.py --quick    # one seed per regime, T=5000, no scaling row

Each (method, dataset) job runs in its own subprocess on one thread (OMP/BLAS/torch), with a
timeout, and its result is cached as JSON in benchmarks/causal/results/ (a timeout is cached
too), so a rerun resumes and finally just prints the table. Binarisation for the headline F1 is
top-k per target with k = the generator's true in-degree (3), for every method. Never asserts.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

HERE = Path(__file__).resolve().parent
RESULTS = HERE / "results"
REGIMES = ("linear", "monotonic", "mlp_add", "nonmonotonic")
METHODS = ("w2c", "pcmci", "random")
IN_DEGREE = 3


def job_key(job: dict) -> str:
    windows = f"-w{job['eval_windows']}" if "eval_windows" in job else ""
    return (
        f"{job['method']}-{job['mechanism']}-p{job['p']}-L{job['lag']}-T{job['T']}"
        f"-s{job['seed']}-e{job['epochs']}{windows}"
    )


def _topk_f1(truth, scores, k: int) -> dict:
    from w2c.frontends.causal.graph import Selection, binarise
    from w2c.frontends.causal.metrics import evaluate

    chosen = binarise(scores, scores, Selection("top-k", k))
    return evaluate(truth, chosen, scores)


def run_job(job: dict) -> dict:
    """Compute one result (runs inside the worker subprocess)."""
    from w2c.frontends.causal.metrics import evaluate
    from w2c.frontends.causal.synthetic import generate

    system = generate(
        job["mechanism"],
        n_vars=job["p"],
        max_lag=job["lag"],
        n_steps=job["T"],
        in_degree=IN_DEGREE,
        seed=job["seed"],
    )
    started = time.perf_counter()
    result: dict = {}
    if job["method"] == "w2c":
        from w2c.frontends.causal.api import graph_from_scores
        from w2c.frontends.causal.data import from_array
        from w2c.frontends.causal.graph import Selection
        from w2c.frontends.causal.scores import compute_scores
        from w2c.frontends.causal.train import TrainConfig, fit
        from w2c.threads import torch_threads

        with torch_threads(1):
            trained, prep = fit(
                from_array(system.data, system.names),
                job["lag"],
                TrainConfig(seed=job["seed"], max_epochs=job["epochs"]),
            )
            scores = compute_scores(
                trained.model,
                prep.x_val,
                prep.y_val,
                prep.r_val,
                max_windows=job.get("eval_windows", 2000),
                seed=job["seed"],
            )
        result["seconds"] = time.perf_counter() - started
        result["epochs_run"] = len(trained.history["val"])
        result.update(_topk_f1(system.graph, scores.energy, IN_DEGREE))
        result["lrp"] = _topk_f1(system.graph, scores.lrp, IN_DEGREE)
        confident = graph_from_scores(trained, scores, "energy", Selection("confident"))
        result["own_graph"] = evaluate(system.graph, confident.adjacency)
    elif job["method"] == "pcmci":
        from w2c.frontends.causal.baselines import pcmci_parcorr

        found = pcmci_parcorr(system.data, job["lag"])
        result["seconds"] = time.perf_counter() - started
        result.update(_topk_f1(system.graph, found.scores, IN_DEGREE))
        result["own_graph"] = evaluate(system.graph, found.graph)
    else:
        from w2c.frontends.causal.baselines import random_guess

        found = random_guess(job["p"], job["lag"], seed=1000 + job["seed"])
        result["seconds"] = time.perf_counter() - started
        result.update(_topk_f1(system.graph, found.scores, IN_DEGREE))
    return result


def cached(job: dict) -> dict:
    """The cached result, or a placeholder that the table shows as not run."""
    path = RESULTS / f"{job_key(job)}.json"
    return json.loads(path.read_text()) if path.exists() else {"missing": True}


def run_cached(job: dict, timeout: float) -> dict:
    """Cached result, or run the job in a one-thread subprocess and cache what it returns."""
    path = RESULTS / f"{job_key(job)}.json"
    if path.exists():
        return json.loads(path.read_text())
    env = {
        **os.environ,
        "OMP_NUM_THREADS": "1",
        "OPENBLAS_NUM_THREADS": "1",
        "MKL_NUM_THREADS": "1",
    }
    print(f"running {job_key(job)} ...", file=sys.stderr, flush=True)
    started = time.perf_counter()
    try:
        done = subprocess.run(
            [sys.executable, __file__, "--job", json.dumps(job)],
            env=env,
            capture_output=True,
            text=True,
            timeout=timeout,
            check=True,
        )
        result = json.loads(done.stdout.strip().splitlines()[-1])
    except subprocess.TimeoutExpired:
        result = {"timeout": True, "seconds": timeout}
    except subprocess.CalledProcessError as exc:
        print(exc.stderr[-2000:], file=sys.stderr)
        raise SystemExit(f"job {job_key(job)} failed") from None
    result["job"] = job
    result["wall_seconds"] = time.perf_counter() - started
    from w2c.fileio import write_text

    RESULTS.mkdir(exist_ok=True)
    write_text(path, json.dumps(result, indent=1) + "\n", force=True)
    return result


def _stat(values: list[float]) -> str:
    if not values:
        return "-"
    if len(values) == 1:
        return f"{values[0]:.2f}"
    return f"{statistics.mean(values):.2f} ± {statistics.stdev(values):.2f}"


def _row(label: str, method: str, results: list[dict], key=lambda r: r) -> str:
    expected = len(results)
    results = [r for r in results if not r.get("missing")]
    if len(results) < expected:
        method = f"{method} ({len(results)}/{expected} runs)"
    if not results:
        return f"| {label} | {method} | not run | - | - | - | - |"
    done = [r for r in results if not r.get("timeout")]
    if not done:
        return f"| {label} | {method} | timeout | - | - | - | > {results[0]['seconds']:.0f} |"
    picked = [key(r) for r in done]
    own = [r["own_graph"]["f1"] for r in done if "own_graph" in r and key(r) is r]
    return (
        f"| {label} | {method} | {_stat([r['f1'] for r in picked])} | "
        f"{_stat([r['auroc'] for r in picked])} | {_stat([r['auprc'] for r in picked])} | "
        f"{_stat(own)} | {statistics.mean(r['seconds'] for r in done):.0f} |"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="1 seed, T=5000, no scaling row")
    parser.add_argument("--regimes", default=",".join(REGIMES))
    parser.add_argument("--seeds", type=int, default=3)
    parser.add_argument("--steps", type=int, default=20_000, help="T")
    parser.add_argument("--epochs", type=int, default=30, help="w2c maximum epochs")
    parser.add_argument("--timeout", type=float, default=1200.0, help="seconds per job")
    parser.add_argument("--no-scaling", action="store_true")
    parser.add_argument("--scaling-epochs", type=int, default=10, help="w2c epochs, p=25 row")
    parser.add_argument("--workers", type=int, default=2, help="jobs run in parallel")
    parser.add_argument("--scaling-eval-windows", type=int, default=500)
    parser.add_argument("--only-scaling", action="store_true", help="just the p=25 row")
    parser.add_argument("--print-only", action="store_true", help="table from the cache only")
    parser.add_argument("--job", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.job:
        print(json.dumps(run_job(json.loads(args.job))))
        return
    seeds = 1 if args.quick else args.seeds
    steps = 5000 if args.quick else args.steps
    regimes = args.regimes.split(",")
    jobs = {
        (m, r, s): dict(method=m, mechanism=r, p=10, lag=5, T=steps, seed=s, epochs=args.epochs)
        for r in regimes
        for m in METHODS
        for s in range(seeds)
    }
    if args.only_scaling:
        jobs = {}
    if not (args.quick or args.no_scaling):
        for m in METHODS:
            jobs[(m, "scaling", 0)] = dict(
                method=m,
                mechanism="linear",
                p=25,
                lag=10,
                T=steps,
                seed=0,
                epochs=args.scaling_epochs,
            )
        # scoring costs p*L*3 permuted passes over windows of p*(L+1) tokens: fewer windows
        jobs[("w2c", "scaling", 0)]["eval_windows"] = args.scaling_eval_windows
    # the long scaling jobs go first so they overlap with the rest
    order = sorted(jobs, key=lambda key: (key[1] != "scaling", key[0] == "random"))
    if args.print_only:
        results = {key: cached(jobs[key]) for key in order}
    else:
        with ThreadPoolExecutor(max_workers=args.workers) as pool:
            futures = {key: pool.submit(run_cached, jobs[key], args.timeout) for key in order}
            results = {key: future.result() for key, future in futures.items()}
    header = (
        "| regime | method | F1 (top-k) | AUROC | AUPRC | F1 (own graph) | wall s |\n"
        "|---|---|---|---|---|---|---|"
    )
    rows = []
    for mechanism in [] if args.only_scaling else regimes:
        label = f"{mechanism} p=10 L=5 T={steps}"
        for method in METHODS:
            picked = [results[(method, mechanism, s)] for s in range(seeds)]
            rows.append(_row(label, method, picked))
            if method == "w2c":
                rows.append(_row(label, "w2c (lrp score)", picked, key=lambda r: r["lrp"]))
    if (METHODS[0], "scaling", 0) in results:
        for method in METHODS:
            rows.append(
                _row(
                    f"scaling: linear p=25 L=10 T={steps}",
                    method,
                    [results[(method, "scaling", 0)]],
                )
            )
    print(
        f"k = {IN_DEGREE} (the generator's in-degree) parents per target for F1 (top-k); "
        f"{seeds} seed(s), mean ± sd; one thread per method"
    )
    print("F1 (own graph): w2c = edges with confidence >= 0.95, PCMCI = p < 0.05")
    print(header)
    print("\n".join(rows))


if __name__ == "__main__":
    main()
