"""The w2c.report/2 JSON Schemas are valid schemas and docs/report-schema.md documents every key."""

from __future__ import annotations

import re
from pathlib import Path

import jsonschema
import pytest

from w2c.report import schema

DOC = Path(__file__).resolve().parents[1] / "docs" / "report-schema.md"


def _keys(node: object) -> set[str]:
    """Every property name anywhere in a schema."""
    found: set[str] = set()
    if isinstance(node, dict):
        for name, sub in node.get("properties", {}).items():
            found.add(name)
            found |= _keys(sub)
        for key in ("items", "additionalProperties"):
            found |= _keys(node.get(key))
        for option in node.get("oneOf", []):
            found |= _keys(option)
    return found


@pytest.mark.parametrize("kind", sorted(schema.SCHEMAS))
def test_schema_is_valid_and_documented(kind: str) -> None:
    document = schema.json_schema(kind)
    jsonschema.Draft202012Validator.check_schema(document)
    assert document["properties"]["schema"] == {"const": "w2c.report/2"}
    documented = set(re.findall(r"`([a-z_0-9]+)`", DOC.read_text()))
    missing = _keys(document) - documented
    assert not missing, f"docs/report-schema.md does not document {sorted(missing)}"


def test_other_versions_and_kinds_are_rejected() -> None:
    minimal = {"schema": "w2c.report/1", "kind": "scoreboard", "mode": "compile-only",
               "w2c_version": "0.1.0", "rows": [], "missing": []}  # fmt: skip
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(minimal, schema.json_schema("scoreboard"))
    jsonschema.validate({**minimal, "schema": schema.SCHEMA}, schema.json_schema("scoreboard"))
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate({**minimal, "schema": schema.SCHEMA}, schema.json_schema("inspect"))
