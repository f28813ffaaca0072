"""The reference interpreter: the semantics every pass must preserve (NumPy, torch-free).

Each op kind evaluates itself (``Op.evaluate`` in w2c/compiler/ir.py, over the array kernels of
w2c/compiler/kernels.py); ``evaluate`` runs a whole IR, and ``reproduces_model`` is the one
check every pass uses to accept a candidate: does it give the hardened model's outputs on every
traced position (docs/compiler.md, "Attention patterns" and "Simplify")?
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np

from w2c.compiler.ir import IR, Attend, Op, Traces
from w2c.compiler.kernels import evaluate_rule
from w2c.contract import REAL_TRACE_TOLERANCE
from w2c.tasks import quantise

__all__ = ["evaluate", "evaluate_op", "evaluate_rule", "reproduces_model", "reproduces_outputs"]


def evaluate_op(
    op: Op, env: Mapping[str, np.ndarray], inputs: Mapping[str, np.ndarray]
) -> np.ndarray:
    """One node's values [B, T] given its operands' values."""
    return op.evaluate(env, inputs)


def evaluate(
    ir: IR, inputs: Mapping[str, np.ndarray], known: Mapping[str, np.ndarray] | None = None
) -> dict[str, np.ndarray]:
    """Every node's values given the inputs ({channel: [B, T]}; each output's name, "y" for
    one, holds the fed-back outputs).

    ``known`` supplies values for nodes the interpreter cannot compute (unresolved heads), e.g.
    the model's traces; the output uses the rule when simplify has set one.
    """
    env: dict[str, np.ndarray] = {}
    for node in ir.nodes:
        op = node.op
        if isinstance(op, Attend) and (op.weights is None or (known and node.name in known)):
            if known is None or node.name not in known:
                raise ValueError(f"unresolved head {node.name} has no known values")
            env[node.name] = known[node.name]
        else:
            env[node.name] = op.evaluate(env, inputs)
    return env


def reproduces_model(
    values: np.ndarray, traces: Traces, grid: int | None, output: str = "y"
) -> tuple[bool, float]:
    """Do ``values`` equal the hardened model's traced values of ``output`` at every position?

    Tasks with an output grid (``Task.output_grid``) compare on it (the score is the share of
    equal positions); real outputs need relMSE <= ``REAL_TRACE_TOLERANCE`` of w2c/contract.py
    (the score is the relMSE). Non-finite values never do.
    """
    target = traces.values[output]
    if not np.all(np.isfinite(values)):
        return False, float("nan")
    if grid is not None:
        agree = float(np.mean(quantise(values, grid) == quantise(target, grid)))
        return agree == 1.0, agree
    rel = float(np.mean((values - target) ** 2) / max(float(np.var(target)), 1e-12))
    return rel <= REAL_TRACE_TOLERANCE, rel


def reproduces_outputs(env: Mapping[str, np.ndarray], ir: IR, traces: Traces) -> tuple[bool, float]:
    """``reproduces_model`` for every output node of ``ir`` (values in ``env``): all must; the
    score is the worst output's (lowest agreement, or highest relMSE)."""
    results = [reproduces_model(env[o], traces, ir.task.grid, o) for o in ir.outputs]
    ok = all(passed for passed, _ in results)
    scores = [score for _, score in results]
    if any(np.isnan(scores)):
        return ok, float("nan")
    return ok, min(scores) if ir.task.grid is not None else max(scores)
