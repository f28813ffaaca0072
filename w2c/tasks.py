"""The task contract (docs/tasks.md): input domains, oracle, outputs, feedback flag, reference rule.

A task says what a model should compute: the per-channel input domain, the sequence length, a
vectorised oracle ``oracle(x[batch, T, C]) -> y[batch, T]`` (``y[batch, T, K]`` for K named
output channels) over the input channels only, the output domain (which fixes the grid outputs
are compared on: integers, multiples of 1/d, or reals), whether the task feeds its previous
outputs back (``feedback``), and an optional sympy ``reference`` rule per output over the
symbols returned by :func:`x_sym` and :func:`y_sym`.

Reads before the start of a sequence are 0: x_{t<0} = 0 and y_{t<0} = 0.
"""

from __future__ import annotations

import builtins
import hashlib
import keyword
import math
import re
import reprlib
from collections.abc import Callable
from dataclasses import dataclass, field
from fractions import Fraction
from functools import cached_property
from typing import Any, Literal

import numpy as np
import sympy

from w2c.contract import FEEDBACK_INPUT
from w2c.errors import InputError

NAME_PATTERN = re.compile(r"[A-Za-z_][A-Za-z0-9_]{0,63}")
_SYMBOL_PATTERN = re.compile(r"([A-Za-z_][A-Za-z0-9_]{0,63})\[t(?:-([0-9]+))?\]")


def is_valid_name(name: object) -> bool:
    """Names of tasks and channels: identifiers of at most 64 characters, not Python keywords."""
    return (
        isinstance(name, str)
        and NAME_PATTERN.fullmatch(name) is not None
        and not keyword.iskeyword(name)
    )


# Names the emitted program uses for itself; a channel may not take them (docs/tasks.md).
_PROGRAM_NAMES = frozenset(
    {"xs", "t", "v", "y", FEEDBACK_INPUT, "np", "math", "program", "program_numpy"}
)
_STEP_VARIABLE = re.compile(r".+_t[0-9]*")  # x_t, x_t2: a channel's value at a lag


def reserved_channel(channel: str) -> bool:
    """A channel name that would collide with a name of the compiler or of the emitted program."""
    return (
        channel in _PROGRAM_NAMES
        or channel in dir(builtins)
        or channel.startswith(("_", "attn_", "mlp_"))
        or channel.endswith("_scaled")
        or _STEP_VARIABLE.fullmatch(channel) is not None
    )


def x_sym(lag: int = 0, channel: str = "x") -> sympy.Symbol:
    """The symbol for input channel ``channel`` at time t - lag, printed ``x[t-1]``."""
    if lag < 0:
        raise ValueError("lag must be >= 0")
    return sympy.Symbol(f"{channel}[t]" if lag == 0 else f"{channel}[t-{lag}]", real=True)


def y_sym(lag: int, output: str = "y") -> sympy.Symbol:
    """The symbol for the task's own output ``output`` at time t - lag (lag >= 1), ``y[t-1]``."""
    if lag < 1:
        raise ValueError("an output can only be read at lag >= 1")
    return x_sym(lag, output)


def feedback_input(output: str) -> str:
    """The model input holding output ``output`` at t - 1 (``y_prev`` for the one output y)."""
    return f"{output}_prev" if output != "y" else FEEDBACK_INPUT


def parse_symbol(symbol: sympy.Symbol) -> tuple[str, int]:
    """``x[t-2]`` -> ("x", 2); raises ValueError for a symbol outside the contract."""
    match = _SYMBOL_PATTERN.fullmatch(symbol.name)
    if match is None:
        raise ValueError(f"symbol {symbol.name!r} is not of the form name[t] or name[t-k]")
    return match.group(1), int(match.group(2) or 0)


# --------------------------------------------------------------------------------------------
# Domains
# --------------------------------------------------------------------------------------------

