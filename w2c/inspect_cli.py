"""`w2c inspect model.pt`: what a checkpoint holds, in text or JSON.

Task, sizes, training summary, every hardened read pointer, and each head's routing on task
inputs (the attention_patterns hypothesis test plus the offsets it attends to).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Any

import numpy as np
import typer

from w2c.cli import app


def summarise(path: Path) -> dict[str, Any]:
    """Everything inspect shows, as plain data."""
    from w2c.checkpoint import load
    from w2c.compiler import task_for
    from w2c.ir import Attend, SubMLP
    from w2c.lower import lower
    from w2c.passes.attention_patterns import resolve_head
    from w2c.pipeline import Context

    checkpoint = load(path)
    task, source = task_for(checkpoint, None)
    ir, traces = lower(checkpoint, task, samples=512)
    context = Context(traces, task)
    cfg = checkpoint.config
    training = checkpoint.training
    history = training["history"]
    heads, mlps = [], []
    for node in ir.nodes:
        if isinstance(node.op, Attend):
            offsets = (np.arange(task.length)[None, :] - traces.attention[node.name]).ravel()
            values, counts = np.unique(offsets, return_counts=True)
            resolved = resolve_head(node, node.op, context)
            heads.append(
                {
                    "name": node.name,
                    "query": node.op.query,
                    "key": node.op.key,
                    "value": node.op.value,
                    "pattern": resolved.evidence["best_pattern"],
                    "agreement": resolved.evidence["agreement"],
                    "offsets": {str(int(v)): int(c) for v, c in zip(values, counts, strict=True)},
                }
            )
        elif isinstance(node.op, SubMLP):
            mlps.append(
                {"name": node.name, "inputs": list(node.op.inputs), "hidden": cfg.mlp_hidden}
            )
    output = ir.node(ir.output).op
    return {
        "path": str(path),
        "format": "w2c.discrete-transformer/1",
        "w2c_version": checkpoint.w2c_version,
        "model_sha256": checkpoint.model_hash,
        "task": {
            **{k: checkpoint.task[k] for k in ("name", "channels", "length", "feedback")},
            "domains": checkpoint.task["domains"],
            "user_task": checkpoint.task["source_sha256"] is not None,
            "oracle": source,
        },
        "config": cfg.to_dict(),
        "training": {
            **{k: v for k, v in training.items() if k != "history"},
            "log_points": int(history["step"].numel()),
            "final_agreement": float(history["agreement_final"][-1])
            if history["step"].numel()
            else None,
        },
        "heads": heads,
        "mlps": mlps,
        "output": {
            "terms": [{"name": n, "weight": w} for n, w in output.terms],  # type: ignore[union-attr]
            "bias": output.bias,  # type: ignore[union-attr]
            "scale": output.scale,  # type: ignore[union-attr]
        },
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
    for head in summary["heads"] or [{"name": "(none)"}]:
        if "query" not in head:
            lines.append("  (none)")
            continue
        top = sorted(head["offsets"].items(), key=lambda kv: -kv[1])[:4]
        shown = ", ".join(f"-{k}: {v}" for k, v in top)
        lines.append(
            f"  {head['name']}: q={head['query']} k={head['key']} v={head['value']}  "
            f"-> {head['pattern']} (agreement {head['agreement']:.3f}); offsets {shown}"
        )
    lines.append("sub-MLPs:")
    for mlp in summary["mlps"] or [{"name": "(none)"}]:
        reads = ", ".join(mlp.get("inputs", []))
        lines.append(f"  {mlp['name']}" + (f": reads {reads}" if reads else ""))
    terms = " + ".join(f"{t['weight']:.4g}*{t['name']}" for t in summary["output"]["terms"])
    lines.append(
        f"output  {summary['output']['scale']:g} * ({terms} + {summary['output']['bias']:.4g})"
    )
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


@app.command("inspect")
def inspect_command(
    model: Annotated[Path, typer.Argument(help="A model.pt checkpoint.")],
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON on stdout.")] = False,
) -> None:
    """Show a checkpoint: task, sizes, training, read pointers and each head's routing."""
    summary = summarise(model)
    typer.echo(json.dumps(summary, indent=2, sort_keys=True) if as_json else render_text(summary))
