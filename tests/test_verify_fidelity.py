"""Fidelity: the program against the hardened model (closed-loop for feedback tasks).

The models are built by hand: every read is an exact pointer, heads attend at a fixed offset
through their relative-position bias, and sub-MLPs and the output head have exact weights, so
what the model computes is known independently of the compiler.
"""

from __future__ import annotations

import copy
from pathlib import Path

import numpy as np
import pytest
import torch
from test_verify import _evidence, parity, running_max, spring_with, sum_last2

from w2c.corpus import TASKS
from w2c.errors import InputError
from w2c.network.config import LayerSpec, ModelConfig
from w2c.network.train import hardened_outputs
from w2c.network.transformer import DiscreteTransformer
from w2c.tasks import task_from_record
from w2c.verify import verify

SMALL = 10**4


def _model(inputs: list[str], scale: float, layers: list[tuple[int, int]], hidden: int = 2):
    config = ModelConfig(
        input_names=tuple(inputs),
        input_scales=(scale,) * len(inputs),
        output_scale=scale,
        length=10,
        layers=tuple(LayerSpec(h, m) for h, m in layers),
        mlp_hidden=hidden,
    )
    return DiscreteTransformer(config)


def _read(logits: torch.Tensor, var: int) -> None:
    """A read row that is an exact pointer to variable ``var``."""
    logits.fill_(-10.0)
    logits[..., var] = 10.0


def _offset_head(layer, head: int, var: int, offset: int) -> None:
    """Head ``head`` returns variable ``var`` at t - offset (0 before the start)."""
    _read(layer.head_read[head], var)
    for name in ("q_weight", "k_weight", "q_bias", "k_bias", "rel_bias"):
        getattr(layer, name)[head].zero_()
    layer.rel_bias[head, offset] = 10.0


def _head_out(model: DiscreteTransformer, weights: list[float], bias: float = 0.0) -> None:
    model.out_weight.copy_(torch.tensor(weights))
    model.out_bias.fill_(bias)


@torch.no_grad()
def parity_model(offset: int = 1) -> DiscreteTransformer:
    """x[t] xor x[t-offset] = relu(a - b) + relu(b - a) on bits."""
    model = _model(["x"], 1.0, [(1, 1)])
    layer = model.layers[0]
    _offset_head(layer, 0, 0, offset)
    _read(layer.mlp_read[0, 0], 0)
    _read(layer.mlp_read[0, 1], 1)
    layer.w1[0] = torch.tensor([[1.0, -1.0], [-1.0, 1.0]])
    layer.b1.zero_()
    layer.w2[0] = torch.tensor([1.0, 1.0])
    layer.b2.zero_()
    _head_out(model, [0.0, 0.0, 1.0])
    return model.eval()


@torch.no_grad()
def sum_model() -> DiscreteTransformer:
    model = _model(["x"], 100.0, [(1, 0)])
    _offset_head(model.layers[0], 0, 0, 1)
    _head_out(model, [1.0, 1.0])
    return model.eval()


@torch.no_grad()
def running_max_model() -> DiscreteTransformer:
    """max(y[t-1], x[t]) = y_prev + relu(x - y_prev), reading the fed-back output."""
    model = _model(["x", "y_prev"], 100.0, [(0, 1)], hidden=1)
    layer = model.layers[0]
    _read(layer.mlp_read[0, 0], 0)
    _read(layer.mlp_read[0, 1], 1)
    layer.w1[0] = torch.tensor([[1.0], [-1.0]])
    layer.b1.zero_()
    layer.w2[0] = torch.tensor([1.0])
    layer.b2.zero_()
    _head_out(model, [0.0, 1.0, 1.0])
    return model.eval()


@torch.no_grad()
def spring_model(force: float = 1.0) -> DiscreteTransformer:
    """y[t] = y[t-1] - y[t-2] + force * x[t]: y[t-2] is y_prev read at offset 1."""
    model = _model(["x", "y_prev"], 1.0, [(1, 0)])
    _offset_head(model.layers[0], 0, 1, 1)
    _head_out(model, [force, 1.0, -1.0])
    return model.eval()


spring = spring_with(1.0)


def _model_says(model, task, xs) -> list[float]:
    x = np.asarray(xs, dtype=np.float64).reshape(1, len(xs), task.n_channels)
    return hardened_outputs(copy.deepcopy(model).double(), task, x)[0].tolist()


# ---- tests ---------------------------------------------------------------------------------


def test_the_hand_built_models_compute_their_tasks() -> None:
    """Independent of verify: the models agree with the oracles on random sequences."""
    rng = np.random.default_rng(0)
    for name, model in [
        ("parity_last2", parity_model()),
        ("sum_last2", sum_model()),
        ("running_max", running_max_model()),
    ]:
        task = TASKS[name]
        x = task.sample(rng, 200)
        assert np.array_equal(np.rint(hardened_outputs(model, task, x)), task.run_oracle(x))


