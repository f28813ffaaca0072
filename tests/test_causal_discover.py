"""End to end on tiny generated systems: does the extraction find the graph that is there?

Sizes are small so the file runs in well under a minute; heavier numbers live in
benchmarks/causal.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from w2c.causal import discover, generate, load_graph
from w2c.cli import run
from w2c.errors import InputError

NAMES = ["a", "b", "c", "d"]


@pytest.fixture(scope="module")
def system():
    """Strong linear system: a -1-> c, c -2-> a, d -3-> b; d is a root (no parents)."""
    return generate("linear", n_vars=4, max_lag=3, n_steps=1500, in_degree=1, n_roots=1, seed=1)


@pytest.fixture(scope="module")
def graph(system):
    return discover(system.data, max_lag=3, names=NAMES, top_k=2, seed=0, epochs=30)


def _true_edges(system) -> set[tuple[str, str, int]]:
    return {
        (NAMES[j], NAMES[i], int(lag) + 1)
        for i, j, lag in zip(*np.nonzero(system.graph), strict=True)
    }


def test_every_true_edge_is_a_top_edge_and_confident(system, graph) -> None:
    truth = _true_edges(system)
    assert len(truth) == 3
    top1 = {
        (e.source, e.target, e.lag)
        for e in graph.edges
        if e == max(graph.parents(e.target), key=lambda x: x.score)
    }
    assert truth <= top1, (truth, top1)
    confident = {(e.source, e.target, e.lag) for e in graph.edges if e.confident}
    assert confident == truth


def test_parentless_variable_has_no_confident_parents(graph) -> None:
    parents = graph.parents("d")
    assert len(parents) == 2  # top-k still proposes k parents ...
    assert graph.parents("d", confident_only=True) == []  # ... but none is confident
    assert max(e.confidence for e in parents) < graph.selection.min_confidence


def test_energy_separates_true_edges_from_the_rest(system, graph) -> None:
    true_scores = graph.scores[system.graph]
    other = graph.scores[~system.graph]
    assert true_scores.min() > 5 * other.max()


def test_lrp_score_agrees_on_the_same_model(system, graph) -> None:
    lrp = discover(system.data, max_lag=3, names=NAMES, score="lrp", top_k=1, model=graph.trained)
    assert {(e.source, e.target, e.lag) for e in lrp.edges if e.confident} == _true_edges(system)


def test_reproducible_for_a_fixed_seed() -> None:
    small = generate("linear", n_vars=3, max_lag=2, n_steps=400, in_degree=1, seed=2)
    first = discover(small.data, max_lag=2, top_k=1, seed=7, epochs=3)
    second = discover(small.data, max_lag=2, top_k=1, seed=7, epochs=3)
    assert np.array_equal(first.scores, second.scores)
    assert np.array_equal(first.confidence, second.confidence)
    other = discover(small.data, max_lag=2, top_k=1, seed=8, epochs=3)
    assert not np.array_equal(first.scores, other.scores)


def test_model_must_match_the_data(system, graph) -> None:
    with pytest.raises(InputError, match="max-lag 3"):
        discover(system.data, max_lag=2, names=NAMES, model=graph.trained)


def test_cli_outputs_are_atomic_and_rereadable(tmp_path: Path, capsys) -> None:
    small = generate("linear", n_vars=3, max_lag=2, n_steps=400, in_degree=1, seed=2)
    data = tmp_path / "s.npy"
    np.save(data, small.data)
    out = tmp_path / "out"
    args = ["causal", str(data), "--max-lag", "2", "--epochs", "3", "--top-k", "1", "--quiet"]
    assert run([*args, "-o", str(out)]) == 0
    written = sorted(p.name for p in out.iterdir())
    assert written == ["graph.dot", "graph.json", "model.pt", "scores.png"]
    assert (out / "scores.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    graph = load_graph(str(out / "graph.json"))
    capsys.readouterr()
    # the saved model re-scores the same data to the same graph, with no training
    assert (
        run(
            [
                "causal",
                str(data),
                "--max-lag",
                "2",
                "--top-k",
                "1",
                "--json",
                "--model",
                str(out / "model.pt"),
            ]
        )
        == 0
    )
    again = json.loads(capsys.readouterr().out)
    assert (
        again["scores"] == graph.scores.tolist()
        and again["edges"] == json.loads((out / "graph.json").read_text())["edges"]
    )
    assert run([*args, "-o", str(out)]) == 2  # never overwritten without --force
    assert run([*args, "-o", str(out), "--force"]) == 0
    assert not [p for p in out.iterdir() if p.name.startswith(".")]  # no temp files left
