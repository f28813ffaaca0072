"""`w2c causal`: a time series in, its lagged causal graph out (docs/causal.md).

Only typer and the standard library are imported here; torch, NumPy and matplotlib load inside
the command so `w2c --help` stays fast.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

OUTPUTS = ("graph.json", "graph.dot", "scores.png")
MODEL_FILE = "model.pt"


def _summary(graph, written: list[Path], reused: bool) -> str:  # noqa: ANN001 - CausalGraph
    info = graph.info
    sel = graph.selection
    rule = {
        "top-k": f"top-{int(sel.value)} per target",
        "global-top-k": f"global top-{int(sel.value)}",
        "threshold": f"score >= {sel.value:g}",
        "confident": f"confidence >= {sel.min_confidence:g}",
    }[sel.rule]
    how = "reused a model trained" if reused else "trained"
    lines = [
        f"{how} {info['epochs_run']} epochs (best {info['best_epoch']}) in "
        f"{info['train_seconds']:.1f} s; scored {info['eval_windows']} held-out windows",
        f"{len(graph.edges)} edges ({rule}, score {graph.score}); "
        f"* = confident (>= {sel.min_confidence:g})",
    ]
    for e in graph.edges:
        mark = "*" if e.confident else " "
        lines.append(
            f" {mark} {e.source} -> {e.target}  lag {e.lag}  score {e.score:.4g}  "
            f"confidence {e.confidence:.3f}"
        )
    orphans = [v for v in graph.variables if not graph.parents(v, confident_only=True)]
    if orphans:
        lines.append(f"no confident parents: {', '.join(orphans)}")
    if "evaluation" in info:
        m = info["evaluation"]
        auroc = "n/a" if m["auroc"] is None else f"{m['auroc']:.3f}"  # undefined: null in JSON
        lines.append(
            f"against the truth: precision {m['precision']:.3f}, recall "
            f"{m['recall']:.3f}, F1 {m['f1']:.3f}, SHD {m['shd']:.0f}, "
            f"AUROC {auroc}, summary-graph F1 {m['summary_f1']:.3f}"
        )
    if written:
        lines.append("wrote " + ", ".join(str(p) for p in written))
    return "\n".join(lines)


def register(app: typer.Typer) -> None:
    """Attach the `causal` command to the main app."""
    app.command("causal")(causal_command)


def causal_command(
    data: Annotated[Path, typer.Argument(help="CSV (header = variable names) or .npy [T, p]")],
    max_lag: Annotated[int, typer.Option("--max-lag", "-L", help="lag window L >= 1")],
    top_k: Annotated[
        int | None, typer.Option(help="keep the K best (source, lag) per target")
    ] = None,
    global_top_k: Annotated[int | None, typer.Option(help="keep the K best edges overall")] = None,
    threshold: Annotated[float | None, typer.Option(help="keep edges scoring >= this")] = None,
    exclude_self: Annotated[bool, typer.Option(help="never propose a variable's own past")] = False,
    min_confidence: Annotated[float, typer.Option(help="bar for a confident edge")] = 0.95,
    score: Annotated[str, typer.Option(help="energy (gradient energy) or lrp")] = "energy",
    time_col: Annotated[str | None, typer.Option(help="CSV column holding time (dropped)")] = None,
    regime_col: Annotated[str | None, typer.Option(help="CSV column of regime labels")] = None,
    epochs: Annotated[int, typer.Option(help="maximum training epochs")] = 40,
    seed: Annotated[int, typer.Option(help="seed for training and scoring")] = 0,
    eval_windows: Annotated[int, typer.Option(help="held-out windows to score on")] = 2000,
    model: Annotated[Path | None, typer.Option(help="reuse a saved model.pt, no training")] = None,
    truth: Annotated[Path | None, typer.Option(help="known graph JSON to score against")] = None,
    min_f1: Annotated[float | None, typer.Option(help="exit 1 if F1 vs --truth is lower")] = None,
    out: Annotated[Path | None, typer.Option("--out", "-o", help="output folder")] = None,
    json_out: Annotated[
        bool, typer.Option("--json", help="print the graph JSON to stdout")
    ] = False,
    force: Annotated[bool, typer.Option(help="replace existing output files")] = False,
    quiet: Annotated[bool, typer.Option(help="no progress bar")] = False,
) -> None:
    """Learn the lagged causal graph of a multivariate time series.

    Trains a decoder-only transformer to forecast the next step and reads each edge
    source --lag--> target off its input gradients. Writes DIR/graph.json, graph.dot,
    scores.png and model.pt (DIR: -o, default <data stem>-causal; nothing is written with
    --json unless -o is given).
    """
    import math

    from w2c.errors import CheckFailed, InputError
    from w2c.fileio import check_outputs, ensure_output_dir, write_bytes
    from w2c.frontends.causal import checkpoint
    from w2c.frontends.causal.api import discover
    from w2c.frontends.causal.plot import heatmap_png

    if not data.exists():
        raise InputError(f"data file not found: {data}")
    if min_f1 is not None and truth is None:
        raise InputError("--min-f1 needs --truth")
    if min_f1 is not None and not (math.isfinite(min_f1) and 0.0 <= min_f1 <= 1.0):
        raise InputError(f"--min-f1 must be in [0, 1], got {min_f1}")
    for given, what in ((truth, "truth file"), (model, "model file")):
        if given is not None and not given.exists():
            raise InputError(f"{what} not found: {given}")
        if given is not None and not given.is_file():
            raise InputError(f"{what} is not a regular file: {given}")
    folder = out if out is not None else (None if json_out else Path(f"{data.stem}-causal"))
    names = OUTPUTS + (() if model is not None else (MODEL_FILE,))
    inputs = [p for p in (data, model, truth) if p is not None]
    if folder is not None:  # every output target is checked before any work
        if folder.is_dir():
            check_outputs([folder / name for name in names], force, inputs)
        elif folder.exists() or folder.is_symlink():
            raise InputError(f"output path exists and is not a folder: {folder}")
        else:  # the folder is created at the end; its parent must take it
            check_outputs([folder], False, inputs)
    graph = discover(
        data,
        max_lag,
        time_col=time_col,
        regime_col=regime_col,
        score=score,
        top_k=top_k,
        global_top_k=global_top_k,
        threshold=threshold,
        exclude_self=exclude_self,
        min_confidence=min_confidence,
        seed=seed,
        epochs=epochs,
        model=model,
        eval_windows=eval_windows,
        truth=truth,
        progress=not (quiet or json_out),
    )
    document = graph.to_json()  # strict JSON, checked before anything is written
    written: list[Path] = []
    if folder is not None:  # every output is rendered (and the model re-validated) first
        files = {"graph.json": document.encode("utf-8"), "graph.dot": graph.to_dot().encode()}
        files["scores.png"] = heatmap_png(graph)
        if model is None:
            files[MODEL_FILE] = checkpoint.to_bytes(graph.trained)
        ensure_output_dir(folder)
        written += [write_bytes(folder / name, body, force) for name, body in files.items()]
    if json_out:
        typer.echo(document, nl=False)
    else:
        typer.echo(_summary(graph, written, model is not None))
    f1 = graph.info.get("evaluation", {}).get("f1")
    if min_f1 is not None and f1 < min_f1:
        raise CheckFailed(f"F1 against {truth} is {f1:.3f}, below --min-f1 {min_f1:g}")
