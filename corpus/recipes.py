"""Per-task training plans for the corpus: model sizes to try in order, and restarts per size.

Sizes are (heads, sub-MLPs) per layer plus the sub-MLP hidden width. A task without an entry
uses ``w2c.train.DEFAULT_RECIPE``.
"""

from __future__ import annotations

from w2c.model.config import ModelSize, Recipe

RECIPES: dict[str, Recipe] = {}
