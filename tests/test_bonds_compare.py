"""Cross-corpus comparison: Pearson, Jensen-Shannon, bootstrap, stability, shuffled controls."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from w2c.frontends.bonds.api import analyze
from w2c.frontends.bonds.compare import (
    compare_structures,
    js_divergence,
    pearson,
    stability_curve,
    verdict,
)
from w2c.frontends.bonds.labels import LABELS
from w2c.frontends.bonds.structure import estimate

EXAMPLES = Path(__file__).resolve().parents[1] / "examples" / "bonds"
LONG_COT = [EXAMPLES / f for f in ("r1_math.jsonl", "sharegpt_logic.jsonl", "qwq_code.jsonl")]


def structured(n: int, seed: int) -> list[list[str]]:
    """Traces that mostly cycle N -> D -> R -> E -> N, with 10 % random steps."""
    rng = np.random.default_rng(seed)
    corpus = []
    for _ in range(n):
        state, trace = 0, []
        for _ in range(int(rng.integers(5, 15))):
            trace.append(LABELS[state])
            state = (state + 1) % 4 if rng.random() > 0.1 else int(rng.integers(0, 4))
        corpus.append(trace)
    return corpus


def shuffled(corpus: list[list[str]], seed: int) -> list[list[str]]:
    """Same lengths and label counts, labels permuted across all steps."""
    flat = np.array([b for trace in corpus for b in trace])
    np.random.default_rng(seed).shuffle(flat)
    out, cursor = [], 0
    for trace in corpus:
        out.append(list(flat[cursor : cursor + len(trace)]))
        cursor += len(trace)
    return out


def test_pearson_and_js_basics() -> None:
    rng = np.random.default_rng(0)
    x, y = rng.random(20), rng.random(20)
    assert pearson(x, y) == pytest.approx(np.corrcoef(x, y)[0, 1])
    assert pearson(x, x) == pytest.approx(1.0)
    assert pearson(x, -x) == pytest.approx(-1.0)
    assert np.isnan(pearson(x, np.ones(20)))
    assert js_divergence([1, 0], [0, 1]) == pytest.approx(1.0)
    assert js_divergence([0.5, 0.5], [0.5, 0.5]) == pytest.approx(0.0)
    assert js_divergence([1, 0], [0.5, 0.5]) == pytest.approx(1.5 - 0.75 * np.log2(3), abs=1e-12)


def test_identical_corpora_correlate_perfectly() -> None:
    s = estimate(structured(50, 1))
    result = compare_structures(s, s, bootstrap_samples=50)
    assert result["metrics"]["pearson"] == pytest.approx(1.0)
    assert result["metrics"]["pearson_lift"] == pytest.approx(1.0)
    assert result["metrics"]["js_marginals"] == pytest.approx(0.0)
    assert result["metrics"]["js_transitions"] == pytest.approx(0.0)
    assert result["verdict"].startswith("same structure")


def test_shuffled_labels_score_clearly_lower() -> None:
    corpus = structured(200, 2)
    a, b = estimate(corpus), estimate(shuffled(corpus, 3))
    np.testing.assert_array_equal(a.label_counts, b.label_counts)  # π is identical by design
    metrics = compare_structures(a, b, bootstrap_samples=0)["metrics"]
    assert metrics["js_marginals"] == pytest.approx(0.0)
    assert metrics["pearson"] < 0.5
    assert metrics["pearson_lift"] < 0.3
    assert metrics["js_transitions"] > 0.3
    other = compare_structures(a, estimate(structured(200, 4)), bootstrap_samples=0)
    assert other["metrics"]["pearson"] > 0.95  # same process, other sample


def test_example_corpus_against_its_shuffled_self() -> None:
    analysis = analyze(LONG_COT)
    a = analysis.structure
    b = estimate(shuffled(analysis.labels, 0))
    metrics = compare_structures(a, b, bootstrap_samples=0)["metrics"]
    assert metrics["pearson"] < 0.9
    assert metrics["pearson_lift"] < 0.5


def test_bootstrap_is_seeded_and_brackets_the_estimate() -> None:
    a, b = estimate(structured(80, 5)), estimate(structured(60, 6))
    one = compare_structures(a, b, bootstrap_samples=300, seed=7)
    two = compare_structures(a, b, bootstrap_samples=300, seed=7)
    three = compare_structures(a, b, bootstrap_samples=300, seed=8)
    assert one == two
    assert one["bootstrap"] != three["bootstrap"]
    ci = one["bootstrap"]["pearson"]
    assert ci["low"] <= one["metrics"]["pearson"] <= ci["high"]
    assert ci["samples"] == 300 and ci["level"] == 0.95


def test_stability_curve_grows_with_sample_size() -> None:
    counts = estimate(structured(400, 9)).counts
    curve = stability_curve(counts, 0.0, np.random.default_rng(0), repeats=10)
    sizes = [p["traces"] for p in curve]
    assert sizes == [2, 5, 10, 20, 50, 100, 200]
    assert curve[-1]["mean_r"] > curve[0]["mean_r"]
    assert curve[-1]["mean_r"] > 0.95
    cross = stability_curve(counts, 0.0, np.random.default_rng(0), 5, other=counts)
    assert cross[-1]["traces"] == 400


def test_verdict_thresholds() -> None:
    assert verdict(0.95).startswith("same")
    assert verdict(0.85).startswith("uncertain")
    assert verdict(0.5).startswith("different")
    assert verdict(None).startswith("undefined")