# Every domain bound lies in [-MAX_MAGNITUDE, MAX_MAGNITUDE] (docs/tasks.md): float64 then holds
# every integer of an int domain exactly, NumPy's int64 samplers accept it, and a real interval's
# width is finite.
MAX_MAGNITUDE = 2**53


def _bounded_int(value: object) -> bool:
    return type(value) is int and -MAX_MAGNITUDE <= value <= MAX_MAGNITUDE


def _bounded_real(value: object) -> bool:
    if isinstance(value, int) and not isinstance(value, bool):
        return -MAX_MAGNITUDE <= value <= MAX_MAGNITUDE
    return isinstance(value, float) and math.isfinite(value) and abs(value) <= MAX_MAGNITUDE


@dataclass(frozen=True)
class IntRange:
    """Integers in [lo, hi) (hi exclusive, like range)."""

    lo: int
    hi: int
    kind: Literal["int"] = field(default="int", init=False)

    def __post_init__(self) -> None:
        ints = all(isinstance(v, int) and not isinstance(v, bool) for v in (self.lo, self.hi))
        if not ints or self.hi <= self.lo:
            shown = f"[{_short(self.lo)}, {_short(self.hi)})"
            raise InputError(f"IntRange needs integers lo < hi, got {shown}")
        if not (_bounded_int(int(self.lo)) and _bounded_int(int(self.hi))):
            raise InputError(
                f"IntRange bounds must lie within +-2**53, got [{_short(self.lo)}, "
                f"{_short(self.hi)})"
            )

    @property
    def has_oracle(self) -> bool:
        return self.oracle is not None

    @property
    def discrete(self) -> bool:
        return True

    @property
    def size(self) -> int:
        return self.hi - self.lo

    def values(self) -> np.ndarray:
        return np.arange(self.lo, self.hi, dtype=np.float64)

    def sample(self, rng: np.random.Generator, shape: tuple[int, ...]) -> np.ndarray:
        return rng.integers(self.lo, self.hi, size=shape).astype(np.float64)

    @property
    def bounds(self) -> tuple[float, float]:
        return float(self.lo), float(self.hi - 1)

    def edge_values(self) -> list[float]:
        lo, hi = self.bounds
        return sorted({lo, hi, min(max(0.0, lo), hi), min(max(1.0, lo), hi)})

    def to_dict(self) -> dict[str, Any]:
        return {"kind": "int", "lo": self.lo, "hi": self.hi}

    def describe(self) -> str:
        return f"ints [{self.lo},{self.hi})"


@dataclass(frozen=True)
class Bits(IntRange):
    """{0, 1}."""

    lo: int = 0
    hi: int = 2

    def __post_init__(self) -> None:
        if (self.lo, self.hi) != (0, 2):
            raise InputError("Bits is the range [0, 2)")

    def to_dict(self) -> dict[str, Any]:
        return {"kind": "bits"}

    def describe(self) -> str:
        return "bits"


@dataclass(frozen=True)
class RealInterval:
    """Reals in [lo, hi], sampled uniformly."""

    lo: float
    hi: float
    kind: Literal["real"] = field(default="real", init=False)

    def __post_init__(self) -> None:
        numbers = all(
            isinstance(v, (int, float)) and not isinstance(v, bool) for v in (self.lo, self.hi)
        )
        if not numbers or not all(_bounded_real(v) for v in (self.lo, self.hi)):
            raise InputError(
                f"RealInterval bounds must be finite numbers within +-2**53, got "
                f"[{_short(self.lo)}, {_short(self.hi)}]"
            )
        if self.hi <= self.lo:
            raise InputError(f"RealInterval needs lo < hi, got [{self.lo}, {self.hi}]")

    @property
    def has_oracle(self) -> bool:
        return self.oracle is not None

    @property
    def discrete(self) -> bool:
        return False

    @property
    def size(self) -> float:
        return math.inf

    def values(self) -> np.ndarray:
        raise ValueError("a real interval has no finite value set")

    def sample(self, rng: np.random.Generator, shape: tuple[int, ...]) -> np.ndarray:
        return rng.uniform(self.lo, self.hi, size=shape)

    @property
    def bounds(self) -> tuple[float, float]:
        return float(self.lo), float(self.hi)

    def edge_values(self) -> list[float]:
        lo, hi = self.bounds
        return sorted({lo, hi, min(max(0.0, lo), hi)})

    def to_dict(self) -> dict[str, Any]:
        return {"kind": "real", "lo": float(self.lo), "hi": float(self.hi)}

    def describe(self) -> str:
        return f"reals [{self.lo:g},{self.hi:g}]"


