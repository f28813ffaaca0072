"""Public Python API of the CoT-bond frontend (``w2c bonds``), e.g. ``w2c.bonds.analyze(...)``.

A thin re-export of :mod:`w2c.frontends.bonds.api` so users import one stable name.
"""

from __future__ import annotations

from w2c.frontends.bonds.api import (
    Analysis,
    Comparison,
    analyze,
    compare,
    plan,
    write_plans,
)
from w2c.frontends.bonds.episodes import EpisodeLabeller
from w2c.frontends.bonds.labels import LABELS, Labeller, RuleLabeller
from w2c.frontends.bonds.llm import LLMLabeller

__all__ = [
    "LABELS",
    "Analysis",
    "Comparison",
    "EpisodeLabeller",
    "LLMLabeller",
    "Labeller",
    "RuleLabeller",
    "analyze",
    "compare",
    "plan",
    "write_plans",
]
