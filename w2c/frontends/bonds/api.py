"""Python API of the CoT-bond frontend, mirroring ``w2c bonds analyze|compare|plan``.

``analyze`` reads, segments and labels a corpus and estimates its structure; ``compare`` runs
two analyses against each other; ``plan`` draws synthesis plans from a corpus or from a saved
report. The CLI is a thin layer over these functions; outputs are written atomically through
w2c.fileio and never replace a file without ``force``.
"""

from __future__ import annotations

import json
import math
import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from w2c.errors import InputError
from w2c.fileio import check_output, check_outputs, ensure_output_dir, write_all, write_bytes
from w2c.frontends.bonds import compare as _compare
from w2c.frontends.bonds import plan as _plan
from w2c.frontends.bonds.embed import Similarity
from w2c.frontends.bonds.embed import similarity as _similarity
from w2c.frontends.bonds.episodes import EpisodeLabeller
from w2c.frontends.bonds.labels import LABELS, Labeller, label_steps
from w2c.frontends.bonds.reader import (
    DEFAULT_MAX_LINE_BYTES,
    ReadResult,
    Trace,
    check_choice,
    clean_text,
    parse_json,
    read_traces,
    regular_file,
)
from w2c.frontends.bonds.segment import (
    DEFAULT_MAX_CHARS,
    DEFAULT_MIN_CHARS,
    UNITS,
    segment,
    segment_sentences,
)
from w2c.frontends.bonds.structure import (
    K,
    Structure,
    TraceCounts,
    estimate,
    geometry_free_stats,
    probabilities,
)
from w2c.limits import check_memory

REPORT_FORMAT = "w2c.bonds-report/1"
ANALYZE_FILES = ("report.json", "graph.png", "trace.html")
COMPARE_FILES = ("compare.json", "compare.png")
PathLike = str | os.PathLike[str]

#: Limits on what flags and files may ask for (docs/bonds.md, "Limits").
MAX_ALPHA = 1e6
MAX_BOOTSTRAP = 100_000
MAX_STABILITY_REPEATS = 1000
MAX_PLANS = 1_000_000
MAX_PLAN_LENGTH = 100_000
MAX_PLAN_STEPS = 1_000_000  # plans x steps per plan, checked before any plan is drawn
PLAN_STEP_BYTES = 1024  # memory per planned step (its dict, instruction and prompt line)
MAX_COUNT = 10**15  # any count in a report.json
PROBABILITY_TOLERANCE = 1e-6
REPORT_MEMORY_FACTOR = 16  # bytes of memory per byte of a report.json while it is parsed


def check_integer(value: Any, flag: str, low: int, high: int | None = None) -> int:
    """`value` as an int in [low, high] or an InputError naming `flag`."""
    if isinstance(value, bool) or not isinstance(value, int | np.integer):
        raise InputError(f"{flag} must be an integer, not {value!r}")
    value = int(value)
    if value < low or (high is not None and value > high):
        bound = f">= {low}" if high is None else f"between {low} and {high}"
        raise InputError(f"{flag} must be {bound}, not {value}")
    return value


