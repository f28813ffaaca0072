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

__all__ = ["evaluate", "evaluate_op", "evaluate_rule", "reproduces_model"]


def evaluate_op(
    op: Op, env: Mapping[str, np.ndarray], inputs: Mapping[str, np.ndarray]
) -> np.ndarray:
    """One node's values [B, T] given its operands' values."""
    return op.evaluate(env, inputs)


def evaluate(
    ir: IR, inputs: Mapping[str, np.ndarray], known: Mapping[str, np.ndarray] | None = None
) -> dict[str, np.ndarray]:
    """Every node's values given the inputs ({channel: [B, T]}, "y" = the true outputs).

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


def reproduces_model(values: np.ndarray, traces: Traces, discrete: bool) -> tuple[bool, float]:
    """Do ``values`` equal the hardened model's traced outputs at every position?

    Integer tasks compare after rounding (the score is the share of equal positions); real
    tasks need relMSE <= ``REAL_TRACE_TOLERANCE`` of w2c/contract.py (the score is the relMSE).
    Non-finite values never do.
    """
    target = traces.values["y"]
    if not np.all(np.isfinite(values)):
        return False, float("nan")
    if discrete:
        agree = float(np.mean(np.round(values) == np.round(target)))
        return agree == 1.0, agree
    rel = float(np.mean((values - target) ** 2) / max(float(np.var(target)), 1e-12))
    return rel <= REAL_TRACE_TOLERANCE, rel
