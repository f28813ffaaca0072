"""w2c: compile trained Discrete Transformers into verified Python programs."""

from w2c.tasks import Bits, IntRange, RealInterval, Task, x_sym, y_sym

__version__ = "0.1.0"

__all__ = ["Bits", "IntRange", "RealInterval", "Task", "__version__", "x_sym", "y_sym"]
