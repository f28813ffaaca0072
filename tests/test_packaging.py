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
    """The style bar (pyproject's [tool.ruff]) holds for every Python file the repository tracks.

    Files a user made in the checkout (the README's first command writes parity_last2.py there)
    are not the repository's; outside a git checkout every file is checked.
    """
    import subprocess
    import sys

    listed = subprocess.run(
        ["git", "ls-files", "--cached", "*.py"], capture_output=True, text=True, cwd=ROOT
    )
    tracked = [f for f in listed.stdout.split() if (ROOT / f).is_file()]
    files = tracked if listed.returncode == 0 and tracked else [str(ROOT)]
    done = subprocess.run(
        [sys.executable, "-m", "ruff", "check", "--no-cache", "--quiet", *files],
        capture_output=True,
        text=True,
        cwd=ROOT,
    )
    assert done.returncode == 0, done.stdout + done.stderr


def test_emitted_program_is_ruff_clean(tmp_path: Path) -> None:
    """The README's two commands in order: the program command 1 writes passes the style bar."""
    import subprocess
    import sys

    from w2c.cli import run

    program = tmp_path / "parity_last2.py"
    assert run(["compile", str(ROOT / "corpus/models/parity_last2.pt"), "-o", str(program)]) == 0
    config = ROOT / "pyproject.toml"
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "ruff",
            "check",
            "--no-cache",
            "--config",
            str(config),
            str(program),
        ],
        capture_output=True,
        text=True,
    )
    assert done.returncode == 0, done.stdout + done.stderr
