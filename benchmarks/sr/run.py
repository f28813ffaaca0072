"""SR backends side by side on a fixed suite of sub-MLP-like targets (prints a table).

Run from the repository root: ``python benchmarks/sr/run.py`` (``--backends library`` to skip
operon, ``--no-nets`` to skip the trained-net cases, ``--only NAME`` to filter). Never asserts.

Columns: seconds per fit; ``exact``: the fit, with every float rounded to 2 decimals, equals the
case's truth on every traced point (n/a when no truth is known); the max-abs error on the traced
samples and the tolerance it was fitted with; the complexity (sympy node count); the expression.

To add cases (e.g. every corpus sub-MLP), build ``cases.Case(name, inputs, outputs, domains)``
values and call ``table(cases, backends)``.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import sympy

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from cases import Case, evaluate, suite  # noqa: E402

from w2c.sr import available_backends, default_tolerance, fit  # noqa: E402

ROUND_DIGITS = 2


def recovered(case: Case, expr: sympy.Expr) -> str:
    """'yes' when the rounded fit equals the truth on every distinct traced point."""
    if case.truth is None:
        return "n/a"
    numbers = {
        n: sympy.nsimplify(round(float(n), ROUND_DIGITS), rational=True)
        for n in expr.atoms(sympy.Float)
    }
    points = np.unique(case.inputs, axis=0)
    try:
        got = evaluate(expr.xreplace(numbers), points)
    except (TypeError, ValueError, ZeroDivisionError):
        return "no"
    want = evaluate(case.truth, points)
    return (
        "yes" if np.allclose(got, want, rtol=0, atol=1e-9 * max(1.0, np.abs(want).max())) else "no"
    )


def table(cases: Sequence[Case], backends: Sequence[str], time_limit: float = 2.0) -> str:
    header = (
        f"{'case':<24} {'backend':<8} {'seconds':>7} {'exact':>5} {'max-abs err':>11} "
        f"{'tolerance':>9} {'cx':>3}  expression"
    )
    lines = [header, "-" * len(header)]
    totals = {b: [0.0, 0, 0] for b in backends}
    for case in cases:
        for backend in backends:
            result = fit(
                case.inputs,
                case.outputs,
                case.symbols,
                case.domains,
                backend=backend,
                tolerance=case.tolerance,
                time_limit=time_limit,
            )
            tolerance = case.tolerance or default_tolerance(case.outputs)
            exact = recovered(case, result.expr)
            totals[backend][0] += result.seconds
            totals[backend][1] += exact == "yes"
            totals[backend][2] += exact != "n/a"
            text = str(result.expr)
            lines.append(
                f"{case.name:<24} {backend:<8} {result.seconds:7.2f} {exact:>5} "
                f"{result.max_abs_error:11.2e} {tolerance:9.1e} {result.complexity:3d}  "
                f"{text if len(text) <= 70 else text[:67] + '...'}"
            )
    lines.append("-" * len(header))
    for backend, (seconds, hits, known) in totals.items():
        lines.append(f"{backend}: exact {hits}/{known}, total {seconds:.1f} s")
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    usable = [b for b, reason in available_backends().items() if reason is None]
    parser.add_argument("--backends", default=",".join(usable), help=f"default: {usable}")
    parser.add_argument("--no-nets", action="store_true", help="skip the trained-net cases")
    parser.add_argument("--only", action="append", default=[], help="case name substring")
    parser.add_argument("--time-limit", type=float, default=2.0)
    args = parser.parse_args()
    for backend, reason in available_backends().items():
        if reason is not None:
            print(f"# {backend} unavailable: {reason}")
    cases = suite(nets=not args.no_nets)
    if args.only:
        cases = [c for c in cases if any(o in c.name for o in args.only)]
    print(table(cases, args.backends.split(","), args.time_limit))


if __name__ == "__main__":
    main()
