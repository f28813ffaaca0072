"""The hardened network as float64 arrays, and its arithmetic with error bounds.

The network proof (w2c/verify/network.py) evaluates the hardened model itself, not the IR: every
read is the argmax of its logits, every weight the float64 value ``w2c verify`` runs. Each value
is a centre plus a radius that bounds the distance to the model's own float64 result, whatever
the summation order or FMA use of its matrix products (Higham's gamma bounds, doubled: ours
and the model's both lie within them of the exact value). docs/verification.md, "The network
proof".
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np

from w2c.tasks import Task, feedback_input

MAX_MAGNITUDE = 1e150  # a bound on every value, so no variable (read or not) can overflow
UNIT = 2.0**-53  # float64 unit roundoff


class Unproved(Exception):
    """The proof does not apply or ran out of budget; the message says which."""


def gamma(n: int) -> float:
    """Higham's gamma_n, doubled: |fl(sum of n products) - exact| <= this * sum |products|,
    for the model's order and for ours."""
    return 2.0 * n * UNIT / (1.0 - n * UNIT)


@dataclass(frozen=True)
class Head:
    q: int
    k: int
    v: int
    q_weight: np.ndarray  # [d, bins + 1]
    q_bias: np.ndarray
    k_weight: np.ndarray
    k_bias: np.ndarray
    rel_bias: np.ndarray  # [T + pad]
    name: str


@dataclass(frozen=True)
class Mlp:
    operands: tuple[int, ...]
    w1: np.ndarray  # [k, hidden]
    b1: np.ndarray
    w2: np.ndarray  # [hidden]
    b2: float
    name: str


@dataclass
class Net:
    inputs: list[tuple[str, int]]  # per input variable: ("x", channel) or ("y", output)
    scales: list[float]
    nodes: list[Head | Mlp | None]  # variable n_inputs + j; None: pruned, always 0
    out_weight: np.ndarray  # [width]
    out_bias: float
    out_scale: float
    bins: int
    limit: float
    dim: int
    pad: int

    @property
    def n_inputs(self) -> int:
        return len(self.inputs)

    def node(self, variable: int) -> Head | Mlp | None:
        return self.nodes[variable - self.n_inputs]


def hardened_network(model: Any, task: Task) -> Net:
    """The hardened model's reads (argmax), weights (float64) and structure."""
    import torch

    cfg = model.config
    names = list(cfg.input_names)
    fed = {feedback_input(o): k for k, o in enumerate(task.outputs)} if task.feedback else {}
    inputs = []
    for name in names:
        if name in task.channels:
            inputs.append(("x", task.channels.index(name)))
        elif name in fed:
            inputs.append(("y", fed[name]))
        else:
            raise Unproved(f"the model reads an input {name!r} the task does not have")
    dead = set(model.dead_variables()) if model.pruned else set()

    def array(tensor: torch.Tensor) -> np.ndarray:
        return tensor.detach().to(torch.float64).numpy().copy()

    def reads(logits: torch.Tensor) -> np.ndarray:
        if model.pruned:
            logits = logits + model._read_bias(logits.shape[-1])
        return logits.detach().argmax(-1).numpy()

    nodes: list[Head | Mlp | None] = []
    for index, spec in enumerate(cfg.layers):
        layer = model.layers[index]
        first = cfg.width_before(index)
        if spec.heads:
            read = reads(layer.head_read)
            for h in range(spec.heads):
                q, k, v = (int(i) for i in read[h])
                head = Head(
                    q,
                    k,
                    v,
                    array(layer.q_weight[h]),
                    array(layer.q_bias[h]),
                    array(layer.k_weight[h]),
                    array(layer.k_bias[h]),
                    array(layer.rel_bias[h]),
                    f"attn_L{index}H{h}",
                )
                nodes.append(None if first + h in dead else head)
        if spec.mlps:
            read = reads(layer.mlp_read)
            for m in range(spec.mlps):
                mlp = Mlp(
                    tuple(int(i) for i in read[m]),
                    array(layer.w1[m]),
                    array(layer.b1[m]),
                    array(layer.w2[m]),
                    float(layer.b2[m].detach()),
                    f"mlp_L{index}M{m}",
                )
                nodes.append(None if first + spec.heads + m in dead else mlp)
    weight = array(model.out_weight).reshape(task.n_outputs, -1)[0]
    for variable in dead:
        weight[variable] = 0.0
    bias = float(array(model.out_bias).reshape(-1)[0])
    net = Net(
        inputs,
        [float(s) for s in cfg.input_scales],
        nodes,
        weight,
        bias,
        float(cfg.output_scale),
        int(cfg.ple_bins),
        float(cfg.ple_range),
        int(cfg.attn_dim),
        int(cfg.pad),
    )
    _check_magnitudes(net, task)
    return net


