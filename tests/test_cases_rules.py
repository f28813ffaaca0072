"""Rules on a finite domain: heads and sub-MLPs no pattern or formula explains, built by hand.

Each model's weights implement a known rule (a head that copies a value or reads a pad
depending on a bit; a sub-MLP whose values follow no formula of the regression library), so the
oracle is the task's own definition and the hardened network, not the compiler's output. The
compiled program must be free of weight dumps, verified against both, and name the rule.
"""

from __future__ import annotations

import dataclasses

import numpy as np
import sympy
import torch

from helpers import checkpoint_dict
from w2c.compiler import compile_model
from w2c.compiler.ir import Attend, DecisionList
from w2c.network.checkpoint import save
from w2c.network.config import LayerSpec, ModelConfig
from w2c.network.transformer import DiscreteTransformer
from w2c.tasks import Bits, IntRange, Task, x_sym, y_sym

GATE = 10.0  # a key of 1 costs this much score
HERE = 5.0  # the current position's relative-position bonus


def _read(logits: torch.Tensor, var: int) -> None:
    logits.fill_(-10.0)
    logits[..., var] = 10.0


def _model(
    inputs: tuple[str, ...], layers: list[tuple[int, int]], hidden: int = 2, length: int = 10
):  # type: ignore[no-untyped-def]
    config = ModelConfig(
        input_names=inputs,
        input_scales=(1.0,) * len(inputs),
        output_scale=1.0,
        length=length,
        layers=tuple(LayerSpec(h, m) for h, m in layers),
        mlp_hidden=hidden,
    )
    return DiscreteTransformer(config)


def _gated_head(layer, head: int, q: int, k: int, v: int) -> None:  # type: ignore[no-untyped-def]
    """v[t] when k[t] == 0, else a pad (0): score = HERE at distance 0, minus GATE * key.

    Every other slot scores -GATE * key <= 0, so with k[t] = 1 the earliest slot of the best
    ones wins, and that is always the first pad (key 0).
    """
    _read(layer.head_read[head, 0], q)
    _read(layer.head_read[head, 1], k)
    _read(layer.head_read[head, 2], v)
    for name in ("q_weight", "k_weight", "q_bias", "k_bias", "rel_bias"):
        getattr(layer, name)[head].zero_()
    dim = layer.q_bias.shape[1]
    layer.q_bias[head, 0] = -GATE * np.sqrt(dim)
    layer.k_weight[head, 0, -1] = 1.0  # the key's raw value
    layer.rel_bias[head, 0] = HERE


def _compile(model: DiscreteTransformer, task: Task, tmp_path):  # type: ignore[no-untyped-def]
    path = save(checkpoint_dict(model.eval(), task), tmp_path / f"{task.name}.pt")
    return compile_model(path, task=task)


def _after(compiled, stage: str, name: str):  # type: ignore[no-untyped-def]
    """The op of node ``name`` in the IR after pass ``stage``."""
    return dict(compiled.report.stages)[stage].node(name).op


AND = Task(
    "and_gate",
    (Bits(), Bits()),
    lambda x: x[..., 0] * x[..., 1],
    channels=("a", "b"),
    reference=x_sym(0, "a") * x_sym(0, "b"),
    length=6,  # every sequence is checked
)


@torch.no_grad()
def test_a_gated_head_over_inputs_is_a_decision_list(tmp_path) -> None:  # type: ignore[no-untyped-def]
    # head = b[t] if (1 - a)[t]... read as: b[t] where a[t] == 0, else a pad; y = b - head
    model = _model(("a", "b"), [(1, 0)], length=AND.length)
    _gated_head(model.layers[0], 0, q=1, k=0, v=1)  # gated on the key, not the query
    model.out_weight.copy_(torch.tensor([0.0, 1.0, -1.0]))
    model.out_bias.zero_()
    compiled = _compile(model, AND, tmp_path)
    report = compiled.report
    assert report.fallbacks == ()
    assert report.verification.correctness.passed and report.verification.fidelity.passed
    assert report.exit_code == 0
    assert "_PARAMS_" not in compiled.source
    head = _after(compiled, "attention_patterns", "attn_L0H0")
    assert isinstance(head, DecisionList), head
    assert head.describe() == "if a[t] == 0: shift b by 0; else: expr 0"
    assert sympy.expand(compiled.ir.node("y").op.rule - AND.reference) == 0


def _cumulative_parity(x: np.ndarray) -> np.ndarray:
    return (np.cumsum(x[..., 0], axis=1) % 2).astype(float)


PARITY = Task(
    "cumulative_parity",
    (Bits(),),
    _cumulative_parity,
    feedback=True,
    output=IntRange(0, 2),
    reference=sympy.Mod(x_sym(0) + y_sym(1), 2),
)


