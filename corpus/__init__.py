"""The shipped corpus: task definitions with oracles and reference rules, and trained models."""

from __future__ import annotations

from pathlib import Path

from w2c.corpus.tasks import TASKS

MODELS_DIR = Path(__file__).resolve().parent / "models"

__all__ = ["MODELS_DIR", "TASKS", "model_path"]


def model_path(name: str) -> Path:
    """Where the shipped checkpoint of corpus task ``name`` lives."""
    return MODELS_DIR / f"{name}.pt"
