"""The shipped task corpus (MIPS-style algorithmic tasks, sequence length 10).

Each oracle is written directly from the task's definition (not from its reference rule), so the
two are independent checks of each other; tests/test_tasks.py confirms they agree.
"""

from __future__ import annotations

import numpy as np
import sympy

from w2c.tasks import Bits, IntRange, RealInterval, Task, shift, x_sym, y_sym

LENGTH = 10

x0, x1, x2 = x_sym(0), x_sym(1), x_sym(2)
y1, y2 = y_sym(1), y_sym(2)


def _ch(x: np.ndarray) -> np.ndarray:
    return x[..., 0]


def _spring(x: np.ndarray) -> np.ndarray:
    """MIPS spring (k = m = 1): a = f - p; v += a; p += v; output p."""
    force = _ch(x)
    position = np.zeros(force.shape[0])
    velocity = np.zeros(force.shape[0])
    out = np.zeros_like(force)
    for t in range(force.shape[1]):
        velocity = velocity + (force[:, t] - position)
        position = position + velocity
        out[:, t] = position
    return out


def _parity(*bits: np.ndarray) -> np.ndarray:
    acc = np.zeros_like(bits[0], dtype=np.int64)
    for b in bits:
        acc ^= b.astype(np.int64)
    return acc.astype(np.float64)


INT100 = IntRange(0, 100)
SIGNED100 = IntRange(-100, 100)
FORCE = RealInterval(-10.0, 10.0)

TASKS: dict[str, Task] = {
    t.name: t
    for t in [
        Task(
            "sum_last2",
            (INT100,),
            lambda x: _ch(x) + shift(_ch(x), 1),
            reference=x0 + x1,
            description="x[t] + x[t-1]",
        ),
        Task(
            "sum_last3",
            (INT100,),
            lambda x: _ch(x) + shift(_ch(x), 1) + shift(_ch(x), 2),
            reference=x0 + x1 + x2,
            description="x[t] + x[t-1] + x[t-2]",
        ),
        Task(
            "diff_last2",
            (SIGNED100,),
            lambda x: _ch(x) - shift(_ch(x), 1),
            reference=x0 - x1,
            description="x[t] - x[t-1]",
        ),
        Task(
            "prev2",
            (INT100,),
            lambda x: shift(_ch(x), 2),
            reference=x2,
            description="x[t-2] (0 for t < 2)",
        ),
        Task(
            "abs_value",
            (SIGNED100,),
            lambda x: np.abs(_ch(x)),
            reference=sympy.Abs(x0),
            description="|x[t]|",
        ),
        Task(
            "parity_last2",
            (Bits(),),
            lambda x: _parity(_ch(x), shift(_ch(x), 1)),
            reference=sympy.Mod(x0 + x1, 2),
            description="x[t] xor x[t-1]",
        ),
        Task(
            "parity_last3",
            (Bits(),),
            lambda x: _parity(_ch(x), shift(_ch(x), 1), shift(_ch(x), 2)),
            reference=sympy.Mod(x0 + x1 + x2, 2),
            description="x[t] xor x[t-1] xor x[t-2]",
        ),
        Task(
            "and_last2",
            (Bits(),),
            lambda x: np.logical_and(_ch(x), shift(_ch(x), 1)).astype(np.float64),
            reference=x0 * x1,
            description="x[t] and x[t-1]",
        ),
        Task(
            "or_last2",
            (Bits(),),
            lambda x: np.logical_or(_ch(x), shift(_ch(x), 1)).astype(np.float64),
            reference=sympy.Max(x0, x1),
            description="x[t] or x[t-1]",
        ),
        Task(
            "bitwise_xor",
            (Bits(), Bits()),
            lambda x: _parity(x[..., 0], x[..., 1]),
            channels=("a", "b"),
            reference=sympy.Mod(x_sym(0, "a") + x_sym(0, "b"), 2),
            description="a[t] xor b[t]",
        ),
        Task(
            "maximum_prev2",
            (INT100,),
            lambda x: np.maximum(_ch(x), shift(_ch(x), 1)),
            reference=sympy.Max(x0, x1),
            description="max(x[t], x[t-1])",
        ),
        Task(
            "minimum_prev2",
            (INT100,),
            lambda x: np.minimum(_ch(x), shift(_ch(x), 1)),
            reference=sympy.Min(x0, x1),
            description="min(x[t], x[t-1]) (so y[0] = min(x[0], 0) = 0)",
        ),
        Task(
            "add_mod_3",
            (IntRange(0, 3),),
            lambda x: np.cumsum(_ch(x), axis=1) % 3,
            feedback=True,
            reference=sympy.Mod(y1 + x0, 3),
            output=IntRange(0, 3),
            description="(x[0] + ... + x[t]) mod 3",
        ),
        Task(
            "running_max",
            (INT100,),
            lambda x: np.maximum.accumulate(_ch(x), axis=1),
            feedback=True,
            reference=sympy.Max(y1, x0),
            output=INT100,
            description="max(x[0..t])",
        ),
        Task(
            "freebody",
            (FORCE,),
            lambda x: np.cumsum(np.cumsum(_ch(x), axis=1), axis=1),
            feedback=True,
            reference=2 * y1 - y2 + x0,
            description="position under acceleration x: y[t] = 2y[t-1] - y[t-2] + x[t]",
        ),
        Task(
            "gravity",
            (FORCE,),
            lambda x: np.cumsum(np.cumsum(_ch(x) - 1.0, axis=1), axis=1),
            feedback=True,
            reference=2 * y1 - y2 + x0 - 1,
            description="position under force x and gravity (g = m = 1)",
        ),
        Task(
            "spring",
            (FORCE,),
            _spring,
            feedback=True,
            reference=y1 - y2 + x0,
            description="position of a unit spring under force x (k = m = 1)",
        ),
    ]
}
