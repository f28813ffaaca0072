"""`w2c inspect`: text grid per head, JSON against the w2c.report/2 schema, PNG plots, bad input."""

from __future__ import annotations

import contextlib
import io
import json
import struct
from pathlib import Path

import jsonschema
import numpy as np
import pytest

from w2c.cli import run
from w2c.corpus import model_path
from w2c.network.checkpoint import load
from w2c.report.schema import json_schema

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def cli(argv: list[str]) -> tuple[int, str]:
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        code = run(argv)
    return code, out.getvalue()


def one_line_error(capsys: pytest.CaptureFixture[str], fragment: str) -> None:
    err = capsys.readouterr().err
    assert err.startswith("w2c: error: ") and fragment in err, err
    assert err.count("\n") == 1 and "Traceback" not in err


def assert_png(path: Path, min_bytes: int = 10_000) -> None:
    data = path.read_bytes()
    assert data[:8] == PNG_SIGNATURE and len(data) >= min_bytes, (path, len(data))
    width, height = struct.unpack(">II", data[16:24])
    assert width >= 500 and height >= 300
    import matplotlib.image

    pixels = matplotlib.image.imread(path)
    colours = np.unique(pixels.reshape(-1, pixels.shape[-1]), axis=0)
    assert len(colours) > 50, f"{path} looks blank"


@pytest.fixture(scope="module")
def parity_json() -> dict:
    code, out = cli(["inspect", str(model_path("parity_last2")), "--json"])
    assert code == 0
    return json.loads(out)


def test_json_follows_the_schema_and_keeps_the_old_keys(parity_json: dict) -> None:
    jsonschema.validate(parity_json, json_schema("inspect"))
    for key in ("path", "format", "model_sha256", "task", "config", "training", "heads", "mlps"):
        assert key in parity_json
    assert {"name", "query", "key", "value", "pattern", "agreement", "offsets"} <= set(
        parity_json["heads"][0]
    )
    bad = dict(parity_json, schema="w2c.report/0")
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(bad, json_schema("inspect"))


def test_json_facts_match_the_checkpoint(parity_json: dict) -> None:
    checkpoint = load(model_path("parity_last2"))
    history = checkpoint.training["history"]
    assert parity_json["history"]["tau"] == history["tau"].tolist()
    assert parity_json["training"]["final_hard_loss"] == checkpoint.training["final_hard_loss"]
    assert parity_json["model_sha256"] == checkpoint.model_hash
    layers = checkpoint.config.layers
    assert len(parity_json["heads"]) == sum(spec.heads for spec in layers)
    assert len(parity_json["mlps"]) == sum(spec.mlps for spec in layers)
    for head in parity_json["heads"]:
        matrix = np.array(head["attention"]["map"])
        assert matrix.shape == (10, 20) and np.allclose(matrix.sum(axis=1), 1.0)
        counts = {int(k): v for k, v in head["offsets"].items()}
        positions = sum(counts.values())
        assert positions == parity_json["traced_sequences"] * 10
        # the map and the offset counts describe the same attention
        diagonal = sum(matrix[t, t - 1 + 10] for t in range(10)) / 10
        assert abs(diagonal - counts.get(1, 0) / positions) < 1e-3


def test_text_shows_a_grid_per_head(capsys: pytest.CaptureFixture[str], parity_json: dict) -> None:
    assert run(["inspect", str(model_path("parity_last2"))]) == 0
    text = capsys.readouterr().out
    assert text.startswith("model   ")  # the summary keeps its layout
    for head in parity_json["heads"]:
        assert f"  {head['name']}: q=" in text
        for row in head["grid"]:
            assert f"      {row}\n" in text
    assert "pads left of |" in text
    for mlp in parity_json["mlps"]:
        assert f"  {mlp['name']}: reads " in text


def test_plots_are_written_and_deterministic(tmp_path: Path) -> None:
    folder = tmp_path / "plots"
    code, out = cli(["inspect", str(model_path("maximum_prev2")), "--plot", str(folder), "--json"])
    assert code == 0
    summary = json.loads(out)
    names = {p.name for p in folder.iterdir()}
    expected = {"annealing.png"}
    expected |= {f"attention_{h['name']}.png" for h in summary["heads"]}
    expected |= {f"mlp_{m['name']}.png" for m in summary["mlps"]}
    assert names == expected and len(names) >= 3
    assert sorted(summary["plots"]) == sorted(str(folder / n) for n in names)
    for name in names:
        assert_png(folder / name)
    first = {name: (folder / name).read_bytes() for name in names}
    assert (
        cli(["inspect", str(model_path("maximum_prev2")), "--plot", str(folder), "--force"])[0] == 0
    )
    assert {name: (folder / name).read_bytes() for name in names} == first


def test_one_input_sub_mlp_plot(tmp_path: Path) -> None:
    """abs_value's sub-MLP reads one variable (twice): a line plot with residuals."""
    code, _ = cli(["inspect", str(model_path("abs_value")), "--plot", str(tmp_path / "p")])
    assert code == 0
    plots = sorted(p.name for p in (tmp_path / "p").glob("mlp_*.png"))
    assert plots
    for name in plots:
        assert_png(tmp_path / "p" / name)


def test_plot_into_missing_parent(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    target = tmp_path / "no" / "plots"
    assert run(["inspect", str(model_path("and_last2")), "--plot", str(target)]) == 2
    one_line_error(capsys, "parent does not exist")
    assert not (tmp_path / "no").exists()


def test_plot_never_clobbers(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    folder = tmp_path / "plots"
    folder.mkdir()
    (folder / "annealing.png").write_text("mine")
    assert run(["inspect", str(model_path("and_last2")), "--plot", str(folder)]) == 2
    one_line_error(capsys, "--force")
    assert [p.name for p in folder.iterdir()] == ["annealing.png"]
    assert (folder / "annealing.png").read_text() == "mine"
    afile = tmp_path / "file"
    afile.write_text("x")
    assert run(["inspect", str(model_path("and_last2")), "--plot", str(afile)]) == 2
    one_line_error(capsys, "not a folder")
