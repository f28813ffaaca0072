"""The versioned JSON report schema ``w2c.report/2`` (documented in docs/report-schema.md).

``w2c inspect --json``, ``w2c compile --json`` and ``w2c corpus bench`` print or write documents
with ``"schema": "w2c.report/2"`` and a ``"kind"``. Version 2 redefined the verification
strengths (``proved``, ``exhaustive``, ``sampled``), added the CHECKED verdict and exit code 4,
the evidence methods ``proof`` and ``replay``, each check's ``label``, and the scoreboard's
``textbook`` as "correctness proved". The JSON Schemas below are the contract
(tests validate real documents against them). Compatible growth adds optional keys and keeps
the version; renaming or removing a key, or changing its meaning, bumps it to ``w2c.report/2``.
"""

from __future__ import annotations

from typing import Any

SCHEMA = "w2c.report/2"

_NUMBER = {"type": "number"}
_NUMBER_OR_NULL = {"type": ["number", "null"]}
_INT = {"type": "integer"}
_STR = {"type": "string"}
_STR_OR_NULL = {"type": ["string", "null"]}
_BOOL = {"type": "boolean"}
_STRINGS = {"type": "array", "items": _STR}
_SHA = {"type": "string", "pattern": "^[0-9a-f]{64}$"}
_STRENGTH = {"enum": ["proved", "exhaustive", "sampled", None]}
_VERDICT = {"enum": ["VERIFIED", "CHECKED", "NOT VERIFIED", "NOT RUN"]}


def _object(required: dict[str, Any], optional: dict[str, Any] | None = None) -> dict[str, Any]:
    """An object with these required keys; other keys are allowed (compatible growth)."""
    return {
        "type": "object",
        "required": sorted(required),
        "properties": {**required, **(optional or {})},
    }


def _header(kind: str) -> dict[str, Any]:
    return {"schema": {"const": SCHEMA}, "kind": {"const": kind}}


HEAD = _object(
    {
        "name": _STR,
        "layer": _INT,
        "head": _INT,
        "query": _STR,
        "key": _STR,
        "value": _STR,
        "pattern": _STR,
        "resolved": _BOOL,
        "agreement": _NUMBER_OR_NULL,
        "output_agreement": _NUMBER_OR_NULL,
        "samples": {"type": ["integer", "null"]},
        "offsets": {
            "type": "object",
            "propertyNames": {"pattern": "^-?[0-9]+$"},
            "additionalProperties": _INT,
        },
        "attention": _object(
            {
                "first_key": _INT,
                "map": {
                    "type": "array",
                    "items": {"type": "array", "items": {"type": "number", "minimum": 0}},
                },
            }
        ),
        "grid": _STRINGS,
    }
)

FIT = {
    "oneOf": [
        {"type": "null"},
        _object(
            {
                "expr": _STR_OR_NULL,
                "accepted": _BOOL,
                "backend": _STR_OR_NULL,
                "max_abs_error": _NUMBER_OR_NULL,
                "rmse": _NUMBER_OR_NULL,
                "tolerance": _NUMBER_OR_NULL,
                "samples": {"type": ["integer", "null"]},
                "complexity": {"type": ["integer", "null"]},
            }
        ),
    ]
}

MLP = _object(
    {
        "name": _STR,
        "layer": _INT,
        "index": _INT,
        "inputs": _STRINGS,
        "hidden": _INT,
        "fit": FIT,
    }
)

HISTORY_KEYS = (
    "step",
    "tau",
    "soft_loss",
    "hard_loss",
    "discrepancy",
    "agreement_prev",
    "agreement_final",
)

INSPECT = _object(
    {
        **_header("inspect"),
        "path": _STR,
        "format": _STR,
        "w2c_version": _STR,
        "model_sha256": _SHA,
        "task": _object(
            {
                "name": _STR,
                "channels": _STRINGS,
                "length": _INT,
                "feedback": _BOOL,
                "domains": {"type": "array", "items": _object({"kind": _STR})},
                "user_task": _BOOL,
                "oracle": _STR,
            }
        ),
        "config": _object({"input_names": _STRINGS, "layers": {"type": "array"}}),
        "training": _object(
            {
                "seed": _INT,
                "steps": _INT,
                "polish_steps": _INT,
                "seconds": _NUMBER,
                "attempts": _INT,
                "final_soft_loss": _NUMBER,
                "final_hard_loss": _NUMBER,
                "exact_fraction": _NUMBER,
                "rel_mse": _NUMBER,
                "log_points": _INT,
                "final_agreement": _NUMBER_OR_NULL,
            }
        ),
        "history": _object({k: {"type": "array", "items": _NUMBER} for k in HISTORY_KEYS}),
        "traced_sequences": _INT,
        "heads": {"type": "array", "items": HEAD},
        "mlps": {"type": "array", "items": MLP},
        "output": _object(
            {
                "terms": {
                    "type": "array",
                    "items": _object({"name": _STR, "weight": _NUMBER}),
                },
                "bias": _NUMBER,
                "scale": _NUMBER,
            }
        ),
    },
    {"plots": _STRINGS},
)

