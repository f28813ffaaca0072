"""Step-to-step similarity: lexical by default, or a local sentence-embedding model.

Similarity answers "which earlier step does this one come back to" (reflection reach) and "how
far does it jump" (exploration novelty). The default needs nothing: cosine over the sets of
numbers and content words two steps share. A sentence-embedding model is used only when asked for
(`--embed NAME_OR_PATH`) and only from local files: w2c never downloads weights. The package
``sentence-transformers`` is imported lazily, so it is not a dependency.
"""

from __future__ import annotations

import importlib.util
import os
from collections.abc import Sequence
from typing import Protocol

import numpy as np

from w2c.errors import InputError
from w2c.frontends.bonds.labels import content
from w2c.limits import check_memory


class Similarity(Protocol):
    """Pairwise similarity of the steps of one trace, values in [0, 1]."""

    name: str

    def matrix(self, steps: Sequence[str]) -> np.ndarray: ...


class LexicalSimilarity:
    """Cosine similarity of the binary vectors of each step's numbers and content words."""

    name = "lexical"

    def matrix(self, steps: Sequence[str]) -> np.ndarray:
        bags = [numbers | words for numbers, words in map(content, steps)]
        vocabulary: dict[str, int] = {}
        for bag in bags:
            for token in bag:
                vocabulary.setdefault(token, len(vocabulary))
        # one dense row per step, then steps x steps products: check before allocating
        check_memory(
            8.0 * len(bags) * (max(1, len(vocabulary)) + 2 * len(bags)),
            f"the similarity of {len(bags)} steps over {len(vocabulary)} distinct words",
        )
        vectors = np.zeros((len(bags), max(1, len(vocabulary))))
        for row, bag in enumerate(bags):
            vectors[row, [vocabulary[t] for t in bag]] = 1.0
        return _cosine(vectors)


class SentenceEmbeddingSimilarity:
    """Cosine similarity of sentence embeddings from a locally installed model."""

    def __init__(self, model: str) -> None:
        if importlib.util.find_spec("sentence_transformers") is None:
            raise InputError("--embed needs the package sentence-transformers, not installed")
        os.environ.setdefault("HF_HUB_OFFLINE", "1")  # local files only: never download
        from sentence_transformers import SentenceTransformer  # noqa: PLC0415

        try:
            self._model = SentenceTransformer(model, local_files_only=True)
        except Exception as exc:  # the library raises many types for "not found locally"
            summary = " ".join(str(exc).split())[:160]
            raise InputError(f"cannot load embedding model {model!r} locally: {summary}") from None
        self.name = f"embedding:{model}"

    def matrix(self, steps: Sequence[str]) -> np.ndarray:
        vectors = np.asarray(self._model.encode(list(steps), show_progress_bar=False))
        return np.clip(_cosine(vectors), 0.0, 1.0)


def _cosine(vectors: np.ndarray) -> np.ndarray:
    norms = np.linalg.norm(vectors, axis=1, keepdims=True)
    unit = np.divide(vectors, norms, out=np.zeros_like(vectors, dtype=float), where=norms > 0)
    return unit @ unit.T


def similarity(embed: str | None) -> Similarity:
    """The lexical similarity, or a local embedding model when `embed` names one."""
    return LexicalSimilarity() if embed is None else SentenceEmbeddingSimilarity(embed)
