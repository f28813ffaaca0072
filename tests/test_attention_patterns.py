"""attention_patterns on heads whose hardened weights are built by hand for each pattern.

Each model here has one head whose weights implement a known routing rule (an offset, a window
arg-max or arg-min, the first position, the last earlier equal value); the pass must name that
rule, and must leave a head that follows no rule unresolved. Trained models are covered by
tests/test_compile_corpus.py.
"""

from __future__ import annotations

import numpy as np
import pytest
import torch

from helpers import config_for
from w2c.compiler import compile_model
from w2c.compiler.ir import Attend, FirstPosition, PrevMatch, Shift, WindowArgExtreme
from w2c.compiler.pipeline import Context
from w2c.network.checkpoint import validate
from w2c.network.lower import lower
from w2c.network.train import fit_output_head
from w2c.network.transformer import DiscreteTransformer
from w2c.passes.attention_patterns import PASS
from w2c.tasks import IntRange, Task, shift

NEG = -1e4


def one_head_model(task: Task, configure) -> DiscreteTransformer:  # type: ignore[no-untyped-def]
    """A 1-layer, 1-head model reading x for q, k and v, configured by ``configure(layer)``."""
    cfg = config_for(task, heads=1)
    cfg = type(cfg)(**{**cfg.__dict__, "ple_bins": 16, "ple_range": 8.0, "attn_dim": 20})
    model = DiscreteTransformer(cfg)
    layer = model.layers[0]
    with torch.no_grad():
        layer.head_read.fill_(NEG)
        layer.head_read[0, :, 0] = 10.0
        for name in ("q_weight", "q_bias", "k_weight", "k_bias", "rel_bias"):
            getattr(layer, name).zero_()
        configure(layer)
    fit_output_head(model, task, np.random.default_rng(0))
    return model


def resolve(task: Task, model: DiscreteTransformer) -> tuple[object, dict]:
    from w2c.network.checkpoint import build

    checkpoint = validate(build(model, task, _record(), "0.1.0"))
    ir, traces = lower(checkpoint, task, samples=512)
    resolved = PASS().run(ir, Context(traces, task))
    node = resolved.node("attn_L0H0")
    return node.op, dict(node.evidence)


def _record() -> dict:
    from helpers import training_record

    return training_record()


def copy_task(oracle, lo: int = 0) -> Task:  # type: ignore[no-untyped-def]
    return Task("pattern", (IntRange(lo, 8),), oracle, length=8)


@pytest.mark.parametrize("delta", [0, 1, 3])
def test_fixed_offset(delta: int) -> None:
    task = copy_task(lambda x: shift(x[..., 0], delta))

    def configure(layer) -> None:  # type: ignore[no-untyped-def]
        layer.rel_bias.fill_(-50.0)
        layer.rel_bias[0, delta] = 50.0

    op, evidence = resolve(task, one_head_model(task, configure))
    assert op == Shift("x", delta)
    assert evidence["agreement"] == 1.0


@pytest.mark.parametrize("kind", ["max", "min"])
def test_window_extreme(kind: str) -> None:
    z = 3

    def oracle(x: np.ndarray) -> np.ndarray:
        stacked = np.stack([shift(x[..., 0], k) for k in range(z)], axis=-1)
        return stacked.max(-1) if kind == "max" else stacked.min(-1)

    task = copy_task(oracle)

    def configure(layer) -> None:  # type: ignore[no-untyped-def]
        layer.rel_bias.fill_(-1e3)
        layer.rel_bias[0, :z] = 0.0
        layer.q_bias[0, 0] = 100.0 if kind == "max" else -100.0  # constant query
        layer.k_weight[0, 0, -1] = 1.0  # key = the raw value

    op, evidence = resolve(task, one_head_model(task, configure))
    assert isinstance(op, WindowArgExtreme)
    assert (op.z, op.kind) == (z, kind)
    assert evidence["agreement"] == 1.0


