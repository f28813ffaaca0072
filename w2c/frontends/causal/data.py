"""Multivariate time series in: CSV or .npy, validated so bad data fails loudly, never silently.

Every problem a user can fix (a text cell, a gap, a constant column, too few rows for the lag
window) is an InputError naming the column and row, because a causal graph learnt from garbage
looks exactly like one learnt from data.
"""

from __future__ import annotations

import csv
import math
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from w2c.errors import InputError
from w2c.limits import check_memory
from w2c.tasks import is_valid_name

MIN_WINDOWS = 32  # fewer lag windows than this cannot be split into training and validation
MISSING = {"", "na", "nan", "null", "none", "n/a", "?"}
MAX_VARS = 10_000  # the model's n_vars limit (model.LIMITS); more columns are refused at once
MAX_LAG = 10_000  # the model's max_lag limit
# Parsing one CSV row holds a Python string per field: about this many bytes per byte of line.
CSV_BYTES_PER_LINE_BYTE = 32
NUMERIC_KINDS = "biuf"  # bool, signed and unsigned integers, real floats

# Called with (rows, variables) as soon as a file's sizes are known, before its values are read
# (the caller checks the memory the run will need: api.discover passes one).
SizeCheck = Callable[[int, int], None]


@dataclass(frozen=True)
class TimeSeries:
    """Validated data: ``values[t, j]`` for variable ``names[j]``, plus an optional regime index.

    ``regimes[t]`` is an int in ``[0, len(regime_labels))``; the labels keep the user's values so
    a saved model can map a new file's regime column the same way.
    """

    values: np.ndarray
    names: tuple[str, ...]
    regimes: np.ndarray | None = None
    regime_labels: tuple[float, ...] = ()

    @property
    def n_steps(self) -> int:
        return int(self.values.shape[0])

    @property
    def n_vars(self) -> int:
        return int(self.values.shape[1])


def check_max_lag(max_lag: int, n_steps: int | None = None) -> None:
    """The lag window must be positive and leave enough windows to train and validate on."""
    if isinstance(max_lag, bool) or not isinstance(max_lag, int) or max_lag <= 0:
        raise InputError(f"max-lag must be a positive integer, got {max_lag!r}")
    if max_lag > MAX_LAG:
        raise InputError(f"max-lag must be at most {MAX_LAG}, got {max_lag}")
    if n_steps is not None and n_steps - max_lag < MIN_WINDOWS:
        raise InputError(
            f"too few rows for max-lag {max_lag}: {n_steps} rows give {max(n_steps - max_lag, 0)} "
            f"lag windows, need at least {MIN_WINDOWS} (at least {max_lag + MIN_WINDOWS} rows)"
        )


def _parse_cell(cell: str, column: str, row: int) -> float:
    text = cell.strip()
    if text.lower() in MISSING:
        raise InputError(
            f"missing value in column {column!r} at row {row}; fill or drop it before running"
        )
    try:
        value = float(text)
    except ValueError:
        raise InputError(
            f"column {column!r} is not numeric (row {row}: {text[:40]!r}); "
            "pass --time-col or --regime-col if it is an index column"
        ) from None
    if not math.isfinite(value):
        raise InputError(f"non-finite value {text!r} in column {column!r} at row {row}")
    return value


def _scan_lines(path: Path) -> tuple[int, int]:
    """(number of line breaks, longest line in bytes), read in chunks: nothing is kept."""
    breaks, longest, current = 0, 0, 0
    try:
        with path.open("rb") as handle:
            while chunk := handle.read(1 << 22):
                ends = np.flatnonzero(np.frombuffer(chunk, dtype=np.uint8) == 10)
                if ends.size == 0:
                    current += len(chunk)
                else:
                    gaps = int(np.diff(ends).max(initial=0))
                    longest = max(longest, current + int(ends[0]), gaps)
                    current = len(chunk) - int(ends[-1]) - 1
                    breaks += int(ends.size)
                longest = max(longest, current)
    except OSError as exc:
        raise InputError(f"cannot read {path}: {exc.strerror or exc}") from None
    return breaks, longest