MAX_DENOMINATOR = 10**6
_GRID_SLACK = 1e-9  # relative: how far from a grid point an oracle's float may land


@dataclass(frozen=True)
class Fractions:
    """Multiples of 1/denominator in [lo, hi] (both inclusive): an output domain only.

    Declared as ``Task(output=Fractions(0, 99, 2))`` for an average of two integers, so
    outputs are compared exactly on that grid (round(y * denominator)) instead of after
    rounding to integers (docs/tasks.md, "Outputs").
    """

    lo: float
    hi: float
    denominator: int
    kind: Literal["fractions"] = field(default="fractions", init=False)

    def __post_init__(self) -> None:
        d = self.denominator
        if type(d) is not int or not 1 <= d <= MAX_DENOMINATOR:
            raise InputError(
                f"Fractions needs an integer denominator in 1..{MAX_DENOMINATOR}, got {_short(d)}"
            )
        numbers = all(
            isinstance(v, (int, float)) and not isinstance(v, bool) for v in (self.lo, self.hi)
        )
        if not numbers or not all(_bounded_real(v * d) for v in (self.lo, self.hi)):
            raise InputError(
                f"Fractions bounds must be finite numbers with |bound * denominator| <= 2**53, "
                f"got [{_short(self.lo)}, {_short(self.hi)}]"
            )
        if self.hi <= self.lo:
            raise InputError(f"Fractions needs lo < hi, got [{self.lo}, {self.hi}]")

    @property
    def discrete(self) -> bool:
        return False  # not an integer range (the values are multiples of 1/denominator)

    @property
    def numerators(self) -> range:
        """The k of every value k / denominator in [lo, hi]."""
        d = self.denominator
        low = math.ceil(self.lo * d - _GRID_SLACK * max(1.0, abs(self.lo * d)))
        high = math.floor(self.hi * d + _GRID_SLACK * max(1.0, abs(self.hi * d)))
        return range(low, high + 1)

    @property
    def size(self) -> int:
        return len(self.numerators)

    def values(self) -> np.ndarray:
        return np.array(self.numerators, dtype=np.float64) / self.denominator

    def exact_values(self) -> list[Fraction]:
        """Every value as an exact fraction (the symbolic check evaluates rules exactly)."""
        return [Fraction(k, self.denominator) for k in self.numerators]

    @property
    def bounds(self) -> tuple[float, float]:
        return float(self.lo), float(self.hi)

    def to_dict(self) -> dict[str, Any]:
        lo, hi = (v if type(v) is int else float(v) for v in (self.lo, self.hi))
        return {"kind": "fractions", "lo": lo, "hi": hi, "denominator": self.denominator}

    def describe(self) -> str:
        return f"multiples of 1/{self.denominator} in [{self.lo:g},{self.hi:g}]"


Domain = IntRange | RealInterval
OutputDomain = IntRange | RealInterval | Fractions

_REPR = reprlib.Repr()
_REPR.maxlevel, _REPR.maxdict, _REPR.maxlist = 3, 4, 4
_REPR.maxstring = _REPR.maxother = _REPR.maxlong = 30


def _short(value: object) -> str:
    """repr of untrusted data, bounded in depth and length."""
    return _REPR.repr(value)


