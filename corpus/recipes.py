"""Per-task training plans for the corpus: model sizes to try in order, and restarts per size.

Sizes are (heads, sub-MLPs) per layer plus the sub-MLP hidden width. Like the paper's per-task
grid search, the first size is the smallest that holds the task's textbook algorithm (a task
that needs no history gets no heads, a linear task no sub-MLP): less room for spurious
structure, so the compiled program is the algorithm rather than a faithful but opaque detour.
Later sizes give restarts more room. A task without an entry uses
``w2c.network.train.DEFAULT_RECIPE``.
"""

from __future__ import annotations

from w2c.network.config import ModelSize, Recipe

POINTWISE = ModelSize(((0, 1),), 8)  # y[t] = f(inputs at t)
LINEAR = ModelSize(((2, 0),), 8)  # y[t] = linear in shifted inputs
ONE_HEAD_MLP = ModelSize(((1, 1),), 8)  # y[t] = f(x[t], x[t-1])
ONE_LAYER = ModelSize(((2, 1),), 8)
WIDE = ModelSize(((2, 2),), 16)
TWO_LAYERS = ModelSize(((2, 1), (0, 1)), 8)


def plan(*sizes: ModelSize) -> Recipe:
    return Recipe(sizes=sizes)


RECIPES: dict[str, Recipe] = {
    "sum_last2": plan(LINEAR, ONE_LAYER),
    "sum_last3": plan(LINEAR, ModelSize(((3, 0),), 8), ONE_LAYER),
    "diff_last2": plan(LINEAR, ONE_LAYER),
    "prev2": plan(LINEAR, ONE_LAYER),
    "abs_value": plan(POINTWISE, ModelSize(((0, 1),), 16), ONE_LAYER),
    "parity_last2": plan(ONE_HEAD_MLP, ONE_LAYER),
    "parity_last3": plan(TWO_LAYERS, ModelSize(((2, 1),), 16, 3)),
    "and_last2": plan(ONE_HEAD_MLP, ONE_LAYER),
    "or_last2": plan(ONE_HEAD_MLP, ONE_LAYER),
    "bitwise_xor": plan(POINTWISE, ModelSize(((0, 2),), 8)),
    "maximum_prev2": plan(ONE_HEAD_MLP, ONE_LAYER, WIDE),
    "minimum_prev2": plan(ONE_HEAD_MLP, ONE_LAYER, WIDE),
    "add_mod_3": plan(ModelSize(((0, 1),), 16), ModelSize(((1, 1),), 16), WIDE),
    "running_max": plan(POINTWISE, ONE_HEAD_MLP, WIDE),
    "freebody": plan(ONE_LAYER, LINEAR),
    "gravity": plan(ONE_LAYER, LINEAR),
    "spring": plan(ONE_LAYER, LINEAR),
}
