"""The model search's plan: one ladder of sizes for every task, smallest first (docs/cli.md).

Like the paper's per-task grid search, but the same grid for every task and walked in order:
each rung grows the model by one step (a head, a sub-MLP, a layer, the sub-MLPs' arity or
width), and the search accepts the first attempt that is exact and compiles cleanly. A small
model that holds the task has little room for a detour, so the compiled program is the
algorithm. Nothing here depends on what a task computes: the plan reads only the task's
declared facts, and only to skip attempts that cannot differ (a model with nothing to train
is the same for every seed). Torch-free.
"""

from __future__ import annotations

from dataclasses import replace

from w2c.network.config import Attempt, LayerSpec, ModelConfig, ModelSize, TrainSettings
from w2c.tasks import Task

# (heads, sub-MLPs) per layer, sub-MLP hidden width, sub-MLP arity; smallest first.
LADDER: tuple[ModelSize, ...] = (
    ModelSize(((0, 0),)),  # the output head alone: linear in the inputs at t
    ModelSize(((0, 1),), 8),  # one pointwise function
    ModelSize(((0, 1),), 16),  # ... wider
    ModelSize(((1, 0),), 8),  # one read of the past
    ModelSize(((1, 1),), 8),
    ModelSize(((2, 0),), 8),
    ModelSize(((2, 1),), 8),
    ModelSize(((0, 2),), 16),
    ModelSize(((3, 0),), 8),
    ModelSize(((3, 1),), 16),
    ModelSize(((2, 1), (0, 1)), 8),  # a second layer: a function of functions
    ModelSize(((0, 1), (1, 1)), 8),  # a function first, then a read keyed on it
    ModelSize(((2, 2),), 16, 3),
    ModelSize(((3, 2), (0, 1)), 16),
    ModelSize(((4, 1),), 16, 4),
)

# Two schedules, each with two variants (attempts of one size run side by side on two jobs):
# a quick one (600 annealing steps from τ = 1, small batches: most models that fit settle in
# a few hundred steps, and a run stops once exact) and the long one the corpus was first
# trained with (1500 steps from τ = 10). Runs that fail for one reason (read pointers frozen
# too early, or never settling) get the other variant.
QUICK = TrainSettings(steps=600, batch=128, polish_steps=300, log_every=25)
LONG = TrainSettings(steps=1500, batch=256, polish_steps=800, log_every=50)
SCHEDULES: tuple[tuple[TrainSettings, tuple[dict[str, float], ...]], ...] = (
    (QUICK, ({"tau_start": 1.0}, {"read_lr_scale": 1.0})),
    (LONG, ({}, {"read_lr_scale": 1.0})),
)
SEED_STRIDE = 1000  # rung r, schedule p, variant k runs with seed base + 1000 r + 10 p + k


def step_cost(size: ModelSize, batch: int) -> float:
    """Estimated milliseconds of one training step (length 10, one input): the plan's order.

    A fixed overhead plus a share of the elements a step touches
    (``ModelConfig.training_elements``), calibrated on the 2-core development machine: a head
    costs several sub-MLPs, a larger batch more for heads than for sub-MLPs.
    """
    config = ModelConfig(
        input_names=("x",),
        input_scales=(1.0,),
        output_scale=1.0,
        length=10,
        layers=tuple(LayerSpec(h, m) for h, m in size.layers),
        mlp_hidden=size.mlp_hidden,
        mlp_arity=size.mlp_arity,
    )
    return 6.0 + 1.5e-5 * config.training_elements(batch) if size.trainable else 0.0


def attempt_cost(attempt: Attempt) -> float:
    """Estimated CPU milliseconds of an attempt that runs to its end."""
    settings = attempt.settings
    return (settings.steps + settings.polish_steps) * step_cost(attempt.size, settings.batch)


def search_plan(
    task: Task, seed: int = 0, steps: int | None = None, settings: TrainSettings | None = None
) -> tuple[Attempt, ...]:
    """Every attempt of the search for ``task``, in the order acceptance follows.

    Every (size, schedule, variant) of the ladder, cheapest first by estimated cost (ties in
    ladder order), so the long schedule of a small size comes before the quick one of a much
    larger size. ``steps`` replaces the annealing steps of every attempt (``w2c train
    --steps``); ``settings`` replaces both schedules (one schedule, for experiments).
    """
    del task  # the ladder is the same for every task (see the module docstring)
    schedules = SCHEDULES if settings is None else ((settings, SCHEDULES[0][1]),)
    candidates = []
    for rung, size in enumerate(LADDER):
        for p, (schedule, variants) in enumerate(schedules):
            if not size.trainable and p > 0:
                continue  # nothing to train: every schedule gives the same model
            for k, variant in enumerate(variants if size.trainable else variants[:1]):
                base = schedule if steps is None else replace(schedule, steps=steps)
                run_seed = seed + SEED_STRIDE * rung + 10 * p + k
                attempt = Attempt(size, replace(base, **variant), run_seed)
                candidates.append((attempt_cost(attempt), rung, p, k, attempt))
    return tuple(c[-1] for c in sorted(candidates, key=lambda c: c[:4]))