def domain_from_dict(data: object, output: bool = False) -> OutputDomain:
    """Inverse of ``Domain.to_dict``; raises InputError on anything malformed or out of range.

    ``Fractions`` is an output domain: it is accepted only with ``output``.
    """
    if not isinstance(data, dict) or not all(isinstance(k, str) for k in data):
        raise InputError(f"malformed domain {_short(data)}")
    kind = data.get("kind")
    if not isinstance(kind, str):
        raise InputError(f"malformed domain {_short(data)}")
    if output and kind == "fractions" and set(data) == {"kind", "lo", "hi", "denominator"}:
        if all(type(data[k]) in (int, float) for k in ("lo", "hi")):
            return Fractions(data["lo"], data["hi"], data["denominator"])
    if set(data) - {"kind", "lo", "hi"}:
        raise InputError(f"malformed domain {_short(data)}")
    if kind == "bits" and set(data) == {"kind"}:
        return Bits()
    if kind == "int" and all(type(data.get(k)) is int for k in ("lo", "hi")):
        return IntRange(data["lo"], data["hi"])
    if kind == "real" and all(type(data.get(k)) in (int, float) for k in ("lo", "hi")):
        lo, hi = data["lo"], data["hi"]
        if not all(_bounded_real(v) for v in (lo, hi)):
            raise InputError(
                f"real domain bounds must be finite numbers within +-2**53, got {_short(data)}"
            )
        return RealInterval(float(lo), float(hi))
    raise InputError(f"malformed domain {_short(data)}")


# --------------------------------------------------------------------------------------------
# Task
# --------------------------------------------------------------------------------------------

Oracle = Callable[[np.ndarray], np.ndarray]


MAX_OUTPUTS = 16  # output channels (the model's heads: docs/checkpoint.md)


def quantise(values: np.ndarray, grid: int | None) -> np.ndarray:
    """Outputs on a task's grid, round(y * d) / d (d = 1: integers); real outputs (None) as is.

    The one place outputs are rounded: comparisons, fed-back outputs and traces all use it.
    """
    if grid is None:
        return values
    return np.round(values * grid) / grid