@torch.no_grad()
def test_unmatched_feedback_heads_compile_to_the_textbook_rule(tmp_path) -> None:  # type: ignore[no-untyped-def]
    # the shape training finds: x[t] where y[t-1] == 0, and y[t-1] where x[t] == 0; y = sum
    model = _model(("x", "y_prev"), [(2, 0)])
    layer = model.layers[0]
    _gated_head(layer, 0, q=0, k=1, v=0)
    _gated_head(layer, 1, q=1, k=0, v=1)
    model.out_weight.copy_(torch.tensor([0.0, 0.0, 1.0, 1.0]))
    model.out_bias.zero_()
    compiled = _compile(model, PARITY, tmp_path)
    report = compiled.report
    assert report.fallbacks == ()
    assert report.verification.correctness.passed and report.verification.fidelity.passed
    rule = compiled.ir.node("y").op.rule
    x, y1 = x_sym(0), y_sym(1)
    assert sympy.expand(rule - (x + y1 - 2 * x * y1)) == 0
    first, second = (_after(compiled, "attention_patterns", f"attn_L0H{h}") for h in (0, 1))
    assert first.describe() == "if y_prev[t] == 0: shift x by 0; else: expr 0"
    assert second.describe() == "if x[t] == 0: shift y_prev by 0; else: expr 0"


@torch.no_grad()
def test_a_feedback_head_no_rule_explains_stays_a_faithful_fallback(tmp_path) -> None:  # type: ignore[no-untyped-def]
    # x at the largest y[t-1] among t-6..t-2, ties by a random preference over distances: no
    # pattern, and no decision list over reads at t, t-1, t-2 says that (length 7: a fallback
    # program is slow to verify)
    task = dataclasses.replace(PARITY, length=7)
    model = _model(("x", "y_prev"), [(1, 0)], length=task.length)
    layer = model.layers[0]
    _read(layer.head_read[0, 0], 0)
    _read(layer.head_read[0, 1], 1)
    _read(layer.head_read[0, 2], 0)
    for name in ("q_weight", "k_weight", "q_bias", "k_bias", "rel_bias"):
        getattr(layer, name)[0].zero_()
    layer.q_bias[0, 0] = GATE * np.sqrt(layer.q_bias.shape[1])
    layer.k_weight[0, 0, -1] = 1.0
    generator = torch.Generator().manual_seed(1)
    layer.rel_bias[0] = torch.rand(layer.rel_bias.shape[1], generator=generator) - 0.5
    layer.rel_bias[0, :2] = -100.0
    model.out_weight.copy_(torch.tensor([1.0, 0.0, 1.0]))
    model.out_bias.zero_()
    compiled = _compile(model, task, tmp_path)
    report = compiled.report
    assert isinstance(_after(compiled, "attention_patterns", "attn_L0H0"), Attend)
    assert report.fallbacks == ("attn_L0H0",)
    assert report.verification.fidelity.passed  # the emitted fallback is the model
    assert report.exit_code in (1, 3)  # never 70: correct or not, it is written


OR = Task(
    "or_gate",
    (Bits(), Bits()),
    lambda x: np.maximum(x[..., 0], x[..., 1]),
    channels=("a", "b"),
    reference=x_sym(0, "a") + x_sym(0, "b") - x_sym(0, "a") * x_sym(0, "b"),
    length=6,
)


@torch.no_grad()
def test_an_exact_decision_list_beats_a_pattern_right_only_where_it_matters(tmp_path) -> None:  # type: ignore[no-untyped-def]
    # head = b[t] where a[t] == 0, else a pad; y = min(a + head, 1). Copying b[t] everywhere
    # (wrong where a = b = 1) leaves every output unchanged, yet the exact rule is the gate
    model = _model(("a", "b"), [(1, 1)], length=OR.length)
    layer = model.layers[0]
    _gated_head(layer, 0, q=1, k=0, v=1)
    _read(layer.mlp_read[0, 0], 0)
    _read(layer.mlp_read[0, 1], 2)
    layer.w1[0] = torch.tensor([[1.0, 1.0], [1.0, 1.0]])
    layer.b1[0] = torch.tensor([0.0, -1.0])
    layer.w2[0] = torch.tensor([1.0, -1.0])
    layer.b2.zero_()
    model.out_weight.copy_(torch.tensor([0.0, 0.0, 0.0, 1.0]))
    model.out_bias.zero_()
    compiled = _compile(model, OR, tmp_path)
    report = compiled.report
    assert report.fallbacks == () and report.exit_code == 0
    head = _after(compiled, "attention_patterns", "attn_L0H0")
    assert head.describe() == "if a[t] == 0: shift b by 0; else: expr 0"
    assert sympy.expand(compiled.ir.node("y").op.rule - OR.reference) == 0
