"""The MIPS benchmark's 62 sequence tasks, as w2c task files (docs/tasks.md).

61 tasks are ordinary ``w2c.Task`` objects here; the 62nd, newton_magnetic, has two output
channels and lives in ``v2_tasks.py`` until the task contract supports them. Each oracle is
written from the task's definition (loops, cumulative sums, comparisons), never from its
``reference`` rule, so ``tests/test_suite_tasks.py`` checking that the two agree is a real check.

Conventions (docs/tasks.md): reads before the start of a sequence are 0, so e.g.
previous_equals_current gives y[0] = [x[0] == 0]. A task whose rule needs its own running state
reads it back with ``feedback=True`` (y[t-1]), the way a user would write it; addition in base k
is one of these: the carry into step t is a function of a, b and y at t-1.

``UNREACHABLE`` lists the tasks that need more state than the model can carry, with the reason;
they stay defined (their oracles are exact) so anyone can still try them.

The file is self-contained (only w2c, NumPy and sympy) because ``w2c train FILE.py:NAME``
imports it as a standalone module; every task is a module-level variable for the same reason.
"""

from __future__ import annotations

import numpy as np
import sympy

from w2c.tasks import Bits, IntRange, Task, shift, x_sym, y_sym

LENGTH = 10
LONG = 20  # sum of the last 5..7 inputs and prev5 use sequences of length 20

x0, x1, x2, x3 = (x_sym(k) for k in range(4))
a0, b0, a1, b1 = x_sym(0, "a"), x_sym(0, "b"), x_sym(1, "a"), x_sym(1, "b")
y1, y2 = y_sym(1), y_sym(2)

DIGIT = IntRange(0, 10)
INT100 = IntRange(0, 100)
SIGNED100 = IntRange(-100, 100)
FORCE = IntRange(-10, 11)  # integer forces -10..10


def _ch(x: np.ndarray) -> np.ndarray:
    return x[..., 0]


def _ints(values: np.ndarray) -> np.ndarray:
    return np.rint(values).astype(np.int64)


def _flag(values: np.ndarray) -> np.ndarray:
    return values.astype(np.float64)


def _window_sum(values: np.ndarray, width: int) -> np.ndarray:
    """Sum of the last ``width`` values at each step (fewer at the start)."""
    total = np.cumsum(values, axis=1)
    return total - shift(total, width)


def _xor_of_last(bits: np.ndarray, width: int) -> np.ndarray:
    acc = np.zeros(bits.shape, dtype=np.int64)
    for lag in range(width):
        acc ^= _ints(shift(bits, lag))
    return _flag(acc)


def _add_digits(x: np.ndarray, base: int) -> np.ndarray:
    """Column addition of two numbers written least significant digit first; overflow dropped."""
    a, b = _ints(x[..., 0]), _ints(x[..., 1])
    carry = np.zeros(a.shape[0], dtype=np.int64)
    out = np.zeros(a.shape, dtype=np.int64)
    for t in range(a.shape[1]):
        column = a[:, t] + b[:, t] + carry
        out[:, t] = column % base
        carry = column // base
    return _flag(out)


def _addition_rule(base: int) -> sympy.Expr:
    """Digit t from a[t], b[t] and the carry that y[t-1] implies (the carry is 0 or 1 < base)."""
    carry_in_before = sympy.Mod(y1 - a1 - b1, base)
    carry = sympy.Piecewise((1, a1 + b1 + carry_in_before >= base), (0, True))
    return sympy.Mod(a0 + b0 + carry, base)


def _running_count(hits: np.ndarray) -> np.ndarray:
    return _flag(np.cumsum(hits.astype(np.int64), axis=1))


def _majority(x: np.ndarray, values: int) -> np.ndarray:
    """Most frequent value so far; ties go to the smaller value."""
    seq = _ints(_ch(x))
    counts = np.zeros((seq.shape[0], values), dtype=np.int64)
    rows = np.arange(seq.shape[0])
    out = np.zeros(seq.shape, dtype=np.int64)
    for t in range(seq.shape[1]):
        counts[rows, seq[:, t]] += 1
        out[:, t] = np.argmax(counts, axis=1)  # first maximum = smallest value
    return _flag(out)


def _palindromic_prefix(x: np.ndarray) -> np.ndarray:
    seq = _ints(_ch(x))
    out = np.zeros(seq.shape)
    for t in range(seq.shape[1]):
        prefix = seq[:, : t + 1]
        out[:, t] = np.all(prefix == prefix[:, ::-1], axis=1)
    return out


