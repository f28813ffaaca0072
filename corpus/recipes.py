"""Per-task training plans for the corpus: model sizes to try in order, and restarts per size.

Sizes are (heads, sub-MLPs) per layer plus the sub-MLP hidden width. A task without an entry
uses ``w2c.train.DEFAULT_RECIPE``. The first size is the smallest that the task's textbook
algorithm fits in; later sizes give restarts more room.
"""

from __future__ import annotations

from w2c.model.config import ModelSize, Recipe

ONE_LAYER = ModelSize(((2, 1),), 8)
WIDE = ModelSize(((2, 2),), 16)
TWO_LAYERS = ModelSize(((2, 1), (1, 1)), 16)

RECIPES: dict[str, Recipe] = {
    "parity_last3": Recipe(sizes=(TWO_LAYERS, ModelSize(((3, 2), (1, 1)), 16))),
    "add_mod_3": Recipe(sizes=(ModelSize(((1, 1),), 16), WIDE)),
    "running_max": Recipe(sizes=(ModelSize(((1, 1),), 8), WIDE)),
    "sum_last3": Recipe(sizes=(ModelSize(((3, 1),), 8), WIDE)),
}
