"""`w2c bonds analyze|compare|plan`: behaviour bonds of long chain-of-thought traces.

Only typer and the standard library are imported here; the frontend's modules (numpy,
matplotlib, networkx) load inside the commands so `w2c --help` stays fast.
"""

from __future__ import annotations

import functools
import inspect
import json
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

import typer

bonds_app = typer.Typer(
    help="Map long chain-of-thought traces to behaviour bonds and transfer graphs "
    "(D deep reasoning, R self-reflection, E self-exploration, N normal operation).",
    no_args_is_help=True,
)

# Options shared by the commands that read traces.
FIELD = typer.Option(
    None, "--field", help="JSON field holding the trace (dotted path, e.g. output or resp.text)."
)
SKIP_BAD = typer.Option(False, "--skip-bad", help="Skip and count bad lines instead of failing.")
ALPHA = typer.Option(0.0, "--alpha", help="Add-α smoothing of P(b'|b); 0 = maximum likelihood.")
MIN_CHARS = typer.Option(40, "--min-chars", help="Shorter paragraphs merge into a neighbour.")
MAX_CHARS = typer.Option(1500, "--max-chars", help="Longer paragraphs split at sentence ends.")
MAX_LINE = typer.Option(16 * 1024 * 1024, "--max-line-bytes", help="Longest JSONL line accepted.")
LABELLER = typer.Option(
    "rules", "--labeller", help="rules (offline default, rules/2), rules1 (the first rules) or llm."
)
DECODER = typer.Option(
    "on", "--decoder", help="on: episodes decoded over steps (rules/2); off: each step alone."
)
EMBED = typer.Option(
    None, "--embed", help="Local sentence-transformers model for step similarity (no download)."
)
LLM_URL = typer.Option(None, "--llm-url", help="OpenAI-compatible base URL (with --labeller llm).")
LLM_MODEL = typer.Option(None, "--llm-model", help="Model name sent to --llm-url.")
LLM_SEND = typer.Option(False, "--llm-send", help="Allow sending trace text to --llm-url.")
LLM_CACHE = typer.Option(None, "--llm-cache", help="Answer cache folder (default ~/.cache/w2c).")
LLM_TIMEOUT = typer.Option(60.0, "--llm-timeout", help="Seconds per request.")
REGION = typer.Option(
    "think", "--region", help="What is analysed: think (reasoning), answer (after it) or all."
)
TURNS = typer.Option("last", "--turns", help="Chat turns read: last assistant turn or all.")
UNIT = typer.Option("step", "--unit", help="step (paragraphs, merged/split) or sentence.")
FORCE = typer.Option(False, "--force", help="Replace existing output files.")
JSON = typer.Option(False, "--json", help="Print the JSON report to stdout (and nothing else).")


def register(app: typer.Typer) -> None:
    """Attach the `bonds` command group to the main app."""
    app.add_typer(bonds_app, name="bonds")


def _analyze_options(
    field: str | None,
    skip_bad: bool,
    alpha: float,
    min_chars: int,
    max_chars: int,
    max_line_bytes: int,
    labeller: str,
    embed: str | None,
    llm_url: str | None,
    llm_model: str | None,
    llm_send: bool,
    llm_cache: Path | None,
    llm_timeout: float,
    region: str,
    turns: str,
    unit: str,
    decoder: str,
) -> dict[str, Any]:
    """Keyword arguments for api.analyze from the shared command-line options."""
    from w2c.errors import InputError
    from w2c.frontends.bonds.api import check_number
    from w2c.frontends.bonds.reader import REGIONS, TURNS, check_choice, check_line_limit
    from w2c.frontends.bonds.segment import UNITS

    check_number(alpha, "--alpha", 0.0, 1e6)
    check_line_limit(max_line_bytes)
    check_choice(region, "--region", REGIONS)
    check_choice(turns, "--turns", TURNS)
    check_choice(unit, "--unit", UNITS)
    check_choice(decoder, "--decoder", ("on", "off"))

    options: dict[str, Any] = {
        "field": field,
        "skip_bad": skip_bad,
        "alpha": alpha,
        "min_chars": min_chars,
        "max_chars": max_chars,
        "max_line_bytes": max_line_bytes,
        "embed": embed,
        "region": region,
        "turns": turns,
        "unit": unit,
    }
    if labeller == "llm":
        from w2c.frontends.bonds.llm import LLMLabeller

        if not llm_url or not llm_model:
            raise InputError("--labeller llm needs --llm-url and --llm-model")
        llm_timeout = check_number(llm_timeout, "--llm-timeout", 0.0, 3600.0, low_open=True)
        cache = llm_cache or Path(
            os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache"), "w2c", "bonds-llm"
        )
        options["labeller"] = LLMLabeller(
            llm_url, llm_model, allow_send=llm_send, cache_dir=cache, timeout=llm_timeout
        )
    elif labeller == "rules":
        from w2c.frontends.bonds.episodes import EpisodeLabeller

        options["labeller"] = EpisodeLabeller(decoder=decoder == "on")
    elif labeller == "rules1":
        from w2c.frontends.bonds.labels import RuleLabeller

        options["labeller"] = RuleLabeller()
    else:
        raise InputError(f"--labeller must be rules, rules1 or llm, not {labeller!r}")
    return options


