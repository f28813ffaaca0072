"""The corpus scoreboard: one row per corpus task, from its checkpoint and a fresh compile.

Training columns come from the checkpoint's stored training record (so the default mode only
compiles); compile columns from ``compile_model`` (per-pass seconds, verification seconds and
strengths). Program size is compared with the task's ``reference`` rule rendered into a program
by the same emitter, counted the same way (code lines and AST nodes, docstrings excluded).
"Textbook" means correctness is ``proved``: the program text was proved to compute the extracted
rule and the rule proved equal to the task's reference (docs/verification.md).
"""

from __future__ import annotations

import re
import statistics
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

from w2c.report.compile_doc import verdict
from w2c.report.program_size import program_size
from w2c.report.schema import SCHEMA

PASS_ORDER = ("infer_domains", "attention_patterns", "prune", "mlp_symbolic", "simplify", "emit")


def reference_source(task: Any) -> str | None:
    """The task's reference rule as a program, written by the compiler's own emitter."""
    if task.references is None:
        return None
    from w2c.compiler.ir import IR, Input, Node, Output, Traces, task_info
    from w2c.compiler.pipeline import Context
    from w2c.passes.emit import render

    nodes = [Node(c, Input(c, 0)) for c in task.channels]
    for output, rule in zip(task.outputs, task.references, strict=True):
        nodes.append(Node(output, Output((), 0.0, 1.0, rule=rule)))
    ir = IR(task_info(task), tuple(nodes), task.outputs)
    context = Context(Traces({}, {}, {}, 0), task, pipeline=("reference",))
    return render(ir, context, ("The task's reference rule (textbook algorithm).",))


def textbook(report: Any) -> bool:
    """The program is proved to compute the task's reference rule (correctness: proved)."""
    return report.verification is not None and report.verification.correctness.strength == (
        "proved"
    )


def _strength(report: Any, kind: str) -> str | None:
    return None if report.verification is None else getattr(report.verification, kind).strength


def _label(report: Any, kind: str) -> str | None:
    return None if report.verification is None else getattr(report.verification, kind).label


def short_label(label: str | None) -> str | None:
    """A check's label for a table cell: ``proved``, ``exhaustive 1..10``, ``sampled 320``."""
    if label is None:
        return None
    if label.startswith("proved"):
        return "proved"
    text = re.sub(
        r"exhaustive \(every sequence of (?:lengths|length) ([0-9.]+)\)", r"exhaustive \1", label
    )
    return re.sub(r"sampled \(([0-9]+) sequences\)", r"sampled \1", text)


def row(task: Any, training: dict[str, Any], compiled: Any) -> dict[str, Any]:
    """One scoreboard row from a task, its checkpoint's training record and its compile."""
    report = compiled.report
    reference = reference_source(task)
    return {
        "task": task.name,
        "train_seconds": float(training["seconds"]),
        "steps": int(training["steps"]),
        "polish_steps": int(training["polish_steps"]),
        "attempts": int(training["attempts"]),
        "final_hard_loss": float(training["final_hard_loss"]),
        "exact_fraction": float(training["exact_fraction"]),
        "rel_mse": float(training["rel_mse"]),
        "discrete": bool(task.discrete),
        "pass_seconds": {name: round(seconds, 6) for name, seconds in report.timings},
        "passes_seconds": round(sum(seconds for _, seconds in report.timings), 6),
        "verify_seconds": round(report.verify_seconds, 6),
        "program": program_size(compiled.source),
        "reference": None if reference is None else program_size(reference),
        "correctness": _strength(report, "correctness"),
        "fidelity": _strength(report, "fidelity"),
        "correctness_label": _label(report, "correctness"),
        "fidelity_label": _label(report, "fidelity"),
        "verdict": verdict(report),
        "textbook": textbook(report),
        "rule": report.rule,
        "reference_rule": None if task.reference is None else str(task.reference),
        "exit_code": report.exit_code,
    }


