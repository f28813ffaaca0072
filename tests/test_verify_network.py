"""The network proof (docs/verification.md "The network proof"): fidelity proved, or caught.

Independent oracles: the hardened model itself (``hardened_outputs``, what ``w2c verify`` runs),
run exhaustively where the domain allows (bits, every sequence of length 10) and on the
counterexamples the proof reports; the task's reference; and hand-built models whose behaviour
is known by construction.
"""

from __future__ import annotations

import copy
import itertools
import types
from pathlib import Path

import numpy as np
import pytest
import torch

from helpers import checkpoint_dict
from w2c.corpus import TASKS
from w2c.network import checkpoint
from w2c.network.config import LayerSpec, ModelConfig
from w2c.network.train import hardened_outputs
from w2c.network.transformer import DiscreteTransformer
from w2c.tasks import IntRange, Task, shift, x_sym
from w2c.verify import verify
from w2c.verify.network import prove_network
from w2c.verify.verifier import model_reference

ROOT = Path(__file__).resolve().parents[1]
DISCRETE = sorted(name for name, task in TASKS.items() if task.discrete)

PREV1 = '''"""y[t] = x[t-1], written by hand."""


def program(xs):
    y = []
    for t in range(len(xs)):
        y.append(xs[t - 1] if t >= 1 else 0)
    return y
'''


def _function(source: str):  # type: ignore[no-untyped-def]
    module = types.ModuleType("w2c_test_program")
    exec(compile(source, "<test program>", "exec"), module.__dict__)
    return module.__dict__["program"]


def _corpus(name: str) -> tuple[Task, DiscreteTransformer]:
    return TASKS[name], checkpoint.load(ROOT / "corpus" / "models" / f"{name}.pt").model


def _model_says(model: DiscreteTransformer, task: Task, xs: list) -> np.ndarray:
    x = np.asarray(xs, dtype=np.float64).reshape(1, len(xs), task.n_channels)
    return task.quantise(hardened_outputs(copy.deepcopy(model), task, x))[0]


def _wrong_on(model: DiscreteTransformer, task: Task, xs: list) -> bool:
    x = np.asarray(xs, dtype=np.float64).reshape(1, len(xs), task.n_channels)
    y = task.quantise(hardened_outputs(copy.deepcopy(model), task, x))
    return bool(np.any(y != task.run_oracle(x)))


# ---- the corpus -------------------------------------------------------------------------------


@pytest.mark.parametrize("name", DISCRETE)
def test_every_discrete_corpus_model_is_proved(name: str) -> None:
    task, model = _corpus(name)
    result = prove_network(model, task, task.reference)
    assert result.status == "proved", result.detail
    assert result.lengths == (1, task.length) and result.combinations > 0


def test_real_valued_tasks_are_not_proved_and_say_why() -> None:
    task, model = _corpus("spring")
    result = prove_network(model, task, task.reference)
    assert result.status == "unknown" and "real-valued inputs" in result.detail


def test_a_wrong_rule_is_refuted_with_real_counterexamples() -> None:
    """sum_last2's model held to x[t] + x[t-2]: every candidate really differs from the rule."""
    task, model = _corpus("sum_last2")
    wrong = x_sym(0) + x_sym(2)
    result = prove_network(model, task, wrong, model_reference(task, model))
    assert result.status == "refuted" and result.candidates
    for xs in result.candidates:
        x = np.asarray(xs, dtype=np.float64)
        assert np.any(_model_says(model, task, xs) != x + shift(x[None], 2)[0])


# ---- mutated models: never proved, caught where the mutation shows --------------------------


def _mutated(name: str, change) -> tuple[Task, DiscreteTransformer]:  # type: ignore[no-untyped-def]
    task, model = _corpus(name)
    model = copy.deepcopy(model)
    with torch.no_grad():
        change(model)
    return task, model


def _offset_to_3(model: DiscreteTransformer) -> None:
    bias = model.layers[0].rel_bias
    bias[:, 3] = bias.max() + 1.0  # the heads now point at offset 3


def _bias_up(model: DiscreteTransformer) -> None:
    model.out_bias += 0.006  # +0.6 in task units (output scale 100): every output off by one


def _half_up(model: DiscreteTransformer) -> None:
    model.out_bias += 0.0049  # +0.49: still rounds to the same integers


@pytest.mark.parametrize("change", [_offset_to_3, _bias_up])
def test_mutated_models_are_refuted_with_counterexamples_the_model_confirms(change) -> None:  # type: ignore[no-untyped-def]
    task, model = _mutated("sum_last2", change)
    result = prove_network(model, task, task.reference, model_reference(task, model))
    assert result.status == "refuted"
    assert result.candidates and all(_wrong_on(model, task, xs) for xs in result.candidates)


def test_a_harmless_change_stays_proved() -> None:
    task, model = _mutated("sum_last2", _half_up)
    assert prove_network(model, task, task.reference).status == "proved"


