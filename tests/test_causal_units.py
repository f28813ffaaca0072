"""Units of the causal frontend that need no training: rules, formats, metrics, generators."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
import torch

from w2c.errors import CheckpointError, InputError
from w2c.frontends.causal import checkpoint
from w2c.frontends.causal.data import from_array, make_windows
from w2c.frontends.causal.graph import (
    CausalGraph,
    Selection,
    binarise,
    candidate_mask,
    confidence_from_pvalues,
    graph_from_dict,
    load_graph,
)
from w2c.frontends.causal.metrics import auprc, auroc, evaluate, load_truth, prf
from w2c.frontends.causal.model import CausalTransformer, ModelConfig
from w2c.frontends.causal.synthetic import MECHANISMS, generate
from w2c.frontends.causal.train import TrainConfig, TrainedModel


def _graph(selection: Selection) -> CausalGraph:
    rng = np.random.default_rng(0)
    scores = rng.random((3, 3, 2))
    scores[0, 1, 1] = 5.0  # x1 -lag 2-> x0, the strongest entry
    conf = np.zeros_like(scores)
    conf[0, 1, 1] = 1.0
    return CausalGraph(("x0", "x1", "x2"), 2, "energy", scores, scores / 10, conf, selection)


def test_windows_are_oldest_first() -> None:
    z = np.arange(12.0).reshape(6, 2)  # z[t] = (2t, 2t+1)
    x, y = make_windows(z, 3)
    assert x.shape == (3, 3, 2) and y.shape == (3, 2)
    assert x[0].tolist() == [[0, 1], [2, 3], [4, 5]] and y[0].tolist() == [6, 7]


def test_selection_rules() -> None:
    g = _graph(Selection("top-k", 1))
    assert g.adjacency.sum() == 3 and g.adjacency[0, 1, 1]
    assert g.edges[0].source == "x1" and g.edges[0].lag == 2 and g.edges[0].confident
    assert [e.confident for e in g.edges].count(True) == 1
    assert _graph(Selection("global-top-k", 4)).adjacency.sum() == 4
    assert _graph(Selection("threshold", 2.0)).adjacency.sum() == 1
    assert _graph(Selection("confident")).adjacency.sum() == 1
    no_self = _graph(Selection("top-k", 6, exclude_self=True))
    assert not any(e.source == e.target for e in no_self.edges)
    assert no_self.adjacency.sum() == 12  # 2 other sources x 2 lags x 3 targets, capped
    scores = np.ones((2, 2, 1))
    assert binarise(scores, scores, Selection("top-k", 1)).sum() == 2


def test_confidence_is_bonferroni_over_the_graph() -> None:
    mask = candidate_mask(2, 2, exclude_self=True)  # 4 candidates in all
    conf = confidence_from_pvalues(np.full((2, 2, 2), 0.01), mask)
    assert np.allclose(conf[mask], 0.96) and np.all(conf[~mask] == 0)


def test_json_round_trip_and_validation(tmp_path: Path) -> None:
    g = _graph(Selection("top-k", 2))
    path = tmp_path / "graph.json"
    path.write_text(g.to_json())
    obj = json.loads(path.read_text())
    assert {"variables", "max_lag", "score", "edges", "scores"} <= set(obj)
    assert obj["scores"][0][1][1] == 5.0  # scores[target][source][lag-1]
    assert obj["edges"][0] == {
        "source": "x1",
        "target": "x0",
        "lag": 2,
        "score": 5.0,
        "confidence": 1.0,
        "confident": True,
    }
    again = load_graph(str(path))
    assert again.edges == g.edges and np.array_equal(again.scores, g.scores)
    obj["scores"][0][0] = [1.0]
    with pytest.raises(InputError, match="'scores' missing or not a numeric array"):
        graph_from_dict(obj)
    obj["scores"] = [[1.0]]
    with pytest.raises(InputError, match="shape"):
        graph_from_dict(obj)
    with pytest.raises(InputError, match="not a w2c.causal-graph/1"):
        graph_from_dict({"format": "other"})
    with pytest.raises(InputError, match="not found"):
        load_graph(str(tmp_path / "missing.json"))


def test_dot_marks_unconfident_edges_dashed() -> None:
    dot = _graph(Selection("top-k", 1)).to_dot()
    assert dot.startswith("digraph causal {")
    assert '"x1" -> "x0" [label="lag 2"' in dot and dot.count("style=dashed") == 2


def test_metrics_on_known_cases() -> None:
    truth = np.zeros((2, 2, 2), dtype=bool)
    truth[0, 1, 0] = truth[1, 0, 1] = True
    predicted = truth.copy()
    predicted[0, 0, 0] = True
    m = evaluate(truth, predicted, truth.astype(float))
    assert m["recall"] == 1.0 and m["precision"] == pytest.approx(2 / 3) and m["shd"] == 1
    assert m["auroc"] == 1.0 and m["auprc"] == 1.0
    assert auroc(truth, -truth.astype(float)) == 0.0
    assert auroc(truth, np.ones(truth.shape)) == 0.5  # ties count half
    assert auprc(truth, np.arange(8.0).reshape(2, 2, 2)) == pytest.approx((1 / 3 + 2 / 6) / 2)
    assert prf(truth, np.zeros_like(truth))["f1"] == 0.0


@pytest.mark.parametrize("mechanism", MECHANISMS)
def test_generator_is_pinned_and_has_the_promised_graph(mechanism: str) -> None:
    a = generate(mechanism, n_vars=5, max_lag=3, n_steps=300, in_degree=2, n_roots=1, seed=4)
    b = generate(mechanism, n_vars=5, max_lag=3, n_steps=300, in_degree=2, n_roots=1, seed=4)
    assert np.array_equal(a.data, b.data) and np.array_equal(a.graph, b.graph)
    assert a.data.shape == (300, 5) and np.all(np.isfinite(a.data))
    parents = a.graph.reshape(5, -1).sum(axis=1)
    assert parents.tolist() == [2, 2, 2, 2, 0]  # the last variable is a root
    assert not a.graph[np.arange(5), np.arange(5)].any()  # no self-lags by default
    assert not np.array_equal(a.data, generate(mechanism, 5, 3, 300, 2, seed=5).data)


def test_generator_regimes_and_hidden() -> None:
    s = generate(
        "linear", n_vars=4, max_lag=2, n_steps=400, in_degree=1, n_regimes=2, n_hidden=2, seed=0
    )
    assert s.regimes is not None and set(s.regimes.tolist()) == {0, 1}
    assert s.data.shape == (400, 4) and s.graph.shape == (4, 4, 2)
    with pytest.raises(InputError, match="unknown mechanism"):
        generate("quadratic")


def _trained(n_vars: int = 3, lag: int = 2) -> TrainedModel:
    torch.manual_seed(0)
    model = CausalTransformer(ModelConfig(n_vars, lag, d_model=8, n_heads=2, d_ff=8))
    return TrainedModel(
        model,
        tuple(f"v{i}" for i in range(n_vars)),
        np.zeros(n_vars),
        np.ones(n_vars),
        (),
        TrainConfig(),
        {"train": [1.0], "val": [1.0]},
        1,
        0.5,
    )


def test_checkpoint_round_trip(tmp_path: Path) -> None:
    trained = _trained()
    path = checkpoint.save(trained, tmp_path / "model.pt")
    loaded = checkpoint.load(path)
    x = torch.randn(4, 2, 3)
    assert torch.equal(loaded.model(x), trained.model(x))
    assert loaded.names == trained.names and loaded.train_config == trained.train_config
    with pytest.raises(InputError, match="exists; pass --force"):
        checkpoint.save(trained, path)


def _corrupt(tmp_path: Path, change) -> str:
    obj = checkpoint.to_dict(_trained())
    change(obj)
    path = tmp_path / "bad.pt"
    torch.save(obj, path)
    with pytest.raises(CheckpointError) as info:
        checkpoint.load(path)
    return str(info.value)


@pytest.mark.parametrize(
    "change,expected",
    [
        (lambda o: o.update(format="w2c.causal-transformer/9"), "newer than this w2c"),
        (lambda o: o.update(format="w2c.discrete-transformer/1"), "not a w2c.causal-transformer"),
        (lambda o: o.pop("mean"), "missing fields ['mean']"),
        (lambda o: o["config"].update(d_model=9), "multiple of n_heads"),
        (lambda o: o["config"].update(n_vars=True), "n_vars must be an integer"),
        (lambda o: o.update(variables=["v0", "v1", "bad name"]), "unique valid names"),
        (lambda o: o.update(std=torch.zeros(3, dtype=torch.float64)), "std must be positive"),
        (lambda o: o.update(mean=torch.zeros(3)), "float64 tensor of shape [3]"),
        (lambda o: o["state_dict"].update({"head.weight": torch.zeros(2, 8)}), "has shape"),
        (
            lambda o: o["state_dict"].update({"head.bias": torch.zeros(1, dtype=torch.int64)}),
            "must be a torch.float32 tensor",
        ),
        (lambda o: o["state_dict"]["head.bias"].fill_(float("nan")), "non-finite"),
        (lambda o: o["training"].update(lr="fast"), "lr must be a finite float"),
        (lambda o: o["training"].update(max_epochs=3.5), "max_epochs must be a finite int"),
    ],
)
def test_checkpoint_validation(tmp_path: Path, change, expected: str) -> None:
    assert expected in _corrupt(tmp_path, change)


def test_checkpoint_refuses_pickled_objects(tmp_path: Path) -> None:
    path = tmp_path / "evil.pt"
    torch.save({"format": "w2c.causal-transformer/1", "x": Path("/")}, path)
    with pytest.raises(CheckpointError, match="weights-only"):
        checkpoint.load(path)


def test_from_array_validation() -> None:
    good = np.random.default_rng(0).normal(size=(50, 2))
    assert from_array(good).names == ("x0", "x1")
    with pytest.raises(InputError, match="2 names for 3 columns"):
        from_array(np.ones((5, 3)), ["a", "b"])
    series = from_array(good, regimes=[5] * 25 + [7] * 25)
    assert series.regime_labels == (5.0, 7.0) and series.regimes[-1] == 1


def test_load_truth(tmp_path: Path) -> None:
    path = tmp_path / "truth.json"
    path.write_text(json.dumps({"edges": [{"source": "b", "target": "a", "lag": 2}]}))
    truth = load_truth(str(path), ("a", "b"), 2)
    assert truth.sum() == 1 and truth[0, 1, 1]
    with pytest.raises(InputError, match="outside 1..1"):
        load_truth(str(path), ("a", "b"), 1)
    with pytest.raises(InputError, match="known source"):
        load_truth(str(path), ("a", "c"), 2)
    path.write_text("[1, 2]")
    with pytest.raises(InputError, match="'edges' list"):
        load_truth(str(path), ("a", "b"), 2)
