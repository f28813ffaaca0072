"""Python API of the CoT-bond frontend, mirroring ``w2c bonds analyze|compare|plan``.

``analyze`` reads, segments and labels a corpus and estimates its structure; ``compare`` runs
two analyses against each other; ``plan`` draws synthesis plans from a corpus or from a saved
report. The CLI is a thin layer over these functions; outputs are written atomically through
w2c.fileio and never replace a file without ``force``.
"""

from __future__ import annotations

import json
import os
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from w2c.errors import InputError
from w2c.fileio import ensure_output_dir, ensure_writable, write_bytes, write_text
from w2c.frontends.cot import compare as _compare
from w2c.frontends.cot import plan as _plan
from w2c.frontends.cot.embed import Similarity
from w2c.frontends.cot.embed import similarity as _similarity
from w2c.frontends.cot.labels import LABELS, Labeller, RuleLabeller
from w2c.frontends.cot.reader import DEFAULT_MAX_LINE_BYTES, ReadResult, Trace, read_traces
from w2c.frontends.cot.segment import DEFAULT_MAX_CHARS, DEFAULT_MIN_CHARS, segment
from w2c.frontends.cot.structure import K, Structure, TraceCounts, estimate, geometry_free_stats

REPORT_FORMAT = "w2c.bonds-report/1"
ANALYZE_FILES = ("report.json", "graph.png", "trace.html")
COMPARE_FILES = ("compare.json", "compare.png")
PathLike = str | os.PathLike[str]


def _paths(paths: PathLike | Sequence[PathLike]) -> list[PathLike]:
    return [paths] if isinstance(paths, str | os.PathLike) else list(paths)


@dataclass
class Analysis:
    """A labelled corpus: traces, their steps and labels, and the corpus structure."""

    traces: list[Trace]
    steps: list[list[tuple[int, int]]]
    labels: list[list[str]]
    structure: Structure
    stats: dict[str, Any]
    read: ReadResult
    settings: dict[str, Any] = field(default_factory=dict)

    @property
    def name(self) -> str:
        return ", ".join(Path(f["path"]).name for f in self.read.files)

    def index_of(self, trace_id: str | None) -> int:
        """Position of a trace by id (the first trace when None)."""
        if trace_id is None:
            return 0
        for index, trace in enumerate(self.traces):
            if trace.id == trace_id:
                return index
        raise InputError(f"no trace with id {trace_id!r}")

    def report(self, include_traces: bool = True) -> dict[str, Any]:
        """The JSON report (offsets are indices into each trace's source string)."""
        lengths = np.bincount([len(s) for s in self.labels])
        report: dict[str, Any] = {
            "format": REPORT_FORMAT,
            **self.settings,
            "inputs": self.read.files,
            "skipped": {"count": len(self.read.skipped), "lines": self.read.skipped},
            "summary": {"traces": len(self.traces), "steps": int(sum(map(len, self.labels)))},
            **self.structure.as_dict(),
            "stats": self.stats,
            "length_histogram": {str(n): int(c) for n, c in enumerate(lengths) if c},
        }
        if include_traces:
            report["traces"] = [
                {
                    "id": trace.id,
                    "origin": trace.origin,
                    "field": trace.field,
                    "region": [trace.start, trace.end],
                    "steps": [
                        {"start": a, "end": b, "label": label}
                        for (a, b), label in zip(steps, labels, strict=True)
                    ],
                }
                for trace, steps, labels in zip(self.traces, self.steps, self.labels, strict=True)
            ]
        return report

    def html(self, trace_id: str | None = None) -> str:
        """The HTML view of one trace (the first by default)."""
        from w2c.frontends.cot.render import trace_html  # noqa: PLC0415

        i = self.index_of(trace_id)
        trace = self.traces[i]
        return trace_html(
            trace.id, trace.source, self.steps[i], self.labels[i], trace.origin, trace.field
        )

    def save(
        self, out_dir: PathLike, force: bool = False, trace_id: str | None = None
    ) -> list[Path]:
        """Write report.json, graph.png and trace.html into `out_dir`."""
        from w2c.frontends.cot.render import graph_png  # noqa: PLC0415

        targets = output_targets(out_dir, ANALYZE_FILES, force)
        self.index_of(trace_id)  # fail before writing anything
        write_text(targets[0], json.dumps(self.report(), indent=1) + "\n", force)
        picture = graph_png(
            self.structure.transitions,
            self.structure.marginals,
            f"behaviour transfer graph: {self.name}",
            self.structure.transition_counts,
        )
        write_bytes(targets[1], picture, force)
        write_text(targets[2], self.html(trace_id), force)
        return targets


def output_targets(out_dir: PathLike, names: Sequence[str], force: bool) -> list[Path]:
    """Create `out_dir` if needed and check each output file can be written (exit 2 if not)."""
    folder = ensure_output_dir(out_dir)
    return [ensure_writable(folder / name, force) for name in names]


