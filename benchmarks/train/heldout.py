"""Tasks outside the corpus, never used to choose the search's plan or settings.

Each oracle is written from the task's definition; the reference (for the benchmark's textbook
column only, never seen by training) from the same definition, independently.
"""

from __future__ import annotations

import numpy as np
import sympy

from w2c import Bits, IntRange, Task, shift, x_sym, y_sym

x0, x1, x2, x3 = (x_sym(k) for k in range(4))


def _x(x: np.ndarray) -> np.ndarray:
    return x[..., 0]


def _lags(x: np.ndarray, count: int) -> list[np.ndarray]:
    return [shift(_x(x), k) for k in range(count)]


TASKS: dict[str, Task] = {
    t.name: t
    for t in [
        Task(
            "bitwise_or",
            (Bits(), Bits()),
            lambda x: np.logical_or(x[..., 0], x[..., 1]).astype(np.float64),
            channels=("a", "b"),
            reference=sympy.Max(x_sym(0, "a"), x_sym(0, "b")),
            description="a[t] or b[t]",
        ),
        Task(
            "running_min",
            (IntRange(0, 100),),
            lambda x: np.minimum.accumulate(_x(x), axis=1),
            description="min(x[0..t]) (no feedback)",
        ),
        Task(
            "sum_last4",
            (IntRange(0, 100),),
            lambda x: sum(_lags(x, 4)),
            reference=x0 + x1 + x2 + x3,
            description="x[t] + x[t-1] + x[t-2] + x[t-3]",
        ),
        Task(
            "parity_last4",
            (Bits(),),
            lambda x: np.bitwise_xor.reduce(np.stack(_lags(x, 4)).astype(np.int64)).astype(float),
            reference=sympy.Mod(x0 + x1 + x2 + x3, 2),
            description="x[t] xor x[t-1] xor x[t-2] xor x[t-3]",
        ),
        Task(
            "equal_prev",
            (IntRange(0, 10),),
            lambda x: (_x(x) == shift(_x(x), 1)).astype(np.float64),
            description="1 if x[t] == x[t-1] else 0",
        ),
        Task(
            "product_prev",
            (IntRange(0, 10),),
            lambda x: _x(x) * shift(_x(x), 1),
            reference=x0 * x1,
            description="x[t] * x[t-1]",
        ),
        Task(
            "sum_mod_5",
            (IntRange(0, 5),),
            lambda x: np.mod(_x(x) + shift(_x(x), 1), 5),
            reference=sympy.Mod(x0 + x1, 5),
            description="(x[t] + x[t-1]) mod 5",
        ),
        Task(
            "odd_not",
            (IntRange(0, 10),),
            lambda x: 1 - np.mod(_x(x), 2),
            reference=1 - sympy.Mod(x0, 2),
            description="1 - x[t] mod 2",
        ),
        Task(
            "running_sum",
            (IntRange(0, 10),),
            lambda x: np.cumsum(_x(x), axis=1),
            feedback=True,
            reference=x_sym(0) + y_sym(1),
            description="x[0] + ... + x[t], feedback",
        ),
        Task(
            "clamp",
            (IntRange(-50, 50),),
            lambda x: np.clip(_x(x), -10, 10),
            reference=sympy.Min(sympy.Max(x0, -10), 10),
            description="x[t] clamped to [-10, 10]",
        ),
    ]
}
