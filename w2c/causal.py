"""Public API of the causal frontend: ``w2c.causal.discover(data, max_lag=...)``.

A thin re-export so users never import from ``w2c.frontends.causal`` internals.
"""

from __future__ import annotations

from w2c.frontends.causal.api import discover
from w2c.frontends.causal.checkpoint import load as load_model
from w2c.frontends.causal.checkpoint import save as save_model
from w2c.frontends.causal.data import TimeSeries, from_array, load
from w2c.frontends.causal.graph import CausalGraph, Edge, Selection, load_graph
from w2c.frontends.causal.synthetic import SyntheticSystem, generate

__all__ = [
    "CausalGraph",
    "Edge",
    "Selection",
    "SyntheticSystem",
    "TimeSeries",
    "discover",
    "from_array",
    "generate",
    "load",
    "load_graph",
    "load_model",
    "save_model",
]
