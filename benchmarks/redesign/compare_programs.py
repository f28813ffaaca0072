"""Compile every corpus model at two git revisions and compare the emitted programs byte for byte.

    python benchmarks/redesign/compare_programs.py [REV_A [REV_B]]   # default HEAD~1 HEAD

Each revision is exported with ``git archive`` into a temporary folder and run from there without
being installed: a child interpreter puts the revision's folder first on ``sys.path`` and a small
meta-path finder maps the packages of the revision's ``[tool.setuptools.package-dir]`` (today
``w2c.passes`` -> passes/, ``w2c.corpus`` -> corpus/) into that folder, ahead of any installed or
editable w2c. Every model of each revision's ``corpus/models/`` is compiled with ``w2c compile``
twice, plain and with ``--numpy-twin``, from the revision's folder (so the relative model path in
each program's header is the same at both revisions). No golden programs are stored.

Prints one row per model (task | plain identical | twin identical) and, for each difference, the
start of a unified diff. Exit code 0 when every program is byte-identical, 1 on any difference
(including a program that only one revision wrote), 2 when a revision cannot be exported.
"""

from __future__ import annotations

import argparse
import difflib
import io
import os
import subprocess
import sys
import tarfile
import tempfile
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

KINDS = ("plain", "twin")
DIFF_LINES = 12

# Run in the child: argv = [REV_DIR, w2c arguments...]. Mirrors pyproject's package-dir mapping
# for the revision so that `import w2c.passes` finds REV_DIR/passes, then runs `python -m w2c`.
BOOT = r"""
import importlib.util, os, runpy, sys, tomllib

rev = os.path.abspath(sys.argv[1])
with open(os.path.join(rev, "pyproject.toml"), "rb") as file:
    setuptools = tomllib.load(file).get("tool", {}).get("setuptools", {})
package_dir = setuptools.get("package-dir", {})
mapping = {name: os.path.join(rev, folder) for name, folder in package_dir.items() if name}


class RevisionFinder:
    @staticmethod
    def find_spec(name, path=None, target=None):
        folder = mapping.get(name)
        if folder is None:
            return None
        return importlib.util.spec_from_file_location(
            name, os.path.join(folder, "__init__.py"), submodule_search_locations=[folder]
        )


sys.meta_path.insert(0, RevisionFinder)
sys.path[:] = [rev] + [p for p in sys.path if p not in ("", ".", rev)]
import w2c

if not os.path.abspath(w2c.__file__).startswith(rev + os.sep):
    sys.exit(f"compare_programs: w2c was imported from {w2c.__file__}, not from {rev}")
sys.argv = ["w2c", *sys.argv[2:]]
runpy.run_module("w2c", run_name="__main__", alter_sys=True)
"""


@dataclass(frozen=True)
class Compiled:
    source: bytes | None  # None: no program written
    exit_code: int
    stderr: str


def git(repo: Path, *args: str) -> subprocess.CompletedProcess[bytes]:
    return subprocess.run(["git", "-C", str(repo), *args], capture_output=True, check=False)


def export(repo: Path, rev: str, into: Path) -> str:
    """Extract ``rev``'s tree into ``into``; returns the full commit hash."""
    found = git(repo, "rev-parse", "--verify", "--quiet", f"{rev}^{{commit}}")
    if found.returncode != 0:
        raise SystemExit(f"compare_programs: {rev!r} is not a revision of {repo}")
    commit = found.stdout.decode().strip()
    archive = git(repo, "archive", "--format=tar", commit)
    if archive.returncode != 0:
        raise SystemExit(f"compare_programs: git archive {rev}: {archive.stderr.decode().strip()}")
    into.mkdir(parents=True)
    with tarfile.open(fileobj=io.BytesIO(archive.stdout)) as tar:
        tar.extractall(into, filter="data")
    return commit


