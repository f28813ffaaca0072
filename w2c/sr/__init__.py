"""Symbolic regression of sub-MLPs: the engine the ``mlp_symbolic`` pass calls (docs/sr.md).

``fit(inputs, outputs, symbols, domains)`` returns the simplest expression over the symbols that
matches the traced samples within tolerance, with its evidence (errors, sample count, complexity).
Backends: ``library`` (default, in-process, deterministic), ``operon`` (pyoperon GP, optional),
``pysr`` (optional; needs Julia; never imported unless selected).
"""

from w2c.sr.api import available_backends, fit
from w2c.sr.records import Fit, OperandDomain
from w2c.sr.samples import default_tolerance

__all__ = ["Fit", "OperandDomain", "available_backends", "default_tolerance", "fit"]
