"""How big a program is: lines, code lines and AST nodes, docstrings left out of the last two.

The compiled program's header docstring records provenance and the verification verdict, so
its length says nothing about the algorithm; code lines and AST nodes count only the code, the
same way for an extracted program and for the task's reference rendered by the same emitter.
"""

from __future__ import annotations

import ast
from typing import Any


def _docstrings(tree: ast.Module) -> list[ast.Expr]:
    found = []
    for node in ast.walk(tree):
        if isinstance(node, (ast.Module, ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            body = node.body
            if body and isinstance(body[0], ast.Expr) and isinstance(body[0].value, ast.Constant):
                if isinstance(body[0].value.value, str):
                    found.append(body[0])
    return found


def program_size(source: str) -> dict[str, Any]:
    """{"lines": all lines, "code_lines": non-blank, non-comment, non-docstring lines,
    "ast_nodes": AST nodes outside docstrings}."""
    tree = ast.parse(source)
    docstrings = _docstrings(tree)
    skipped: set[int] = set()
    for doc in docstrings:
        skipped.update(range(doc.lineno, (doc.end_lineno or doc.lineno) + 1))
    code_lines = sum(
        1
        for number, text in enumerate(source.splitlines(), start=1)
        if number not in skipped and text.strip() and not text.strip().startswith("#")
    )
    in_docstrings = sum(sum(1 for _ in ast.walk(doc)) for doc in docstrings)
    return {
        "lines": len(source.splitlines()),
        "code_lines": code_lines,
        "ast_nodes": sum(1 for _ in ast.walk(tree)) - in_docstrings,
    }
