"""Do two corpora share a structure? Pearson r, Jensen-Shannon divergence, bootstrap, stability.

Corpora are compared on the vector [vec(P), π] (16 + 4 entries; arXiv 2601.06002 correlates the
behaviour distributions, and its exact vector is not published, so both parts are used and
Pearson over vec(P) alone is reported too). Divergences use base-2 logarithms, so they lie in
[0, 1]. Confidence intervals resample *traces* with replacement in each corpus (percentile
bootstrap, seeded numpy Generator); the stability curve is r between two disjoint random halves
of a corpus as the half size grows, which shows how many traces a stable estimate needs.

r over [vec(P), π] is lenient when one behaviour dominates: every row of P then resembles π and
the vectors correlate whatever the order of steps. ``pearson_lift`` correlates the lift
P(b'|b) − π(b') instead, the part of P that says which behaviour follows which beyond chance; a
corpus whose labels were shuffled across steps has lift ≈ 0 and so r_lift ≈ 0 against the
original.
"""

from __future__ import annotations

import math

import numpy as np

from w2c.frontends.bonds.labels import LABELS
from w2c.frontends.bonds.structure import (
    K,
    Structure,
    TraceCounts,
    frequencies,
    probabilities,
    structure_vector,
)

#: Thresholds read off the paper: r >= 0.9 shares a structure, r < 0.8 does not.
COMPATIBLE_R = 0.9
INCOMPATIBLE_R = 0.8
METRICS = ("pearson", "pearson_transitions", "pearson_lift", "js_marginals", "js_transitions")


