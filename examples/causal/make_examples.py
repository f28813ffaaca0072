"""Regenerate the example data in this folder from the pinned generators (w2c.causal.generate).

    python examples/causal/make_examples.py [--force]

- linear4.csv: 4 variables a..d, 1500 steps, linear, in-degree 1, max lag 3; d has no parents.
- regimes3.csv: 3 variables, 2000 steps, linear, 2 regimes with different graphs, a `regime`
  column (pass --regime-col regime).
Each CSV has a `time` column (pass --time-col time) and a *_truth.json with the true edges.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import numpy as np

from w2c.causal import generate
from w2c.fileio import write_text

HERE = Path(__file__).resolve().parent


def _write(stem: str, system, names: list[str], force: bool) -> None:
    header = ["time", *names] + (["regime"] if system.regimes is not None else [])
    lines = [",".join(header)]
    for t, row in enumerate(system.data):
        cells = [str(t)] + [f"{v:.4f}" for v in row]
        if system.regimes is not None:
            cells.append(str(int(system.regimes[t])))
        lines.append(",".join(cells))
    write_text(HERE / f"{stem}.csv", "\n".join(lines) + "\n", force)
    edges = [
        {"source": names[j], "target": names[i], "lag": int(lag) + 1}
        for i, j, lag in zip(*np.nonzero(system.graph), strict=True)
    ]
    truth = {
        "variables": names,
        "max_lag": system.graph.shape[2],
        "edges": edges,
        "generator": system.params,
    }
    write_text(HERE / f"{stem}_truth.json", json.dumps(truth, indent=1) + "\n", force)


def main() -> None:
    force = "--force" in sys.argv
    linear = generate("linear", n_vars=4, max_lag=3, n_steps=1500, in_degree=1, n_roots=1, seed=1)
    _write("linear4", linear, ["a", "b", "c", "d"], force)
    regimes = generate(
        "linear", n_vars=3, max_lag=2, n_steps=2000, in_degree=1, n_regimes=2, seed=3
    )
    _write("regimes3", regimes, ["u", "v", "w"], force)


if __name__ == "__main__":
    main()
