"""Array semantics the op kinds share: NumPy over [batch, T] sequences (torch-free).

Reads before the sequence start are 0 (the model's zero pads). The op classes in
w2c/compiler/ir.py evaluate themselves with these; w2c/compiler/interpret.py runs a whole IR.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np
import sympy


def shift(values: np.ndarray, k: int) -> np.ndarray:
    """values[:, t - k], 0 before the start."""
    out = np.zeros_like(values)
    if k < values.shape[1]:
        out[:, k:] = values[:, : values.shape[1] - k]
    return out


def window_pick(
    value: np.ndarray, key: np.ndarray, z: int, kind: str, tie: str, delta: int
) -> np.ndarray:
    """value[j] at the arg-max/min of key over j in {t-delta-z+1 .. t-delta} (pads read 0)."""
    value, key = shift(value, delta), shift(key, delta)
    batch, _ = value.shape
    pad = z - 1
    v = np.concatenate([np.zeros((batch, pad)), value], axis=1)
    k = np.concatenate([np.zeros((batch, pad)), key], axis=1)
    windows_k = np.lib.stride_tricks.sliding_window_view(k, z, axis=1)  # [B, T, z]
    windows_v = np.lib.stride_tricks.sliding_window_view(v, z, axis=1)
    chooser = np.argmax if kind == "max" else np.argmin
    if tie == "last":
        index = z - 1 - chooser(windows_k[..., ::-1], axis=-1)
    else:
        index = chooser(windows_k, axis=-1)
    return np.take_along_axis(windows_v, index[..., None], axis=-1)[..., 0]


def prev_match(value: np.ndarray, query: np.ndarray, key: np.ndarray) -> np.ndarray:
    """value[j] at the last j < t with key[j] == query[t]; 0 if there is none."""
    out = np.zeros_like(value)
    for t in range(1, value.shape[1]):
        match = key[:, :t] == query[:, t : t + 1]
        last = np.where(match.any(axis=1), t - 1 - np.argmax(match[:, ::-1], axis=1), -1)
        out[:, t] = np.where(last >= 0, value[np.arange(value.shape[0]), np.maximum(last, 0)], 0.0)
    return out


def _ple(values: np.ndarray, bins: int, limit: float) -> np.ndarray:
    edges = np.linspace(-limit, limit, bins + 1)
    ramps = np.clip((values[..., None] - edges[:-1]) / (edges[1] - edges[0]), 0.0, 1.0)
    return np.concatenate([ramps, values[..., None]], axis=-1)


def attend_values(w: Any, q: np.ndarray, k: np.ndarray, v: np.ndarray) -> np.ndarray:
    """A hardened head's output from its weights (ir.HeadWeights): arg-max over pads + history."""
    batch, steps = q.shape
    zeros = np.zeros((batch, w.pad))
    k_pad, v_pad = np.concatenate([zeros, k], axis=1), np.concatenate([zeros, v], axis=1)
    qv = _ple(q, w.ple_bins, w.ple_range) @ w.q_weight.T + w.q_bias  # [B, T, d]
    kv = _ple(k_pad, w.ple_bins, w.ple_range) @ w.k_weight.T + w.k_bias  # [B, S, d]
    scores = qv @ kv.transpose(0, 2, 1) / np.sqrt(w.q_bias.shape[0])
    distance = np.arange(steps)[:, None] + w.pad - np.arange(steps + w.pad)[None, :]
    scores = scores + w.rel_bias[np.clip(distance, 0, None)]
    scores = np.where(distance[None] >= 0, scores, -np.inf)
    index = np.argmax(scores, axis=-1)
    return np.take_along_axis(v_pad, index, axis=1)


def evaluate_rule(
    rule: sympy.Expr,
    inputs: Mapping[str, np.ndarray],
    nodes: Mapping[str, np.ndarray] | None = None,
) -> np.ndarray:
    """A rule over x_sym/y_sym symbols evaluated on sequences (reads before the start are 0).

    ``nodes`` gives the values of node symbols left opaque in the rule (without it such a
    symbol is an error).
    """
    from w2c.compiler.algebra import is_task_symbol
    from w2c.tasks import parse_symbol

    symbols = sorted(rule.free_symbols, key=lambda s: s.name)
    fn = sympy.lambdify(symbols, rule, modules="numpy")
    args = []
    for symbol in symbols:
        if nodes is not None and not is_task_symbol(symbol):
            args.append(nodes[symbol.name])
            continue
        channel, lag = parse_symbol(symbol)  # type: ignore[arg-type]
        args.append(shift(inputs[channel], lag))
    shape = next(iter(inputs.values())).shape
    with np.errstate(all="ignore"):
        return np.broadcast_to(np.asarray(fn(*args), dtype=float), shape).copy()
