"""Score a labeller against hand labels: per-class precision/recall/F1, confusion, macro-F1.

Gold files are JSONL, one trace a line: ``{"file", "line", "split", "steps": [{"start", "end",
"label"}]}`` with offsets into the trace's source string (examples/bonds/gold.jsonl). The
labeller is given the gold steps' texts, so the score measures labelling alone; segmentation
agreement is reported separately.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from w2c.errors import InputError
from w2c.frontends.bonds.labels import INDEX, LABELS, Labeller
from w2c.frontends.bonds.reader import extract, reasoning_span
from w2c.frontends.bonds.segment import segment


@dataclass
class GoldTrace:
    """One hand-labelled trace: its source string and labelled spans."""

    id: str
    split: str
    source: str
    region: tuple[int, int]
    spans: list[tuple[int, int]]
    labels: list[str]


def load_gold(path: str | Path, fields: Mapping[str, str] | None = None) -> list[GoldTrace]:
    """Gold traces, with each source string read back from the trace file it names.

    `fields` maps a trace file's name to its --field when the default fields do not find it.
    """
    path = Path(path)
    fields = fields or {}
    gold = []
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        if not line.strip():
            continue
        entry = json.loads(line)
        trace_file = path.parent / entry["file"]
        raw = trace_file.read_text(encoding="utf-8").splitlines()[entry["line"] - 1]
        try:
            source, _ = extract(json.loads(raw), fields.get(entry["file"]))
        except ValueError as exc:
            raise InputError(f"{path}:{number}: {exc}") from None
        gold.append(
            GoldTrace(
                id=str(entry.get("id", f"{entry['file']}:{entry['line']}")),
                split=entry["split"],
                source=source,
                region=reasoning_span(source),
                spans=[(s["start"], s["end"]) for s in entry["steps"]],
                labels=[s["label"] for s in entry["steps"]],
            )
        )
    return gold


def confusion(gold: Sequence[str], predicted: Sequence[str]) -> np.ndarray:
    """4x4 counts, rows = gold label, columns = predicted label, in LABELS order."""
    matrix = np.zeros((len(LABELS), len(LABELS)), dtype=np.int64)
    for g, p in zip(gold, predicted, strict=True):
        matrix[INDEX[g], INDEX[p]] += 1
    return matrix


def scores(matrix: np.ndarray) -> dict[str, Any]:
    """Precision, recall, F1 and support per class, macro-F1 and accuracy from a confusion."""
    per_class = {}
    for i, label in enumerate(LABELS):
        tp = float(matrix[i, i])
        predicted, actual = float(matrix[:, i].sum()), float(matrix[i, :].sum())
        precision = tp / predicted if predicted else 0.0
        recall = tp / actual if actual else 0.0
        f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
        per_class[label] = {
            "precision": precision,
            "recall": recall,
            "f1": f1,
            "support": int(actual),
        }
    total = int(matrix.sum())
    return {
        "per_class": per_class,
        "macro_f1": float(np.mean([c["f1"] for c in per_class.values()])),
        "accuracy": float(np.trace(matrix)) / total if total else 0.0,
        "steps": total,
        "confusion": matrix.tolist(),
    }


def evaluate(gold: Sequence[GoldTrace], labeller: Labeller, split: str) -> dict[str, Any]:
    """Score `labeller` on the gold traces of one split; also list the disagreements."""
    chosen = [g for g in gold if g.split == split]
    if not chosen:
        raise InputError(f"no gold traces in split {split!r}")
    all_gold: list[str] = []
    all_pred: list[str] = []
    errors = []
    for trace in chosen:
        texts = [trace.source[a:b] for a, b in trace.spans]
        predicted = labeller.label_trace(texts)
        all_gold += trace.labels
        all_pred += predicted
        for index, (g, p) in enumerate(zip(trace.labels, predicted, strict=True)):
            if g != p:
                errors.append(
                    {
                        "id": trace.id,
                        "step": index,
                        "gold": g,
                        "predicted": p,
                        "text": texts[index][:100],
                    }
                )
    result = scores(confusion(all_gold, all_pred))
    result.update(split=split, traces=len(chosen), errors=errors)
    return result


def segmentation_agreement(gold: Sequence[GoldTrace]) -> float:
    """Fraction of gold steps that the default segmenter reproduces exactly."""
    hit = total = 0
    for trace in gold:
        found = set(segment(trace.source, *trace.region))
        hit += sum(span in found for span in trace.spans)
        total += len(trace.spans)
    return hit / total if total else 0.0
