"""Tasks that need the task contract v2: several output channels, or fractional outputs.

docs/tasks.md (contract v1) has one output per position, compared after rounding whenever every
input is an integer range. These tasks need more:

- several output channels: the oracle returns y[batch, T, K] and ``outputs`` names the K
  channels; a feedback task reads each channel's past values (``x_sym(k, "px")`` is px[t-k]);
- fractional outputs from integer inputs: ``output=Fractions(lo, hi, denominator)`` declares
  the output grid, so the outputs are compared exactly on multiples of 1/denominator instead
  of after rounding to integers.

With a w2c whose ``Task`` has no ``outputs`` field (contract v1), every task here is a
:class:`NeedsContractV2` record (name, definition, the fields it would be built with) rather
than a Task, so the suite reports "needs contract v2" instead of crashing.

Self-contained (only w2c, NumPy and sympy), like every task file ``w2c train FILE.py:NAME`` reads.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Any

import numpy as np
import sympy

from w2c.tasks import Fractions, IntRange, Task, shift, x_sym

LENGTH = 10

CONTRACT_V2 = "outputs" in {f.name for f in dataclasses.fields(Task)}


@dataclass(frozen=True)
class NeedsContractV2:
    """A task w2c cannot take yet; ``fields`` are the keyword arguments of its future Task."""

    name: str
    reason: str
    fields: dict[str, Any]

    @property
    def oracle(self) -> Any:
        return self.fields["oracle"]

    @property
    def description(self) -> str:
        return str(self.fields.get("description", ""))


def _v2_task(reason: str, **fields: Any) -> Task | NeedsContractV2:
    """The Task when w2c has contract v2 and accepts these fields, else the pending record."""
    if CONTRACT_V2:
        try:
            return Task(**fields)
        except Exception as exc:  # v2 exists but its API differs from the guess: say so
            reason = f"contract v2 refused the task: {type(exc).__name__}: {exc}"
    return NeedsContractV2(fields["name"], reason, fields)


TWO_OUTPUTS = "two output channels"
FRACTIONAL = "fractional outputs from integer inputs"


def _magnetic(x: np.ndarray) -> np.ndarray:
    """Unit mass in a unit magnetic field: a = F + (-v_y, v_x); v += a; p += v; output p."""
    force = x
    position = np.zeros((x.shape[0], 2))
    velocity = np.zeros((x.shape[0], 2))
    out = np.zeros(x.shape[:2] + (2,))
    for t in range(x.shape[1]):
        turn = np.stack([-velocity[:, 1], velocity[:, 0]], axis=1)
        velocity = velocity + force[:, t] + turn
        position = position + velocity
        out[:, t] = position
    return out


def _px(lag: int) -> sympy.Symbol:
    return x_sym(lag, "px")


def _py(lag: int) -> sympy.Symbol:
    return x_sym(lag, "py")


FORCE = IntRange(-10, 11)
INT100 = IntRange(0, 100)

_ALL = [
    _v2_task(
        TWO_OUTPUTS,
        name="newton_magnetic",
        inputs=(FORCE, FORCE),
        oracle=_magnetic,
        channels=("fx", "fy"),
        outputs=("px", "py"),
        feedback=True,
        length=LENGTH,
        # v[t-1] = p[t-1] - p[t-2]; the field turns it by 90 degrees.
        reference=(
            2 * _px(1) - _px(2) + x_sym(0, "fx") - (_py(1) - _py(2)),
            2 * _py(1) - _py(2) + x_sym(0, "fy") + (_px(1) - _px(2)),
        ),
        description="2-D position of a unit mass under integer forces in a unit magnetic field",
    ),
    _v2_task(
        FRACTIONAL,
        name="average_last2",
        inputs=(INT100,),
        oracle=lambda x: (x[..., 0] + shift(x[..., 0], 1)) / 2,
        output=Fractions(0, 99, 2),
        length=LENGTH,
        reference=(x_sym(0) + x_sym(1)) / 2,
        description="mean of the last two inputs (halves)",
    ),
    _v2_task(
        FRACTIONAL,
        name="third_of_sum3",
        inputs=(IntRange(0, 10),),
        oracle=lambda x: sum(shift(x[..., 0], k) for k in range(3)) / 3,
        output=Fractions(0, 9, 3),
        length=LENGTH,
        reference=(x_sym(0) + x_sym(1) + x_sym(2)) / 3,
        description="mean of the last three digits (thirds)",
    ),
    _v2_task(
        TWO_OUTPUTS,
        name="min_max_last2",
        inputs=(INT100,),
        oracle=lambda x: np.stack(
            [
                np.minimum(x[..., 0], shift(x[..., 0], 1)),
                np.maximum(x[..., 0], shift(x[..., 0], 1)),
            ],
            axis=-1,
        ),
        outputs=("lo", "hi"),
        length=LENGTH,
        reference=(sympy.Min(x_sym(0), x_sym(1)), sympy.Max(x_sym(0), x_sym(1))),
        description="(min, max) of the last two inputs",
    ),
    _v2_task(
        TWO_OUTPUTS,
        name="sum_and_difference",
        inputs=(INT100, INT100),
        oracle=lambda x: np.stack([x[..., 0] + x[..., 1], x[..., 0] - x[..., 1]], axis=-1),
        channels=("a", "b"),
        outputs=("total", "gap"),
        length=LENGTH,
        reference=(x_sym(0, "a") + x_sym(0, "b"), x_sym(0, "a") - x_sym(0, "b")),
        description="(a + b, a - b) per step",
    ),
]

TASKS: dict[str, Task | NeedsContractV2] = {t.name: t for t in _ALL}

# ``w2c train v2_tasks.py:NAME`` reads a module-level variable NAME.
globals().update(TASKS)

MIPS = ("newton_magnetic",)  # the MIPS benchmark's only contract-v2 task
OWN = tuple(name for name in TASKS if name not in MIPS)
