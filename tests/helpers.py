"""Shared builders for tests: tiny checkpoints and hand-hardened models, no training."""

from __future__ import annotations

from typing import Any

import numpy as np
import torch

import w2c
from w2c.compiler.ir import IR, Input, Node, Output, TaskInfo, Traces
from w2c.compiler.pipeline import Context
from w2c.network import checkpoint
from w2c.network.config import LayerSpec, ModelConfig
from w2c.network.train import History, fit_output_head
from w2c.network.transformer import DiscreteTransformer
from w2c.tasks import IntRange, RealInterval, Task

HISTORY = History(step=[0, 1], tau=[10.0, 0.1], soft=[1.0, 0.1], hard=[1.0, 0.1])
HISTORY.delta = [0.0, 0.0]
HISTORY.agreement_prev = [1.0, 1.0]
HISTORY.agreement_final = [1.0, 1.0]


def training_record() -> dict[str, Any]:
    return {
        "seed": 0,
        "steps": 2,
        "polish_steps": 0,
        "batch": 8,
        "lr": 0.01,
        "tau_start": 10.0,
        "tau_end": 0.1,
        "seconds": 0.1,
        "attempts": 1,
        "final_soft_loss": 0.1,
        "final_hard_loss": 0.1,
        "exact_fraction": 1.0,
        "rel_mse": 0.0,
        "size": "1h0m hidden=8",
        "history": HISTORY.arrays(),
    }


def config_for(task: Task, heads: int = 1, mlps: int = 0, layers: int = 1) -> ModelConfig:
    names = task.model_inputs
    return ModelConfig(
        input_names=names,
        input_scales=tuple(1.0 for _ in names),
        output_scale=1.0,
        length=task.length,
        layers=tuple(LayerSpec(heads, mlps) for _ in range(layers)),
        outputs=task.n_outputs,
    )


def pointer_model(task: Task, offsets: list[tuple[int, int]], seed: int = 0) -> DiscreteTransformer:
    """A hardened model whose heads are exact fixed-offset pointers.

    ``offsets`` holds (variable index read as value, offset) per head of one layer; the output
    head is then fitted by least squares on the task, so the model computes the best linear
    function of its inputs and those shifted copies.
    """
    torch.manual_seed(seed)
    model = DiscreteTransformer(config_for(task, heads=len(offsets)))
    layer = model.layers[0]
    with torch.no_grad():
        layer.q_weight.zero_()
        layer.k_weight.zero_()
        layer.rel_bias.fill_(-50.0)
        layer.head_read.fill_(-5.0)
        for h, (variable, offset) in enumerate(offsets):
            layer.head_read[h, :, variable] = 5.0
            layer.rel_bias[h, offset] = 50.0
    fit_output_head(model, task, np.random.default_rng(seed))
    return model


def checkpoint_dict(model: DiscreteTransformer, task: Task) -> dict[str, Any]:
    return checkpoint.build(model, task, training_record(), w2c.__version__)


def linear_ir(c: float, discrete: bool) -> tuple[IR, Context]:
    """The lowered IR and context of a model computing y[t] = c * x[t], traced on 64 sequences
    (x in 0..9 for an integer task, in [-1, 1] for a real one): a hand-built simplify input."""
    domain = IntRange(0, 10) if discrete else RealInterval(-1.0, 1.0)
    task = Task("linear", (domain,), lambda x: c * x[..., 0])
    info = TaskInfo(task.name, ("x",), False, task.length, task.discrete)
    nodes = (Node("x", Input("x", 0)), Node("out", Output((("x", c),), 0.0, 1.0)))
    rng = np.random.default_rng(0)
    shape = (64, task.length)
    x = rng.integers(0, 10, shape).astype(float) if discrete else rng.uniform(-1, 1, shape)
    traces = Traces({"x": x}, {"x": x, "out": c * x, "y": c * x}, {}, shape[0])
    return IR(info, nodes, "out"), Context(traces, task)