def measure(
    names: Iterable[str],
    models: Path,
    progress: Callable[[str], None] | None = None,
) -> tuple[list[dict[str, Any]], list[str]]:
    """Rows for every named corpus task with a checkpoint in ``models``; and the missing ones."""
    from w2c.compiler import compile_model
    from w2c.corpus import TASKS
    from w2c.network.checkpoint import load

    say = progress or (lambda _message: None)
    rows, missing = [], []
    for name in names:
        path = models / f"{name}.pt"
        if not path.is_file():
            missing.append(name)
            say(f"{name}: no model at {path}")
            continue
        checkpoint = load(path)
        compiled = compile_model(checkpoint, task=TASKS[name])
        rows.append(row(TASKS[name], checkpoint.training, compiled))
        last = rows[-1]
        say(f"{name}: {last['verdict']}, rule {last['rule']}")
    return rows, missing


def document(rows: list[dict[str, Any]], missing: list[str], mode: str) -> dict[str, Any]:
    """The scoreboard as a ``w2c.report/2`` JSON document."""
    from w2c import __version__

    return {
        "schema": SCHEMA,
        "kind": "scoreboard",
        "mode": mode,
        "w2c_version": __version__,
        "rows": rows,
        "missing": missing,
    }


def _passes(rows: list[dict[str, Any]]) -> list[str]:
    seen = {name for r in rows for name in r["pass_seconds"]}
    return [p for p in PASS_ORDER if p in seen] + sorted(seen - set(PASS_ORDER))


def _size(row: dict[str, Any], key: str) -> str:
    reference = row["reference"]
    return f"{row['program'][key]} ({reference[key] if reference else '-'})"


def markdown(board: dict[str, Any]) -> str:
    """The scoreboard table in Markdown, with a summary line and a legend."""
    rows = board["rows"]
    passes = _passes(rows)
    header = (
        ["task", "train s", "steps", "hard loss", "hardened model"]
        + [f"{p} s" for p in passes]
        + ["verify s", "code lines (ref)", "AST nodes (ref)", "correctness", "fidelity"]
        + ["textbook", "rule"]
    )
    align = ["---"] + ["---:"] * (len(header) - 5) + ["---"] * 4  # text left, numbers right
    lines = ["| " + " | ".join(header) + " |", "|" + "|".join(align) + "|"]
    for r in rows:
        cells = [
            r["task"],
            f"{r['train_seconds']:.1f}",
            f"{r['steps']}+{r['polish_steps']}",
            f"{r['final_hard_loss']:.1e}",
            f"{r['exact_fraction']:.0%} exact" if r["discrete"] else f"relMSE {r['rel_mse']:.0e}",
            *(f"{r['pass_seconds'][p]:.3f}" if p in r["pass_seconds"] else "-" for p in passes),
            f"{r['verify_seconds']:.2f}",
            _size(r, "code_lines"),
            _size(r, "ast_nodes"),
            short_label(r["correctness_label"])
            or ("FAILED" if r["verdict"] == "NOT VERIFIED" else "-"),
            short_label(r["fidelity_label"]) or "FAILED",
            "yes" if r["textbook"] else "no",
            f"`{r['rule']}`",
        ]
        lines.append("| " + " | ".join(cells) + " |")
    lines.append("")
    lines.append(summary(board))
    return "\n".join(lines) + "\n"


def summary(board: dict[str, Any]) -> str:
    rows = board["rows"]
    if not rows:
        return "no corpus models found" + (f" (missing: {', '.join(board['missing'])})")
    verified = sum(r["verdict"] == "VERIFIED" for r in rows)
    checked = sum(r["verdict"] == "CHECKED" for r in rows)
    exact = sum(r["textbook"] for r in rows)
    partial = sum(r["exit_code"] == 3 for r in rows)
    compile_s = [r["passes_seconds"] + r["verify_seconds"] for r in rows]
    text = (
        f"{len(rows)} models: {verified} verified, {checked} checked, {exact} textbook (program "
        f"proved to compute the reference), {partial} partial; compile + verify median "
        f"{statistics.median(compile_s):.1f} s, max {max(compile_s):.1f} s; training median "
        f"{statistics.median(r['train_seconds'] for r in rows):.0f} s (stored in the checkpoints)."
    )
    if board["missing"]:
        text += f" Missing models: {', '.join(board['missing'])}."
    return text
