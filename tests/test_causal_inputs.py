"""Bad inputs to `w2c causal` fail before any training: one line on stderr, exit 2."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from w2c.cli import run


def _csv(path: Path, header: str, rows: list[str]) -> Path:
    path.write_text(header + "\n" + "\n".join(rows) + "\n")
    return path


def _good_rows(n: int = 80) -> list[str]:
    rng = np.random.default_rng(0)
    return [f"{t},{a:.3f},{b:.3f}" for t, (a, b) in enumerate(rng.normal(size=(n, 2)))]


def _fails(argv: list[str], capsys, expected: str) -> None:
    assert run(argv) == 2
    err = capsys.readouterr().err
    assert err.startswith("w2c: error: ") and err.count("\n") == 1, err
    assert expected in err, err
    assert "Traceback" not in err


@pytest.mark.parametrize(
    "header,rows,extra,expected",
    [
        ("date,a,b", [f"2020-01-{r}" for r in _good_rows()], [], "column 'date' is not numeric"),
        (
            "a,b",
            ["1.0,2.0", "abc,3.0"] + [r.split(",", 1)[1] for r in _good_rows()[2:]],
            [],
            "column 'a' is not numeric (row 3",
        ),
        (
            "a,b",
            ["1.0,2.0", ",3.0"] + [r.split(",", 1)[1] for r in _good_rows()[2:]],
            [],
            "missing value in column 'a' at row 3",
        ),
        (
            "a,b",
            ["1.0,NaN"] + [r.split(",", 1)[1] for r in _good_rows()[1:]],
            [],
            "missing value in column 'b'",
        ),
        ("a,b", [f"1.0,{i}" for i in range(80)], [], "column 'a' is constant"),
        ("a", [f"{i % 7}" for i in range(80)], [], "need at least 2 variables"),
        ("t,a,b", _good_rows(20), ["--time-col", "t"], "too few rows for max-lag 3"),
        ("t,a,b", _good_rows(), ["--time-col", "nope"], "--time-col 'nope' is not a column"),
        ("a,a", ["1,2"] * 80, [], "appears twice"),
        ("a b,c", [r.split(",", 1)[1] for r in _good_rows()], [], "must be an identifier"),
        ("t,a,b", ["0,1"] + _good_rows()[1:], ["--time-col", "t"], "line 2 has 2 fields"),
        ("t,a,b", ["5,1,2"] + _good_rows()[1:], ["--time-col", "t"], "not strictly increasing"),
    ],
)
def test_bad_csv(tmp_path: Path, capsys, header, rows, extra, expected) -> None:
    data = _csv(tmp_path / "d.csv", header, rows)
    _fails(
        ["causal", str(data), "--max-lag", "3", "-o", str(tmp_path / "o"), *extra], capsys, expected
    )
    assert not (tmp_path / "o").exists()


@pytest.mark.parametrize("lag", ["0", "-2"])
def test_nonpositive_max_lag(tmp_path: Path, capsys, lag: str) -> None:
    data = _csv(tmp_path / "d.csv", "t,a,b", _good_rows())
    _fails(
        ["causal", str(data), "--max-lag", lag, "--time-col", "t"],
        capsys,
        "max-lag must be a positive integer",
    )


def test_missing_file(tmp_path: Path, capsys) -> None:
    _fails(["causal", str(tmp_path / "none.csv"), "--max-lag", "2"], capsys, "data file not found")


def test_bad_npy(tmp_path: Path, capsys) -> None:
    np.save(tmp_path / "v.npy", np.arange(50.0))
    _fails(["causal", str(tmp_path / "v.npy"), "--max-lag", "2"], capsys, "2-D array")
    np.save(tmp_path / "s.npy", np.array([["a", "b"]] * 50))
    _fails(["causal", str(tmp_path / "s.npy"), "--max-lag", "2"], capsys, "not numbers")
    bad = np.random.default_rng(0).normal(size=(60, 3))
    bad[7, 1] = np.inf
    np.save(tmp_path / "i.npy", bad)
    _fails(
        ["causal", str(tmp_path / "i.npy"), "--max-lag", "2"],
        capsys,
        "non-finite value in column 'x1' at time index 7",
    )


def test_conflicting_rules_and_bad_score(tmp_path: Path, capsys) -> None:
    data = _csv(tmp_path / "d.csv", "t,a,b", _good_rows())
    base = ["causal", str(data), "--max-lag", "2", "--time-col", "t"]
    _fails([*base, "--top-k", "2", "--threshold", "0.1"], capsys, "at most one of")
    _fails([*base, "--top-k", "0"], capsys, "positive integer k")
    _fails([*base, "--score", "attention"], capsys, "unknown score 'attention'")


def test_existing_output_needs_force(tmp_path: Path, capsys) -> None:
    data = _csv(tmp_path / "d.csv", "t,a,b", _good_rows())
    out = tmp_path / "o"
    out.mkdir()
    (out / "graph.json").write_text("{}")
    _fails(
        ["causal", str(data), "--max-lag", "2", "--time-col", "t", "-o", str(out)],
        capsys,
        "exists; pass --force",
    )
    assert (out / "graph.json").read_text() == "{}"


def test_bad_model_file(tmp_path: Path, capsys) -> None:
    data = _csv(tmp_path / "d.csv", "t,a,b", _good_rows())
    junk = tmp_path / "m.pt"
    junk.write_bytes(b"not a checkpoint")
    _fails(
        ["causal", str(data), "--max-lag", "2", "--time-col", "t", "--model", str(junk), "--json"],
        capsys,
        "cannot be read as a weights-only checkpoint",
    )