def analyze(
    paths: PathLike | Sequence[PathLike],
    *,
    field: str | None = None,
    skip_bad: bool = False,
    labeller: Labeller | None = None,
    alpha: float = 0.0,
    min_chars: int = DEFAULT_MIN_CHARS,
    max_chars: int = DEFAULT_MAX_CHARS,
    embed: str | None = None,
    similarity: Similarity | None = None,
    max_line_bytes: int = DEFAULT_MAX_LINE_BYTES,
) -> Analysis:
    """Read, segment and label JSONL traces and estimate the corpus structure."""
    if alpha < 0:
        raise InputError("--alpha must be >= 0")
    if min_chars < 0 or max_chars < max(1, min_chars):
        raise InputError("need 0 <= --min-chars <= --max-chars")
    labeller = labeller or RuleLabeller()
    similarity = similarity or _similarity(embed)
    read = read_traces(_paths(paths), field, skip_bad, max_line_bytes)
    all_steps, all_labels, matrices = [], [], []
    for trace in read.traces:
        steps = segment(trace.source, trace.start, trace.end, min_chars, max_chars)
        texts = [trace.source[a:b] for a, b in steps]
        labels = labeller.label_trace(texts)
        if len(labels) != len(texts) or any(b not in LABELS for b in labels):
            raise InputError(f"labeller {labeller.name} returned bad labels for {trace.id}")
        all_steps.append(steps)
        all_labels.append(labels)
        matrices.append(similarity.matrix(texts))
    settings = {
        "labeller": labeller.name,
        "similarity": similarity.name,
        "segmentation": {"unit": "paragraph", "min_chars": min_chars, "max_chars": max_chars},
    }
    return Analysis(
        traces=read.traces,
        steps=all_steps,
        labels=all_labels,
        structure=estimate(all_labels, alpha),
        stats=geometry_free_stats(all_labels, matrices),
        read=read,
        settings=settings,
    )


@dataclass
class Comparison:
    """Two analysed corpora and the statistics comparing them."""

    a: Analysis
    b: Analysis
    result: dict[str, Any]

    def report(self) -> dict[str, Any]:
        def side(analysis: Analysis) -> dict[str, Any]:
            summary = analysis.report(include_traces=False)
            return {
                k: summary[k]
                for k in (
                    "inputs",
                    "skipped",
                    "summary",
                    "marginals",
                    "transitions",
                    "transition_counts",
                    "labeller",
                )
            }

        return {
            "format": "w2c.bonds-compare/1",
            "a": side(self.a),
            "b": side(self.b),
            **self.result,
        }

    def save(self, out_dir: PathLike, force: bool = False) -> list[Path]:
        """Write compare.json and compare.png into `out_dir`."""
        from w2c.frontends.cot.render import comparison_png  # noqa: PLC0415

        targets = output_targets(out_dir, COMPARE_FILES, force)
        report = self.report()
        write_text(targets[0], json.dumps(report, indent=1) + "\n", force)
        write_bytes(
            targets[1],
            comparison_png(report["a"], report["b"], report, (self.a.name, self.b.name)),
            force,
        )
        return targets


def compare(
    a: Analysis | PathLike | Sequence[PathLike],
    b: Analysis | PathLike | Sequence[PathLike],
    *,
    bootstrap: int = 1000,
    seed: int = 0,
    stability_repeats: int = 20,
    **analyze_options: Any,
) -> Comparison:
    """Compare two corpora (paths, or Analysis objects from `analyze`)."""
    if bootstrap < 0:
        raise InputError("--bootstrap must be >= 0")
    first = a if isinstance(a, Analysis) else analyze(a, **analyze_options)
    second = b if isinstance(b, Analysis) else analyze(b, **analyze_options)
    if first.structure.alpha != second.structure.alpha:
        raise InputError("both analyses need the same alpha")
    result = _compare.compare_structures(
        first.structure,
        second.structure,
        bootstrap_samples=bootstrap,
        seed=seed,
        stability_repeats=stability_repeats,
    )
    return Comparison(first, second, result)


def _from_report(path: Path) -> tuple[Structure, list[int]]:
    """Structure and trace lengths from a saved report.json (no re-labelling needed)."""
    try:
        report = json.loads(path.read_text(encoding="utf-8"))
        transitions = np.array(
            [[report["transition_counts"][a][b] for b in LABELS] for a in LABELS]
        )
        first = np.array([report["initial_counts"][b] for b in LABELS])
        labels = np.array([report["label_counts"][b] for b in LABELS])
        lengths = [int(n) for n, c in report["length_histogram"].items() for _ in range(int(c))]
        alpha = float(report["alpha"])
    except (OSError, UnicodeDecodeError, ValueError, KeyError, TypeError) as exc:
        raise InputError(f"{path} is not a w2c bonds report.json ({exc})") from None
    counts = TraceCounts(
        transitions.reshape(1, K * K),
        labels.reshape(1, K),
        first.reshape(1, K),
        np.array([labels.sum()]),
    )
    return Structure(counts, alpha), lengths


def plan(
    source: Analysis | PathLike | Sequence[PathLike],
    n: int = 100,
    *,
    seed: int = 0,
    start: str | None = None,
    length: int | None = None,
    **analyze_options: Any,
) -> list[dict[str, Any]]:
    """`n` synthesis plans drawn from a corpus (paths or Analysis) or a saved report.json."""
    if n < 1:
        raise InputError("-n must be >= 1")
    if length is not None and length < 1:
        raise InputError("--length must be >= 1")
    if start is not None and start not in LABELS:
        raise InputError(f"--start must be one of {', '.join(LABELS)}")
    if isinstance(source, Analysis):
        structure, lengths = source.structure, [len(s) for s in source.labels]
    else:
        paths = _paths(source)
        if len(paths) == 1 and str(paths[0]).endswith(".json"):
            structure, lengths = _from_report(Path(paths[0]))
        else:
            analysis = analyze(paths, **analyze_options)
            structure, lengths = analysis.structure, [len(s) for s in analysis.labels]
    rng = np.random.default_rng(seed)
    walks = _plan.walk(structure, lengths, n, rng, start, length)
    return [_plan.render_plan(i, w) for i, w in enumerate(walks)]


def write_plans(plans: Sequence[dict[str, Any]], path: PathLike, force: bool = False) -> Path:
    """Write plans as JSONL, atomically."""
    text = "".join(json.dumps(p, ensure_ascii=False) + "\n" for p in plans)
    return write_text(path, text, force)