def pearson(x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """Pearson r along the last axis (NaN where either side is constant)."""
    x = np.asarray(x, dtype=float)
    y = np.asarray(y, dtype=float)
    dx = x - x.mean(axis=-1, keepdims=True)
    dy = y - y.mean(axis=-1, keepdims=True)
    denominator = np.sqrt((dx * dx).sum(axis=-1) * (dy * dy).sum(axis=-1))
    with np.errstate(invalid="ignore", divide="ignore"):
        r = (dx * dy).sum(axis=-1) / denominator
    return np.where(denominator > 1e-15, np.clip(r, -1.0, 1.0), np.nan)


def js_divergence(p: np.ndarray, q: np.ndarray) -> np.ndarray:
    """Jensen-Shannon divergence (base 2) along the last axis."""
    p = np.asarray(p, dtype=float)
    q = np.asarray(q, dtype=float)
    m = (p + q) / 2

    def kl(a: np.ndarray) -> np.ndarray:
        with np.errstate(divide="ignore", invalid="ignore"):
            return np.where(a > 0, a * np.log2(a / m), 0.0).sum(axis=-1)

    return np.maximum(0.0, (kl(p) + kl(q)) / 2)


def _metrics(
    ta: np.ndarray, la: np.ndarray, tb: np.ndarray, lb: np.ndarray, alpha: float
) -> dict[str, np.ndarray]:
    """All comparison metrics from (batched) transition and label counts of both sides."""
    pa, pb = probabilities(ta, alpha), probabilities(tb, alpha)
    ma, mb = frequencies(la), frequencies(lb)
    weights = (ma + mb) / 2
    lift_a = (pa - ma[..., None, :]).reshape(*pa.shape[:-2], K * K)
    lift_b = (pb - mb[..., None, :]).reshape(*pb.shape[:-2], K * K)
    return {
        "pearson": pearson(structure_vector(ta, la, alpha), structure_vector(tb, lb, alpha)),
        "pearson_transitions": pearson(
            pa.reshape(*pa.shape[:-2], K * K), pb.reshape(*pb.shape[:-2], K * K)
        ),
        "pearson_lift": pearson(lift_a, lift_b),
        "js_marginals": js_divergence(ma, mb),
        "js_transitions": (weights * js_divergence(pa, pb)).sum(axis=-1),
    }


def _resampled(counts: TraceCounts, weights: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Summed counts for each row of trace weights (multiplicities)."""
    return weights @ counts.transitions, weights @ counts.labels


def bootstrap(
    a: TraceCounts,
    b: TraceCounts,
    alpha: float,
    samples: int,
    rng: np.random.Generator,
    level: float = 0.95,
    chunk: int = 100,
) -> dict[str, dict[str, float | None]]:
    """Percentile confidence intervals of every metric, resampling traces in each corpus."""
    if samples <= 0:
        return {}
    values: dict[str, list[np.ndarray]] = {m: [] for m in METRICS}
    for start in range(0, samples, chunk):
        size = min(chunk, samples - start)
        wa = rng.multinomial(a.n, np.full(a.n, 1.0 / a.n), size=size).astype(float)
        wb = rng.multinomial(b.n, np.full(b.n, 1.0 / b.n), size=size).astype(float)
        for name, value in _metrics(*_resampled(a, wa), *_resampled(b, wb), alpha).items():
            values[name].append(value)
    tail = (1 - level) / 2 * 100
    result = {}
    for name, parts in values.items():
        array = np.concatenate(parts)
        array = array[~np.isnan(array)]
        low, high = np.percentile(array, [tail, 100 - tail]) if array.size else (None, None)
        result[name] = {
            "low": _num(low),
            "high": _num(high),
            "level": level,
            "samples": samples,
        }
    return result


def _sizes(limit: int) -> list[int]:
    grid = [s for s in (2, 5, 10, 20, 50, 100, 200, 500, 1000, 2000, 5000, 10000) if s <= limit]
    if limit >= 2 and (not grid or grid[-1] != limit):
        grid.append(limit)
    return grid


def stability_curve(
    counts: TraceCounts,
    alpha: float,
    rng: np.random.Generator,
    repeats: int = 20,
    other: TraceCounts | None = None,
) -> list[dict[str, float | int | None]]:
    """Mean/sd of Pearson r between two disjoint random samples of k traces, per k.

    Without `other` both samples come from one corpus (its self-consistency; k up to half the
    corpus); with `other` the second sample comes from it (k up to the smaller corpus).
    """
    limit = counts.n // 2 if other is None else min(counts.n, other.n)
    curve = []
    for size in _sizes(limit):
        rs = []
        for _ in range(repeats):
            order = rng.permutation(counts.n)
            first = order[:size]
            if other is None:
                second_counts, second = counts, order[size : 2 * size]
            else:
                second_counts, second = other, rng.permutation(other.n)[:size]
            va = structure_vector(
                counts.transitions[first].sum(0), counts.labels[first].sum(0), alpha
            )
            vb = structure_vector(
                second_counts.transitions[second].sum(0), second_counts.labels[second].sum(0), alpha
            )
            rs.append(float(pearson(va, vb)))
        array = np.asarray(rs)
        array = array[~np.isnan(array)]
        curve.append(
            {
                "traces": size,
                "mean_r": _num(array.mean()) if array.size else None,
                "sd_r": _num(array.std()) if array.size else None,
                "repeats": repeats,
            }
        )
    return curve


def verdict(r: float | None) -> str:
    """Plain reading of r with the paper's thresholds."""
    if r is None:
        return "undefined (a structure vector is constant)"
    if r >= COMPATIBLE_R:
        return "same structure (r >= 0.9)"
    if r < INCOMPATIBLE_R:
        return "different structure (r < 0.8)"
    return "uncertain (0.8 <= r < 0.9)"


def _num(value: float | np.floating | None) -> float | None:
    """A finite float for JSON, or None where the statistic is undefined (NaN, None)."""
    if value is None:
        return None
    value = float(value)
    return None if not math.isfinite(value) else value


def compare_structures(
    a: Structure,
    b: Structure,
    *,
    bootstrap_samples: int = 1000,
    seed: int = 0,
    stability_repeats: int = 20,
) -> dict:
    """Point estimates, bootstrap intervals and stability curves for two corpora."""
    if a.alpha != b.alpha:
        raise ValueError("both structures need the same alpha")
    rng = np.random.default_rng(seed)
    point = _metrics(
        a.transition_counts.ravel(),
        a.label_counts,
        b.transition_counts.ravel(),
        b.label_counts,
        a.alpha,
    )
    metrics = {name: _num(value) for name, value in point.items()}
    pa, pb = a.transitions, b.transitions
    intervals = bootstrap(a.counts, b.counts, a.alpha, bootstrap_samples, rng)
    reading = verdict(metrics["pearson"])
    ci = intervals.get("pearson")
    if ci and ci["low"] is not None and ci["low"] < INCOMPATIBLE_R and ci["high"] >= COMPATIBLE_R:
        reading += (
            f"; but the 95% CI [{ci['low']:.2f}, {ci['high']:.2f}] spans both thresholds: "
            "too few traces to decide"
        )
    return {
        "metrics": metrics,
        "verdict": reading,
        "bootstrap": intervals,
        "js_rows": {label: _num(js_divergence(pa[i], pb[i])) for i, label in enumerate(LABELS)},
        "stability": {
            "a": stability_curve(a.counts, a.alpha, rng, stability_repeats),
            "b": stability_curve(b.counts, b.alpha, rng, stability_repeats),
            "a_vs_b": stability_curve(a.counts, a.alpha, rng, stability_repeats, other=b.counts),
        },
        "seed": seed,
    }
