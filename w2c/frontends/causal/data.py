"""Multivariate time series in: CSV or .npy, validated so bad data fails loudly, never silently.

Every problem a user can fix (a text cell, a gap, a constant column, too few rows for the lag
window) is an InputError naming the column and row, because a causal graph learnt from garbage
looks exactly like one learnt from data.
"""

from __future__ import annotations

import csv
import math
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from w2c.errors import InputError
from w2c.tasks import is_valid_name

MIN_WINDOWS = 32  # fewer lag windows than this cannot be split into training and validation
MISSING = {"", "na", "nan", "null", "none", "n/a", "?"}


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


def _read_csv(path: Path) -> tuple[list[str], list[list[str]]]:
    try:
        text = path.read_text(encoding="utf-8-sig")
    except UnicodeDecodeError:
        raise InputError(f"{path} is not a UTF-8 text file") from None
    rows = list(csv.reader(text.splitlines()))
    rows = [row for row in rows if any(cell.strip() for cell in row)]
    if not rows:
        raise InputError(f"{path} is empty")
    header = [cell.strip() for cell in rows[0]]
    for index, row in enumerate(rows[1:], start=2):
        if len(row) != len(header):
            raise InputError(
                f"{path}: line {index} has {len(row)} fields, the header has {len(header)}"
            )
    return header, rows[1:]


def _column_index(header: list[str], name: str | None, flag: str) -> int | None:
    if name is None:
        return None
    if name not in header:
        raise InputError(f"{flag} {name!r} is not a column (columns: {', '.join(header)})")
    return header.index(name)


def _check_time(cells: list[str], name: str) -> None:
    """A numeric time column must increase; a text one (dates) is only dropped."""
    try:
        times = np.array([float(c) for c in cells])
    except ValueError:
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
    path: str | Path, time_col: str | None = None, regime_col: str | None = None
) -> TimeSeries:
    """Read a CSV whose header names the variables; time and regime columns are optional."""
    path = Path(path)
    header, rows = _read_csv(path)
    if len(set(header)) != len(header):
        duplicate = next(h for h in header if header.count(h) > 1)
        raise InputError(f"{path}: column {duplicate!r} appears twice in the header")
    time_index = _column_index(header, time_col, "--time-col")
    regime_index = _column_index(header, regime_col, "--regime-col")
    if time_index is not None and time_index == regime_index:
        raise InputError("--time-col and --regime-col name the same column")
    if time_index is not None:
        _check_time([row[time_index].strip() for row in rows], header[time_index])
    keep = [j for j in range(len(header)) if j not in (time_index, regime_index)]
    values = np.array(
        [[_parse_cell(row[j], header[j], r) for j in keep] for r, row in enumerate(rows, start=2)],
        dtype=np.float64,
    ).reshape(len(rows), len(keep))
    regimes = None
    if regime_index is not None:
        name = header[regime_index]
        raw = np.array([_parse_cell(row[regime_index], name, r) for r, row in enumerate(rows, 2)])
        regimes = raw
    return from_array(values, [header[j] for j in keep], regimes, source=str(path))


def load_npy(path: str | Path) -> TimeSeries:
    """Read a 2-D numeric array [time, variable]; variables are named x0, x1, ..."""
    path = Path(path)
    try:
        array = np.load(path, allow_pickle=False)
    except ValueError as exc:
        raise InputError(f"{path} is not a plain numeric .npy array ({exc})") from None
    except OSError as exc:
        raise InputError(f"cannot read {path}: {exc}") from None
    if not isinstance(array, np.ndarray) or array.ndim != 2:
        shape = getattr(array, "shape", "?")
        raise InputError(f"{path} must hold a 2-D array [time, variable], got shape {shape}")
    if not (np.issubdtype(array.dtype, np.number) or array.dtype == np.bool_):
        raise InputError(f"{path} holds {array.dtype} values, not numbers")
    names = [f"x{j}" for j in range(array.shape[1])]
    return from_array(array.astype(np.float64), names, source=str(path))


def load(
    path: str | Path, time_col: str | None = None, regime_col: str | None = None
) -> TimeSeries:
    """Load CSV or .npy by extension."""
    path = Path(path)
    if not path.exists():
        raise InputError(f"data file not found: {path}")
    if not path.is_file():
        raise InputError(f"data path is not a file: {path}")
    if path.suffix.lower() == ".npy":
        if time_col is not None or regime_col is not None:
            raise InputError("--time-col and --regime-col apply to CSV files only")
        return load_npy(path)
    return load_csv(path, time_col, regime_col)


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
    if not (np.issubdtype(values.dtype, np.number) or values.dtype == np.bool_):
        raise InputError(f"{source}: values must be numeric, got {values.dtype}")
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
        spread = values.max(axis=0) - values.min(axis=0)
        constant = [names[j] for j in range(n_vars) if spread[j] == 0]
        if constant:
            raise InputError(
                f"{source}: column {constant[0]!r} is constant; drop it (it cannot cause or be "
                "caused by anything measurable)"
            )
    if n_steps > 2:
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
