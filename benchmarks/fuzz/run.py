"""Reliability fuzzing of the w2c command line with a big budget.

Run from the repository root: ``python benchmarks/fuzz/run.py [--cases N] [--seconds S]``.
The generators, the fork server and the contract are ``tests/fuzz_cases.py`` (the same ones
``tests/test_fuzz.py`` runs with a small budget); this prints one row per generator (cases,
runs, failing runs, exit-code counts), then every failing run with its argv, exit code and last
stderr line, and exits 1 if any run broke the contract. ``--case NAME --root DIR`` rebuilds and
reruns one case (e.g. ``checkpoint-0007``) and keeps its folder; ``--help`` lists the rest.
"""

from __future__ import annotations

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "tests"))

import fuzz_cases  # noqa: E402

DEFAULTS = {"cases": 200, "seconds": 1800.0, "cpu": 120, "wall": 150.0, "workers": 2}

if __name__ == "__main__":  # w2c verify's spawned children re-import this file: keep it inert
    sys.exit(fuzz_cases.main(defaults=DEFAULTS))