def _balanced(x: np.ndarray) -> np.ndarray:
    """0 opens, 1 closes; balanced = depth back to 0 without ever dipping below it."""
    step = np.where(_ints(_ch(x)) == 0, 1, -1)
    depth = np.cumsum(step, axis=1)
    never_negative = np.minimum.accumulate(depth, axis=1) >= 0
    return _flag((depth == 0) & never_negative)


def _long_division(x: np.ndarray, divisor: int) -> np.ndarray:
    """Bits arrive most significant first; emit each quotient bit as soon as it is known."""
    seq = _ints(_ch(x))
    remainder = np.zeros(seq.shape[0], dtype=np.int64)
    out = np.zeros(seq.shape, dtype=np.int64)
    for t in range(seq.shape[1]):
        value = 2 * remainder + seq[:, t]
        out[:, t] = value // divisor
        remainder = value % divisor
    return _flag(out)


def _dither(x: np.ndarray) -> np.ndarray:
    """Error-diffusion to one level per 15 units: how many levels this step's input completes."""
    levels = np.floor(np.cumsum(_ch(x), axis=1) / 15)
    return levels - shift(levels, 1)


def _position_parity(x: np.ndarray) -> np.ndarray:
    steps = np.arange(x.shape[1]) % 2
    return np.broadcast_to(steps, x.shape[:2]).astype(np.float64)


def _pattern(bits: np.ndarray, pattern: str) -> np.ndarray:
    """The last len(pattern) bits (oldest first, zero-padded) spell ``pattern``."""
    seq = _ints(bits)
    hit = np.ones(seq.shape, dtype=bool)
    for position, char in enumerate(pattern):
        hit &= shift(seq, len(pattern) - 1 - position) == int(char)
    return hit


def _alternating(x: np.ndarray, width: int) -> np.ndarray:
    first = "".join("01"[i % 2] for i in range(width))
    second = "".join("10"[i % 2] for i in range(width))
    return _flag(_pattern(_ch(x), first) | _pattern(_ch(x), second))


def _perfect_square(x: np.ndarray) -> np.ndarray:
    seq = _ints(_ch(x))
    root = np.floor(np.sqrt(seq)).astype(np.int64)
    return _flag(root * root == seq)


def _trajectory(x: np.ndarray, acceleration) -> np.ndarray:  # type: ignore[no-untyped-def]
    """Unit mass, unit time steps: v += a(force, position); p += v; output p."""
    force = _ch(x)
    position = np.zeros(force.shape[0])
    velocity = np.zeros(force.shape[0])
    out = np.zeros_like(force)
    for t in range(force.shape[1]):
        velocity = velocity + acceleration(force[:, t], position)
        position = position + velocity
        out[:, t] = position
    return out


def _bitwise(op) -> object:  # type: ignore[no-untyped-def]
    return lambda x: _flag(op(_ints(x[..., 0]), _ints(x[..., 1])))


def _addition(base: int) -> Task:
    digits = Bits() if base == 2 else IntRange(0, base)
    return Task(
        "binary_addition" if base == 2 else f"base_{base}_addition",
        (digits, digits),
        lambda x: _add_digits(x, base),
        channels=("a", "b"),
        feedback=True,
        reference=_addition_rule(base),
        output=IntRange(0, base),
        description=f"digits of a + b in base {base}, least significant first",
    )


def _sum_last(k: int) -> Task:
    return Task(
        f"sum_last{k}",
        (INT100,),
        lambda x: _window_sum(_ch(x), k),
        length=LENGTH if k <= 4 else LONG,
        reference=sum(x_sym(j) for j in range(k)),
        description=f"sum of the last {k} inputs",
    )


def _prev(k: int) -> Task:
    return Task(
        f"prev{k}",
        (INT100,),
        lambda x: shift(_ch(x), k),
        length=LENGTH if k <= 4 else LONG,
        reference=x_sym(k),
        description=f"the input {k} steps back (0 before that)",
    )


def _add_mod(k: int) -> Task:
    return Task(
        f"add_mod_{k}",
        (IntRange(0, k),),
        lambda x: np.cumsum(_ch(x), axis=1) % k,
        feedback=True,
        reference=sympy.Mod(y1 + x0, k),
        output=IntRange(0, k),
        description=f"running sum mod {k}",
    )


