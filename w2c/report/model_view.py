"""A checkpoint seen the way a report shows it: lowered, heads and sub-MLPs explained, traced.

``view`` runs the compiler's own lowering and explaining passes (infer_domains,
attention_patterns, mlp_symbolic; no pruning, so every sub-MLP gets a fit) on a sample of task
inputs, without simplifying or emitting a program. w2c/report/stages.py's ``heads``/``mlps`` turn
either that or a full compile's stages into the facts the text, JSON, plots and HTML share.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from w2c.network.checkpoint import Checkpoint
from w2c.report.stages import NodeStory, Stages, stories
from w2c.tasks import Task

EXPLAIN = ("infer_domains", "attention_patterns", "mlp_symbolic")


@dataclass(frozen=True)
class ModelView:
    checkpoint: Checkpoint
    task: Task
    oracle: str  # where the task's oracle came from, or why there is none
    stages: Stages
    traces: Any  # w2c.lower.Traces

    @property
    def stories(self) -> dict[str, NodeStory]:
        return stories(self.stages)


def view(path: str | Path, samples: int = 512, seed: int = 0) -> ModelView:
    """Load, lower on ``samples`` traced inputs and explain every head and sub-MLP."""
    from w2c.compiler import task_for
    from w2c.compiler.pipeline import Context, Options, build_passes, run_recorded
    from w2c.network.checkpoint import load
    from w2c.network.lower import lower

    checkpoint = load(path)
    task, oracle = task_for(checkpoint, None)
    ir, traces = lower(checkpoint, task, samples=samples, seed=seed)
    context = Context(traces, task, checkpoint.model_hash, EXPLAIN)
    result = run_recorded(ir, context, build_passes(EXPLAIN, Options(seed=seed)))
    return ModelView(checkpoint, task, oracle, (("lower", ir), *result.stages), traces)