def _csv_rows(
    path: Path, limit: int, check: SizeCheck | None, extra: Callable[[list[str]], int]
) -> Iterator[tuple[int, list[str]]]:
    """Yield (row number, cells) of the non-blank rows, the header first (number 1).

    The header's column count is checked against MAX_VARS, and ``check`` receives (``limit``
    rows, variables), where ``extra(header)`` says how many columns are not variables, before
    any data row is parsed.
    """
    try:
        with path.open(encoding="utf-8-sig", newline="") as handle:
            number = 0
            for row in csv.reader(handle):
                if not any(cell.strip() for cell in row):
                    continue
                number += 1
                if number == 1:
                    n_vars = len(row) - extra([cell.strip() for cell in row])
                    if n_vars > MAX_VARS:
                        raise InputError(
                            f"{path}: {n_vars} variable columns, more than the {MAX_VARS} allowed"
                        )
                    if check is not None:
                        check(limit, max(n_vars, 0))
                yield number, row
    except UnicodeDecodeError:
        raise InputError(f"{path} is not a UTF-8 text file") from None
    except csv.Error as exc:
        raise InputError(f"{path}: not a readable CSV ({exc})") from None


def _column_index(header: list[str], name: str | None, flag: str) -> int | None:
    if name is None:
        return None
    if name not in header:
        raise InputError(f"{flag} {name!r} is not a column (columns: {', '.join(header)})")
    return header.index(name)


def _check_time(times: np.ndarray | None, name: str) -> None:
    """A numeric time column must increase; a text one (dates, None here) is only dropped."""
    if times is None:
        return
    if np.any(np.diff(times) <= 0):
        row = int(np.argmax(np.diff(times) <= 0)) + 3
        raise InputError(f"time column {name!r} is not strictly increasing (row {row})")


def _regime_index(raw: np.ndarray, name: str) -> tuple[np.ndarray, tuple[float, ...]]:
    if np.any(raw != np.round(raw)):
        raise InputError(f"regime column {name!r} must hold integer labels")
    labels = tuple(float(v) for v in np.unique(raw))
    return np.searchsorted(np.array(labels), raw).astype(np.int64), labels


def load_csv(
    path: str | Path,
    time_col: str | None = None,
    regime_col: str | None = None,
    check: SizeCheck | None = None,
) -> TimeSeries:
    """Read a CSV whose header names the variables; time and regime columns are optional.

    The file is streamed: its sizes are bounded (MAX_VARS columns, the memory budget for its
    rows and for ``check``'s plan) before the values array is allocated, and each row is parsed
    into that array as it is read.
    """
    path = Path(path)

    def not_variables(header: list[str]) -> int:
        return sum(1 for name in (time_col, regime_col) if name is not None and name in header)

    breaks, longest = _scan_lines(path)
    check_memory(
        CSV_BYTES_PER_LINE_BYTE * float(longest),
        f"{path}: parsing its longest line ({longest} bytes)",
    )
    limit = breaks + 1  # rows cannot outnumber the lines
    rows = _csv_rows(path, limit, check, not_variables)
    first = next(rows, None)
    if first is None:
        raise InputError(f"{path} is empty")
    header = [cell.strip() for cell in first[1]]
    if len(set(header)) != len(header):
        duplicate = next(h for h in header if header.count(h) > 1)
        raise InputError(f"{path}: column {duplicate!r} appears twice in the header")
    time_index = _column_index(header, time_col, "--time-col")
    regime_index = _column_index(header, regime_col, "--regime-col")
    if time_index is not None and time_index == regime_index:
        raise InputError("--time-col and --regime-col name the same column")
    keep = [j for j in range(len(header)) if j not in (time_index, regime_index)]
    check_memory(float(limit) * (len(keep) + 2) * 8, f"{path}: {limit} rows x {len(keep)} columns")
    values = np.empty((limit, len(keep)), dtype=np.float64)
    times: np.ndarray | None = None if time_index is None else np.empty(limit)
    raw_regimes = None if regime_index is None else np.empty(limit)
    n = 0
    for r, row in rows:
        if len(row) != len(header):
            raise InputError(
                f"{path}: line {r} has {len(row)} fields, the header has {len(header)}"
            )
        values[n] = [_parse_cell(row[j], header[j], r) for j in keep]
        if times is not None:
            try:
                times[n] = float(row[time_index].strip())
            except ValueError:
                times = None  # a text index (dates): just dropped
        if raw_regimes is not None:
            raw_regimes[n] = _parse_cell(row[regime_index], header[regime_index], r)
        n += 1
    if time_index is not None:
        _check_time(None if times is None else times[:n], header[time_index])
    regimes = None if raw_regimes is None else raw_regimes[:n]
    return from_array(values[:n], [header[j] for j in keep], regimes, source=str(path))