def test_first_position() -> None:
    task = copy_task(lambda x: np.repeat(x[:, :1, 0], x.shape[1], axis=1), lo=1)

    def configure(layer) -> None:  # type: ignore[no-untyped-def]
        layer.rel_bias[0] = torch.arange(layer.rel_bias.shape[1], dtype=torch.float32)
        layer.q_bias[0, 0] = 100.0
        layer.k_weight[0, 0, 8] = 1.0  # ramp of the bin [0, 1]: 0 on the pads, 1 on x >= 1

    op, _ = resolve(task, one_head_model(task, configure))
    assert op == FirstPosition("x")


def test_previous_equal_value() -> None:
    def oracle(x: np.ndarray) -> np.ndarray:
        values = x[..., 0]
        out = np.zeros_like(values)
        for t in range(values.shape[1]):
            for j in range(t - 1, -1, -1):
                hit = (values[:, j] == values[:, t]) & (out[:, t] == 0)
                out[:, t] = np.where(hit, values[:, j], out[:, t])
        return out

    task = copy_task(oracle, lo=1)

    def configure(layer) -> None:  # type: ignore[no-untyped-def]
        # Thermometer codes with unit bins give q.k = 2*min(q, k) - k + 16, which peaks at
        # k == q (score q + 16; the best mismatch scores q + 15). Pads (key 0, never a value
        # here) score q + 15.5: they win exactly when nothing matches. Recency breaks ties
        # between matches, and the current position is excluded.
        bins, raw, ramp_at_0 = 16, 16, 8
        for b in range(bins):
            layer.q_weight[0, b, b] = 2.0
            layer.k_weight[0, b, b] = 1.0
        layer.q_bias[0, 16] = 1.0
        layer.k_weight[0, 16, raw] = -1.0
        layer.q_weight[0, 17, raw] = 1.0  # + q on the pads
        layer.k_weight[0, 17, ramp_at_0] = -1.0
        layer.k_bias[0, 17] = 1.0
        layer.q_bias[0, 18] = -0.5  # - 0.5 on the pads
        layer.k_weight[0, 18, ramp_at_0] = -1.0
        layer.k_bias[0, 18] = 1.0
        layer.rel_bias[0] = -0.01 * torch.arange(layer.rel_bias.shape[1], dtype=torch.float32)
        layer.rel_bias[0, 0] = NEG
        layer.q_weight.mul_(np.sqrt(20.0))  # the network divides scores by sqrt(attn_dim)
        layer.q_bias.mul_(np.sqrt(20.0))

    op, evidence = resolve(task, one_head_model(task, configure))
    assert op == PrevMatch("x", "x", "x"), evidence
    assert evidence["agreement"] == 1.0


def test_head_with_no_pattern_stays_unresolved_and_faithful(tmp_path) -> None:  # type: ignore[no-untyped-def]
    task = copy_task(lambda x: x[..., 0])
    rng = torch.Generator().manual_seed(5)

    def configure(layer) -> None:  # type: ignore[no-untyped-def]
        layer.q_weight.copy_(torch.randn(layer.q_weight.shape, generator=rng) * 3)
        layer.k_weight.copy_(torch.randn(layer.k_weight.shape, generator=rng) * 3)
        layer.rel_bias.copy_(torch.randn(layer.rel_bias.shape, generator=rng))

    model = one_head_model(task, configure)
    with torch.no_grad():  # the output is the head itself, so it cannot be pruned away
        model.out_weight.copy_(torch.tensor([0.0, 1.0]))
        model.out_bias.zero_()
    op, evidence = resolve(task, model)
    assert isinstance(op, Attend) and evidence["method"] == "unmatched"
    # the compiled program embeds the head's exact computation and stays faithful to the model
    from helpers import checkpoint_dict
    from w2c.network.checkpoint import save

    path = save(checkpoint_dict(model, task), tmp_path / "m.pt")
    compiled = compile_model(path, task=task)
    assert compiled.report.fallbacks == ("attn_L0H0",)
    assert compiled.report.verification.fidelity.passed
    assert not compiled.report.verification.correctness.passed  # it is not the copy task
    assert compiled.report.exit_code == 1