@pytest.mark.parametrize("name", ["parity_last2", "and_last2", "add_mod_3"])
def test_proved_only_when_every_sequence_agrees(name: str) -> None:
    """Perturbed small-domain models (add_mod_3: closed loop, x in 0..2), run on every
    sequence of the longest length with at most 2048 of them (bits: length 10, so every
    sequence of every length): proved models agree on all of them (at length T, exactly
    those), and every candidate counterexample of a refuted one is real."""
    task = TASKS[name]
    values = task.inputs[0].values()
    length = min(task.length, int(np.log(2048) / np.log(len(values))))
    x = np.array(list(itertools.product(values, repeat=length)))[..., None]
    outcomes = set()
    for seed, sigma in itertools.product(range(3), (0.005, 0.05, 2.0)):
        _, model = _corpus(name)
        generator = torch.Generator().manual_seed(seed)
        with torch.no_grad():
            for parameter_name, p in model.named_parameters():
                if "read" not in parameter_name:
                    noise = torch.randn(p.shape, generator=generator)
                    p.add_(sigma * noise * (p.abs().mean() + 1e-3))
        right = bool(np.all(task.quantise(hardened_outputs(model, task, x)) == task.run_oracle(x)))
        result = prove_network(model, task, task.reference, model_reference(task, model))
        if result.status == "proved" or length == task.length:
            assert (result.status == "proved") == right, (seed, sigma, result.detail)
        if result.status == "refuted":
            assert all(_wrong_on(model, task, xs) for xs in result.candidates)
        outcomes.add(result.status)
    assert outcomes == {"proved", "refuted"}  # the perturbations break some models, not all


def test_budgets_are_counts() -> None:
    task, model = _corpus("sum_last2")
    first = prove_network(model, task, task.reference, budget=5000)
    again = prove_network(model, task, task.reference, budget=5000)
    assert first.status == "unknown" and "work budget (5,000 units) ran out" in first.detail
    assert again.detail == first.detail


# ---- a head that deviates only at t >= 4 -----------------------------------------------------

PREV1_TASK = Task(
    "prev1",
    (IntRange(0, 100),),
    lambda x: shift(x[..., 0], 1),
    reference=x_sym(1),
    description="x[t-1]",
)


@torch.no_grad()
def late_deviation_model() -> DiscreteTransformer:
    """A pointer to offset 1, except that offset 4 wins when x[t] and x[t-4] both lie in
    {23, 24}: the query and key encodings are a bump on those values (the PLE bins are about
    one integer wide there), and the bias of offset 4 is only 0.1 below offset 1's. Before
    t = 4 offset 4 is a pad (key 0, no bump), so the first sequences that can show it have
    length 5."""
    config = ModelConfig(
        input_names=("x",),
        input_scales=(100.0,),
        output_scale=100.0,
        length=10,
        layers=(LayerSpec(1, 0),),
        ple_bins=64,
        ple_range=0.325,  # bins of 1.016 integers: 23 and 24 fall inside bins 54 and 55
    )
    model = DiscreteTransformer(config)
    layer = model.layers[0]
    layer.head_read.fill_(-10.0)
    layer.head_read[0, :, 0] = 10.0
    for name in ("q_weight", "q_bias", "k_weight", "k_bias"):
        getattr(layer, name).zero_()
    bump = 54  # PLE columns b, b+1 with +1, -1: 0.65 at x = 23, 0.37 at x = 24, else 0
    layer.q_weight[0, 0, bump], layer.q_weight[0, 0, bump + 1] = 1.0, -1.0
    layer.k_weight[0, 0, bump], layer.k_weight[0, 0, bump + 1] = 8.0, -8.0
    layer.rel_bias.fill_(-10.0)
    layer.rel_bias[0, 1] = 10.0
    layer.rel_bias[0, 4] = 9.9  # + 8 * bump(q) * bump(k) / sqrt(8) >= 0.39 when both are up
    model.out_weight.copy_(torch.tensor([0.0, 1.0]))
    model.out_bias.zero_()
    return model.eval()


def test_the_late_deviation_model_is_what_it_says() -> None:
    model = late_deviation_model()
    xs = [5, 23, 6, 7, 8, 23]  # x[5] = x[1] = 23: offset 4 wins at t = 5
    assert _model_says(model, PREV1_TASK, xs).tolist() == [0, 5, 23, 6, 7, 23]
    assert _model_says(model, PREV1_TASK, xs[:5]).tolist() == [0, 5, 23, 6, 7]
    assert _model_says(model, PREV1_TASK, [24, 50, 60, 70, 24]).tolist() == [0, 24, 50, 60, 24]
    assert _model_says(model, PREV1_TASK, [23, 23, 23, 23]).tolist() == [0, 23, 23, 23]


def test_a_late_deviation_is_caught_and_both_sides_confirm_it(tmp_path: Path) -> None:
    """A valid checkpoint, saved and loaded: the program is proved to be the reference, the
    network proof finds the deviation at t >= 4 (beyond the exhaustive lengths 1..3) and its
    counterexample really separates the model from the program."""
    path = tmp_path / "prev1.pt"
    torch.save(checkpoint_dict(late_deviation_model(), PREV1_TASK), path)
    model = checkpoint.load(path).model
    program = _function(PREV1)
    report = verify(program, PREV1_TASK, model=model, source=PREV1, property_examples=20)
    assert report.verdict == "NOT VERIFIED"
    assert report.correctness.strength == "proved"
    methods = [e.method for e in report.fidelity.evidence]
    assert methods == ["network", "replay"], methods
    network, replay = report.fidelity.evidence
    assert not network.passed and "may differ from the reference" in network.detail
    assert not replay.passed and "network proof's counterexample" in replay.detail
    xs = replay.counterexample["xs"]
    position = replay.counterexample["position"]
    assert position >= 4 and len(xs) >= 5
    got = _model_says(model, PREV1_TASK, xs)
    want = np.asarray(program(list(xs)), dtype=np.float64)
    assert got[position] != want[position]
    assert want[position] == xs[position - 1]  # the program is right, the model is not


def test_without_the_deviation_the_same_model_is_verified() -> None:
    model = late_deviation_model()
    with torch.no_grad():
        model.layers[0].rel_bias[0, 4] = -10.0
    report = verify(_function(PREV1), PREV1_TASK, model=model, source=PREV1, property_examples=20)
    assert report.verdict == "VERIFIED", report.lines()
    assert report.fidelity.strength == "proved"
