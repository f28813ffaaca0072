"""Every documented command example runs and exits as documented (docs/*.md, README.md).

Convention: inside a ```console block, a line ``$ w2c ...`` is a command. It runs in a fresh
temporary folder that holds links to the repository's ``corpus/`` and ``examples/``, so examples
name inputs as ``corpus/...`` or ``examples/...`` and write outputs to relative paths. It must exit
0 unless the line ends with ``# exit N``. Commands in one block run in order, in one folder.
"""

from __future__ import annotations

import re
import shlex
from pathlib import Path

import pytest

from w2c.cli import run

ROOT = Path(__file__).resolve().parents[1]
DOCS = sorted((ROOT / "docs").glob("*.md")) + [ROOT / "README.md"]
BLOCK = re.compile(r"```console\n(.*?)```", re.S)
EXPECT = re.compile(r"\s+#\s*exit\s+(\d+)\s*$")


def _blocks() -> list[tuple[str, list[tuple[list[str], int]]]]:
    found = []
    for doc in DOCS:
        for index, match in enumerate(BLOCK.finditer(doc.read_text())):
            commands = []
            for line in match.group(1).splitlines():
                if not line.startswith("$ w2c "):
                    continue
                expect = EXPECT.search(line)
                code = int(expect.group(1)) if expect else 0
                text = line[len("$ w2c ") : expect.start() if expect else None]
                commands.append((shlex.split(text), code))
            if commands:
                found.append((f"{doc.name}#{index}", commands))
    return found


@pytest.mark.parametrize("name,commands", _blocks(), ids=[b[0] for b in _blocks()])
def test_documented_example(
    name: str, commands: list[tuple[list[str], int]], tmp_path: Path, monkeypatch
) -> None:
    for folder in ("corpus", "examples", "benchmarks"):
        if (ROOT / folder).exists():
            (tmp_path / folder).symlink_to(ROOT / folder)
    monkeypatch.chdir(tmp_path)
    for argv, expected in commands:
        assert run(argv) == expected, f"{name}: w2c {shlex.join(argv)}"
