"""The suite's own tasks beyond MIPS: thresholds, clamps, mixes of lags, several input channels,
counters (task files in the form of docs/tasks.md; ``python benchmarks/suite/run.py --own``).

None of these was used to tune w2c. Each oracle is written from the task's definition (NumPy
comparisons, loops, cumulative operations), never from its ``reference`` rule;
``tests/test_suite_tasks.py`` checks that the two agree. The tasks with two output channels or
fractional outputs are in ``v2_tasks.py``.

Self-contained (only w2c, NumPy and sympy) because ``w2c train FILE.py:NAME`` imports it as a
standalone module; every task is a module-level variable for the same reason.
"""

from __future__ import annotations

import numpy as np
import sympy

from w2c.tasks import Bits, IntRange, Task, shift, x_sym, y_sym

x0, x1, x2, x3 = (x_sym(k) for k in range(4))
y1 = y_sym(1)
a0, b0, b1 = x_sym(0, "a"), x_sym(0, "b"), x_sym(1, "b")

DIGIT = IntRange(0, 10)
INT100 = IntRange(0, 100)


def _ch(x: np.ndarray) -> np.ndarray:
    return x[..., 0]


def _flag(values: np.ndarray) -> np.ndarray:
    return values.astype(np.float64)


def _indicator(condition: sympy.Basic) -> sympy.Expr:
    return sympy.Piecewise((1, condition), (0, True))


def _counter(x: np.ndarray, step) -> np.ndarray:  # type: ignore[no-untyped-def]
    """A loop over t: state = step(state, x[t]); output the state."""
    seq = _ch(x)
    state = np.zeros(seq.shape[0])
    out = np.zeros_like(seq)
    for t in range(seq.shape[1]):
        state = step(state, seq[:, t])
        out[:, t] = state
    return out


TASKS: dict[str, Task] = {
    t.name: t
    for t in [
        Task(
            "threshold_50",
            (INT100,),
            lambda x: _flag(_ch(x) >= 50),
            reference=_indicator(x0 >= 50),
            description="1 when x[t] >= 50",
        ),
        Task(
            "sum_reaches_10",
            (DIGIT,),
            lambda x: _flag(_ch(x) + shift(_ch(x), 1) >= 10),
            reference=_indicator(x0 + x1 >= 10),
            description="1 when x[t] + x[t-1] >= 10",
        ),
        Task(
            "clamp_20_80",
            (INT100,),
            lambda x: np.clip(_ch(x), 20, 80),
            reference=sympy.Min(sympy.Max(x0, 20), 80),
            description="x[t] clamped to [20, 80]",
        ),
        Task(
            "rise",
            (INT100,),
            lambda x: np.where(_ch(x) > shift(_ch(x), 1), _ch(x) - shift(_ch(x), 1), 0.0),
            reference=sympy.Max(x0 - x1, 0),
            description="how much x rose since the last step (0 when it fell)",
        ),
        Task(
            "sign",
            (IntRange(-100, 100),),
            lambda x: np.sign(_ch(x)),
            reference=sympy.Piecewise((1, x0 > 0), (-1, x0 < 0), (0, True)),
            description="sign of x[t]",
        ),
        Task(
            "lags_1_and_3",
            (DIGIT,),
            lambda x: shift(_ch(x), 1) + shift(_ch(x), 3),
            reference=x1 + x3,
            description="x[t-1] + x[t-3]",
        ),
        Task(
            "twice_minus_lag2",
            (DIGIT,),
            lambda x: 2 * _ch(x) - shift(_ch(x), 2),
            reference=2 * x0 - x2,
            description="2 x[t] - x[t-2]",
        ),
        Task(
            "change_over_3",
            (IntRange(-50, 50),),
            lambda x: _ch(x) - shift(_ch(x), 3),
            reference=x0 - x3,
            description="x[t] - x[t-3]",
        ),
        Task(
            "max_last3",
            (INT100,),
            lambda x: np.max(np.stack([shift(_ch(x), k) for k in range(3)]), axis=0),
            reference=sympy.Max(x0, x1, x2),
            description="max of the last 3 inputs",
        ),
        Task(
            "product_last2",
            (DIGIT,),
            lambda x: _ch(x) * shift(_ch(x), 1),
            reference=x0 * x1,
            description="x[t] * x[t-1]",
        ),
        Task(
            "sum_last2_mod5",
            (IntRange(0, 5),),
            lambda x: (_ch(x) + shift(_ch(x), 1)) % 5,
            reference=sympy.Mod(x0 + x1, 5),
            description="(x[t] + x[t-1]) mod 5",
        ),
        Task(
            "a_plus_previous_b",
            (DIGIT, DIGIT),
            lambda x: x[..., 0] + shift(x[..., 1], 1),
            channels=("a", "b"),
            reference=a0 + b1,
            description="a[t] + b[t-1]",
        ),
        Task(
            "larger_channel",
            (INT100, INT100),
            lambda x: np.maximum(x[..., 0], x[..., 1]),
            channels=("a", "b"),
            reference=sympy.Max(a0, b0),
            description="max(a[t], b[t])",
        ),
        Task(
            "channel_distance",
            (INT100, INT100),
            lambda x: np.abs(x[..., 0] - x[..., 1]),
            channels=("a", "b"),
            reference=sympy.Abs(a0 - b0),
            description="|a[t] - b[t]|",
        ),
        Task(
            "channels_equal",
            (IntRange(0, 8), IntRange(0, 8)),
            lambda x: _flag(x[..., 0] == x[..., 1]),
            channels=("a", "b"),
            reference=_indicator(sympy.Eq(a0, b0)),
            description="a[t] == b[t]",
        ),
        Task(
            "select",
            (Bits(), DIGIT, DIGIT),
            lambda x: np.where(x[..., 0] == 1, x[..., 1], x[..., 2]),
            channels=("s", "u", "w"),
            reference=x_sym(0, "s") * x_sym(0, "u") + (1 - x_sym(0, "s")) * x_sym(0, "w"),
            description="u[t] when the selector s[t] is 1, else w[t]",
        ),
        Task(
            "count_ones",
            (Bits(),),
            lambda x: _counter(x, lambda state, bit: state + bit),
            feedback=True,
            reference=y1 + x0,
            output=IntRange(0, 11),
            description="how many ones so far",
        ),
        Task(
            "saturating_counter",
            (Bits(),),
            lambda x: _counter(x, lambda state, bit: np.minimum(state + bit, 3)),
            feedback=True,
            reference=sympy.Min(y1 + x0, 3),
            output=IntRange(0, 4),
            description="ones so far, but never more than 3",
        ),
        Task(
            "run_of_ones",
            (Bits(),),
            lambda x: _counter(x, lambda state, bit: np.where(bit == 1, state + 1, 0.0)),
            feedback=True,
            reference=x0 * (y1 + 1),
            output=IntRange(0, 11),
            description="length of the current run of ones",
        ),
        Task(
            "capped_sum",
            (IntRange(0, 5),),
            lambda x: _counter(x, lambda state, v: np.minimum(state + v, 12)),
            feedback=True,
            reference=sympy.Min(y1 + x0, 12),
            output=IntRange(0, 13),
            description="running sum that stops at 12",
        ),
    ]
}

# ``w2c train own_tasks.py:NAME`` reads a module-level variable NAME.
globals().update(TASKS)