def check_number(value: Any, flag: str, low: float, high: float, low_open: bool = False) -> float:
    """`value` as a finite float in [low, high] (or (low, high]) or an InputError."""
    if isinstance(value, bool) or not isinstance(value, int | float | np.number):
        raise InputError(f"{flag} must be a number, not {value!r}")
    number = float(value)
    below = number <= low if low_open else number < low
    if not math.isfinite(number) or below or number > high:
        side = ">" if low_open else ">="
        raise InputError(f"{flag} must be finite, {side} {low:g} and <= {high:g}, not {value}")
    return number


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
    step_parts: list[list[int]] = field(default_factory=list)  # each step's part of its trace

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
            report["traces"] = [self._trace_entry(i) for i in range(len(self.traces))]
        return report

    def _parts_of(self, index: int) -> list[int]:
        return self.step_parts[index] if self.step_parts else [0] * len(self.steps[index])

    def _trace_entry(self, index: int) -> dict[str, Any]:
        """One trace of the report; `parts` and each step's `part` only beyond the default."""
        trace = self.traces[index]
        entry: dict[str, Any] = {
            "id": trace.id,
            "origin": trace.origin,
            "field": trace.field,
            "region": [trace.start, trace.end],
        }
        steps = [
            {"start": a, "end": b, "label": label}
            for (a, b), label in zip(self.steps[index], self.labels[index], strict=True)
        ]
        if self.settings.get("region", "think") != "think" or self.settings.get("turns") == "all":
            entry["parts"] = [
                {"field": p.field, "region": p.region, "span": [p.start, p.end], "turn": p.turn}
                for p in trace.parts
            ]
            for step, part in zip(steps, self._parts_of(index), strict=True):
                step["part"] = part
        entry["steps"] = steps
        return entry

    def label_rows(self) -> list[dict[str, Any]]:
        """Per label: its steps and share, share of first steps, P(stay), stationary share."""
        from w2c.frontends.bonds.labels import LABELS, NAMES  # noqa: PLC0415

        data = self.structure.as_dict()
        return [
            {
                "label": label,
                "name": NAMES[label],
                "steps": data["label_counts"][label],
                "marginal": data["marginals"][label],
                "initial": data["initial"][label],
                "self_loop": data["self_loops"][label],
                "stationary": data["stationary"][label],
            }
            for label in LABELS
        ]

    def to_dataframe(self) -> Any:
        """The per-label rows as a pandas DataFrame (pandas is optional)."""
        from w2c.report.notebook import dataframe  # noqa: PLC0415

        return dataframe(self.label_rows())

    def _repr_html_(self) -> str:
        """Jupyter: the per-label table and the transition matrix."""
        from w2c.report.notebook import analysis_html  # noqa: PLC0415

        return analysis_html(self)

    def html(self, trace_id: str | None = None) -> str:
        """The HTML view of one trace (the first by default)."""
        from w2c.frontends.bonds.render import trace_html  # noqa: PLC0415

        i = self.index_of(trace_id)
        trace = self.traces[i]
        owners = self._parts_of(i)
        sections = [
            (
                part.field,
                part.source,
                [s for s, o in zip(self.steps[i], owners, strict=True) if o == k],
                [b for b, o in zip(self.labels[i], owners, strict=True) if o == k],
            )
            for k, part in enumerate(trace.parts)
        ]
        return trace_html(trace.id, trace.origin, sections)

    def render(self, trace_id: str | None = None) -> list[bytes]:
        """The bytes of report.json, graph.png and trace.html, all rendered in memory."""
        from w2c.frontends.bonds.render import graph_png  # noqa: PLC0415

        page = self.html(trace_id)  # an unknown --trace fails here, before anything is written
        picture = graph_png(
            self.structure.transitions,
            self.structure.marginals,
            f"behaviour transfer graph: {self.name}",
            self.structure.transition_counts,
        )
        return [_json_bytes(self.report()), picture, _text_bytes(page)]

    def save(
        self, out_dir: PathLike, force: bool = False, trace_id: str | None = None
    ) -> list[Path]:
        """Write report.json, graph.png and trace.html into `out_dir` (all or nothing)."""
        targets = output_targets(out_dir, ANALYZE_FILES, force, self.read.paths)
        return write_outputs(out_dir, targets, self.render(trace_id), force)


def _json_bytes(document: Any) -> bytes:
    # ensure_ascii keeps the file ASCII; allow_nan=False: a NaN would make the file invalid JSON
    return (json.dumps(document, indent=1, allow_nan=False) + "\n").encode("ascii")


def _text_bytes(text: str) -> bytes:
    return clean_text(text).encode("utf-8")


def output_targets(
    out_dir: PathLike, names: Sequence[str], force: bool, inputs: Sequence[PathLike] = ()
) -> list[Path]:
    """Check every output file of a command before any work (exit 2 if one cannot be written).

    Nothing is created here: a missing `out_dir` is made by :func:`write_outputs`, after every
    output has been rendered, so a failed run leaves no empty folder behind.
    """
    folder = Path(out_dir)
    if folder.exists() and not folder.is_dir():
        raise InputError(f"output path exists and is not a folder: {clean_text(str(folder))}")
    targets = [folder / name for name in names]
    if not folder.exists():
        check_output(folder, False, inputs)  # its parent exists and takes a new entry
        return targets  # a new folder holds no file yet: nothing to clobber or confuse
    return check_outputs(targets, force, inputs)


