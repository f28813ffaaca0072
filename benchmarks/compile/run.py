"""Compiler benchmark on every shipped corpus model; prints two Markdown tables.

    python benchmarks/compile/run.py [--only TASK ...] [--no-e2e] [--no-sr]

1. Per task: time of each pass in-process (imports excluded), verification time, end-to-end
   `w2c compile` wall time in a fresh interpreter, program size, verdict and strength.
2. SR backends side by side on every corpus sub-MLP (library vs operon; pysr when Julia is
   installed): fit time, max-abs error against the sub-MLP's traces, whether the fit is within
   tolerance, and whether the whole compile with that backend gives a verified textbook rule.
"""

from __future__ import annotations

import argparse
import ast
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from w2c.compiler import compile_model, task_for
from w2c.compiler.ir import SubMLP
from w2c.compiler.pipeline import Context, build_passes, run_recorded
from w2c.corpus import TASKS, model_path
from w2c.network.checkpoint import load
from w2c.network.lower import lower
from w2c.passes.mlp_symbolic import operand_domain
from w2c.sr import available_backends, default_tolerance, fit

PASSES = ("infer_domains", "attention_patterns", "prune", "mlp_symbolic", "simplify", "emit")


def textbook(report) -> str:  # type: ignore[no-untyped-def]
    correctness = report.verification.correctness
    return "yes" if correctness.strength == "proved" else "no"


def compile_row(name: str, e2e: bool) -> dict:
    start = time.perf_counter()
    compiled = compile_model(model_path(name))
    total = time.perf_counter() - start
    report = compiled.report
    timings = dict(report.timings)
    row = {
        "task": name,
        **{p: timings.get(p, 0.0) for p in PASSES},
        "passes": sum(timings.values()),
        "verify": report.verify_seconds,
        "in_process": total,
        "lines": len(compiled.source.splitlines()),
        "ast_nodes": sum(1 for _ in ast.walk(ast.parse(compiled.source))),
        "verdict": report.verification.verdict,
        "strength": report.verification.correctness.strength,
        "textbook": textbook(report),
        "rule": report.rule,
    }
    if e2e:
        with tempfile.TemporaryDirectory() as folder:
            start = time.perf_counter()
            subprocess.run(
                [
                    sys.executable,
                    "-m",
                    "w2c",
                    "compile",
                    str(model_path(name)),
                    "-o",
                    str(Path(folder) / "p.py"),
                    "-q",
                ],
                check=False,
                capture_output=True,
            )
            row["e2e"] = time.perf_counter() - start
    return row


def sr_rows(name: str, backends: list[str]) -> list[dict]:
    checkpoint = load(model_path(name))
    task, _ = task_for(checkpoint, None)
    ir, traces = lower(checkpoint, task)
    context = Context(traces, task)
    ir = run_recorded(
        ir, context, build_passes(["infer_domains", "attention_patterns", "prune"])
    ).ir
    rows = []
    for node in ir.nodes:
        if not isinstance(node.op, SubMLP):
            continue
        operands = tuple(dict.fromkeys(node.op.inputs))
        import numpy as np
        import sympy

        x = np.stack([traces.values[o].ravel() for o in operands], axis=1)
        y = traces.values[node.name].ravel()
        domains = [operand_domain(ir.node(o).domain, traces.values[o]) for o in operands]
        symbols = [sympy.Symbol(o, real=True) for o in operands]
        for backend in backends:
            result = fit(x, y, symbols, domains, backend=backend)
            compiled = compile_model(model_path(name), sr_backend=backend)
            rows.append(
                {
                    "task": name,
                    "node": node.name,
                    "backend": backend,
                    "seconds": result.seconds,
                    "max_abs_error": result.max_abs_error,
                    "within_tolerance": result.max_abs_error <= default_tolerance(y),
                    "expr": str(result.expr),
                    "program_verified": compiled.report.verified,
                    "textbook": textbook(compiled.report),
                }
            )
    return rows


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", nargs="*", default=None)
    parser.add_argument("--no-e2e", action="store_true")
    parser.add_argument("--no-sr", action="store_true")
    args = parser.parse_args(argv)
    names = args.only or sorted(TASKS)
    print(
        "| task | " + " | ".join(PASSES) + " | passes | verify | w2c compile | lines | AST | "
        "verdict | strength | textbook rule |"
    )
    print("|---|" + "---:|" * (len(PASSES) + 5) + "---|---|---|")
    rows = []
    for name in names:
        row = compile_row(name, not args.no_e2e)
        rows.append(row)
        cells = " | ".join(f"{row[p]:.3f}" for p in PASSES)
        e2e = f"{row['e2e']:.1f}" if "e2e" in row else "-"
        print(
            f"| {name} | {cells} | {row['passes']:.2f} | {row['verify']:.1f} | {e2e} | "
            f"{row['lines']} | {row['ast_nodes']} | {row['verdict']} | {row['strength']} | "
            f"`{row['rule']}` |",
            flush=True,
        )
    passes = [r["passes"] for r in rows]
    print(
        f"\npasses: median {statistics.median(passes):.2f} s, max {max(passes):.2f} s; "
        f"verification: median {statistics.median(r['verify'] for r in rows):.1f} s"
    )
    if args.no_sr:
        return 0
    backends = [b for b, reason in available_backends().items() if reason is None]
    print(
        "\n| task | sub-MLP | backend | fit s | max abs err | within tol | program verified | "
        "textbook | expression |"
    )
    print("|---|---|---|---:|---:|---|---|---|---|")
    for name in names:
        for row in sr_rows(name, backends):
            print(
                f"| {row['task']} | {row['node']} | {row['backend']} | {row['seconds']:.2f} | "
                f"{row['max_abs_error']:.1e} | {row['within_tolerance']} | "
                f"{row['program_verified']} | {row['textbook']} | `{row['expr']}` |",
                flush=True,
            )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