EVIDENCE = _object(
    {
        "method": {"enum": ["proof", "network", "replay", "symbolic", "exhaustive", "property"]},
        "passed": _BOOL,
        "cases": _INT,
        "lengths": {"type": ["array", "null"], "items": _INT},
        "max_abs_error": _NUMBER,
        "rel_mse": _NUMBER_OR_NULL,
        "seconds": _NUMBER,
        "counterexample": {"type": ["object", "null"]},
        "detail": _STR,
    }
)

CHECK = _object(
    {
        "kind": {"enum": ["correctness", "fidelity", "twin"]},
        "checked": _BOOL,
        "passed": _BOOL,
        "strength": _STRENGTH,
        "label": _STR_OR_NULL,
        "reason": _STR_OR_NULL,
        "evidence": {"type": "array", "items": EVIDENCE},
    }
)

NODE = _object(
    {
        "name": _STR,
        "op": _STR,
        "resolved": _BOOL,
        "domain": _STR_OR_NULL,
        "evidence": {"type": "object"},
    }
)

COMPILE = _object(
    {
        **_header("compile"),
        "task": _STR,
        "model_sha256": _SHA,
        "pipeline": _STRINGS,
        "timings": {"type": "array", "items": _object({"pass": _STR, "seconds": _NUMBER})},
        "verify_seconds": _NUMBER,
        "rule": _STR_OR_NULL,
        "constants": {"enum": ["exact", "inexact", None]},
        "fallbacks": _STRINGS,
        "nodes": {"type": "array", "items": NODE},
        "verification": {
            "oneOf": [
                {"type": "null"},
                _object(
                    {
                        "passed": _BOOL,
                        "verdict": {"enum": ["VERIFIED", "CHECKED", "NOT VERIFIED"]},
                        "correctness": CHECK,
                        "fidelity": CHECK,
                    },
                    {"twin": {"oneOf": [{"type": "null"}, CHECK]}},
                ),
            ]
        },
        "correctness_source": _STR,
        "exit_code": {"enum": [0, 1, 3, 4]},
        "verdict": _VERDICT,
        "stages": {
            "type": "array",
            "minItems": 1,
            "items": _object({"pass": _STR, "seconds": _NUMBER_OR_NULL, "ir": _STR}),
        },
        "resolutions": {
            "type": "array",
            "items": _object(
                {
                    "name": _STR,
                    "lowered_op": _STR,
                    "resolved_by": _STR_OR_NULL,
                    "removed_by": _STR_OR_NULL,
                    "node": NODE,
                }
            ),
        },
        "heads": {"type": "array", "items": HEAD},
        "mlps": {"type": "array", "items": MLP},
        "source": _STR,
        "size": _object({"lines": _INT, "code_lines": _INT, "ast_nodes": _INT}),
    },
    {"program": _STR, "report": _STR, "tests": _STR},
)

SIZE = _object({"lines": _INT, "code_lines": _INT, "ast_nodes": _INT})

ROW = _object(
    {
        "task": _STR,
        "train_seconds": _NUMBER,
        "steps": _INT,
        "polish_steps": _INT,
        "attempts": _INT,
        "final_hard_loss": _NUMBER,
        "exact_fraction": _NUMBER,
        "rel_mse": _NUMBER,
        "discrete": _BOOL,
        "pass_seconds": {"type": "object", "additionalProperties": _NUMBER},
        "passes_seconds": _NUMBER,
        "verify_seconds": _NUMBER,
        "program": SIZE,
        "reference": {"oneOf": [{"type": "null"}, SIZE]},
        "correctness": _STRENGTH,
        "fidelity": _STRENGTH,
        "correctness_label": _STR_OR_NULL,
        "fidelity_label": _STR_OR_NULL,
        "verdict": _VERDICT,
        "textbook": _BOOL,
        "rule": _STR_OR_NULL,
        "reference_rule": _STR_OR_NULL,
        "exit_code": _INT,
    }
)

SCOREBOARD = _object(
    {
        **_header("scoreboard"),
        "mode": {"enum": ["compile-only", "train"]},
        "w2c_version": _STR,
        "rows": {"type": "array", "items": ROW},
        "missing": _STRINGS,
    }
)

SCHEMAS = {"inspect": INSPECT, "compile": COMPILE, "scoreboard": SCOREBOARD}


def json_schema(kind: str) -> dict[str, Any]:
    """The JSON Schema (draft 2020-12) of one document kind."""
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "title": f"{SCHEMA} {kind}",
        **SCHEMAS[kind],
    }
