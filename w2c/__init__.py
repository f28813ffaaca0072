"""w2c: compile trained Discrete Transformers into verified Python programs."""

from w2c.tasks import Bits, Fractions, IntRange, RealInterval, Task, shift, x_sym, y_sym

__version__ = "0.1.0"

__all__ = [
    "Bits",
    "Fractions",
    "IntRange",
    "RealInterval",
    "Task",
    "__version__",
    "compile_model",
    "shift",
    "train",
    "x_sym",
    "y_sym",
]


_LAZY = {"compile_model": "w2c.compiler", "train": "w2c.network.search"}


def __getattr__(name: str):  # type: ignore[no-untyped-def]
    """``w2c.compile_model`` and ``w2c.train`` import torch only when first used."""
    if name in _LAZY:
        import importlib

        return getattr(importlib.import_module(_LAZY[name]), name)
    raise AttributeError(f"module 'w2c' has no attribute {name!r}")