def _majority_task(top: int) -> Task:
    return Task(
        f"majority_0_{top}",
        (IntRange(0, top + 1),),
        lambda x: _majority(x, top + 1),
        description=f"most frequent value so far among 0..{top}, ties to the smaller",
    )


def _division(k: int) -> Task:
    return Task(
        f"div_{k}",
        (Bits(),),
        lambda x: _long_division(x, k),
        description=f"long division by {k}, most significant bit first: one quotient bit a step",
    )


def _newton(name: str, acceleration, rule: sympy.Expr, what: str) -> Task:  # type: ignore[no-untyped-def]
    return Task(
        name,
        (FORCE,),
        lambda x: _trajectory(x, acceleration),
        feedback=True,
        reference=rule,
        description=what,
    )


TASKS: dict[str, Task] = {
    t.name: t
    for t in [
        _addition(2),
        *(_addition(k) for k in range(3, 8)),
        Task(
            "bitwise_xor",
            (Bits(), Bits()),
            _bitwise(np.bitwise_xor),
            channels=("a", "b"),
            reference=sympy.Mod(a0 + b0, 2),
            description="a[t] xor b[t]",
        ),
        Task(
            "bitwise_or",
            (Bits(), Bits()),
            _bitwise(np.bitwise_or),
            channels=("a", "b"),
            reference=sympy.Max(a0, b0),
            description="a[t] or b[t]",
        ),
        Task(
            "bitwise_and",
            (Bits(), Bits()),
            _bitwise(np.bitwise_and),
            channels=("a", "b"),
            reference=a0 * b0,
            description="a[t] and b[t]",
        ),
        Task(
            "bitwise_not",
            (Bits(),),
            lambda x: _flag(np.logical_not(_ch(x))),
            reference=1 - x0,
            description="not x[t]",
        ),
        Task(
            "parity_last2",
            (Bits(),),
            lambda x: _xor_of_last(_ch(x), 2),
            reference=sympy.Mod(x0 + x1, 2),
            description="xor of the last 2 bits",
        ),
        Task(
            "parity_last3",
            (Bits(),),
            lambda x: _xor_of_last(_ch(x), 3),
            reference=sympy.Mod(x0 + x1 + x2, 2),
            description="xor of the last 3 bits",
        ),
        Task(
            "parity_last4",
            (Bits(),),
            lambda x: _xor_of_last(_ch(x), 4),
            reference=sympy.Mod(x0 + x1 + x2 + x3, 2),
            description="xor of the last 4 bits",
        ),
        Task(
            "parity_all",
            (Bits(),),
            lambda x: _flag(np.bitwise_xor.accumulate(_ints(_ch(x)), axis=1)),
            feedback=True,
            reference=sympy.Mod(y1 + x0, 2),
            output=Bits(),
            description="xor of every bit so far",
        ),
        Task(
            "parity_zeros",
            (Bits(),),
            lambda x: _running_count(_ch(x) == 0) % 2,
            feedback=True,
            reference=sympy.Mod(y1 + 1 - x0, 2),
            output=Bits(),
            description="number of zeros so far, mod 2",
        ),
        Task(
            "evens_counter",
            (DIGIT,),
            lambda x: _running_count(_ints(_ch(x)) % 2 == 0),
            feedback=True,
            reference=y1 + 1 - sympy.Mod(x0, 2),
            output=IntRange(0, LENGTH + 1),
            description="how many even digits so far",
        ),
        Task(
            "sum_all",
            (INT100,),
            lambda x: np.cumsum(_ch(x), axis=1),
            feedback=True,
            reference=y1 + x0,
            output=IntRange(0, 99 * LENGTH + 1),
            description="running sum",
        ),
        *(_sum_last(k) for k in range(2, 8)),
        Task(
            "current_number",
            (INT100,),
            lambda x: _ch(x).copy(),
            reference=x0,
            description="x[t]",
        ),
        *(_prev(k) for k in range(1, 6)),
        Task(
            "previous_equals_current",
            (IntRange(0, 8),),
            lambda x: _flag(_ch(x) == shift(_ch(x), 1)),
            reference=sympy.Piecewise((1, sympy.Eq(x0, x1)), (0, True)),
            description="x[t] == x[t-1] (x[-1] reads 0)",
        ),
        Task(
            "diff_last2",
            (SIGNED100,),
            lambda x: _ch(x) - shift(_ch(x), 1),
            reference=x0 - x1,
            description="x[t] - x[t-1]",
        ),
        Task(
            "abs_diff",
            (SIGNED100,),
            lambda x: np.abs(_ch(x) - shift(_ch(x), 1)),
            reference=sympy.Abs(x0 - x1),
            description="|x[t] - x[t-1]|",
        ),
        Task(
            "abs_current",
            (SIGNED100,),
            lambda x: np.abs(_ch(x)),
            reference=sympy.Abs(x0),
            description="|x[t]|",
        ),
        Task(
            "diff_abs_values",
            (SIGNED100,),
            lambda x: np.abs(_ch(x)) - np.abs(shift(_ch(x), 1)),
            reference=sympy.Abs(x0) - sympy.Abs(x1),
            description="|x[t]| - |x[t-1]|",
        ),
        # The running minimum has no rule over x and y[t-1] alone: y[-1] reads 0, which is also
        # a value the minimum can take, so the first step cannot be told from a step after a 0.
        Task(
            "min_seen",
            (DIGIT,),
            lambda x: np.minimum.accumulate(_ch(x), axis=1),
            feedback=True,
            output=DIGIT,
            description="smallest digit so far",
        ),
        Task(
            "max_seen",
            (INT100,),
            lambda x: np.maximum.accumulate(_ch(x), axis=1),
            feedback=True,
            reference=sympy.Max(y1, x0),
            output=INT100,
            description="largest input so far",
        ),
        *(_majority_task(top) for top in (1, 2, 3)),
        Task(
            "evens_detector",
            (DIGIT,),
            lambda x: _flag(_ints(_ch(x)) % 2 == 0),
            reference=1 - sympy.Mod(x0, 2),
            description="x[t] is even",
        ),
        Task(
            "perfect_square_detector",
            (IntRange(0, 20),),
            _perfect_square,
            reference=sympy.Piecewise(
                (1, sympy.Or(*(sympy.Eq(x0, v) for v in (0, 1, 4, 9, 16)))), (0, True)
            ),
            description="x[t] is a perfect square",
        ),
        Task(
            "bit_palindrome",
            (Bits(),),
            _palindromic_prefix,
            description="the bits so far read the same backwards (inputs uniform here)",
        ),
        Task(
            "balanced_parenthesis",
            (Bits(),),
            _balanced,
            description="0 = '(' and 1 = ')': the prefix is balanced and never closed too much",
        ),
        # t mod 2 has no rule over the contract's symbols (there is no position symbol).
        Task(
            "parity_bits_mod2",
            (Bits(),),
            _position_parity,
            description="t mod 2, whatever the input",
        ),
        Task(
            "alternating_last3",
            (Bits(),),
            lambda x: _alternating(x, 3),
            reference=(1 - x2) * x1 * (1 - x0) + x2 * (1 - x1) * x0,
            description="the last 3 bits (zero-padded) are 010 or 101",
        ),
        Task(
            "alternating_last4",
            (Bits(),),
            lambda x: _alternating(x, 4),
            reference=(1 - x3) * x2 * (1 - x1) * x0 + x3 * (1 - x2) * x1 * (1 - x0),
            description="the last 4 bits (zero-padded) are 0101 or 1010",
        ),
        Task(
            "bit_shift_right",
            (Bits(),),
            lambda x: shift(_ch(x), 1),
            reference=x1,
            description="the previous bit (0 first)",
        ),
        Task(
            "bit_dot_prod_mod2",
            (Bits(), Bits()),
            lambda x: _running_count(_ints(x[..., 0]) & _ints(x[..., 1])) % 2,
            channels=("a", "b"),
            feedback=True,
            reference=sympy.Mod(y1 + a0 * b0, 2),
            output=Bits(),
            description="sum of a[i] * b[i] for i <= t, mod 2",
        ),
        *(_division(k) for k in (3, 5, 7)),
        *(_add_mod(k) for k in range(3, 9)),
        Task(
            "dithering",
            (IntRange(0, 16),),
            _dither,
            description="1-bit error diffusion: floor(cumsum/15) minus its previous value",
        ),
        _newton(
            "newton_freebody",
            lambda force, position: force,
            2 * y1 - y2 + x0,
            "position under integer force x (unit mass)",
        ),
        _newton(
            "newton_gravity",
            lambda force, position: force - 1,
            2 * y1 - y2 + x0 - 1,
            "position under integer force x plus gravity -1",
        ),
        _newton(
            "newton_spring",
            lambda force, position: force - position,
            y1 - y2 + x0,
            "position of a unit spring under integer force x",
        ),
    ]
}

