"""Lowering: a hardened Discrete Transformer becomes IR nodes plus trace tables.

The traces are every node's values on a sample of task inputs, run closed-loop for feedback
tasks (the model's own outputs fed back, on the task's output grid), so passes see exactly what
the hardened model computes. Each output head becomes one Output node, named after its output.
Bit-like tasks whose full input space is small are traced on every sequence; others on a seeded
random sample plus edge sequences (constant sequences at the domains' bounds: every combination
for up to six channels, else all-low, all-high and each channel alone at the other bound, so
their number grows linearly, not as 2^channels).
"""

from __future__ import annotations

import itertools

import numpy as np
import sympy
import torch

from w2c.compiler.ir import (
    IR,
    Attend,
    Expr,
    HeadWeights,
    Input,
    Node,
    Output,
    SubMLP,
    Traces,
    sym,
    task_info,
)
from w2c.network.checkpoint import Checkpoint
from w2c.network.transformer import DiscreteTransformer, LayerTrace
from w2c.tasks import IntRange, Task, feedback_input, shift

EXHAUSTIVE_TRACE_LIMIT = 4096
MAX_EDGE_SEQUENCES = 64  # every corner of the bounds up to this many (six two-sided channels)


def trace_inputs(task: Task, samples: int, seed: int) -> np.ndarray:
    """x[B, T, C]: every sequence when few, else random draws plus constant edge sequences."""
    domains = task.inputs
    if all(isinstance(d, IntRange) for d in domains):
        count = 1
        for d in domains:
            count *= d.size**task.length
        if count <= EXHAUSTIVE_TRACE_LIMIT:
            points = list(itertools.product(*[d.values() for d in domains]))
            grid = itertools.product(points, repeat=task.length)
            return np.array(list(grid), dtype=np.float64)
    rng = np.random.default_rng(seed)
    x = task.sample(rng, samples)
    corners = edge_points(task)
    edges = np.broadcast_to(corners[:, None, :], (len(corners), task.length, len(domains)))
    return np.concatenate([x, edges], axis=0)


def edge_points(task: Task) -> np.ndarray:
    """[E, C] per-position values of the constant edge sequences, in a fixed order.

    Every combination of the channels' bounds when there are at most MAX_EDGE_SEQUENCES;
    otherwise all channels low, all high, and each channel alone at its other bound (2 + 2C).
    """
    bounds = [sorted(set(d.bounds)) for d in task.inputs]
    count = 1
    for values in bounds:
        count *= len(values)
    if count <= MAX_EDGE_SEQUENCES:
        return np.array(list(itertools.product(*bounds)), dtype=np.float64)
    low = [values[0] for values in bounds]
    high = [values[-1] for values in bounds]
    rows = [low, high]
    for c in range(len(bounds)):
        rows.append([*low[:c], high[c], *low[c + 1 :]])
        rows.append([*high[:c], low[c], *high[c + 1 :]])
    return np.unique(np.array(rows, dtype=np.float64), axis=0)


def _closed_loop(model: DiscreteTransformer, task: Task, x: np.ndarray) -> tuple[np.ndarray, ...]:
    """(model outputs, fed-back outputs), each [B, T, K], with the model in float64."""
    xt = torch.from_numpy(x)
    y = model.run_closed_loop(xt, task.feedback, task.output_grid).numpy()
    y = y.reshape(*x.shape[:2], task.n_outputs)
    return y, task.quantise(y)


def lower(
    checkpoint: Checkpoint, task: Task, samples: int = 2048, seed: int = 0
) -> tuple[IR, Traces]:
    """The IR of the checkpoint's hardened model and its trace tables on ``task``'s inputs."""
    model = DiscreteTransformer(checkpoint.config)
    model.load_state_dict(checkpoint.model.state_dict())
    model = model.double().eval()
    cfg = model.config
    x = trace_inputs(task, samples, seed)
    with torch.no_grad():
        y, fed = _closed_loop(model, task, x)
        stream_in = np.concatenate([x, shift(fed, 1)], axis=-1) if task.feedback else x
        layer_traces: list[LayerTrace] = []
        model.residual_stream(torch.from_numpy(stream_in), mode="hard", traces=layer_traces)

    inputs = {c: x[..., i] for i, c in enumerate(task.channels)}
    if task.feedback:
        inputs.update({o: fed[..., k] for k, o in enumerate(task.outputs)})
    fed_back = {feedback_input(o): o for o in task.outputs} if task.feedback else {}
    nodes: list[Node] = []
    values: dict[str, np.ndarray] = {}
    stream: list[str] = []  # stream variable index -> node name

    for index, name in enumerate(cfg.input_names):
        op = Input(fed_back[name], 1) if name in fed_back else Input(name, 0)
        nodes.append(Node(name, op))
        values[name] = stream_in[..., index]
        scale = cfg.input_scales[index]
        if scale != 1.0:
            scaled = f"{name}_scaled"
            factor = 1 / sympy.nsimplify(scale, rational=True)
            nodes.append(Node(scaled, Expr(factor * sym(name), (name,))))
            values[scaled] = values[name] / scale
            stream.append(scaled)
        else:
            stream.append(name)

    attention: dict[str, np.ndarray] = {}
    for layer_index, (spec, trace) in enumerate(zip(cfg.layers, layer_traces, strict=True)):
        layer = model.layers[layer_index]
        new_names: list[str] = []
        for h in range(spec.heads):
            name = f"attn_L{layer_index}H{h}"
            q, k, v = (stream[i] for i in trace.head_reads[h].tolist())
            weights = HeadWeights(
                q_weight=layer.q_weight[h].detach().numpy().copy(),
                q_bias=layer.q_bias[h].detach().numpy().copy(),
                k_weight=layer.k_weight[h].detach().numpy().copy(),
                k_bias=layer.k_bias[h].detach().numpy().copy(),
                rel_bias=layer.rel_bias[h].detach().numpy().copy(),
                ple_bins=cfg.ple_bins,
                ple_range=cfg.ple_range,
                pad=cfg.pad,
            )
            nodes.append(Node(name, Attend(q, k, v, layer_index, h, weights)))
            values[name] = trace.outputs[..., h].numpy()
            attention[name] = trace.attention[:, h, :].numpy() - cfg.pad
            new_names.append(name)
        stream.extend(new_names)
        for m in range(spec.mlps):
            name = f"mlp_L{layer_index}M{m}"
            operands = tuple(stream[i] for i in trace.mlp_reads[m].tolist())
            op = SubMLP(
                operands,
                layer_index,
                m,
                w1=layer.w1[m].detach().numpy().copy(),
                b1=layer.b1[m].detach().numpy().copy(),
                w2=layer.w2[m].detach().numpy().copy(),
                b2=float(layer.b2[m].detach()),
            )
            nodes.append(Node(name, op))
            values[name] = trace.outputs[..., spec.heads + m].numpy()
            stream.append(name)

    weights = model.out_weight.detach().numpy().reshape(task.n_outputs, -1)
    biases = model.out_bias.detach().numpy().reshape(task.n_outputs)
    for k, output in enumerate(task.outputs):
        terms = tuple((stream[i], float(w)) for i, w in enumerate(weights[k]))
        nodes.append(Node(output, Output(terms, float(biases[k]), cfg.output_scale)))
        values[output] = y[..., k]
    ir = IR(task_info(task), tuple(nodes), task.outputs)
    return ir, Traces(inputs, values, attention, int(x.shape[0]))
