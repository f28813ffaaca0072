"""Attention maps: where each hardened head looks, averaged over the traced task inputs.

A head's trace holds the attended time index per query position (negative = a zero pad before
the sequence). The map counts, for every query position t and key position j (pads included),
the fraction of traced sequences whose head attended j at t; the text grid prints it compactly.
"""

from __future__ import annotations

import numpy as np

# fraction thresholds -> characters (ASCII, so every terminal shows it)
SHADES = ((0.0, "."), (1 / 3, ":"), (2 / 3, "+"), (1.0, "#"))
LEGEND = ". none  : <1/3  + <2/3  # >=2/3 of traced inputs"


def attention_map(attended: np.ndarray, pad: int) -> np.ndarray:
    """[T, pad + T] fractions: rows query t = 0..T-1, columns key j = -pad..T-1."""
    batch, steps = attended.shape
    matrix = np.zeros((steps, pad + steps))
    columns = np.clip(attended.astype(np.int64) + pad, 0, pad + steps - 1)
    for t in range(steps):
        matrix[t] = np.bincount(columns[:, t], minlength=pad + steps) / max(batch, 1)
    return matrix


def _shade(fraction: float) -> str:
    if fraction <= 0.0:
        return SHADES[0][1]
    for limit, char in SHADES[1:]:
        if fraction < limit:
            return char
    return SHADES[-1][1]


def text_grid(matrix: np.ndarray, pad: int) -> list[str]:
    """One line per query position: the pad columns, a bar, then key positions 0..T-1."""
    steps = matrix.shape[0]
    width = len(str(steps - 1))
    lines = [f"{'':>{width + 3}}{'pad':<{pad}}|keys 0..{steps - 1}"]
    for t in range(steps):
        cells = "".join(_shade(float(v)) for v in matrix[t])
        lines.append(f"t={t:<{width}} {cells[:pad]}|{cells[pad:]}")
    return lines
