"""Hostile inputs to `w2c causal`: each is refused in one line (exit 2) before any training or big
allocation, or handled cleanly; nothing is written on exit 2 and printed JSON is always strict.

Refusals that must happen *before* a step (building the model, reading the values, training) are
checked by making that step raise: the old code reached it and crashed with exit 70 instead.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import numpy as np
import pytest
import torch

from w2c.cli import run
from w2c.errors import CheckpointError, InputError
from w2c.frontends.causal import api, checkpoint, data
from w2c.frontends.causal.graph import CausalGraph, Selection
from w2c.frontends.causal.model import CausalTransformer, ModelConfig, state_shapes
from w2c.frontends.causal.train import TrainConfig, TrainedModel

FAST = ["--epochs", "1", "--eval-windows", "16", "--quiet"]


def _strict_json(text: str):
    """json.loads that refuses NaN / Infinity (what Python's json would otherwise accept)."""

    def refuse(constant: str):
        raise AssertionError(f"non-standard JSON constant {constant}")

    return json.loads(text, parse_constant=refuse)


def _rows(n: int = 80, scale: float = 1.0, seed: int = 0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(n, 2))
    x[1:, 1] += 0.8 * x[:-1, 0]  # a -1-> b, so there is something to learn
    return x * scale


def _csv(path: Path, values: np.ndarray, names=("a", "b")) -> Path:
    lines = [",".join(names)] + [",".join(repr(float(v)) for v in row) for row in values]
    path.write_text("\n".join(lines) + "\n")
    return path


def _refused(argv: list[str], capsys, expected: str, out: Path | None = None) -> str:
    code = run(argv)
    captured = capsys.readouterr()
    last = captured.err.strip().splitlines()[-1] if captured.err.strip() else ""
    assert code == 2, (code, captured.err)
    assert last.startswith("w2c: error:"), captured.err
    assert "internal error" not in captured.err and "Traceback" not in captured.err
    assert expected in last, last
    if out is not None:  # nothing written: no output file at all in the output folder
        assert not out.exists() or not [p for p in out.rglob("*") if p.is_file()]
    return last


@pytest.fixture()
def no_training(monkeypatch):
    """Training fails the test if it starts: the refusal must come first."""

    def forbidden(*args, **kwargs):
        raise AssertionError("training started before the input was validated")

    monkeypatch.setattr(api, "fit", forbidden)


def _small_trained() -> TrainedModel:
    cfg = ModelConfig(n_vars=2, max_lag=2, d_model=8, n_heads=2, n_layers=1, d_ff=8)
    torch.manual_seed(0)
    return TrainedModel(
        model=CausalTransformer(cfg),
        names=("a", "b"),
        mean=np.zeros(2),
        std=np.ones(2),
        regime_labels=(),
        train_config=TrainConfig(max_epochs=2),
        history={"train": [1.0, 0.9], "val": [1.0, 0.95]},
        best_epoch=2,
        seconds=0.1,
    )


# 1. checkpoints: sizes and tensors are validated before the model is built


def test_huge_config_in_a_tiny_checkpoint_is_refused_before_building(
    tmp_path: Path, monkeypatch, capsys
) -> None:
    obj = checkpoint.to_dict(_small_trained())
    obj["config"].update(d_model=4096, n_heads=64, n_layers=64, d_ff=16384)
    path = tmp_path / "huge.pt"
    torch.save(obj, path)
    assert path.stat().st_size < 20_000  # a few KB claiming a ~50 GB model

    def forbidden(*args, **kwargs):
        raise AssertionError("the model was built before its config was checked")

    monkeypatch.setattr(checkpoint, "CausalTransformer", forbidden)
    with pytest.raises(CheckpointError, match="memory"):
        checkpoint.load(path)
    csv = _csv(tmp_path / "d.csv", _rows())
    out = tmp_path / "out"
    _refused(
        ["causal", str(csv), "--max-lag", "2", "--model", str(path), "-o", str(out), *FAST],
        capsys,
        "memory",
        out,
    )
    assert not out.exists()


def test_config_field_outside_the_limits_is_refused(tmp_path: Path, monkeypatch) -> None:
    obj = checkpoint.to_dict(_small_trained())
    obj["config"].update(n_layers=65)
    torch.save(obj, tmp_path / "m.pt")
    with pytest.raises(CheckpointError, match=r"n_layers must be an integer in \[1, 64\]"):
        checkpoint.load(tmp_path / "m.pt")


def _with_tensor(key: str, value) -> callable:
    def change(obj):
        if key in ("mean", "std"):
            obj[key] = value
        else:
            obj["state_dict"][key] = value

    return change


@pytest.mark.parametrize(
    "key,make,expected",
    [
        ("head.bias", lambda: torch.empty(1, device="meta"), "dense CPU tensor"),
        ("var_emb.weight", lambda: torch.eye(2, 8).to_sparse(), "dense CPU tensor"),
        ("mean", lambda: torch.zeros(2, dtype=torch.float64).to_sparse(), "dense CPU tensor"),
        ("std", lambda: torch.empty(2, dtype=torch.float64, device="meta"), "dense CPU tensor"),
        ("head.bias", lambda: torch.zeros(1).expand(4 * 10**9), r"has shape \[4000000000\]"),
        ("mean", lambda: torch.zeros(1, dtype=torch.float64).expand(4 * 10**9), "shape"),
        ("head.weight", lambda: torch.zeros(1, 8, dtype=torch.complex64), "float32 tensor"),
        ("head.weight", lambda: torch.full((1, 8), float("inf")), "non-finite"),
    ],
)
def test_hostile_tensors_are_refused(tmp_path: Path, monkeypatch, key, make, expected) -> None:
    obj = checkpoint.to_dict(_small_trained())
    _with_tensor(key, make())(obj)
    path = tmp_path / "bad.pt"
    torch.save(obj, path)
    assert path.stat().st_size < 50_000
    real_isfinite = torch.isfinite

    def bounded_isfinite(tensor):  # the check must never run on a tensor it did not size
        assert tensor.numel() <= 10**6 and tensor.layout == torch.strided and not tensor.is_meta
        return real_isfinite(tensor)

    monkeypatch.setattr(torch, "isfinite", bounded_isfinite)
    with pytest.raises(CheckpointError, match=expected):
        checkpoint.load(path)


def test_state_shapes_match_the_built_model() -> None:
    for cfg in (
        ModelConfig(n_vars=3, max_lag=2),
        ModelConfig(n_vars=2, max_lag=4, n_regimes=3, d_model=8, n_heads=2, n_layers=3, d_ff=5),
    ):
        built = {k: tuple(v.shape) for k, v in CausalTransformer(cfg).state_dict().items()}
        assert state_shapes(cfg) == built


# 2. data files: sizes bounded before the values are read


@pytest.fixture()
def no_cells(monkeypatch):
    def forbidden(*args, **kwargs):
        raise AssertionError("cells were parsed before the file's size was checked")

    monkeypatch.setattr(data, "_parse_cell", forbidden)


def test_csv_with_100000_columns_is_refused_before_parsing(tmp_path: Path, capsys, no_cells):
    path = tmp_path / "wide.csv"
    header = ",".join(f"v{j}" for j in range(100_000))
    row = ",".join("1" for _ in range(100_000))
    path.write_text(header + "\n" + "\n".join([row] * 40) + "\n")
    out = tmp_path / "out"
    _refused(
        ["causal", str(path), "--max-lag", "3", "-o", str(out), *FAST],
        capsys,
        "100000 variable columns",
        out,
    )
    assert not out.exists()


def test_csv_whose_forecaster_would_not_fit_in_memory_is_refused(
    tmp_path: Path, capsys, no_cells, no_training
) -> None:
    path = tmp_path / "wide.csv"
    n = 3000  # within the column limit, but 12,000 tokens per window: terabytes of attention
    path.write_text(
        ",".join(f"v{j}" for j in range(n)) + "\n" + ("\n".join([",".join(["1"] * n)] * 40))
    )
    _refused(["causal", str(path), "--max-lag", "3", *FAST, "--json"], capsys, "of memory")


def test_npy_header_is_checked_before_loading(tmp_path: Path, capsys, monkeypatch) -> None:
    path = tmp_path / "wide.npy"
    np.save(path, np.zeros((40, 5000), dtype=np.float32))

    def forbidden(*args, **kwargs):
        raise AssertionError("np.load ran before the header was checked")

    monkeypatch.setattr(data.np, "load", forbidden)
    _refused(["causal", str(path), "--max-lag", "2", *FAST, "--json"], capsys, "of memory")


def test_npy_whose_header_claims_more_than_the_file_holds(tmp_path: Path, capsys) -> None:
    path = tmp_path / "short.npy"
    with path.open("wb") as handle:  # a header claiming 90 million rows, then 50 rows of data
        header = {"descr": "<f8", "fortran_order": False, "shape": (90_000_000, 2)}
        np.lib.format.write_array_header_1_0(handle, header)
        handle.write(_rows(50).astype("<f8").tobytes())
    _refused(["causal", str(path), "--max-lag", "2", *FAST, "--json"], capsys, "truncated")


@pytest.mark.parametrize(
    "array,expected",
    [
        (_rows(60) + 1j * _rows(60, seed=1), "complex"),
        (np.array([[1, 2]] * 60, dtype=object), "object"),
        (np.zeros(60, dtype=[("a", "f8"), ("b", "f8")]), "structured"),
        (np.zeros((60, 2), dtype="datetime64[s]"), "not numbers"),
    ],
)
def test_npy_dtypes_that_are_not_real_numbers(tmp_path: Path, capsys, array, expected) -> None:
    path = tmp_path / "v.npy"
    np.save(path, array, allow_pickle=array.dtype.hasobject)
    out = tmp_path / "out"
    _refused(["causal", str(path), "--max-lag", "2", "-o", str(out), *FAST], capsys, expected, out)
    assert not out.exists()


def test_complex_arrays_are_refused_in_the_api_too() -> None:
    with pytest.raises(InputError, match="real numbers"):
        data.from_array(_rows(60) + 1j)


# 3. and 4. scale: huge values train, save and reload; printed JSON is strict


@pytest.mark.parametrize("scale", [1e200, 1e307])
def test_huge_values_train_and_the_saved_model_reloads(tmp_path: Path, capsys, scale) -> None:
    values = _rows(80, scale)
    values[::2, 0] *= -1
    csv = _csv(tmp_path / "big.csv", values)
    out = tmp_path / "out"
    assert run(["causal", str(csv), "--max-lag", "2", "-o", str(out), *FAST]) == 0
    capsys.readouterr()
    trained = checkpoint.load(out / "model.pt")  # the loader accepts what the trainer wrote
    assert np.all(np.isfinite(trained.std)) and np.all(trained.std > 0)
    _strict_json((out / "graph.json").read_text())
    code = run(["causal", str(csv), "--max-lag", "2", "--model", str(out / "model.pt"), "--json"])
    assert code == 0
    graph = _strict_json(capsys.readouterr().out)
    assert np.all(np.isfinite(np.array(graph["scores"])))


def test_model_applied_to_data_of_another_scale_is_refused(tmp_path: Path, capsys) -> None:
    out = tmp_path / "out"
    csv = _csv(tmp_path / "d.csv", _rows())
    assert run(["causal", str(csv), "-L", "2", "-o", str(out), *FAST]) == 0
    capsys.readouterr()
    big = _csv(tmp_path / "big.csv", _rows(80, 1e200))
    _refused(
        ["causal", str(big), "--max-lag", "2", "--model", str(out / "model.pt"), "--json"],
        capsys,
        "standard deviations",
    )


def test_graph_json_refuses_non_finite_scores() -> None:
    scores = np.zeros((2, 2, 1))
    scores[0, 1, 0] = np.nan
    graph = CausalGraph(
        ("a", "b"), 1, "energy", scores, np.zeros_like(scores), np.zeros_like(scores), Selection()
    )
    with pytest.raises(InputError, match="non-finite"):
        graph.to_json()


def test_undefined_auroc_is_null_in_strict_json(tmp_path: Path, capsys) -> None:
    truth = tmp_path / "none.json"
    truth.write_text('{"edges": []}')
    csv = _csv(tmp_path / "d.csv", _rows())
    assert run(["causal", str(csv), "-L", "2", "--truth", str(truth), "--json", *FAST]) == 0
    evaluation = _strict_json(capsys.readouterr().out)["info"]["evaluation"]
    assert evaluation["auroc"] is None and evaluation["auprc"] is None
    assert evaluation["f1"] == 0.0


# 5. --truth is validated before training


@pytest.mark.parametrize(
    "content,expected",
    [
        (None, "truth file not found"),
        ("not json", "not a JSON object with an 'edges' list"),
        ('{"edges": [{"source": "a", "target": "zz", "lag": 1}]}', "known source, target"),
        ('{"edges": [{"source": "a", "target": "b", "lag": 3}]}', "outside 1..2"),
        ('{"edges": [{"source": "a", "target": "b", "lag": 1.0}]}', "outside 1..2"),
    ],
)
def test_truth_is_checked_before_training(
    tmp_path: Path, capsys, no_training, content, expected
) -> None:
    truth = tmp_path / "truth.json"
    if content is not None:
        truth.write_text(content)
    csv = _csv(tmp_path / "d.csv", _rows())
    out = tmp_path / "out"
    argv = ["causal", str(csv), "--max-lag", "2", "--truth", str(truth), "-o", str(out), *FAST]
    _refused(argv, capsys, expected, out)
    assert not out.exists()


# 6. numeric flags and malformed CSVs


@pytest.mark.parametrize(
    "extra,expected",
    [
        (["--max-lag", "0"], "max-lag must be a positive integer"),
        (["--max-lag", "-3"], "max-lag must be a positive integer"),
        (["--max-lag", str(10**30)], "max-lag must be at most"),
        (["--max-lag", "nan"], "valid integer"),
        (["--max-lag", "2", "--top-k", str(10**400)], "top-k must be at most"),
        (["--max-lag", "2", "--global-top-k", str(10**30)], "global-top-k must be at most"),
        (["--max-lag", "2", "--top-k", "-1"], "positive integer k"),
        (["--max-lag", "2", "--threshold", "nan"], "must be finite"),
        (["--max-lag", "2", "--threshold", "inf"], "must be finite"),
        (["--max-lag", "2", "--min-confidence", "nan"], "min-confidence must be in [0, 1]"),
        (["--max-lag", "2", "--epochs", "0"], "epochs must be an integer in [1, 100000]"),
        (["--max-lag", "2", "--epochs", str(10**30)], "epochs must be an integer"),
        (["--max-lag", "2", "--seed", str(10**30)], "seed must be an integer"),
        (["--max-lag", "2", "--seed", "-1"], "seed must be an integer"),
        (["--max-lag", "2", "--eval-windows", "0"], "eval-windows must be an integer >= 16"),
    ],
)
def test_numeric_flags(tmp_path: Path, capsys, no_training, extra, expected) -> None:
    csv = _csv(tmp_path / "d.csv", _rows())
    out = tmp_path / "out"
    argv = ["causal", str(csv), *extra, "-o", str(out), "--quiet"]
    _refused(argv, capsys, expected, out)
    assert not out.exists()


def test_min_f1_must_be_a_fraction(tmp_path: Path, capsys, no_training) -> None:
    csv = _csv(tmp_path / "d.csv", _rows())
    truth = tmp_path / "t.json"
    truth.write_text('{"edges": []}')
    for bad in ("nan", "2", "-0.5"):
        argv = ["causal", str(csv), "-L", "2", "--truth", str(truth), "--min-f1", bad, "--json"]
        _refused(argv, capsys, "--min-f1 must be in [0, 1]")


@pytest.mark.parametrize(
    "text,extra,expected",
    [
        ("", [], "is empty"),
        ("\n\n  \n", [], "is empty"),
        ("a,b\n", [], "too few rows"),
        ("a,b\n" + "1,x\n" * 40, [], "column 'b' is not numeric"),
        ("a,a\n" + "1,2\n" * 40, [], "appears twice"),
        ("a,b\n" + "1,2\n" * 40, ["--time-col", "t"], "--time-col 't' is not a column"),
        (
            "t,a,b\n" + "".join(f"{i},{i % 3},{i % 5}\n" for i in range(40)),
            ["--regime-col", "t", "--time-col", "t"],
            "name the same column",
        ),
        ("a,b\n\xff\xfe\n", [], "not a UTF-8"),
        ('a,b\n"1,2\n', [], "has 1 fields"),
    ],
)
def test_malformed_csv(tmp_path: Path, capsys, no_training, text, extra, expected) -> None:
    path = tmp_path / "d.csv"
    path.write_bytes(text.encode("latin-1") if "\xff" in text else text.encode())
    out = tmp_path / "out"
    _refused(["causal", str(path), "--max-lag", "2", "-o", str(out), *extra], capsys, expected, out)
    assert not out.exists()


def test_train_config_a_saved_model_could_not_reload_is_refused(no_training) -> None:
    for bad in (TrainConfig(lr=1), TrainConfig(val_fraction=0.9), TrainConfig(batch_size=0)):
        with pytest.raises(InputError, match="training setting"):
            api.discover(_rows(), 2, train_config=bad)


# outputs: every target checked up front, the inputs protected


def test_data_file_named_as_an_output_is_protected(tmp_path: Path, capsys, no_training) -> None:
    out = tmp_path / "out"
    out.mkdir()
    csv = _csv(out / "graph.json", _rows())  # the data lives where graph.json would go
    before = csv.read_bytes()
    _refused(
        ["causal", str(csv), "--max-lag", "2", "-o", str(out), "--force", *FAST],
        capsys,
        "is an input of this command",
    )
    assert csv.read_bytes() == before


def test_truth_file_named_as_an_output_is_protected(tmp_path: Path, capsys, no_training) -> None:
    out = tmp_path / "out"
    out.mkdir()
    truth = out / "graph.json"
    truth.write_text('{"edges": []}')
    csv = _csv(tmp_path / "d.csv", _rows())
    argv = ["causal", str(csv), "-L", "2", "--truth", str(truth), "-o", str(out), "--force"]
    _refused(argv, capsys, "is an input of this command")
    assert truth.read_text() == '{"edges": []}'


def test_fifo_output_is_refused_even_with_force(tmp_path: Path, capsys, no_training) -> None:
    out = tmp_path / "out"
    out.mkdir()
    os.mkfifo(out / "scores.png")
    csv = _csv(tmp_path / "d.csv", _rows())
    argv = ["causal", str(csv), "--max-lag", "2", "-o", str(out), "--force", *FAST]
    _refused(argv, capsys, "not a regular file")
    assert not (out / "graph.json").exists()


@pytest.mark.parametrize("flag", ["data", "--model", "--truth"])
def test_fifo_inputs_are_refused(tmp_path: Path, capsys, no_training, flag: str) -> None:
    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    csv = _csv(tmp_path / "d.csv", _rows())
    argv = ["causal", str(fifo if flag == "data" else csv), "--max-lag", "2", "--json"]
    if flag != "data":
        argv += [flag, str(fifo)]
    _refused(argv, capsys, "not a")


def test_saved_checkpoint_is_always_loadable(tmp_path: Path) -> None:
    trained = _small_trained()
    path = checkpoint.save(trained, tmp_path / "m.pt")
    assert checkpoint.load(path).names == ("a", "b")
    trained.seconds = float("nan")  # something the loader refuses is never written
    with pytest.raises(CheckpointError, match="seconds"):
        checkpoint.save(trained, tmp_path / "n.pt")
    assert not (tmp_path / "n.pt").exists()


def test_values_near_the_float64_maximum_train_quietly(tmp_path: Path, capsys) -> None:
    values = np.clip(_rows(80), -1.7, 1.7) * 1e308  # spreads overflow, the data does not
    np.save(tmp_path / "max.npy", values)
    out = tmp_path / "out"
    assert run(["causal", str(tmp_path / "max.npy"), "-L", "2", "-o", str(out), *FAST]) == 0
    assert capsys.readouterr().err == ""  # no overflow warnings either
    assert np.all(np.isfinite(checkpoint.load(out / "model.pt").std))


def test_longdouble_beyond_float64_is_refused_in_one_line(tmp_path: Path, capsys) -> None:
    values = _rows(60).astype(np.longdouble)
    if np.finfo(np.longdouble).max <= np.finfo(np.float64).max:
        pytest.skip("longdouble is float64 on this platform")
    values[5, 1] = np.longdouble(10) ** 400
    np.save(tmp_path / "ld.npy", values)
    capsys.readouterr()
    assert run(["causal", str(tmp_path / "ld.npy"), "-L", "2", "--json"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and err.startswith("w2c: error:"), err
    assert "non-finite value in column 'x1' at time index 5" in err
