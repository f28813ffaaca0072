"""How often the compiler calls a constant exact: random floats (false exact) vs true fractions.

    python benchmarks/constants/false_exact.py [--draws N] [--compiles N] [--margins M] [--fits N]

Prints four tables (never asserts; docs/compiler.md, "Exact constants", keeps the numbers):

1. the description-length rule (w2c.exactness.described) alone, for several margins: the share of
   N floats drawn uniformly from [-10, 10] (seed 0) it accepts, next to the bound 2**-margin;
2. the same rule on true fractions (a random fraction with denominator <= 12 in [-10, 10], times
   1 + e with |e| uniform up to 1e-7 or 1e-6, the relative noise of float32 weights): the share it
   recognises, so the price of a larger margin is visible;
3. the whole simplify pass on hand-built IRs y[t] = c * x[t] with c uniform in [-10, 10]: how many
   rules come out with exact constants on a real task (x real) and on an integer task (x in 0..9),
   and, for the integer task, how many of those equal round(c * x) at every x of the domain (the
   small-denominator rule's claim, checked against the draw); and, for the real task, how many
   would pass the small-denominator rule if it were used there (the nearest fraction with
   denominator <= 12 within 0.001 reproduces the model's traces, relMSE <= 1e-9): why it is not;
4. the small-denominator rule where sub-MLPs use it: symbolic regression of c * relu(a0) on
   [-3, 3] (coefficients not returned as the float c) and a sub-MLP table's values
   (mlp_symbolic.exact_value with the default tolerance of the values), for uniform c.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np
import sympy

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests"))

from helpers import linear_ir  # noqa: E402
from w2c.compiler.algebra import rationalise  # noqa: E402
from w2c.exactness import MARGIN_BITS, MAX_DENOMINATOR, described  # noqa: E402
from w2c.passes import simplify  # noqa: E402
from w2c.passes.mlp_symbolic import exact_value  # noqa: E402
from w2c.sr import OperandDomain, default_tolerance, fit  # noqa: E402
from w2c.tasks import x_sym  # noqa: E402

MARGINS = (8, 10, 12, 14, 16)
NOISES = (1e-7, 1e-6)
DIGITS = np.arange(10.0)


def simplified_rule(c: float, discrete: bool) -> sympy.Expr:
    ir, context = linear_ir(c, discrete)
    out = simplify.simplify(ir, context)
    return out.node(out.output).op.rule


def rule_table(draws: int, margins: tuple[int, ...]) -> None:
    values = np.random.default_rng(0).uniform(-10, 10, draws)
    print(f"description-length rule on {draws} uniform floats in [-10, 10]")
    print("| margin (bits) | accepted | rate | bound 2**-margin |")
    print("|---|---|---|---|")
    for margin in margins:
        hits = sum(described(float(v), margin) is not None for v in values)
        mark = " (default)" if margin == MARGIN_BITS else ""
        print(f"| {margin}{mark} | {hits} | {hits / draws:.1e} | {2.0**-margin:.1e} |")


def true_fractions(draws: int, margins: tuple[int, ...]) -> None:
    rng = np.random.default_rng(1)
    q = rng.integers(1, MAX_DENOMINATOR + 1, draws)
    p = np.array([rng.integers(-10 * d, 10 * d + 1) for d in q])
    print(f"\ndescription-length rule on {draws} fractions p/q, q <= {MAX_DENOMINATOR}, with noise")
    print("| margin (bits) | " + " | ".join(f"recognised, noise {n:g}" for n in NOISES) + " |")
    print("|---|" + "---|" * len(NOISES))
    for margin in margins:
        cells = []
        for noise in NOISES:
            noisy = p / q * (1 + rng.uniform(-noise, noise, draws))
            hits = sum(described(float(v), margin) is not None for v in noisy)
            cells.append(f"{hits / draws:.1%}")
        print(f"| {margin} | " + " | ".join(cells) + " |")


def small_denominator_would_pass(c: float) -> bool:
    """On the real task: does the nearest fraction with denominator <= 12 reproduce the traces?"""
    ir, context = linear_ir(c, discrete=False)
    snapped = rationalise(sympy.Float(c) * x_sym(0), MAX_DENOMINATOR, tolerance=1e-3)
    return not snapped.atoms(sympy.Float) and simplify.reproduces_model(snapped, context)[0]


def pass_table(compiles: int) -> None:
    values = [float(c) for c in np.random.default_rng(2).uniform(-10, 10, compiles)]
    print(f"\nsimplify on y[t] = c*x[t], {compiles} uniform c in [-10, 10]")
    print("| task | rules with exact constants | of which equal round(c*x) on 0..9 |")
    print("|---|---|---|")
    for discrete in (False, True):
        exact = faithful = 0
        for c in values:
            rule = simplified_rule(c, discrete)
            if rule.atoms(sympy.Float):
                continue
            exact += 1
            f = sympy.lambdify([x_sym(0)], rule)
            faithful += bool(np.all(f(DIGITS) == np.round(c * DIGITS)))
        name = "integer (x in 0..9)" if discrete else "real (x in [-1, 1])"
        print(f"| {name} | {exact} | {faithful if discrete else 'n/a'} |")
    would = sum(small_denominator_would_pass(c) for c in values)
    print(f"| real, small-denominator rule (not used on real tasks) | {would} | n/a |")


def sub_mlp_table(fits: int, values: int) -> None:
    a = sympy.Symbol("a0")
    xs = np.linspace(-3, 3, 61)
    print("\nsmall-denominator rule in sub-MLPs, uniform c in [-10, 10]")
    print("| where | draws | not kept as the float c | rate |")
    print("|---|---|---|---|")
    snapped = 0
    for c in np.random.default_rng(7).uniform(-10, 10, fits):
        expr = fit(xs[:, None], c * np.maximum(xs, 0), [a], [OperandDomain.interval(-3, 3)]).expr
        snapped += not any(abs(float(f) - c) < 1e-6 * abs(c) for f in expr.atoms(sympy.Float))
    print(f"| symbolic regression of c*relu(a0) | {fits} | {snapped} | {snapped / fits:.1e} |")
    draws = np.random.default_rng(5).uniform(-10, 10, values)
    tolerance = default_tolerance(draws)
    taken = sum(not isinstance(exact_value(float(v), tolerance), sympy.Float) for v in draws)
    print(f"| sub-MLP table values | {values} | {taken} | {taken / values:.1e} |")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--draws", type=int, default=100_000)
    parser.add_argument("--compiles", type=int, default=200)
    parser.add_argument("--margins", type=int, nargs="+", default=list(MARGINS))
    parser.add_argument("--fits", type=int, default=1000, help="SR fits (0: skip table 4)")
    args = parser.parse_args()
    margins = tuple(args.margins)
    rule_table(args.draws, margins)
    true_fractions(min(args.draws, 20_000), margins)
    if args.compiles:
        pass_table(args.compiles)
    if args.fits:
        sub_mlp_table(args.fits, 20 * args.fits)


if __name__ == "__main__":
    main()