# ``w2c train mips_tasks.py:NAME`` reads a module-level variable NAME.
globals().update(TASKS)

# The benchmark's order (the paper's numbering) and names; newton_magnetic is in v2_tasks.py.
PAPER_NAMES: dict[str, str] = {
    "binary_addition": "Binary_Addition",
    **{f"base_{k}_addition": f"Base_{k}_Addition" for k in range(3, 8)},
    "bitwise_xor": "Bitwise_Xor",
    "bitwise_or": "Bitwise_Or",
    "bitwise_and": "Bitwise_And",
    "bitwise_not": "Bitwise_Not",
    "parity_last2": "Parity_Last2",
    "parity_last3": "Parity_Last3",
    "parity_last4": "Parity_Last4",
    "parity_all": "Parity_All",
    "parity_zeros": "Parity_Zeros",
    "evens_counter": "Evens_Counter",
    "sum_all": "Sum_All",
    **{f"sum_last{k}": f"Sum_Last{k}" for k in range(2, 8)},
    "current_number": "Current_Number",
    **{f"prev{k}": f"Prev{k}" for k in range(1, 6)},
    "previous_equals_current": "Previous_Equals_Current",
    "diff_last2": "Diff_Last2",
    "abs_diff": "Abs_Diff",
    "abs_current": "Abs_Current",
    "diff_abs_values": "Diff_Abs_Values",
    "min_seen": "Min_Seen",
    "max_seen": "Max_Seen",
    **{f"majority_0_{k}": f"Majority_0_{k}" for k in (1, 2, 3)},
    "evens_detector": "Evens_Detector",
    "perfect_square_detector": "Perfect_Square_Detector",
    "bit_palindrome": "Bit_Palindrome",
    "balanced_parenthesis": "Balanced_Parenthesis",
    "parity_bits_mod2": "Parity_Bits_Mod2",
    "alternating_last3": "Alternating_Last3",
    "alternating_last4": "Alternating_Last4",
    "bit_shift_right": "Bit_Shift_Right",
    "bit_dot_prod_mod2": "Bit_Dot_Prod_Mod2",
    **{f"div_{k}": f"Div_{k}" for k in (3, 5, 7)},
    **{f"add_mod_{k}": f"Add_Mod_{k}" for k in range(3, 9)},
    "dithering": "Dithering",
    "newton_freebody": "Newton_Freebody",
    "newton_gravity": "Newton_Gravity",
    "newton_spring": "Newton_Spring",
    "newton_magnetic": "Newton_Magnetic",
}

