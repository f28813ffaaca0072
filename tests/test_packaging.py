"""The package-dir mapping: passes/ ships as w2c.passes and corpus/ as w2c.corpus."""

from __future__ import annotations

import importlib
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def test_mapped_packages_import_from_repo_root() -> None:
    passes = importlib.import_module("w2c.passes")
    corpus = importlib.import_module("w2c.corpus")
    assert Path(passes.__file__).parent == ROOT / "passes"
    assert Path(corpus.__file__).parent == ROOT / "corpus"


def test_every_package_folder_is_listed_in_pyproject() -> None:
    config = tomllib.loads((ROOT / "pyproject.toml").read_text())
    listed = set(config["tool"]["setuptools"]["packages"])
    mapping = {"passes": "w2c.passes", "corpus": "w2c.corpus"}
    found = set()
    for top in ("w2c", "passes", "corpus"):
        for init in (ROOT / top).rglob("__init__.py"):
            parts = init.parent.relative_to(ROOT).parts
            name = ".".join((mapping.get(parts[0], parts[0]),) + parts[1:])
            found.add(name)
    assert found == listed, f"not listed: {found - listed}; listed but missing: {listed - found}"


def test_ruff_is_clean() -> None:
    """The style bar (pyproject's [tool.ruff]) holds for every Python file in the repository."""
    import subprocess
    import sys

    done = subprocess.run(
        [sys.executable, "-m", "ruff", "check", "--no-cache", "--quiet", str(ROOT)],
        capture_output=True,
        text=True,
        cwd=ROOT,
    )
    assert done.returncode == 0, done.stdout + done.stderr
