"""Score a labeller against hand labels: per-class precision/recall/F1, confusion, macro-F1.

Gold files are JSONL, one trace a line: ``{"file", "line", "split", "steps": [{"start", "end",
"label"}]}`` with offsets into the trace's source string (examples/bonds/gold.jsonl). Steps of
the second gold set (benchmarks/bonds/gold2) also name their ``region`` (think or answer) and
the dotted JSON path (``field``) of the string their offsets index. The labeller is given the
gold steps' texts, so the score measures labelling alone; segmentation agreement is reported
separately, and :func:`evaluate_sentences` scores the whole pipeline per sentence.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from w2c.errors import InputError
from w2c.frontends.bonds.labels import INDEX, LABELS, Labeller, label_steps
from w2c.frontends.bonds.reader import extract, extract_parts, reasoning_span
from w2c.frontends.bonds.segment import segment, segment_sentences

#: The three-class view: normal operation and deep reasoning together ("work").
THREE = {"N": "W", "D": "W", "E": "E", "R": "R"}
THREE_LABELS = ("W", "E", "R")


@dataclass
class GoldTrace:
    """One hand-labelled trace: its source string(s) and labelled spans."""

    id: str
    split: str
    source: str
    region: tuple[int, int]
    spans: list[tuple[int, int]]
    labels: list[str]
    regions: list[str] | None = None  # think/answer per step (gold2)
    fields: list[str] | None = None  # dotted path of each step's string (gold2)
    obj: dict[str, Any] | None = None  # the trace's JSON object (gold2)

    def texts(self) -> list[str]:
        """The gold steps' texts, each from its own string."""
        if self.fields is None or self.obj is None:
            return [self.source[a:b] for a, b in self.spans]
        return [_path(self.obj, f)[a:b] for f, (a, b) in zip(self.fields, self.spans, strict=True)]

    def step_regions(self) -> list[str]:
        return self.regions or ["think"] * len(self.spans)


def _path(obj: Any, dotted: str) -> Any:
    for key in dotted.split("."):
        obj = obj[int(key)] if isinstance(obj, list) else obj[key]
    return obj


def dotted(field: str) -> str:
    """A report field name (``messages[1].content``) as a dotted path (``messages.1.content``)."""
    return re.sub(r"\[(-?\d+)\]", r".\1", field)


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
        if "field" in entry["steps"][0]:  # gold2: every step names its string
            obj = json.loads(raw)
            steps = entry["steps"]
            gold.append(
                GoldTrace(
                    id=str(entry["id"]),
                    split=entry["split"],
                    source="",
                    region=(0, 0),
                    spans=[(s["start"], s["end"]) for s in steps],
                    labels=[s["label"] for s in steps],
                    regions=[s["region"] for s in steps],
                    fields=[s["field"] for s in steps],
                    obj=obj,
                )
            )
            continue
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


def scores(matrix: np.ndarray, labels: Sequence[str] = LABELS) -> dict[str, Any]:
    """Precision, recall, F1 and support per class, macro-F1 and accuracy from a confusion."""
    per_class = {}
    for i, label in enumerate(labels):
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


def three_class(gold: Sequence[str], predicted: Sequence[str]) -> dict[str, Any]:
    """Scores over normal+deep (W) / exploration (E) / reflection (R)."""
    matrix = np.zeros((3, 3), dtype=np.int64)
    for g, p in zip(gold, predicted, strict=True):
        matrix[THREE_LABELS.index(THREE[g]), THREE_LABELS.index(THREE[p])] += 1
    return scores(matrix, THREE_LABELS)


def _result(all_gold: list[str], all_pred: list[str]) -> dict[str, Any]:
    result = scores(confusion(all_gold, all_pred))
    result["three"] = three_class(all_gold, all_pred)
    return result


def evaluate(gold: Sequence[GoldTrace], labeller: Labeller, split: str) -> dict[str, Any]:
    """Score `labeller` on the gold traces of one split; also list the disagreements."""
    chosen = [g for g in gold if g.split == split]
    if not chosen:
        raise InputError(f"no gold traces in split {split!r}")
    all_gold: list[str] = []
    all_pred: list[str] = []
    errors = []
    for trace in chosen:
        texts = trace.texts()
        predicted = label_steps(labeller, texts, trace.step_regions())
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
    result = _result(all_gold, all_pred)
    result.update(split=split, traces=len(chosen), errors=errors)
    return result


def evaluate_sentences(gold: Sequence[GoldTrace], labeller: Labeller, split: str) -> dict[str, Any]:
    """End to end: read each gold trace (``--region all``), cut it into sentences, label them,
    and score each sentence against the gold step that contains its middle character."""
    chosen = [g for g in gold if g.split == split and g.obj is not None and g.fields]
    if not chosen:
        raise InputError(f"no gold2 traces in split {split!r}")
    all_gold: list[str] = []
    all_pred: list[str] = []
    outside = 0
    for trace in chosen:
        texts, regions, owners = [], [], []
        for part in extract_parts(trace.obj, None, region="all"):
            path = dotted(part.field)
            for a, b in segment_sentences(part.source, part.start, part.end):
                texts.append(part.source[a:b])
                regions.append(part.region)
                owners.append(_owner(trace, path, (a + b) // 2))
        predicted = label_steps(labeller, texts, regions)
        for owner, p in zip(owners, predicted, strict=True):
            if owner is None:
                outside += 1
                continue
            all_gold.append(trace.labels[owner])
            all_pred.append(p)
    result = _result(all_gold, all_pred)
    result.update(split=split, traces=len(chosen), errors=[], outside=outside)
    return result


def _owner(trace: GoldTrace, path: str, position: int) -> int | None:
    """The gold step of `trace` in string `path` that contains `position`, if any."""
    for index, (field, (a, b)) in enumerate(zip(trace.fields or [], trace.spans, strict=True)):
        if field == path and a <= position < b:
            return index
    return None


def segmentation_agreement(gold: Sequence[GoldTrace]) -> float:
    """Fraction of gold steps that the default segmenter reproduces exactly."""
    hit = total = 0
    for trace in gold:
        if trace.obj is not None:  # gold2: steps in several strings, compared per string
            found2 = {
                (dotted(p.field), span)
                for p in extract_parts(trace.obj, None, region="all")
                for span in segment(p.source, p.start, p.end)
            }
            fields = trace.fields or []
            hit += sum((f, s) in found2 for f, s in zip(fields, trace.spans, strict=True))
            total += len(trace.spans)
            continue
        found = set(segment(trace.source, *trace.region))
        hit += sum(span in found for span in trace.spans)
        total += len(trace.spans)
    return hit / total if total else 0.0
