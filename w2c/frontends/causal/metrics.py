"""Graph-recovery metrics on the lagged graph ``[target, source, lag-1]`` (and its summary).

Threshold-free AUROC / AUPRC rank the continuous scores over the candidate entries (the paper
reports F1 only; the digest suggests adding these). ``candidates`` masks the entries a method
could propose at all (e.g. no self-lags under --exclude-self).
"""

from __future__ import annotations

import json

import numpy as np

from w2c.errors import InputError


def _masked(truth: np.ndarray, other: np.ndarray, candidates: np.ndarray | None):
    mask = np.ones(truth.shape, dtype=bool) if candidates is None else candidates.astype(bool)
    return truth.astype(bool)[mask], other[mask]


def prf(truth: np.ndarray, predicted: np.ndarray) -> dict[str, float]:
    """Precision, recall, F1 and SHD (extra + missing edges) of a binary graph."""
    truth, predicted = truth.astype(bool), predicted.astype(bool)
    tp = int(np.sum(truth & predicted))
    fp = int(np.sum(~truth & predicted))
    fn = int(np.sum(truth & ~predicted))
    precision = tp / (tp + fp) if tp + fp else 0.0
    recall = tp / (tp + fn) if tp + fn else 0.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return {"precision": precision, "recall": recall, "f1": f1, "shd": float(fp + fn)}


def auroc(truth: np.ndarray, scores: np.ndarray, candidates: np.ndarray | None = None) -> float:
    """Probability that a true edge outranks a non-edge (ties count half); NaN if undefined."""
    labels, values = _masked(truth, scores, candidates)
    n_pos, n_neg = int(labels.sum()), int((~labels).sum())
    if n_pos == 0 or n_neg == 0:
        return float("nan")
    order = np.argsort(values, kind="mergesort")
    ranks = np.empty(len(values))
    sorted_values = values[order]
    i = 0
    while i < len(values):  # average ranks over ties
        j = i
        while j + 1 < len(values) and sorted_values[j + 1] == sorted_values[i]:
            j += 1
        ranks[order[i : j + 1]] = (i + j) / 2 + 1
        i = j + 1
    return float((ranks[labels].sum() - n_pos * (n_pos + 1) / 2) / (n_pos * n_neg))


def auprc(truth: np.ndarray, scores: np.ndarray, candidates: np.ndarray | None = None) -> float:
    """Average precision over the ranking by score (highest first)."""
    labels, values = _masked(truth, scores, candidates)
    if labels.sum() == 0:
        return float("nan")
    hits = labels[np.argsort(-values, kind="mergesort")]
    precision_at = np.cumsum(hits) / np.arange(1, len(hits) + 1)
    return float(precision_at[hits].mean())


def summary(graph: np.ndarray) -> np.ndarray:
    """Summary graph [target, source]: an edge at any lag."""
    return graph.astype(bool).any(axis=2)


def evaluate(
    truth: np.ndarray,
    predicted: np.ndarray,
    scores: np.ndarray | None = None,
    candidates: np.ndarray | None = None,
) -> dict[str, float]:
    """Everything the benchmark reports for one method on one dataset."""
    result = prf(truth, predicted)
    result["summary_f1"] = prf(summary(truth), summary(predicted))["f1"]
    if scores is not None:
        result["auroc"] = auroc(truth, scores, candidates)
        result["auprc"] = auprc(truth, scores, candidates)
    return result


def load_truth(path: str, variables: tuple[str, ...], max_lag: int) -> np.ndarray:
    """A known graph, ``{"edges": [{"source", "target", "lag"}, ...]}`` -> [target, source, lag-1].

    graph.json itself qualifies, as do the examples' *_truth.json files.
    """
    try:
        with open(path, encoding="utf-8") as handle:
            edges = json.load(handle)["edges"]
    except FileNotFoundError:
        raise InputError(f"truth file not found: {path}") from None
    except (OSError, ValueError, TypeError, KeyError):
        raise InputError(f"{path}: not a JSON object with an 'edges' list") from None
    truth = np.zeros((len(variables), len(variables), max_lag), dtype=bool)
    for edge in edges if isinstance(edges, list) else [None]:
        try:
            source, target, lag = edge["source"], edge["target"], edge["lag"]
            i, j = variables.index(target), variables.index(source)
        except (TypeError, KeyError, ValueError):
            raise InputError(f"{path}: each edge needs a known source, target and lag") from None
        if isinstance(lag, bool) or not isinstance(lag, int) or not 1 <= lag <= max_lag:
            raise InputError(f"{path}: edge lag {lag!r} is outside 1..{max_lag}")
        truth[i, j, lag - 1] = True
    return truth