def test_parity_fidelity_is_exhaustive_over_all_lengths() -> None:
    model = parity_model()
    report = verify(parity, TASKS["parity_last2"], model=model)
    assert report.passed
    assert report.fidelity.strength == "exhaustive"
    assert _evidence(report.fidelity, "exhaustive").lengths == (1, 10)
    assert next(model.parameters()).dtype == torch.float32  # the caller's model is untouched


def test_a_model_that_differs_from_the_task_fails_fidelity_not_correctness() -> None:
    """The model reads x[t-2]: the right program is correct but not faithful."""
    task = TASKS["parity_last2"]
    report = verify(parity, task, model=parity_model(offset=2))
    assert report.correctness.passed and not report.fidelity.passed and not report.passed
    example = _evidence(report.fidelity, "exhaustive").counterexample
    assert example["xs"] == [1, 0]  # at t = 1 the model says 0 xor x[-1] = 0, the task 0 xor 1
    model_y = np.rint(_model_says(parity_model(offset=2), task, example["xs"]))
    assert example["expected"] == model_y.tolist() != example["got"] == parity([1, 0])


def test_sum_last2_fidelity_exhaustive_then_property() -> None:
    report = verify(sum_last2, TASKS["sum_last2"], model=sum_model(), exhaustive_budget=SMALL)
    assert report.passed and report.fidelity.strength == "sampled"  # lengths 1..2 exhaustive
    assert report.verdict == "CHECKED"
    # no program text: no proof that the program computes a rule, so no network proof either
    assert [e.method for e in report.fidelity.evidence] == ["network", "exhaustive", "property"]
    assert "not proved: the program text was not proved" in report.fidelity.evidence[0].detail
    assert _evidence(report.fidelity, "property").lengths == (1, 10)


def test_feedback_fidelity_runs_the_model_closed_loop() -> None:
    task = TASKS["running_max"]
    report = verify(running_max, task, model=running_max_model(), exhaustive_budget=SMALL)
    assert report.passed and report.fidelity.strength == "sampled"

    def no_state(xs):
        return [max(x, 0) for x in xs]

    report = verify(no_state, task, model=running_max_model(), exhaustive_budget=SMALL)
    example = _evidence(report.fidelity, "exhaustive").counterexample
    assert example["xs"] == [1, 0] and example["expected"] == [1, 1]


def test_real_fidelity_uses_rel_mse() -> None:
    task = TASKS["spring"]
    report = verify(spring, task, model=spring_model())
    found = _evidence(report.fidelity, "property")
    assert report.passed and found.rel_mse is not None and found.rel_mse < 1e-20
    # A model with force 0.999 disagrees with the exact program (and the program is correct).
    report = verify(spring, task, model=spring_model(0.999), property_examples=100)
    found = _evidence(report.fidelity, "property")
    assert report.correctness.passed and not report.fidelity.passed
    assert found.rel_mse > 1e-6 and found.counterexample is not None
    # ... but a model off by 1e-9 in relative terms is faithful.
    assert verify(spring, task, model=spring_model(1 + 1e-9), property_examples=100).fidelity.passed


def test_fidelity_without_an_oracle() -> None:
    task = task_from_record(TASKS["parity_last2"].signature())
    report = verify(parity, task, model=parity_model())
    assert not report.correctness.checked and report.fidelity.passed and report.passed
    # fidelity is exhaustive, but VERIFIED needs correctness too: only fidelity is claimed
    assert report.fidelity.strength == "exhaustive" and report.lines()[0] == "CHECKED"
    assert "correctness: not checked" in report.lines()[1]


def test_model_and_task_must_match() -> None:
    with pytest.raises(InputError, match="inputs"):
        verify(running_max, TASKS["running_max"], model=sum_model())


SHIPPED = Path(__file__).resolve().parents[1] / "corpus" / "models" / "parity_last2.pt"


@pytest.fixture(scope="module")
def trained_parity():
    """The shipped trained model (training one here takes minutes on a busy 2-core machine)."""
    if not SHIPPED.is_file():
        pytest.skip("no shipped corpus/models/parity_last2.pt yet")
    from w2c.network.checkpoint import load

    return load(SHIPPED).model


def test_trained_model_fidelity(trained_parity) -> None:
    report = verify(parity, TASKS["parity_last2"], model=trained_parity)
    assert report.passed and report.fidelity.strength == "exhaustive"

    def wrong(xs):
        out = parity(xs)
        out[-1] = 1 - out[-1] if len(xs) == 7 else out[-1]
        return out

    report = verify(wrong, TASKS["parity_last2"], model=trained_parity)
    example = _evidence(report.fidelity, "exhaustive").counterexample
    assert len(example["xs"]) == 7 and example["position"] == 6
