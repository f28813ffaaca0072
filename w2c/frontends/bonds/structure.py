"""The structure of a labelled corpus: marginals, transition matrix and geometry-free statistics.

Following arXiv 2601.06002, a corpus's structure is the pair (P, π): P(b'|b) is estimated from the
labels of consecutive steps pooled over all traces, and π is the label frequency over all steps.
Counts are kept per trace so bootstrap and stability curves (compare.py) can resample traces
with array arithmetic instead of relabelling.

Smoothing: P(b'|b) = (C[b,b'] + α) / (Σ C[b,·] + 4α). The default α = 0 is the paper's maximum
likelihood estimate; a row with no observations is uniform (the limit of add-α for any α > 0), so
P is always a proper stochastic matrix.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from w2c.frontends.bonds.labels import INDEX, LABELS

K = len(LABELS)


@dataclass(frozen=True)
class TraceCounts:
    """Per-trace count arrays: transitions (n, K*K), labels (n, K), first labels (n, K)."""

    transitions: np.ndarray
    labels: np.ndarray
    first: np.ndarray
    lengths: np.ndarray

    @property
    def n(self) -> int:
        return int(self.labels.shape[0])


def count(sequences: Sequence[Sequence[str]]) -> TraceCounts:
    """Count arrays for label sequences (one sequence per trace)."""
    n = len(sequences)
    transitions = np.zeros((n, K * K), dtype=np.int64)
    labels = np.zeros((n, K), dtype=np.int64)
    first = np.zeros((n, K), dtype=np.int64)
    for row, sequence in enumerate(sequences):
        codes = np.fromiter((INDEX[b] for b in sequence), dtype=np.int64, count=len(sequence))
        if codes.size:
            first[row, codes[0]] = 1
            labels[row] = np.bincount(codes, minlength=K)
            transitions[row] = np.bincount(codes[:-1] * K + codes[1:], minlength=K * K)
    lengths = labels.sum(axis=1)
    return TraceCounts(transitions, labels, first, lengths)


def probabilities(transition_counts: np.ndarray, alpha: float = 0.0) -> np.ndarray:
    """Row-stochastic P from counts shaped (..., K*K) or (..., K, K); returns (..., K, K)."""
    if alpha < 0:
        raise ValueError("alpha must be >= 0")
    counts = np.asarray(transition_counts, dtype=float)
    if counts.shape[-1] == K * K:
        counts = counts.reshape(*counts.shape[:-1], K, K)
    totals = counts.sum(axis=-1, keepdims=True)
    with np.errstate(invalid="ignore", divide="ignore"):
        p = (counts + alpha) / (totals + K * alpha)
    return np.where(totals > 0, p, 1.0 / K)


def frequencies(label_counts: np.ndarray) -> np.ndarray:
    """Normalise counts along the last axis (uniform where there is nothing to count)."""
    counts = np.asarray(label_counts, dtype=float)
    totals = counts.sum(axis=-1, keepdims=True)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(totals > 0, counts / totals, 1.0 / K)


def structure_vector(
    transition_counts: np.ndarray, label_counts: np.ndarray, alpha: float
) -> np.ndarray:
    """[vec(P), π] for each leading index: the vector corpora are compared on (..., K*K + K)."""
    p = probabilities(transition_counts, alpha)
    return np.concatenate([p.reshape(*p.shape[:-2], K * K), frequencies(label_counts)], axis=-1)


def stationary(p: np.ndarray) -> np.ndarray:
    """A stationary distribution of P (left eigenvector for eigenvalue 1, normalised)."""
    values, vectors = np.linalg.eig(p.T)
    vector = np.real(vectors[:, int(np.argmin(np.abs(values - 1.0)))])
    vector = np.abs(vector)
    return vector / vector.sum()


def run_lengths(sequences: Sequence[Sequence[str]]) -> dict[str, float | None]:
    """Mean length of maximal runs of each label (None if the label never occurs)."""
    runs: dict[str, list[int]] = {b: [] for b in LABELS}
    for sequence in sequences:
        length = 0
        for index, label in enumerate(sequence):
            length += 1
            if index + 1 == len(sequence) or sequence[index + 1] != label:
                runs[label].append(length)
                length = 0
    return {b: (float(np.mean(v)) if v else None) for b, v in runs.items()}


def _summary(values: Sequence[float]) -> dict[str, float | int | None]:
    if not len(values):
        return {"count": 0, "mean": None, "median": None, "min": None, "max": None}
    array = np.asarray(values, dtype=float)
    return {
        "count": int(array.size),
        "mean": float(array.mean()),
        "median": float(np.median(array)),
        "min": float(array.min()),
        "max": float(array.max()),
    }


def geometry_free_stats(
    sequences: Sequence[Sequence[str]], similarities: Sequence[np.ndarray] | None = None
) -> dict:
    """The paper's model-free statistics: run lengths, reflection reach, exploration branching.

    `similarities[t]` is trace t's step-by-step similarity matrix. A reflection step's
    back-reference distance is how many steps back its most similar earlier step lies (the step
    it revisits); an exploration step's novelty is 1 − its highest similarity to any earlier step
    (how far it jumps), reported beside the novelty of all other steps for contrast.
    """
    lengths = [len(s) for s in sequences]
    explorations = [sum(b == "E" for b in s) for s in sequences]
    stats: dict = {
        "steps_per_trace": _summary(lengths),
        "run_length": run_lengths(sequences),
        "exploration": {
            "branches_per_trace": _summary(explorations),
            "traces_with_branches": float(np.mean([e > 0 for e in explorations]))
            if sequences
            else None,
        },
    }
    if similarities is None:
        return stats
    distances: list[int] = []
    novelty: dict[str, list[float]] = {"E": [], "other": []}
    for sequence, sim in zip(sequences, similarities, strict=True):
        for i in range(1, len(sequence)):
            earlier = sim[i, :i]
            if sequence[i] == "R":
                distances.append(int(i - np.argmax(earlier)))
            novelty["E" if sequence[i] == "E" else "other"].append(float(1.0 - earlier.max()))
    stats["reflection"] = {"back_reference_distance": _summary(distances)}
    stats["exploration"]["novelty"] = {k: _summary(v) for k, v in novelty.items()}
    return stats


@dataclass(frozen=True)
class Structure:
    """(P, π) of a corpus plus what it was estimated from."""

    counts: TraceCounts
    alpha: float = 0.0

    @property
    def transition_counts(self) -> np.ndarray:
        return self.counts.transitions.sum(axis=0).reshape(K, K)

    @property
    def label_counts(self) -> np.ndarray:
        return self.counts.labels.sum(axis=0)

    @property
    def transitions(self) -> np.ndarray:
        return probabilities(self.transition_counts, self.alpha)

    @property
    def marginals(self) -> np.ndarray:
        return frequencies(self.label_counts)

    @property
    def initial(self) -> np.ndarray:
        return frequencies(self.counts.first.sum(axis=0))

    def vector(self) -> np.ndarray:
        return structure_vector(self.transition_counts.ravel(), self.label_counts, self.alpha)

    def entropy_rate(self) -> float:
        """−Σ_b π_b Σ_b' P(b'|b) log2 P(b'|b), in bits per step."""
        p = self.transitions
        with np.errstate(divide="ignore", invalid="ignore"):
            terms = np.where(p > 0, p * np.log2(p), 0.0)
        return float(-(self.marginals * terms.sum(axis=1)).sum())

    def as_dict(self) -> dict:
        """The JSON form: probabilities and counts keyed by label."""

        def rows(matrix: np.ndarray, cast: type = float) -> dict:
            return {
                a: {b: cast(matrix[i, j]) for j, b in enumerate(LABELS)}
                for i, a in enumerate(LABELS)
            }

        def vector(values: np.ndarray, cast: type = float) -> dict:
            return {b: cast(values[i]) for i, b in enumerate(LABELS)}

        return {
            "alpha": self.alpha,
            "marginals": vector(self.marginals),
            "transitions": rows(self.transitions),
            "label_counts": vector(self.label_counts, int),
            "transition_counts": rows(self.transition_counts, int),
            "initial": vector(self.initial),
            "initial_counts": vector(self.counts.first.sum(axis=0), int),
            "stationary": vector(stationary(self.transitions)),
            "self_loops": {b: float(self.transitions[i, i]) for i, b in enumerate(LABELS)},
            "entropy_rate_bits": self.entropy_rate(),
        }


def estimate(sequences: Sequence[Sequence[str]], alpha: float = 0.0) -> Structure:
    """The structure of a corpus given each trace's label sequence."""
    return Structure(count(sequences), alpha)