def _check_magnitudes(net: Net, task: Task) -> None:
    """Every variable stays finite: a crude bound through the layers, with finite weights.

    Variables the output does not read are never evaluated, but the model still computes them
    (and multiplies them by 0): an infinity there would make its output NaN.
    """
    params = [net.out_weight, np.array([net.out_bias, net.out_scale])]
    for node in net.nodes:
        if isinstance(node, Head):
            params += [node.q_weight, node.q_bias, node.k_weight, node.k_bias, node.rel_bias]
        elif isinstance(node, Mlp):
            params += [node.w1, node.b1, node.w2, np.array([node.b2])]
    if not all(np.all(np.isfinite(p)) for p in params):
        raise Unproved("the model has a weight that is not finite")
    bound = []
    for (kind, index), scale in zip(net.inputs, net.scales, strict=True):
        domain = task.inputs[index] if kind == "x" else task.output
        lo, hi = domain.bounds  # type: ignore[union-attr]
        bound.append(max(abs(lo), abs(hi), 1.0) / abs(scale))
    for node in net.nodes:
        if isinstance(node, Mlp):
            inner = len(node.operands) * max(bound) * float(np.max(np.abs(node.w1), initial=0))
            inner += float(np.max(np.abs(node.b1), initial=0))
            value = inner * float(np.sum(np.abs(node.w2))) + abs(node.b2)
            bound.append(value)
        else:
            bound.append(max(bound))
        if bound[-1] > MAX_MAGNITUDE:
            raise Unproved("the model's values are not bounded well inside float64")


def ple(
    centre: np.ndarray, radius: np.ndarray, weight: np.ndarray, bias: np.ndarray, net: Net
) -> tuple[np.ndarray, np.ndarray]:
    """``weight @ PLE(x) + bias`` as the model computes it (w2c/network/transformer.py
    ``ple_linear``): [N] values -> [N, d] centres and radii.

    Computed once per distinct value (a value's widest radius bounds all its copies)."""
    if len(centre) > 256:
        distinct, inverse = np.unique(centre, return_inverse=True)
        inverse = inverse.reshape(-1)
        if len(distinct) < len(centre) // 2:
            widest = np.zeros(len(distinct))
            np.maximum.at(widest, inverse, radius)
            out, error = ple(distinct, widest, weight, bias, net)
            return out[inverse], error[inverse]
    bins, limit = net.bins, net.limit
    width = 2.0 * limit / bins
    position = (centre + limit) / width
    index = np.clip(np.floor(position), 0, bins - 1).astype(np.int64)
    fraction = np.clip(position - index, 0.0, 1.0)
    columns = weight.T  # [bins + 1, d]
    running = np.concatenate([np.zeros_like(columns[:1]), np.cumsum(columns[:bins], axis=0)])
    out = running[index] + fraction[:, None] * columns[index] + centre[:, None] * columns[bins]
    out = out + bias
    # slope of the encoding: |column of x's bin| / width + |the x column|; plus the rounding
    lipschitz = np.max(np.abs(columns[:bins]), axis=0) / width + np.abs(columns[bins])
    scale = np.sum(np.abs(columns[:bins]), axis=0) + np.abs(centre)[:, None] * np.abs(columns[bins])
    error = radius[:, None] * lipschitz + gamma(bins + 4) * (scale + np.abs(bias))
    return out, error


def score(
    qv: np.ndarray, qe: np.ndarray, kv: np.ndarray, ke: np.ndarray, dim: int
) -> tuple[np.ndarray, np.ndarray]:
    """q.k / sqrt(d) and its error bound, broadcasting over the leading axes."""
    root = math.sqrt(dim)
    dot = np.sum(qv * kv, axis=-1) / root
    magnitude = np.sum((np.abs(qv) + qe) * (np.abs(kv) + ke), axis=-1)
    spread = np.sum(np.abs(qv) * ke + np.abs(kv) * qe + qe * ke, axis=-1)
    error = (spread + gamma(dim + 2) * magnitude) / root + 4 * UNIT * np.abs(dot)
    return dot, error


def biased(dot: np.ndarray, error: np.ndarray, bias: float) -> tuple[np.ndarray, np.ndarray]:
    """score + relative-position bias, with the addition's rounding (both sides)."""
    return dot + bias, error + 4 * UNIT * (np.abs(dot) + abs(bias)) + 1e-300


def mlp_forward(
    mlp: Mlp, centres: list[np.ndarray], radii: list[np.ndarray]
) -> tuple[np.ndarray, np.ndarray]:
    """relu(u @ w1 + b1) @ w2 + b2 for [N] operands, with the error of any summation order."""
    u = np.stack(centres, axis=-1)  # [N, k]
    ru = np.stack(radii, axis=-1)
    k, hidden = mlp.w1.shape
    z = u @ mlp.w1 + mlp.b1
    rz = ru @ np.abs(mlp.w1) + gamma(k + 1) * ((np.abs(u) + ru) @ np.abs(mlp.w1) + np.abs(mlp.b1))
    h = np.maximum(z, 0.0)
    out = h @ mlp.w2 + mlp.b2
    magnitude = (h + rz) @ np.abs(mlp.w2) + abs(mlp.b2)
    error = rz @ np.abs(mlp.w2) + gamma(hidden + 1) * magnitude
    return out, error
