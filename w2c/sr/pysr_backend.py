"""The optional ``pysr`` backend (PySR + Julia).

Importing pysr starts a Julia install when Julia is missing (it fails offline), so availability
is decided without importing it: the package must be findable and a ``julia`` executable must
be on PATH. The import happens inside :func:`fit_pysr` only.
"""

from __future__ import annotations

import importlib
import importlib.util
import shutil

from w2c.errors import InputError
from w2c.sr.records import Candidate
from w2c.sr.refine import choose_model, gp_names, gp_points
from w2c.sr.samples import Problem

ITERATIONS_PER_SECOND = 5


def unavailable_reason() -> str | None:
    """None when PySR can run here, else why not (never imports pysr)."""
    if importlib.util.find_spec("pysr") is None:
        return "the pysr package is not installed (pip install w2c[pysr])"
    if shutil.which("julia") is None:
        return "no julia executable on PATH (PySR needs a Julia runtime)"
    return None


def fit_pysr(problem: Problem, time_limit: float) -> Candidate:
    """Run PySR deterministically (serial, seeded) and return the chosen, refit equation."""
    reason = unavailable_reason()
    if reason is not None:
        raise InputError(f"the pysr backend needs PySR and Julia: {reason}")
    pysr = importlib.import_module("pysr")
    model = pysr.PySRRegressor(
        binary_operators=["+", "-", "*", "/", "max", "min"],
        unary_operators=["abs", "relu"],
        niterations=max(2, int(ITERATIONS_PER_SECOND * time_limit)),
        populations=4,
        population_size=30,
        maxsize=20,
        parallelism="serial",
        deterministic=True,
        random_state=problem.seed,
        progress=False,
        verbosity=0,
        temp_equation_file=True,
    )
    x, y = gp_points(problem)
    model.fit(x, y, variable_names=gp_names(problem))
    texts = [str(t) for t in model.equations_["equation"].tolist()]
    return Candidate(choose_model(texts, problem), len(texts))