def write_outputs(
    out_dir: PathLike | None, targets: Sequence[Path], blobs: Sequence[bytes], force: bool
) -> list[Path]:
    """Write already-rendered outputs, all of them or none (w2c.fileio.write_all)."""
    if out_dir is not None:
        ensure_output_dir(out_dir)
    return write_all(list(zip(targets, blobs, strict=True)), force)


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
    region: str = "think",
    turns: str = "last",
    unit: str = "step",
) -> Analysis:
    """Read, segment and label JSONL traces and estimate the corpus structure."""
    alpha = check_number(alpha, "--alpha", 0.0, MAX_ALPHA)
    min_chars = check_integer(min_chars, "--min-chars", 0)
    max_chars = check_integer(max_chars, "--max-chars", 1)
    if max_chars < min_chars:
        raise InputError("need 0 <= --min-chars <= --max-chars")
    check_choice(unit, "--unit", UNITS)
    labeller = labeller or EpisodeLabeller()
    similarity = similarity or _similarity(embed)
    read = read_traces(_paths(paths), field, skip_bad, max_line_bytes, region, turns)
    all_steps, all_parts, all_labels, matrices = [], [], [], []
    for trace in read.traces:
        steps, owners, texts, regions = [], [], [], []
        for k, part in enumerate(trace.parts):
            if unit == "sentence":
                spans = segment_sentences(part.source, part.start, part.end, max_chars)
            else:
                spans = segment(part.source, part.start, part.end, min_chars, max_chars)
            steps += spans
            owners += [k] * len(spans)
            texts += [part.source[a:b] for a, b in spans]
            regions += [part.region] * len(spans)
        # the similarity matrix is steps x steps; refuse a trace whose matrix cannot fit
        check_memory(
            8.0 * 3 * len(texts) ** 2,
            f"{trace.origin}: the step-similarity matrix of {len(texts)} steps",
        )
        labels = label_steps(labeller, texts, regions)
        if len(labels) != len(texts) or any(b not in LABELS for b in labels):
            raise InputError(f"labeller {labeller.name} returned bad labels for {trace.id}")
        all_steps.append(steps)
        all_parts.append(owners)
        all_labels.append(labels)
        try:
            matrices.append(similarity.matrix(texts))
        except InputError as exc:
            raise InputError(f"{trace.origin}: {exc}") from None
    segmentation: dict[str, Any] = (
        {"unit": "sentence", "max_chars": max_chars}
        if unit == "sentence"
        else {"unit": "paragraph", "min_chars": min_chars, "max_chars": max_chars}
    )
    settings: dict[str, Any] = {
        "labeller": labeller.name,
        "similarity": similarity.name,
        "segmentation": segmentation,
    }
    if region != "think" or turns != "last":
        settings.update(region=region, turns=turns)
    return Analysis(
        traces=read.traces,
        steps=all_steps,
        labels=all_labels,
        structure=estimate(all_labels, alpha),
        stats=geometry_free_stats(all_labels, matrices),
        read=read,
        settings=settings,
        step_parts=all_parts,
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

    def render(self) -> list[bytes]:
        """The bytes of compare.json and compare.png, rendered in memory."""
        from w2c.frontends.bonds.render import comparison_png  # noqa: PLC0415

        report = self.report()
        names = (clean_text(self.a.name), clean_text(self.b.name))
        return [_json_bytes(report), comparison_png(report["a"], report["b"], report, names)]

    def save(self, out_dir: PathLike, force: bool = False) -> list[Path]:
        """Write compare.json and compare.png into `out_dir` (all or nothing)."""
        inputs = [*self.a.read.paths, *self.b.read.paths]
        targets = output_targets(out_dir, COMPARE_FILES, force, inputs)
        return write_outputs(out_dir, targets, self.render(), force)


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
    bootstrap = check_integer(bootstrap, "--bootstrap", 0, MAX_BOOTSTRAP)
    seed = check_integer(seed, "--seed", 0)
    stability_repeats = check_integer(
        stability_repeats, "stability_repeats", 1, MAX_STABILITY_REPEATS
    )
    first = a if isinstance(a, Analysis) else analyze(a, **analyze_options)
    second = b if isinstance(b, Analysis) else analyze(b, **analyze_options)
    if first.structure.alpha != second.structure.alpha:
        raise InputError("both analyses need the same alpha")
    traces = first.structure.counts.n + second.structure.counts.n
    # a bootstrap chunk holds 100 resampled weight vectors per corpus; each sample keeps 5 metrics
    check_memory(8.0 * (100 * traces * 2 + bootstrap * 5), f"--bootstrap {bootstrap}")
    result = _compare.compare_structures(
        first.structure,
        second.structure,
        bootstrap_samples=bootstrap,
        seed=seed,
        stability_repeats=stability_repeats,
    )
    return Comparison(first, second, result)


def _fail(path: Path, why: str) -> InputError:
    return InputError(f"{clean_text(str(path))} is not a w2c bonds report.json ({why})")


def _count(value: Any, where: str, path: Path) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= MAX_COUNT:
        raise _fail(path, f"{where} must be an integer count in [0, {MAX_COUNT}], not {value!r}")
    return value


def _keyed(value: Any, where: str, path: Path) -> dict[str, Any]:
    if not isinstance(value, dict) or set(value) != set(LABELS):
        shown = sorted(value) if isinstance(value, dict) else type(value).__name__
        raise _fail(path, f"{where} must have exactly the labels {', '.join(LABELS)} ({shown})")
    return value


def _distribution(value: Any, where: str, path: Path) -> np.ndarray:
    row = _keyed(value, where, path)
    numbers = []
    for b in LABELS:
        x = row[b]
        if isinstance(x, bool) or not isinstance(x, int | float) or not 0 <= x <= 1:
            raise _fail(path, f"{where}.{b} must be a probability in [0, 1], not {x!r}")
        numbers.append(float(x))
    if abs(sum(numbers) - 1.0) > PROBABILITY_TOLERANCE:
        raise _fail(path, f"{where} sums to {sum(numbers)!r}, not 1")
    return np.array(numbers)


def _histogram(value: Any, path: Path) -> dict[int, int]:
    if not isinstance(value, dict) or not value:
        raise _fail(path, "length_histogram must be a non-empty object")
    histogram: dict[int, int] = {}
    for key, c in value.items():
        if not (isinstance(key, str) and key.isascii() and key.isdigit() and len(key) <= 7):
            raise _fail(path, f"length_histogram key {key!r} is not a step count")
        length = int(key)
        if not 1 <= length <= MAX_PLAN_LENGTH:
            raise _fail(path, f"length_histogram length {length} is not in [1, {MAX_PLAN_LENGTH}]")
        histogram[length] = _count(c, f"length_histogram[{key!r}]", path)
    return histogram


def _from_report(path: Path) -> tuple[Structure, dict[int, int]]:
    """Structure and trace-length histogram from a saved report.json, validated field by field.

    Only counts feed the plan; the probabilities must agree with them, so a hand-edited or
    truncated report is refused in one line instead of steering the walk somewhere undefined.
    """
    try:
        size = regular_file(path, "file")
    except InputError as exc:
        raise _fail(path, str(exc).split(":")[0]) from None
    check_memory(float(size) * REPORT_MEMORY_FACTOR, f"the {size}-byte report {path.name}")
    try:
        report = parse_json(path.read_bytes().decode("utf-8"))
    except OSError as exc:
        raise _fail(path, exc.strerror or str(exc)) from None
    except UnicodeDecodeError:
        raise _fail(path, "not UTF-8 text") from None
    except ValueError as exc:
        raise _fail(path, str(exc)) from None
    if not isinstance(report, dict):
        raise _fail(path, "not a JSON object")
    if report.get("format") != REPORT_FORMAT:
        raise _fail(path, f"format is {report.get('format')!r}, not {REPORT_FORMAT!r}")
    missing = [
        k
        for k in (
            "alpha",
            "summary",
            "label_counts",
            "transition_counts",
            "initial_counts",
            "marginals",
            "transitions",
            "initial",
            "length_histogram",
        )
        if k not in report
    ]
    if missing:
        raise _fail(path, f"missing {', '.join(missing)}")
    alpha = report["alpha"]
    if (
        isinstance(alpha, bool)
        or not isinstance(alpha, int | float)
        or not (math.isfinite(alpha) and 0 <= alpha <= MAX_ALPHA)
    ):
        raise _fail(path, f"alpha must be a finite number in [0, {MAX_ALPHA:g}], not {alpha!r}")
    summary = report["summary"]
    if not isinstance(summary, dict):
        raise _fail(path, "summary must be an object")
    n_traces = _count(summary.get("traces"), "summary.traces", path)
    n_steps = _count(summary.get("steps"), "summary.steps", path)
    label_row = _keyed(report["label_counts"], "label_counts", path)
    labels = np.array([_count(label_row[b], f"label_counts.{b}", path) for b in LABELS])
    first_row = _keyed(report["initial_counts"], "initial_counts", path)
    first = np.array([_count(first_row[b], f"initial_counts.{b}", path) for b in LABELS])
    table = _keyed(report["transition_counts"], "transition_counts", path)
    transitions = np.zeros((K, K), dtype=np.int64)
    for i, a in enumerate(LABELS):
        row = _keyed(table[a], f"transition_counts.{a}", path)
        for j, b in enumerate(LABELS):
            transitions[i, j] = _count(row[b], f"transition_counts.{a}.{b}", path)
    histogram = _histogram(report["length_histogram"], path)
    # the counts must describe one corpus: n traces of the histogram's lengths
    if sum(histogram.values()) != n_traces or n_traces < 1:
        raise _fail(path, "length_histogram does not add up to summary.traces (>= 1)")
    if sum(n * c for n, c in histogram.items()) != n_steps or labels.sum() != n_steps:
        raise _fail(path, "label_counts and length_histogram do not add up to summary.steps")
    if first.sum() != n_traces or transitions.sum() != n_steps - n_traces:
        raise _fail(path, "initial_counts or transition_counts do not match the trace counts")
    expected = probabilities(transitions.reshape(K * K), float(alpha))
    rows = _keyed(report["transitions"], "transitions", path)
    for i, a in enumerate(LABELS):
        row = _distribution(rows[a], f"transitions.{a}", path)
        if np.abs(row - expected[i]).max() > PROBABILITY_TOLERANCE:
            raise _fail(path, f"transitions.{a} does not match transition_counts and alpha")
    for key, counts in (("marginals", labels), ("initial", first)):
        if np.abs(_distribution(report[key], key, path) - counts / counts.sum()).max() > 1e-6:
            raise _fail(path, f"{key} does not match {key.replace('marginals', 'label')}_counts")
    counts = TraceCounts(
        transitions.reshape(1, K * K),
        labels.reshape(1, K),
        first.reshape(1, K),
        np.array([labels.sum()]),
    )
    return Structure(counts, float(alpha)), histogram


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
    n = check_integer(n, "-n", 1, MAX_PLANS)
    seed = check_integer(seed, "--seed", 0)
    if length is not None:
        length = check_integer(length, "--length", 1, MAX_PLAN_LENGTH)
    if start is not None and start not in LABELS:
        raise InputError(f"--start must be one of {', '.join(LABELS)}")
    if length is not None:
        _check_plan_work(n, length)
    lengths: Sequence[int] | Mapping[int, int]
    if isinstance(source, Analysis):
        structure, lengths = source.structure, [len(s) for s in source.labels]
    else:
        paths = _paths(source)
        if len(paths) == 1 and str(paths[0]).endswith(".json"):
            structure, lengths = _from_report(Path(paths[0]))
        else:
            analysis = analyze(paths, **analyze_options)
            structure, lengths = analysis.structure, [len(s) for s in analysis.labels]
    if length is None:
        longest = max(lengths) if lengths else 1
        _check_plan_work(n, min(longest, MAX_PLAN_LENGTH))
    rng = np.random.default_rng(seed)
    walks = _plan.walk(structure, lengths, n, rng, start, length)
    return [_plan.render_plan(i, w) for i, w in enumerate(walks)]


def _check_plan_work(n: int, longest: int) -> None:
    """Refuse plans whose total steps (n x the longest plan) exceed the documented bound."""
    if n * longest > MAX_PLAN_STEPS:
        raise InputError(
            f"{n} plans of up to {longest} steps would be {n * longest} steps, more than the "
            f"limit of {MAX_PLAN_STEPS}; lower -n or --length"
        )
    check_memory(float(n * longest) * PLAN_STEP_BYTES, f"{n} plans of up to {longest} steps")


def write_plans(plans: Sequence[dict[str, Any]], path: PathLike, force: bool = False) -> Path:
    """Write plans as JSONL, atomically."""
    text = "".join(json.dumps(p, ensure_ascii=False) + "\n" for p in plans)
    return write_bytes(path, _text_bytes(text), force)
