"""`w2c corpus bench`: rows built from checkpoints and compiles, reference programs, outputs."""

from __future__ import annotations

import contextlib
import io
import json
from pathlib import Path

import jsonschema
import numpy as np
import pytest

from w2c.cli import run
from w2c.compiler.pipeline import DEFAULT_PIPELINE
from w2c.corpus import TASKS, model_path
from w2c.network.checkpoint import load
from w2c.report.program_size import program_size
from w2c.report.schema import json_schema
from w2c.report.scoreboard import reference_source

BENCHED = ("and_last2", "spring")


def cli(argv: list[str]) -> tuple[int, str]:
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        code = run(argv)
    return code, out.getvalue()


@pytest.mark.parametrize("name", sorted(TASKS))
def test_reference_program_computes_the_oracle(name: str) -> None:
    """The textbook side of the size comparison is a real program for the task."""
    task = TASKS[name]
    source = reference_source(task)
    assert source is not None
    namespace: dict = {}
    exec(source, namespace)
    x = task.sample(np.random.default_rng(0), 20)
    expected = task.run_oracle(x)
    for xs, ys in zip(x, expected, strict=True):
        seq = [tuple(v) for v in xs] if len(task.channels) > 1 else list(xs[:, 0])
        got = np.array(namespace["program"](seq), dtype=float)
        assert np.allclose(got, ys, rtol=1e-9, atol=1e-9), (name, seq)
    size = program_size(source)
    assert 4 <= size["code_lines"] < size["lines"] and size["ast_nodes"] > 20


def test_program_size_ignores_docstrings() -> None:
    source = '"""Doc\n\nmore."""\n\n\ndef f(x):\n    """Doc."""\n    # note\n    return x + 1\n'
    assert program_size(source) == {"lines": 9, "code_lines": 2, "ast_nodes": 10}


@pytest.fixture(scope="module")
def bench(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict, str]:
    folder = tmp_path_factory.mktemp("bench") / "board"
    only = [arg for name in BENCHED for arg in ("--only", name)]
    code, out = cli(["corpus", "bench", *only, "--out", str(folder), "-q"])
    assert code == 0
    return folder, json.loads((folder / "scoreboard.json").read_text()), out


def test_json_follows_the_schema(bench) -> None:  # type: ignore[no-untyped-def]
    _, board, _ = bench
    jsonschema.validate(board, json_schema("scoreboard"))
    assert board["mode"] == "compile-only" and board["missing"] == []
    assert [r["task"] for r in board["rows"]] == list(BENCHED)


def test_rows_hold_the_checkpoint_record_and_the_compile(bench) -> None:  # type: ignore[no-untyped-def]
    _, board, _ = bench
    for row in board["rows"]:
        training = load(model_path(row["task"])).training
        assert row["train_seconds"] == training["seconds"]
        assert (row["steps"], row["polish_steps"]) == (training["steps"], training["polish_steps"])
        assert row["final_hard_loss"] == training["final_hard_loss"]
        assert row["exact_fraction"] == training["exact_fraction"]
        assert row["rel_mse"] == training["rel_mse"]
        assert row["discrete"] == TASKS[row["task"]].discrete
        assert set(row["pass_seconds"]) == set(DEFAULT_PIPELINE)
        assert row["textbook"] == (row["correctness"] == "proved")
        assert row["reference_rule"] == str(TASKS[row["task"]].reference)
        assert row["program"]["code_lines"] >= row["reference"]["code_lines"] - 2
    rows = {r["task"]: r for r in board["rows"]}
    assert rows["and_last2"]["verdict"] == "VERIFIED" and rows["and_last2"]["textbook"]
    assert rows["and_last2"]["fidelity"] == "proved"  # the network proof (docs/verification.md)


def test_markdown_table_matches_the_json(bench) -> None:  # type: ignore[no-untyped-def]
    folder, board, out = bench
    table = (folder / "scoreboard.md").read_text()
    assert out.startswith(table)  # printed too
    lines = table.splitlines()
    assert lines[0].startswith("| task | train s | steps | hard loss | hardened model |")
    assert lines[1].count("|") == lines[0].count("|")
    for row in board["rows"]:
        (line,) = [ln for ln in lines if ln.startswith(f"| {row['task']} |")]
        cells = [c.strip() for c in line.strip("|").split("|")]
        assert cells[1] == f"{row['train_seconds']:.1f}"
        assert f"{row['program']['code_lines']} ({row['reference']['code_lines']})" in cells
        assert cells[-2] == ("yes" if row["textbook"] else "no")
        assert cells[-1] == f"`{row['rule']}`"
    assert f"{len(BENCHED)} models: " in table


def test_existing_outputs_need_force(bench, capsys: pytest.CaptureFixture[str]) -> None:  # type: ignore[no-untyped-def]
    folder, _, _ = bench
    before = (folder / "scoreboard.md").read_text()
    assert run(["corpus", "bench", "--only", "and_last2", "--out", str(folder)]) == 2
    err = capsys.readouterr().err
    assert err.startswith("w2c: error: ") and "--force" in err and err.count("\n") == 1
    assert (folder / "scoreboard.md").read_text() == before


@pytest.mark.parametrize(
    "extra,fragment",
    [
        (["--only", "nonsense"], "unknown corpus task"),
        (["--models", "{tmp}/none"], "models folder does not exist"),
        (["--out", "{tmp}/no/board"], "parent does not exist"),
    ],
)
def test_bad_input(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], extra: list[str], fragment: str
) -> None:
    argv = ["corpus", "bench", *[e.format(tmp=tmp_path) for e in extra]]
    if "--out" not in argv:
        argv += ["--out", str(tmp_path / "board")]
    assert run(argv) == 2
    err = capsys.readouterr().err
    assert err.startswith("w2c: error: ") and fragment in err and err.count("\n") == 1
    assert not (tmp_path / "board" / "scoreboard.md").exists()


def test_missing_models_are_listed(tmp_path: Path) -> None:
    (tmp_path / "models").mkdir()
    argv = ["corpus", "bench", "--only", "and_last2", "--models", str(tmp_path / "models")]
    code, out = cli([*argv, "--out", str(tmp_path / "board"), "-q"])
    assert code == 0
    board = json.loads((tmp_path / "board" / "scoreboard.json").read_text())
    assert board["rows"] == [] and board["missing"] == ["and_last2"]
    assert "Missing models: and_last2" in out or "missing: and_last2" in out
