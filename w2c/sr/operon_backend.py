"""The ``operon`` backend: genetic programming with pyoperon, one thread, fixed seed.

pyoperon is an optional extra, imported only when this backend runs. Operon searches a Pareto
front of (R², length) with NSGA-II; every front model is parsed (w2c.sr.parse), its constants
refit (w2c.sr.refine), and the shortest model within tolerance wins (else the most accurate).
The budget is a fixed number of generations and evaluations scaled by ``time_limit``, so the run
is deterministic; Operon's own wall-clock cap is only a safety stop at SAFETY_FACTOR (4) x
``time_limit``.
"""

from __future__ import annotations

import importlib
import math
import warnings
from functools import lru_cache

import numpy as np

from w2c.errors import InputError
from w2c.sr.enumerate import SAFETY_FACTOR
from w2c.sr.records import Candidate
from w2c.sr.refine import choose_model, gp_names, gp_points
from w2c.sr.samples import Problem

SYMBOLS = "add,sub,mul,div,fmin,fmax,abs,constant,variable"
POPULATION = 300
#: Generations per second of time_limit (one generation of 300 takes ~5 ms here).
GENERATIONS_PER_SECOND = 40
MAX_LENGTH = 20


@lru_cache(maxsize=1)
def unavailable_reason() -> str | None:
    """None when pyoperon imports, else why not (checked once per process)."""
    try:
        importlib.import_module("pyoperon.sklearn")
    except Exception as error:  # an optional native extension: any import failure disables it
        return (
            f"pyoperon is not importable ({type(error).__name__}: {error}); pip install w2c[operon]"
        )
    return None


def fit_operon(problem: Problem, time_limit: float) -> Candidate:
    """Run Operon on the fitting points and return the chosen, refit front model."""
    reason = unavailable_reason()
    if reason is not None:
        raise InputError(f"the operon backend is unavailable: {reason}")
    from pyoperon.sklearn import SymbolicRegressor

    names = gp_names(problem)
    x, y = gp_points(problem)
    if np.ptp(y) == 0:  # nothing to evolve; the refit still snaps the constant
        return Candidate(choose_model([repr(float(y[0]))], problem), 0)
    generations = max(5, int(GENERATIONS_PER_SECOND * time_limit))
    regressor = SymbolicRegressor(
        allowed_symbols=SYMBOLS,
        objectives=["r2", "length"],
        population_size=POPULATION,
        pool_size=POPULATION,
        generations=generations,
        max_evaluations=POPULATION * (generations + 1) * 4,
        max_length=MAX_LENGTH,
        optimizer_iterations=5,
        n_threads=1,
        random_state=problem.seed,
        max_time=max(1, math.ceil(SAFETY_FACTOR * time_limit)),
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # "Model contains no variables" for constant models
        regressor.fit(x, y)
        texts = [regressor.get_model_string(m["tree"], 12, names) for m in regressor.pareto_front_]
    tried = int(regressor.stats_.get("residual_evaluations", 0))
    return Candidate(choose_model(texts, problem), tried)
