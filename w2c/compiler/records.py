"""IR nodes as plain data, for reports and the suite's evidence (no compiler state needed)."""

from __future__ import annotations

from typing import Any

from w2c.compiler.ir import Node


def node_record(node: Node) -> dict[str, Any]:
    """One node as JSON-able data (its evidence values as plain scalars, lists or strings)."""
    evidence = {
        k: (v if isinstance(v, (int, float, str, bool, list)) or v is None else str(v))
        for k, v in node.evidence.items()
    }
    return {
        "name": node.name,
        "op": node.op.describe(),
        "resolved": node.resolved,
        "domain": None if node.domain is None else node.domain.describe(),
        "evidence": evidence,
    }