@dataclass(frozen=True)
class Task:
    """An algorithmic sequence task (see docs/tasks.md for the full contract).

    ``inputs`` holds one domain per input channel and ``channels`` their names (default
    ``x`` for one channel, ``x0, x1, ...`` otherwise). ``oracle`` maps x[batch, T, C] to
    y[batch, T] (y[batch, T, K] for K ``outputs``) and never sees the feedback channels; it is
    None only for a task rebuilt from a checkpoint's record, which can be sampled but not
    checked for correctness. ``reference`` is y_t as a sympy expression over ``x_sym(k,
    channel)`` (k >= 0) and, for feedback tasks, ``y_sym(k)`` (k >= 1); a tuple of one per
    output when there are several. ``output`` optionally declares the set every output ranges
    over; it fixes the grid outputs are compared on (``output_grid``) and lets the verifier
    prove feedback rules on a finite domain.
    """

    name: str
    inputs: tuple[Domain, ...]
    oracle: Oracle | None
    length: int = 10
    feedback: bool = False
    reference: sympy.Expr | tuple[sympy.Expr, ...] | None = None
    channels: tuple[str, ...] = ()
    description: str = ""
    source_sha256: str | None = None
    output: OutputDomain | None = None
    outputs: tuple[str, ...] = ("y",)

    def __post_init__(self) -> None:
        if not is_valid_name(self.name):
            raise InputError(f"task name {self.name!r} is not an identifier of <= 64 characters")
        if isinstance(self.inputs, (IntRange, RealInterval)):
            object.__setattr__(self, "inputs", (self.inputs,))
        if not isinstance(self.inputs, (tuple, list)):
            raise InputError(f"task {self.name}: inputs must be a non-empty tuple of domains")
        inputs = tuple(self.inputs)
        object.__setattr__(self, "inputs", inputs)
        if not inputs or not all(isinstance(d, (IntRange, RealInterval)) for d in inputs):
            raise InputError(f"task {self.name}: inputs must be a non-empty tuple of domains")
        if self.oracle is not None and not callable(self.oracle):
            raise InputError(f"task {self.name}: oracle must be callable (or None)")
        if self.output is not None and not isinstance(
            self.output, (IntRange, RealInterval, Fractions)
        ):
            raise InputError(
                f"task {self.name}: output must be a domain (IntRange, RealInterval, Fractions) "
                "or None"
            )
        if not isinstance(self.length, int) or not 1 <= self.length <= 256:
            raise InputError(f"task {self.name}: length must be an integer in 1..256")
        if type(self.feedback) is not bool:
            raise InputError(f"task {self.name}: feedback must be True or False")
        channels = tuple(self.channels) or (
            ("x",) if len(inputs) == 1 else tuple(f"x{i}" for i in range(len(inputs)))
        )
        object.__setattr__(self, "channels", channels)
        if len(channels) != len(inputs):
            raise InputError(
                f"task {self.name}: {len(channels)} channel names, {len(inputs)} inputs"
            )
        if len(set(channels)) != len(channels) or not all(map(is_valid_name, channels)):
            raise InputError(f"task {self.name}: channel names must be distinct identifiers")
        reserved = [c for c in channels if reserved_channel(c)]
        if reserved:
            raise InputError(
                f"task {self.name}: channel name {reserved[0]!r} is reserved (the compiler and "
                "the emitted program use y, xs, t, v, np, math, Python's builtins, _*, attn_*, "
                "mlp_*, *_scaled and *_t<lag>)"
            )
        self._check_outputs()
        if self.reference is not None:
            self._check_references()

    def _check_outputs(self) -> None:
        """Output names: ``("y",)`` for one output, else 2..16 fresh identifiers."""
        outputs = self.outputs
        if isinstance(outputs, str) or not isinstance(outputs, (tuple, list)):
            raise InputError(f"task {self.name}: outputs must be a tuple of output names")
        outputs = tuple(outputs)
        object.__setattr__(self, "outputs", outputs)
        if len(outputs) == 1 and outputs != ("y",):
            raise InputError(
                f"task {self.name}: a single output is always named y; name the outputs only "
                "when there are several"
            )
        if not 1 <= len(outputs) <= MAX_OUTPUTS:
            raise InputError(f"task {self.name}: 1..{MAX_OUTPUTS} outputs, got {len(outputs)}")
        if len(outputs) == 1:
            return
        if len(set(outputs)) != len(outputs) or not all(map(is_valid_name, outputs)):
            raise InputError(f"task {self.name}: output names must be distinct identifiers")
        for output in outputs:
            if reserved_channel(output) or output in self.channels:
                raise InputError(
                    f"task {self.name}: output name {output!r} is reserved or names an input "
                    "channel (outputs follow the channel naming rules of docs/tasks.md)"
                )
            if self.feedback and feedback_input(output) in self.channels:
                raise InputError(
                    f"task {self.name}: channel {feedback_input(output)!r} would collide with "
                    f"the fed-back output {output}[t-1]"
                )

    def _check_references(self) -> None:
        references = self.reference
        several = len(self.outputs) > 1
        if several != isinstance(references, (tuple, list)):
            wanted = (
                f"a tuple of {len(self.outputs)} rules, one per output" if several else "one rule"
            )
            raise InputError(f"task {self.name}: reference must be {wanted}")
        rules = tuple(references) if several else (references,)  # type: ignore[arg-type]
        if len(rules) != len(self.outputs):
            raise InputError(
                f"task {self.name}: {len(rules)} reference rules for {len(self.outputs)} outputs"
            )
        try:
            rules = tuple(sympy.sympify(rule) for rule in rules)
        except (sympy.SympifyError, TypeError) as exc:
            raise InputError(
                f"task {self.name}: reference is not a sympy expression: {exc}"[:300]
            ) from None
        for rule in rules:
            self._check_reference(rule)
        object.__setattr__(self, "reference", rules if several else rules[0])

    def _check_reference(self, reference: sympy.Expr) -> None:
        for symbol in reference.free_symbols:
            try:
                name, lag = parse_symbol(symbol)  # type: ignore[arg-type]
            except ValueError as exc:
                raise InputError(f"task {self.name}: reference uses {exc}") from None
            if name in self.outputs:
                if not self.feedback or lag < 1:
                    raise InputError(
                        f"task {self.name}: reference reads {symbol} but only feedback tasks "
                        "may read their own past outputs (lag >= 1)"
                    )
            elif name not in self.channels:
                raise InputError(f"task {self.name}: reference uses unknown channel {name!r}")
            if lag >= self.length:
                raise InputError(f"task {self.name}: reference lag {lag} >= length {self.length}")

    # ---- derived facts ---------------------------------------------------------------------

    @property
    def n_channels(self) -> int:
        return len(self.inputs)

    @property
    def n_outputs(self) -> int:
        return len(self.outputs)

    @property
    def model_inputs(self) -> tuple[str, ...]:
        """The network's inputs: the channels, then each fed-back output (``y_prev``)."""
        fed = tuple(feedback_input(o) for o in self.outputs) if self.feedback else ()
        return self.channels + fed

    @property
    def references(self) -> tuple[sympy.Expr, ...] | None:
        """The reference rules, one per output (None without a reference)."""
        if self.reference is None:
            return None
        return self.reference if isinstance(self.reference, tuple) else (self.reference,)

    @property
    def has_oracle(self) -> bool:
        return self.oracle is not None

    @property
    def discrete(self) -> bool:
        """Every input is an integer range (the verifier can enumerate short sequences)."""
        return all(d.discrete for d in self.inputs)

    @property
    def output_grid(self) -> int | None:
        """Outputs are compared as round(y * d) / d for this d; None: reals, with tolerances.

        The declared output domain decides (IntRange: 1, Fractions: its denominator,
        RealInterval: None); undeclared, integer inputs give integer outputs (1) and any real
        input real outputs (None).
        """
        return output_grid(self.output, self.discrete)

    def quantise(self, values: np.ndarray) -> np.ndarray:
        """``values`` on the task's output grid (unchanged for real outputs)."""
        return quantise(values, self.output_grid)

    def output_shape(self, batch: int, length: int) -> tuple[int, ...]:
        """The shape of y: [batch, T], or [batch, T, K] for K outputs."""
        return (batch, length) if self.n_outputs == 1 else (batch, length, self.n_outputs)

    @cached_property
    def max_lag(self) -> int:
        """Largest lag the reference reads (length - 1 when there is no reference)."""
        if self.references is None:
            return self.length - 1
        symbols = set().union(*(rule.free_symbols for rule in self.references))
        return max((parse_symbol(s)[1] for s in symbols), default=0)  # type: ignore[arg-type]

    def sample(self, rng: np.random.Generator, batch: int, length: int | None = None) -> np.ndarray:
        """x[batch, T, C] drawn uniformly from the input domains."""
        steps = self.length if length is None else length
        return np.stack([d.sample(rng, (batch, steps)) for d in self.inputs], axis=-1)

    def run_oracle(self, x: np.ndarray) -> np.ndarray:
        """Call the oracle and check what it returns; a broken user oracle is an InputError.

        The outputs come back on the task's grid (``quantise``): an oracle's 1/3 computed in
        floats is the grid point 1/3, and a value off the grid is an InputError that says
        which output domain to declare.
        """
        if self.oracle is None:
            raise InputError(f"task {self.name}: no oracle (rebuilt from a checkpoint record)")
        x = np.asarray(x, dtype=np.float64)
        if x.ndim != 3 or x.shape[-1] != self.n_channels:
            raise ValueError(f"expected x[batch, T, {self.n_channels}], got shape {x.shape}")
        try:
            y = np.asarray(self.oracle(x.copy()), dtype=np.float64)
        except Exception as exc:  # a user's oracle: report, do not crash
            raise InputError(
                f"task {self.name}: oracle raised {type(exc).__name__}: {exc}"
            ) from None
        expected = self.output_shape(*x.shape[:2])
        if y.shape != expected:
            raise InputError(
                f"task {self.name}: oracle returned shape {y.shape}, expected {expected}"
            )
        if not np.all(np.isfinite(y)):
            raise InputError(f"task {self.name}: oracle returned non-finite values")
        self._check_on_grid(y)
        return self.quantise(y)

    def _check_on_grid(self, y: np.ndarray) -> None:
        """Every output on the grid and inside the declared output domain (one clear line)."""
        grid = self.output_grid
        if grid is not None:
            scaled = y * grid
            off = np.abs(scaled - np.round(scaled)) > _GRID_SLACK * np.maximum(1.0, np.abs(scaled))
            if off.any():
                value = float(y[off][0])
                if self.output is None:
                    hint = (
                        "integer inputs give integer outputs unless the task declares "
                        "output=Fractions(lo, hi, denominator) (or output=RealInterval(lo, hi) "
                        "for real-valued outputs)"
                    )
                else:
                    hint = f"its declared output domain is {self.output.describe()}"
                raise InputError(f"task {self.name}: the oracle returned {value:.10g}, but {hint}")
        if self.output is not None:
            lo, hi = self.output.bounds
            slack = _GRID_SLACK * max(1.0, abs(lo), abs(hi))
            outside = (y < lo - slack) | (y > hi + slack)
            if outside.any():
                raise InputError(
                    f"task {self.name}: the oracle returned {float(y[outside][0]):.10g}, outside "
                    f"the declared output domain {self.output.describe()}"
                )

    def signature(self) -> dict[str, Any]:
        """The checkpoint's ``task`` record (docs/checkpoint.md)."""
        return {
            "name": self.name,
            "channels": list(self.channels),
            "domains": [d.to_dict() for d in self.inputs],
            "length": self.length,
            "feedback": self.feedback,
            "source_sha256": self.source_sha256,
            "outputs": list(self.outputs),
            "output": None if self.output is None else self.output.to_dict(),
        }