_OVER_Y = "y[t-1] does not hold it"
_WINDOW = (
    "it is a function of the whole prefix, which fits in the 10-step window (leading zeros are "
    "neutral), but only with ~9 lag heads feeding one many-input sub-MLP"
)
_PAD_ZERO = "and x[t<0] reads 0, which is itself an input value, so the window cannot count it"

# The tasks that need state the model family does not carry (it has no hidden state; the only
# memory is the input window and y[t-1] for feedback tasks).
UNREACHABLE: dict[str, str] = {
    "majority_0_1": f"needs a count per value so far; {_OVER_Y}, {_PAD_ZERO}",
    "majority_0_2": f"needs a count per value so far; {_OVER_Y}, {_PAD_ZERO}",
    "majority_0_3": f"needs a count per value so far; {_OVER_Y}, {_PAD_ZERO}",
    "div_3": f"needs the running remainder mod 3; {_OVER_Y}; {_WINDOW}",
    "div_5": f"needs the running remainder mod 5; {_OVER_Y}; {_WINDOW}",
    "div_7": f"needs the running remainder mod 7; {_OVER_Y}; {_WINDOW}",
    "dithering": f"needs the running error cumsum mod 15; {_OVER_Y}; {_WINDOW}",
    "balanced_parenthesis": f"needs the nesting depth; {_OVER_Y}, {_PAD_ZERO} ('(' is 0)",
    "bit_palindrome": "needs the whole prefix and where it starts; y[t-1] does not hold it, and "
    "padding zeros are indistinguishable from input zeros",
}
