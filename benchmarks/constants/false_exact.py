"""How often the compiler would call a constant exact: random floats (false exact) vs true fractions.

    python benchmarks/constants/false_exact.py [--draws N] [--compiles N]

Prints three tables (never asserts; docs/compiler.md, "Exact constants", keeps the numbers):

1. the description-length rule (w2c.exactness.described) alone, for several margins: the share of
   N floats drawn uniformly from [-10, 10] (seed 0) it accepts, next to the bound 2**-margin;
2. the same rule on true fractions (a random fraction with denominator <= 12 in [-10, 10], times
   1 + e with |e| uniform up to 1e-7 or 1e-6, the relative noise of float32 weights): the share it
   recognises, so the price of a larger margin is visible;
3. the whole simplify pass on hand-built IRs y[t] = c * x[t] with c uniform in [-10, 10]: how many
   rules come out with exact constants on a real task (x real) and on an integer task (x in 0..9),
   and, for the integer task, how many of those equal round(c * x) at every x of the domain (the
   small-denominator rule's claim, checked against the draw).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np
import sympy

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from w2c.compiler.ir import IR, Input, Node, Output, TaskInfo, Traces  # noqa: E402
from w2c.compiler.pipeline import Context  # noqa: E402
from w2c.exactness import MARGIN_BITS, MAX_DENOMINATOR, described  # noqa: E402
from w2c.passes import simplify  # noqa: E402
from w2c.tasks import IntRange, RealInterval, Task  # noqa: E402

MARGINS = (8, 10, 12, 14, 16)
NOISES = (1e-7, 1e-6)
DIGITS = np.arange(10.0)


def linear_ir(c: float, discrete: bool, seed: int = 0) -> tuple[IR, Context]:
    """y[t] = c * x[t] as a lowered IR with traces (64 sequences), for a real or integer task."""
    domain = IntRange(0, 10) if discrete else RealInterval(-1.0, 1.0)
    task = Task("linear", (domain,), lambda x: c * x[..., 0])
    info = TaskInfo(task.name, ("x",), False, task.length, task.discrete)
    nodes = (Node("x", Input("x", 0)), Node("out", Output((("x", c),), 0.0, 1.0)))
    rng = np.random.default_rng(seed)
    shape = (64, task.length)
    x = rng.integers(0, 10, shape).astype(float) if discrete else rng.uniform(-1, 1, shape)
    traces = Traces({"x": x}, {"x": x, "out": c * x, "y": c * x}, {}, shape[0])
    return IR(info, nodes, "out"), Context(traces, task)


def simplified_rule(c: float, discrete: bool) -> sympy.Expr:
    ir, context = linear_ir(c, discrete)
    out = simplify.simplify(ir, context)
    return out.node(out.output).op.rule


def rule_table(draws: int) -> None:
    values = np.random.default_rng(0).uniform(-10, 10, draws)
    print(f"description-length rule on {draws} uniform floats in [-10, 10]")
    print("| margin (bits) | accepted | rate | bound 2**-margin |")
    print("|---|---|---|---|")
    for margin in MARGINS:
        hits = sum(described(float(v), margin) is not None for v in values)
        mark = " (default)" if margin == MARGIN_BITS else ""
        print(f"| {margin}{mark} | {hits} | {hits / draws:.1e} | {2.0**-margin:.1e} |")


def true_fractions(draws: int) -> None:
    rng = np.random.default_rng(1)
    q = rng.integers(1, MAX_DENOMINATOR + 1, draws)
    p = np.array([rng.integers(-10 * d, 10 * d + 1) for d in q])
    print(f"\ndescription-length rule on {draws} fractions p/q, q <= {MAX_DENOMINATOR}, with noise")
    print("| margin (bits) | " + " | ".join(f"recognised, noise {n:g}" for n in NOISES) + " |")
    print("|---|" + "---|" * len(NOISES))
    for margin in MARGINS:
        cells = []
        for noise in NOISES:
            noisy = p / q * (1 + rng.uniform(-noise, noise, draws))
            hits = sum(described(float(v), margin) is not None for v in noisy)
            cells.append(f"{hits / draws:.1%}")
        print(f"| {margin} | " + " | ".join(cells) + " |")


def pass_table(compiles: int) -> None:
    values = np.random.default_rng(2).uniform(-10, 10, compiles)
    print(f"\nsimplify on y[t] = c*x[t], {compiles} uniform c in [-10, 10]")
    print("| task | rules with exact constants | of which equal round(c*x) on 0..9 |")
    print("|---|---|---|")
    for discrete in (False, True):
        exact = faithful = 0
        for c in values:
            rule = simplified_rule(float(c), discrete)
            if rule.atoms(sympy.Float):
                continue
            exact += 1
            f = sympy.lambdify(sorted(rule.free_symbols, key=str), rule)
            faithful += bool(np.all(f(DIGITS) == np.round(c * DIGITS)))
        name = "integer (x in 0..9)" if discrete else "real (x in [-1, 1])"
        print(f"| {name} | {exact} | {faithful if discrete else 'n/a'} |")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--draws", type=int, default=100_000)
    parser.add_argument("--compiles", type=int, default=200)
    args = parser.parse_args()
    rule_table(args.draws)
    true_fractions(min(args.draws, 20_000))
    pass_table(args.compiles)


if __name__ == "__main__":
    main()