def _npy_header(path: Path) -> tuple[tuple[int, ...], np.dtype, int]:
    """(shape, dtype, data offset) from a .npy header, without reading the data."""
    try:
        with path.open("rb") as handle:
            version = np.lib.format.read_magic(handle)
            if version == (1, 0):
                shape, _, dtype = np.lib.format.read_array_header_1_0(handle)
            elif version == (2, 0):
                shape, _, dtype = np.lib.format.read_array_header_2_0(handle)
            else:
                raise InputError(f"{path}: unsupported .npy format version {version}")
            return tuple(shape), dtype, handle.tell()
    except (ValueError, OSError, EOFError) as exc:
        summary = " ".join(str(exc).split())[:120]
        raise InputError(f"{path} is not a plain numeric .npy array ({summary})") from None


def load_npy(path: str | Path, check: SizeCheck | None = None) -> TimeSeries:
    """Read a 2-D numeric array [time, variable]; variables are named x0, x1, ...

    The header is read first: the shape must be 2-D, the dtype a plain real number type (bool,
    integer, float; complex, object, structured, text and date dtypes are refused), the file
    long enough for the data, and the sizes within MAX_VARS and the memory budget, all before
    the data is loaded.
    """
    path = Path(path)
    shape, dtype, offset = _npy_header(path)
    if dtype.names is not None or dtype.subdtype is not None:
        raise InputError(f"{path} holds a structured dtype ({dtype}); save a plain 2-D array")
    if dtype.kind == "c":
        raise InputError(f"{path} holds complex values ({dtype}); save the real part explicitly")
    if dtype.kind not in NUMERIC_KINDS:
        raise InputError(f"{path} holds {dtype} values, not numbers")
    if len(shape) != 2:
        raise InputError(f"{path} must hold a 2-D array [time, variable], got shape {shape}")
    n_steps, n_vars = shape
    if n_vars > MAX_VARS:
        raise InputError(f"{path}: {n_vars} variable columns, more than the {MAX_VARS} allowed")
    if path.stat().st_size < offset + float(n_steps) * n_vars * dtype.itemsize:
        raise InputError(f"{path} is truncated: its header declares shape {shape} of {dtype}")
    if check is not None:
        check(n_steps, n_vars)
    check_memory(
        float(n_steps) * n_vars * (dtype.itemsize + 8), f"{path}: {n_steps} rows x {n_vars} columns"
    )
    try:
        array = np.load(path, allow_pickle=False)
    except (ValueError, OSError, EOFError) as exc:
        raise InputError(f"{path} is not a plain numeric .npy array ({exc})") from None
    names = [f"x{j}" for j in range(n_vars)]
    with np.errstate(over="ignore"):  # a longdouble beyond float64 becomes inf: refused below
        values = array.astype(np.float64)
    return from_array(values, names, source=str(path))


