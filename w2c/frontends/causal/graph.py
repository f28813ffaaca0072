"""The lagged causal graph: binarisation, confidence, and its JSON / DOT / PNG forms.

The binarised edges (top-k per target, global top-k, a threshold, or "confident") and each
edge's confidence are separate on purpose: top-k always proposes k parents, and the confidence
(from the held-out permutation test in scores.py, Bonferroni-corrected over all
candidate entries) says which of them the data supports.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from w2c.errors import InputError
from w2c.tasks import is_valid_name

GRAPH_FORMAT = "w2c.causal-graph/1"
RULES = ("top-k", "global-top-k", "threshold", "confident")
SCORES = ("energy", "lrp")


@dataclass(frozen=True)
class Selection:
    """How the score tensor becomes a binary graph."""

    rule: str = "confident"
    value: float = 0.0  # k for the top-k rules, the threshold for "threshold"
    exclude_self: bool = False
    min_confidence: float = 0.95

    def __post_init__(self) -> None:
        if self.rule not in RULES:
            raise InputError(f"unknown selection rule {self.rule!r} (one of {', '.join(RULES)})")
        if self.rule in ("top-k", "global-top-k") and (
            self.value != int(self.value) or self.value < 1
        ):
            raise InputError(f"{self.rule} needs a positive integer k, got {self.value!r}")
        if not 0.0 <= self.min_confidence <= 1.0:
            raise InputError(f"min-confidence must be in [0, 1], got {self.min_confidence}")
        if not math.isfinite(self.value):
            raise InputError("the selection value must be finite")

    def to_dict(self) -> dict[str, Any]:
        value: float | int = int(self.value) if "top-k" in self.rule else float(self.value)
        return {
            "rule": self.rule,
            "value": value,
            "exclude_self": self.exclude_self,
            "min_confidence": self.min_confidence,
        }


@dataclass(frozen=True)
class Edge:
    """source at time t-lag -> target at time t."""

    source: str
    target: str
    lag: int
    score: float
    confidence: float
    confident: bool


def candidate_mask(n_vars: int, max_lag: int, exclude_self: bool) -> np.ndarray:
    """Entries [target, source, lag-1] that may become edges."""
    mask = np.ones((n_vars, n_vars, max_lag), dtype=bool)
    if exclude_self:
        mask[np.arange(n_vars), np.arange(n_vars), :] = False
    return mask


def confidence_from_pvalues(pvalues: np.ndarray, candidates: np.ndarray) -> np.ndarray:
    """1 - Bonferroni-adjusted p-value over every candidate entry of the graph.

    So "confidence >= 0.95" bounds the chance of any false confident edge in the whole graph by
    5 % (if the test is calibrated); true edges of real size have z far beyond the correction.
    """
    return np.where(candidates, 1.0 - np.minimum(1.0, pvalues * int(candidates.sum())), 0.0)


def binarise(scores: np.ndarray, confidence: np.ndarray, selection: Selection) -> np.ndarray:
    """Boolean graph [target, source, lag-1] chosen by the selection rule."""
    p, _, lags = scores.shape
    candidates = candidate_mask(p, lags, selection.exclude_self)
    masked = np.where(candidates, scores, -np.inf)
    chosen = np.zeros_like(candidates)
    if selection.rule == "top-k":
        k = min(int(selection.value), int(candidates[0].sum()))
        for i in range(p):
            flat = np.argsort(-masked[i].ravel(), kind="stable")[:k]
            chosen[i].flat[flat] = True
    elif selection.rule == "global-top-k":
        k = min(int(selection.value), int(candidates.sum()))
        chosen.flat[np.argsort(-masked.ravel(), kind="stable")[:k]] = True
    elif selection.rule == "threshold":
        chosen = masked >= selection.value
    else:
        chosen = candidates & (confidence >= selection.min_confidence)
    return chosen & candidates


@dataclass
class CausalGraph:
    """What `w2c causal` reports; ``scores[target][source][lag-1]``."""

    variables: tuple[str, ...]
    max_lag: int
    score: str
    scores: np.ndarray
    scores_se: np.ndarray
    confidence: np.ndarray
    selection: Selection
    adjacency: np.ndarray = field(default=None)  # type: ignore[assignment]
    info: dict[str, Any] = field(default_factory=dict)
    trained: Any = field(default=None, repr=False, compare=False)  # the TrainedModel, if any

    def __post_init__(self) -> None:
        if self.adjacency is None:
            self.adjacency = binarise(self.scores, self.confidence, self.selection)

    @property
    def edges(self) -> list[Edge]:
        """The binarised edges, highest score first."""
        found = []
        for i, j, lag in zip(*np.nonzero(self.adjacency), strict=True):
            conf = float(self.confidence[i, j, lag])
            found.append(
                Edge(
                    self.variables[j],
                    self.variables[i],
                    int(lag) + 1,
                    float(self.scores[i, j, lag]),
                    conf,
                    conf >= self.selection.min_confidence,
                )
            )
        return sorted(found, key=lambda e: (-e.score, e.target, e.source, e.lag))

    def parents(self, target: str, confident_only: bool = False) -> list[Edge]:
        """Edges into ``target`` (optionally only the confident ones)."""
        if target not in self.variables:
            raise InputError(f"unknown variable {target!r}")
        return [e for e in self.edges if e.target == target and (e.confident or not confident_only)]

    def edge_rows(self) -> list[dict[str, Any]]:
        """The edges as plain data, highest score first (the ``edges`` of :meth:`to_dict`)."""
        return [dict(e.__dict__) for e in self.edges]

    def to_dataframe(self) -> Any:
        """The edges as a pandas DataFrame (pandas is optional)."""
        from w2c.report.notebook import dataframe

        return dataframe(self.edge_rows())

    def _repr_html_(self) -> str:
        """Jupyter: the edges as a table."""
        from w2c.report.notebook import graph_html

        return graph_html(self)

    def to_dict(self) -> dict[str, Any]:
        """The documented JSON object (docs/causal.md)."""
        return {
            "format": GRAPH_FORMAT,
            "variables": list(self.variables),
            "max_lag": self.max_lag,
            "score": self.score,
            "selection": self.selection.to_dict(),
            "edges": self.edge_rows(),
            "scores": self.scores.tolist(),
            "scores_se": self.scores_se.tolist(),
            "confidence": self.confidence.tolist(),
            "info": self.info,
        }

    def to_json(self) -> str:
        """One key per line, one edge per line, arrays compact (exact floats: re-read equal)."""
        lines = []
        try:  # strict JSON: a NaN or an infinity is an error, never written
            for key, value in self.to_dict().items():
                if key == "edges" and value:
                    body = ",\n".join(f"  {json.dumps(edge, allow_nan=False)}" for edge in value)
                    lines.append(f' "{key}": [\n{body}\n ]')
                else:
                    lines.append(f" {json.dumps(key)}: {json.dumps(value, allow_nan=False)}")
        except ValueError:
            raise InputError("the graph holds non-finite values; it is not valid JSON") from None
        return "{\n" + ",\n".join(lines) + "\n}\n"

    def to_dot(self) -> str:
        """Graphviz: one edge per (source, lag); dashed when not confident."""
        lines = ["digraph causal {", "  rankdir=LR;", "  node [shape=ellipse];"]
        lines += [f'  "{name}";' for name in self.variables]
        top = max((e.score for e in self.edges), default=1.0) or 1.0
        for e in self.edges:
            width = 0.5 + 3.0 * e.score / top
            style = "solid" if e.confident else "dashed"
            lines.append(
                f'  "{e.source}" -> "{e.target}" [label="lag {e.lag}", '
                f'penwidth={width:.2f}, style={style}, tooltip="score {e.score:.4g}, '
                f'confidence {e.confidence:.3f}"];'
            )
        lines.append("}")
        return "\n".join(lines) + "\n"


def _array(obj: dict[str, Any], key: str, shape: tuple[int, ...], where: str) -> np.ndarray:
    try:
        arr = np.asarray(obj[key], dtype=np.float64)
    except (KeyError, TypeError, ValueError):
        raise InputError(f"{where}: {key!r} missing or not a numeric array") from None
    if arr.shape != shape or not np.all(np.isfinite(arr)):
        raise InputError(f"{where}: {key!r} must be a finite array of shape {list(shape)}")
    return arr


def graph_from_dict(obj: Any, where: str = "graph.json") -> CausalGraph:
    """Re-read a graph written by ``to_dict`` (validated; one-line error otherwise)."""
    if not isinstance(obj, dict) or obj.get("format") != GRAPH_FORMAT:
        raise InputError(f"{where}: not a {GRAPH_FORMAT} graph")
    names = obj.get("variables")
    if not isinstance(names, list) or len(names) < 2 or not all(map(is_valid_name, names)):
        raise InputError(f"{where}: 'variables' must list at least 2 valid names")
    lag = obj.get("max_lag")
    if isinstance(lag, bool) or not isinstance(lag, int) or lag < 1:
        raise InputError(f"{where}: 'max_lag' must be a positive integer")
    if obj.get("score") not in SCORES:
        raise InputError(f"{where}: 'score' must be one of {', '.join(SCORES)}")
    sel = obj.get("selection")
    try:
        selection = Selection(
            sel["rule"],
            float(sel["value"]),
            bool(sel["exclude_self"]),
            float(sel["min_confidence"]),
        )
    except (TypeError, KeyError, ValueError):
        raise InputError(f"{where}: 'selection' is malformed") from None
    shape = (len(names), len(names), lag)
    graph = CausalGraph(
        variables=tuple(names),
        max_lag=lag,
        score=obj["score"],
        scores=_array(obj, "scores", shape, where),
        scores_se=_array(obj, "scores_se", shape, where),
        confidence=_array(obj, "confidence", shape, where),
        selection=selection,
        info=obj.get("info") if isinstance(obj.get("info"), dict) else {},
    )
    edges = obj.get("edges")
    if not isinstance(edges, list) or len(edges) != int(graph.adjacency.sum()):
        raise InputError(f"{where}: 'edges' does not match the scores and the selection rule")
    return graph


def load_graph(path: str) -> CausalGraph:
    """Read graph.json back."""
    try:
        with open(path, encoding="utf-8") as handle:
            obj = json.load(handle)
    except FileNotFoundError:
        raise InputError(f"graph file not found: {path}") from None
    except (OSError, ValueError) as exc:
        raise InputError(f"cannot read {path}: {' '.join(str(exc).split())}") from None
    return graph_from_dict(obj, str(path))