_SHARED = [
    ("field", str | None, FIELD),
    ("skip_bad", bool, SKIP_BAD),
    ("alpha", float, ALPHA),
    ("min_chars", int, MIN_CHARS),
    ("max_chars", int, MAX_CHARS),
    ("max_line_bytes", int, MAX_LINE),
    ("labeller", str, LABELLER),
    ("embed", str | None, EMBED),
    ("llm_url", str | None, LLM_URL),
    ("llm_model", str | None, LLM_MODEL),
    ("llm_send", bool, LLM_SEND),
    ("llm_cache", Path | None, LLM_CACHE),
    ("llm_timeout", float, LLM_TIMEOUT),
    ("region", str, REGION),
    ("turns", str, TURNS),
    ("unit", str, UNIT),
    ("decoder", str, DECODER),
]


def corpus_options(command: Callable[..., None]) -> Callable[..., None]:
    """Add the options every corpus-reading command shares; pass them as `corpus` kwargs.

    Typer reads a command's options from its signature, so the shared ones are appended to the
    wrapper's signature once here instead of being repeated in every command.
    """
    own = [p for p in inspect.signature(command).parameters.values() if p.name != "corpus"]
    shared = [
        inspect.Parameter(name, inspect.Parameter.KEYWORD_ONLY, default=default, annotation=kind)
        for name, kind, default in _SHARED
    ]

    @functools.wraps(command)
    def wrapper(**kwargs: Any) -> None:
        values = {name: kwargs.pop(name) for name, _, _ in _SHARED}
        command(corpus=_analyze_options(**values), **kwargs)

    wrapper.__signature__ = inspect.Signature(own + shared)  # type: ignore[attr-defined]
    return wrapper


def _echo_skipped(skipped: dict[str, Any]) -> None:
    if skipped["count"]:
        first = skipped["lines"][0]
        typer.echo(
            f"w2c: skipped {skipped['count']} bad line(s); first {first['path']}:{first['line']}: "
            f"{first['reason']}",
            err=True,
        )


def _row(values: dict[str, float], labels: tuple[str, ...]) -> str:
    return "  ".join(f"{values[b]:5.2f}" for b in labels)


def _summary(report: dict[str, Any]) -> str:
    from w2c.frontends.bonds.labels import LABELS, NAMES

    stats = report["stats"]
    lines = [
        f"{report['summary']['traces']} traces, {report['summary']['steps']} steps, "
        f"{report['skipped']['count']} skipped; labeller {report['labeller']}",
        "behaviour marginals π:",
    ]
    lines += [f"  {b} {NAMES[b]:<17} {report['marginals'][b]:.3f}" for b in LABELS]
    lines.append("transitions P(next | row):  " + "     ".join(LABELS))
    lines += [
        f"  {a}                         {_row(report['transitions'][a], LABELS)}" for a in LABELS
    ]
    reach = stats.get("reflection", {}).get("back_reference_distance", {})
    lines.append(
        f"steps/trace {stats['steps_per_trace']['mean']:.1f}; "
        f"entropy rate {report['entropy_rate_bits']:.2f} bits/step; "
        f"reflection reach {_maybe(reach.get('mean'))} steps; "
        f"branches/trace {_maybe(stats['exploration']['branches_per_trace']['mean'])}"
    )
    return "\n".join(lines)


def _maybe(value: float | None, digits: int = 2) -> str:
    return "n/a" if value is None else f"{value:.{digits}f}"


@bonds_app.command("analyze")
@corpus_options
def analyze_command(
    files: list[Path] = typer.Argument(..., help="JSONL trace files (read as one corpus)."),
    out: Path | None = typer.Option(
        None, "-o", "--out", help="Folder for report.json, graph.png, trace.html."
    ),
    trace: str | None = typer.Option(None, "--trace", help="Trace id shown in trace.html."),
    json_out: bool = JSON,
    force: bool = FORCE,
    corpus: dict[str, Any] | None = None,
) -> None:
    """Label the steps of traces and print the corpus's behaviour structure."""
    from w2c.frontends.bonds import api

    options = corpus or {}
    targets = api.output_targets(out, api.ANALYZE_FILES, force, files) if out else []
    analysis = api.analyze(files, **options)
    report = analysis.report()
    # every output is rendered before the first is written: a failure leaves none behind
    blobs = analysis.render(trace) if out is not None else []
    written = api.write_outputs(out, targets, blobs, force) if out is not None else []
    _echo_skipped(report["skipped"])
    if json_out:
        typer.echo(json.dumps(report))
        return
    typer.echo(_summary(report))
    for path in written:
        typer.echo(f"wrote {path}")