def output_grid(output: OutputDomain | None, discrete_inputs: bool) -> int | None:
    """The grid of a task's outputs (``Task.output_grid``), from its output domain and inputs."""
    if isinstance(output, Fractions):
        return output.denominator
    if isinstance(output, IntRange):
        return 1
    if isinstance(output, RealInterval):
        return None
    return 1 if discrete_inputs else None


def task_from_record(record: dict[str, Any]) -> Task:
    """A sampling-only Task (no oracle) from a validated checkpoint ``task`` record."""
    output = record.get("output")
    return Task(
        name=record["name"],
        inputs=tuple(domain_from_dict(d) for d in record["domains"]),  # type: ignore[misc]
        oracle=None,
        length=record["length"],
        feedback=record["feedback"],
        channels=tuple(record["channels"]),
        source_sha256=record["source_sha256"],
        output=None if output is None else domain_from_dict(output, output=True),
        outputs=tuple(record.get("outputs", ("y",))),
    )


def shift(values: np.ndarray, lag: int, axis: int = 1) -> np.ndarray:
    """values[t - lag] along ``axis``, reading 0 before the start (the task convention)."""
    if lag == 0:
        return values.copy()
    out = np.zeros_like(values)
    length = values.shape[axis]
    if lag < length:
        src = [slice(None)] * values.ndim
        dst = [slice(None)] * values.ndim
        src[axis] = slice(0, length - lag)
        dst[axis] = slice(lag, length)
        out[tuple(dst)] = values[tuple(src)]
    return out


def file_sha256(path: str) -> str:
    with open(path, "rb") as handle:
        return hashlib.sha256(handle.read()).hexdigest()