def load(
    path: str | Path,
    time_col: str | None = None,
    regime_col: str | None = None,
    check: SizeCheck | None = None,
) -> TimeSeries:
    """Load CSV or .npy by extension (``check``: see SizeCheck)."""
    path = Path(path)
    if not path.exists():
        raise InputError(f"data file not found: {path}")
    if not path.is_file():
        raise InputError(f"data path is not a file: {path}")
    if path.suffix.lower() == ".npy":
        if time_col is not None or regime_col is not None:
            raise InputError("--time-col and --regime-col apply to CSV files only")
        return load_npy(path, check)
    return load_csv(path, time_col, regime_col, check)


def from_array(
    values: np.ndarray,
    names: list[str] | tuple[str, ...] | None = None,
    regimes: np.ndarray | list[float] | None = None,
    source: str = "data",
) -> TimeSeries:
    """Validate an in-memory array [time, variable] (the API entry point for NumPy users)."""
    values = np.asarray(values)
    if values.ndim != 2:
        raise InputError(f"{source}: expected a 2-D array [time, variable], got {values.ndim}-D")
    if values.dtype.kind == "c":
        raise InputError(f"{source}: values must be real numbers, got {values.dtype}")
    if values.dtype.kind not in NUMERIC_KINDS or values.dtype.names is not None:
        raise InputError(f"{source}: values must be numeric, got {values.dtype}")
    with np.errstate(over="ignore"):  # a longdouble beyond float64 becomes inf: refused below
        values = values.astype(np.float64)
    n_steps, n_vars = values.shape
    names = tuple(names) if names is not None else tuple(f"x{j}" for j in range(n_vars))
    if len(names) != n_vars:
        raise InputError(f"{source}: {len(names)} names for {n_vars} columns")
    for name in names:
        if not is_valid_name(name):
            raise InputError(
                f"{source}: variable name {name!r} must be an identifier "
                "([A-Za-z_][A-Za-z0-9_]*, at most 64 characters)"
            )
    if len(set(names)) != len(names):
        raise InputError(f"{source}: variable names must be unique")
    if n_vars < 2:
        raise InputError(
            f"{source}: need at least 2 variables to learn a causal graph, got {n_vars}"
        )
    bad = ~np.isfinite(values)
    if bad.any():
        t, j = (int(v) for v in np.argwhere(bad)[0])
        raise InputError(
            f"{source}: missing or non-finite value in column {names[j]!r} at time index {t}"
        )
    if n_steps > 0:
        with np.errstate(over="ignore"):  # near the float64 maximum a spread is inf, not 0
            spread = values.max(axis=0) - values.min(axis=0)
        constant = [names[j] for j in range(n_vars) if spread[j] == 0]
        if constant:
            raise InputError(
                f"{source}: column {constant[0]!r} is constant; drop it (it cannot cause or be "
                "caused by anything measurable)"
            )
    if n_steps > 2:
        with np.errstate(over="ignore", invalid="ignore"):
            steps = np.diff(values, axis=0)
        ramps = [names[j] for j in range(n_vars) if np.all(steps[:, j] == steps[0, j])]
        if ramps:
            raise InputError(
                f"{source}: column {ramps[0]!r} is an evenly spaced ramp (a time index?); "
                f"pass --time-col {ramps[0]} or drop it"
            )
    index, labels = None, ()
    if regimes is not None:
        raw = np.asarray(regimes, dtype=np.float64).reshape(-1)
        if raw.shape[0] != n_steps:
            raise InputError(f"{source}: {raw.shape[0]} regime labels for {n_steps} rows")
        if not np.all(np.isfinite(raw)):
            raise InputError(f"{source}: regime labels must be finite")
        index, labels = _regime_index(raw, "regime")
    return TimeSeries(values=values, names=names, regimes=index, regime_labels=labels)


def make_windows(z: np.ndarray, max_lag: int) -> tuple[np.ndarray, np.ndarray]:
    """All lag windows: ``x[s] = z[s : s+L]`` (oldest first) predicts ``y[s] = z[s+L]``."""
    n = z.shape[0] - max_lag
    view = np.lib.stride_tricks.sliding_window_view(z, max_lag, axis=0)[:n]  # (n, p, L)
    return np.ascontiguousarray(view.transpose(0, 2, 1)), z[max_lag:]