def compile_one(python: str, rev_dir: Path, model: str, kind: str, out: Path) -> Compiled:
    args = ["compile", f"corpus/models/{model}.pt", "-o", str(out), "-q", "--force"]
    if kind == "twin":
        args.append("--numpy-twin")
    env = dict(os.environ, PYTHONDONTWRITEBYTECODE="1", PYTHONSAFEPATH="1")
    done = subprocess.run(
        [python, "-c", BOOT, str(rev_dir), *args],
        cwd=rev_dir,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    source = out.read_bytes() if out.is_file() else None
    return Compiled(source, done.returncode, done.stderr.strip())


def models_of(rev_dir: Path) -> set[str]:
    return {p.stem for p in (rev_dir / "corpus" / "models").glob("*.pt")}


def describe(a: Compiled | None, b: Compiled | None) -> str:
    if a is None or b is None:
        return "no (model at one revision only)"
    if a.source is None or b.source is None:
        return f"no (no program: exit {a.exit_code} / {b.exit_code})"
    return "yes" if a.source == b.source else "no"


def diff_excerpt(name: str, a: Compiled | None, b: Compiled | None) -> list[str]:
    if a is None or b is None:
        return []
    if a.source is None or b.source is None:
        return [line for c in (a, b) if c.source is None for line in c.stderr.splitlines()[-3:]]
    lines = difflib.unified_diff(
        a.source.decode(errors="replace").splitlines(),
        b.source.decode(errors="replace").splitlines(),
        f"A/{name}",
        f"B/{name}",
        lineterm="",
    )
    return list(lines)[:DIFF_LINES]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("rev_a", nargs="?", default="HEAD~1", help="first revision (HEAD~1)")
    parser.add_argument("rev_b", nargs="?", default="HEAD", help="second revision (HEAD)")
    parser.add_argument(
        "--repo", type=Path, default=Path(__file__).resolve().parents[2], help="git checkout"
    )
    parser.add_argument("--python", default=sys.executable, help="interpreter with the deps")
    parser.add_argument("--jobs", type=int, default=2, help="compiles at once (2)")
    parser.add_argument("--only", nargs="+", metavar="TASK", help="only these corpus models")
    args = parser.parse_args(argv)

    with tempfile.TemporaryDirectory(prefix="w2c-compare-") as tmp:
        root = Path(tmp)
        revs = {"A": args.rev_a, "B": args.rev_b}
        dirs = {side: root / side / "tree" for side in revs}
        commits = {side: export(args.repo, rev, dirs[side]) for side, rev in revs.items()}
        for side, rev in revs.items():
            print(f"{side}: {rev} = {commits[side][:12]}")
        models = {side: models_of(d) for side, d in dirs.items()}
        names = sorted(models["A"] | models["B"])
        if args.only:
            names = [n for n in names if n in set(args.only)]
        jobs = [
            (side, name, kind)
            for name in names
            for kind in KINDS
            for side in revs
            if name in models[side]
        ]

        def run(job: tuple[str, str, str]) -> Compiled:
            side, name, kind = job
            out = root / side / kind / f"{name}.py"
            out.parent.mkdir(parents=True, exist_ok=True)
            return compile_one(args.python, dirs[side], name, kind, out)

        with ThreadPoolExecutor(max(1, args.jobs)) as pool:
            results = dict(zip(jobs, pool.map(run, jobs), strict=True))

    identical = {kind: 0 for kind in KINDS}
    excerpts: list[str] = []
    print()
    print("| task | plain identical | twin identical |")
    print("|---|---|---|")
    for name in names:
        cells = []
        for kind in KINDS:
            a, b = results.get(("A", name, kind)), results.get(("B", name, kind))
            verdict = describe(a, b)
            identical[kind] += verdict == "yes"
            cells.append(verdict)
            if verdict != "yes":
                excerpts += [f"--- {kind}/{name}.py", *diff_excerpt(f"{kind}/{name}.py", a, b)]
        print(f"| {name} | {cells[0]} | {cells[1]} |")
    print()
    total = len(names)
    print(
        f"plain {identical['plain']}/{total} identical, twin {identical['twin']}/{total} identical"
    )
    if excerpts:
        print("\n" + "\n".join(excerpts))
    same = total > 0 and all(identical[kind] == total for kind in KINDS)
    return 0 if same else 1


if __name__ == "__main__":
    sys.exit(main())
