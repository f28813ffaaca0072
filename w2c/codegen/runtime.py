"""Helpers embedded in emitted programs, written here as real Python functions.

Each helper's source is taken with ``inspect.getsource`` and parsed into the program with
libcst, so the helpers can be read, linted and tested like any other code; they read no
checkpoint data. The per-node fallbacks (a sub-MLP's or a head's exact hardened computation)
are built from the node's weights, every number a libcst literal.
"""

from __future__ import annotations

import functools
import inspect
from collections.abc import Callable
from typing import Any

import libcst as cst
import numpy as np

from w2c.codegen.build import assign, call, docstring, float_list, integer, line, method, name


def _window_pick(values, keys, t, z, delta, largest, last):
    """values[j] at the arg-max (largest) or arg-min of keys, j in t-delta-z+1..t-delta.

    Positions before the start read 0.
    """
    best_key = None
    best_value = 0
    for j in range(t - delta - z + 1, t - delta + 1):
        key = keys[j] if j >= 0 else 0
        value = values[j] if j >= 0 else 0
        better = best_key is None or (key > best_key if largest else key < best_key)
        if better or (last and key == best_key):
            best_key, best_value = key, value
    return best_value


def _fallback_attend(params, queries, keys, values, t):
    """FALLBACK: an unresolved head's exact hardened computation (arg-max attention).

    Scores every pad (pad zero slots before position 0) and every position up to t.
    """
    import numpy as np

    bins, limit, pad = params["bins"], params["range"], params["pad"]
    edges = np.linspace(-limit, limit, bins + 1)

    def encode(v):
        ramps = np.clip((v - edges[:-1]) / (edges[1] - edges[0]), 0.0, 1.0)
        return np.append(ramps, v)

    q = np.array(params["q_weight"]) @ encode(queries[t]) + np.array(params["q_bias"])
    k_weight, k_bias = np.array(params["k_weight"]), np.array(params["k_bias"])
    scale = np.sqrt(len(params["q_bias"]))
    best_score, best_value = None, 0.0
    for j in range(-pad, t + 1):
        key = keys[j] if j >= 0 else 0.0
        score = float(q @ (k_weight @ encode(key) + k_bias)) / scale
        score += params["rel_bias"][t - j]
        if best_score is None or score > best_score:
            best_score, best_value = score, (values[j] if j >= 0 else 0.0)
    return best_value


def _prev_match(values, keys, query, t):
    """values[j] at the last j < t with keys[j] == query; 0 if there is none."""
    for j in range(t - 1, -1, -1):
        if keys[j] == query:
            return values[j]
    return 0


HELPERS: dict[str, Callable[..., Any]] = {
    f.__name__: f for f in (_window_pick, _fallback_attend, _prev_match)
}


@functools.cache
def helper(function_name: str) -> cst.FunctionDef:
    """A helper of this module as a libcst function definition, ready to embed."""
    module = cst.parse_module(inspect.getsource(HELPERS[function_name]))
    statement = module.body[0]
    assert isinstance(statement, cst.FunctionDef)
    return statement


def mlp_fallback(node_name: str, op: Any) -> cst.FunctionDef:
    """The hardened sub-MLP (ir.SubMLP) as NumPy: relu(u @ w1 + b1) @ w2 + b2, exact weights."""
    params = [cst.Param(name(f"u{i}")) for i in range(len(op.inputs))]
    inputs = cst.List([cst.Element(name(f"u{i}")) for i in range(len(op.inputs))])
    body = [
        docstring(
            f"FALLBACK (unresolved sub-MLP {node_name}): the hardened network's exact computation."
        ),
        line(cst.Import([cst.ImportAlias(name("numpy"), cst.AsName(name("np")))])),
        assign("w1", method("np", "array", float_list(op.w1))),
        assign("b1", method("np", "array", float_list(op.b1))),
        assign("w2", method("np", "array", float_list(op.w2))),
        assign(
            "hidden",
            method(
                "np",
                "maximum",
                cst.BinaryOperation(
                    cst.BinaryOperation(
                        method("np", "array", inputs), cst.MatrixMultiply(), name("w1")
                    ),
                    cst.Add(),
                    name("b1"),
                ),
                cst.Float("0.0"),
            ),
        ),
        line(
            cst.Return(
                call(
                    name("float"),
                    cst.BinaryOperation(
                        cst.BinaryOperation(name("hidden"), cst.MatrixMultiply(), name("w2")),
                        cst.Add(),
                        float_list(np.array(op.b2)),
                    ),
                )
            )
        ),
    ]
    return cst.FunctionDef(
        name=name(f"_fallback_{node_name}"),
        params=cst.Parameters(params),
        body=cst.IndentedBlock(body),
    )


def head_params(weights: Any) -> cst.Dict:
    """A dict literal of a head's parameters (ir.HeadWeights; numbers only)."""

    def entry(key: str, value: cst.BaseExpression) -> cst.DictElement:
        return cst.DictElement(cst.SimpleString(repr(key)), value)

    return cst.Dict(
        [
            entry("bins", integer(weights.ple_bins)),
            entry("range", float_list(np.array(weights.ple_range))),
            entry("pad", integer(weights.pad)),
            entry("q_weight", float_list(weights.q_weight)),
            entry("q_bias", float_list(weights.q_bias)),
            entry("k_weight", float_list(weights.k_weight)),
            entry("k_bias", float_list(weights.k_bias)),
            entry("rel_bias", float_list(weights.rel_bias)),
        ]
    )