@bonds_app.command("compare")
@corpus_options
def compare_command(
    first: Path = typer.Argument(..., help="JSONL traces of corpus A."),
    second: Path = typer.Argument(..., help="JSONL traces of corpus B."),
    out: Path | None = typer.Option(
        None, "-o", "--out", help="Folder for compare.json and compare.png."
    ),
    bootstrap: int = typer.Option(1000, "--bootstrap", help="Bootstrap resamples (0 = none)."),
    seed: int = typer.Option(0, "--seed", help="Seed of the bootstrap and stability sampling."),
    min_r: float | None = typer.Option(
        None, "--min-r", help="Exit 1 if Pearson r is below this (a structure-match check)."
    ),
    json_out: bool = JSON,
    force: bool = FORCE,
    field_b: str | None = typer.Option(
        None, "--field-b", help="Field of corpus B when it differs from --field."
    ),
    corpus: dict[str, Any] | None = None,
) -> None:
    """Compare the behaviour structures of two corpora (Pearson r, JS divergence, bootstrap)."""
    from w2c.errors import CheckFailed
    from w2c.frontends.bonds import api

    options = corpus or {}
    if min_r is not None:
        api.check_number(min_r, "--min-r", -1.0, 1.0)
    api.check_integer(bootstrap, "--bootstrap", 0, api.MAX_BOOTSTRAP)
    api.check_integer(seed, "--seed", 0)
    targets = api.output_targets(out, api.COMPARE_FILES, force, [first, second]) if out else []
    corpus_a = api.analyze(first, **options)
    corpus_b = api.analyze(second, **{**options, "field": field_b or options["field"]})
    comparison = api.compare(corpus_a, corpus_b, bootstrap=bootstrap, seed=seed)
    report = comparison.report()
    blobs = comparison.render() if out is not None else []
    written = api.write_outputs(out, targets, blobs, force) if out is not None else []
    for side in ("a", "b"):
        _echo_skipped(report[side]["skipped"])
    r = report["metrics"]["pearson"]
    if json_out:
        typer.echo(json.dumps(report))
    else:
        typer.echo(_compare_summary(report, comparison.a.name, comparison.b.name))
        for path in written:
            typer.echo(f"wrote {path}")
    if min_r is not None and (r is None or r < min_r):
        raise CheckFailed(f"Pearson r = {_maybe(r)} is below --min-r {min_r}")


def _compare_summary(report: dict[str, Any], name_a: str, name_b: str) -> str:
    metrics, ci = report["metrics"], report["bootstrap"]

    def line(key: str, title: str) -> str:
        interval = ci.get(key)
        bounds = (
            f"  95% CI [{_maybe(interval['low'], 3)}, {_maybe(interval['high'], 3)}]"
            if interval
            else ""
        )
        return f"  {title:<36} {_maybe(metrics[key], 3)}{bounds}"

    lines = [
        f"A: {name_a} ({report['a']['summary']['traces']} traces)   "
        f"B: {name_b} ({report['b']['summary']['traces']} traces)",
        line("pearson", "Pearson r over [vec(P), π]"),
        line("pearson_transitions", "Pearson r over vec(P)"),
        line("pearson_lift", "Pearson r over lift P - π"),
        line("js_marginals", "JS divergence of π (bits)"),
        line("js_transitions", "JS divergence of P rows (π-weighted)"),
        f"verdict: {report['verdict']}",
    ]
    return "\n".join(lines)


@bonds_app.command("plan")
@corpus_options
def plan_command(
    sources: list[Path] = typer.Option(
        ..., "--from", help="JSONL traces (repeatable) or a saved report.json."
    ),
    n: int = typer.Option(100, "-n", help="How many behaviour plans to draw."),
    seed: int = typer.Option(0, "--seed", help="Seed of the random walk."),
    start: str | None = typer.Option(
        None, "--start", help="Fixed first behaviour (the paper starts from E); default: sampled."
    ),
    length: int | None = typer.Option(
        None, "--length", help="Steps per plan; default: resampled from the corpus."
    ),
    out: Path | None = typer.Option(None, "-o", "--out", help="JSONL file (default: stdout)."),
    force: bool = FORCE,
    corpus: dict[str, Any] | None = None,
) -> None:
    """Draw synthesis plans (behaviour sequences + instructions) from a corpus's graph."""
    from w2c.fileio import check_outputs
    from w2c.frontends.bonds import api

    if out is not None:
        check_outputs([out], force, inputs=sources)  # never over one of its own --from files
    plans = api.plan(sources, n, seed=seed, start=start, length=length, **(corpus or {}))
    if out is None:
        for item in plans:
            typer.echo(json.dumps(item, ensure_ascii=False))
        return
    api.write_plans(plans, out, force)
    typer.echo(f"wrote {len(plans)} plans to {out}")
