"""What `w2c inspect` shows about a checkpoint, as data, as text and as PNG plots.

Task, sizes, training summary, every hardened read pointer, each head's routing on task inputs
(the attention_patterns hypothesis test, the offsets it attends to and a text grid of its
attention), and each sub-MLP's symbolic fit. ``write_plots`` draws the annealing curves, the
attention maps and the sub-MLP fits (w2c/report/plots.py). JSON schema: docs/report-schema.md.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

INSPECT_SAMPLES = 512


def summarise(path: Path, view: Any = None) -> dict[str, Any]:
    """Everything inspect shows, as plain data (``view``: an already computed ModelView)."""
    from w2c.network.checkpoint import FORMAT_NAME
    from w2c.report import model_view, stages
    from w2c.report.schema import SCHEMA

    seen = view if view is not None else model_view.view(path, samples=INSPECT_SAMPLES)
    checkpoint = seen.checkpoint
    found = seen.stories
    cfg = checkpoint.config
    training = checkpoint.training
    history = training["history"]
    lowered = seen.stages[0][1]
    heads = [_output_head(o, found[o].lowered.op) for o in lowered.outputs]
    return {
        "schema": SCHEMA,
        "kind": "inspect",
        "path": str(path),
        "format": f"{FORMAT_NAME}/{checkpoint.format_version}",
        "w2c_version": checkpoint.w2c_version,
        "model_sha256": checkpoint.model_hash,
        "task": {
            **{
                k: checkpoint.task[k]
                for k in ("name", "channels", "length", "feedback", "outputs", "output")
            },
            "domains": checkpoint.task["domains"],
            "user_task": checkpoint.task["source_sha256"] is not None,
            "oracle": seen.oracle,
        },
        "config": cfg.to_dict(),
        "training": {
            **{k: v for k, v in training.items() if k != "history"},
            "log_points": int(history["step"].numel()),
            "final_agreement": float(history["agreement_final"][-1])
            if history["step"].numel()
            else None,
        },
        "history": {k: v.tolist() for k, v in history.items()},
        "traced_sequences": int(seen.traces.samples),
        "heads": stages.heads(found, seen.traces, cfg.pad),
        "mlps": stages.mlps(found),
        "output": {k: v for k, v in heads[0].items() if k != "name"},
        "outputs": heads,  # one per output head (several for a task with several outputs)
    }


def _output_head(name: str, output: Any) -> dict[str, Any]:
    """One output head of the lowered model: its terms, bias and scale."""
    return {
        "name": name,
        "terms": [{"name": n, "weight": w} for n, w in output.terms],
        "bias": output.bias,
        "scale": output.scale,
    }


def render_text(summary: dict[str, Any]) -> str:
    task, cfg, training = summary["task"], summary["config"], summary["training"]
    domains = ", ".join(_domain(d) for d in task["domains"])
    layers = " | ".join(f"{h} heads, {m} sub-MLPs" for h, m in cfg["layers"])
    lines = [
        f"model   {summary['path']}  (sha256 {summary['model_sha256'][:16]}…)",
        f"task    {task['name']}: channels {', '.join(task['channels'])} in {domains}, "
        f"length {task['length']}{', feedback y[t-1]' if task['feedback'] else ''}",
        f"oracle  {task['oracle']}",
        f"sizes   {len(cfg['layers'])} layer(s): {layers}; sub-MLP hidden {cfg['mlp_hidden']}, "
        f"arity {cfg['mlp_arity']}",
        f"inputs  {_scaled_inputs(cfg)} (name/scale); output x{cfg['output_scale']:g}",
        f"trained seed {training['seed']}, {training['steps']} steps + {training['polish_steps']} "
        f"polish, {training['attempts']} attempt(s), {training['seconds']:.1f} s; "
        f"tau {training['tau_start']:g} -> {training['tau_end']:g}",
        f"        final soft loss {training['final_soft_loss']:.3g}, hard loss "
        f"{training['final_hard_loss']:.3g}; exact sequences {training['exact_fraction']:.2%}, "
        f"relMSE {training['rel_mse']:.2e}",
        "heads:",
    ]
    for head in summary["heads"]:
        top = sorted(head["offsets"].items(), key=lambda kv: -kv[1])[:4]
        shown = ", ".join(f"-{k}: {v}" for k, v in top)
        agreement = head["agreement"]
        lines.append(
            f"  {head['name']}: q={head['query']} k={head['key']} v={head['value']}  "
            f"-> {head['pattern']} (agreement {agreement:.3f}); offsets {shown}"
        )
        lines.extend(f"      {row}" for row in head["grid"])
    if not summary["heads"]:
        lines.append("  (none)")
    if summary["heads"]:
        from w2c.report.attention import LEGEND

        lines.append(f"      attention per query t over keys (pads left of |): {LEGEND}")
    lines.append("sub-MLPs:")
    for mlp in summary["mlps"]:
        lines.append(f"  {mlp['name']}: reads {', '.join(mlp['inputs'])}")
        fit = mlp["fit"]
        if fit is not None:
            verdict = "accepted" if fit["accepted"] else "rejected"
            lines.append(
                f"      fit {fit['expr']}  ({verdict}; max |err| {fit['max_abs_error']:.2g} on "
                f"{fit['samples']} samples, {fit['backend']})"
            )
    if not summary["mlps"]:
        lines.append("  (none)")
    heads = summary.get("outputs") or [dict(summary["output"], name="y")]
    for head in heads:  # one line per output head; a task with one output is "output"
        terms = " + ".join(f"{t['weight']:.4g}*{t['name']}" for t in head["terms"])
        label = "output " if len(heads) == 1 else f"output {head['name']}:"
        lines.append(f"{label} {head['scale']:g} * ({terms} + {head['bias']:.4g})")
    if summary.get("plots"):
        lines.append(f"plots   {', '.join(summary['plots'])}")
    return "\n".join(lines)


def _scaled_inputs(cfg: dict[str, Any]) -> str:
    pairs = zip(cfg["input_names"], cfg["input_scales"], strict=True)
    return ", ".join(f"{name}/{scale:g}" for name, scale in pairs)


def _domain(domain: dict[str, Any]) -> str:
    if domain["kind"] == "bits":
        return "bits"
    if domain["kind"] == "int":
        return f"ints [{domain['lo']},{domain['hi']})"
    return f"reals [{domain['lo']:g},{domain['hi']:g}]"


def write_plots(
    folder: Path, summary: dict[str, Any], view: Any, force: bool, model: Path
) -> list[Path]:
    """Check every target, then draw and write each PNG atomically into ``folder``."""
    from w2c.fileio import check_outputs, ensure_output_dir, write_all
    from w2c.report.plots import figures
    from w2c.report.stages import mlp_stories

    pngs = figures(
        summary["task"]["name"],
        view.checkpoint.training,
        summary["heads"],
        mlp_stories(view.stories),
        view.traces.values,
    )
    ensure_output_dir(folder)
    targets = check_outputs([folder / name for name in pngs], force, inputs=[model])
    drawn = [draw() for draw in pngs.values()]
    return write_all(list(zip(targets, drawn, strict=True)), force)
