"""model.pt loading: every malformed file is one clear line and exit 2; no code in it runs."""

from __future__ import annotations

from pathlib import Path

import pytest
import torch

from helpers import checkpoint_dict, pointer_model
from w2c.cli import run
from w2c.corpus import TASKS
from w2c.errors import CheckpointError
from w2c.network import checkpoint

TASK = TASKS["sum_last2"]


@pytest.fixture(scope="module")
def good() -> dict:
    return checkpoint_dict(pointer_model(TASK, [(0, 1)]), TASK)


def write(path: Path, data: object) -> Path:
    torch.save(data, path)
    return path


def test_round_trip_keeps_weights_and_hash(good: dict, tmp_path: Path) -> None:
    path = checkpoint.save(good, tmp_path / "m.pt")
    loaded = checkpoint.load(path)
    assert loaded.task_name == "sum_last2"
    for name, tensor in good["state_dict"].items():
        assert torch.equal(loaded.model.state_dict()[name], tensor)
    again = checkpoint.load(checkpoint.save(good, tmp_path / "n.pt"))
    assert again.model_hash == loaded.model_hash and len(loaded.model_hash) == 64


def test_save_never_clobbers_without_force(good: dict, tmp_path: Path) -> None:
    path = checkpoint.save(good, tmp_path / "m.pt")
    before = path.read_bytes()
    with pytest.raises(Exception, match="--force"):
        checkpoint.save(good, path)
    assert path.read_bytes() == before


def _mutated(good: dict, edit) -> dict:  # type: ignore[no-untyped-def]
    import copy

    data = copy.deepcopy(good)
    edit(data)
    return data


BAD = {
    "wrong format": (lambda d: d.update(format="something/1"), "not a w2c discrete-transformer"),
    "newer version": (lambda d: d.update(format="w2c.discrete-transformer/9"), "newer than"),
    "missing field": (lambda d: d.pop("training"), "missing field 'training'"),
    "unknown field": (lambda d: d.update(extra=1), "unknown field 'extra'"),
    "nan weights": (
        lambda d: d["state_dict"]["out_weight"].fill_(float("nan")),
        "NaN or infinite",
    ),
    "wrong shape": (
        lambda d: d["state_dict"].update(out_weight=torch.zeros(7)),
        r"has shape \(7,\)",
    ),
    "missing tensor": (lambda d: d["state_dict"].pop("out_bias"), "missing 'out_bias'"),
    "hostile task name": (
        lambda d: d["task"].update(name='x"""; import os; os.system("echo pwned")'),
        "not a valid identifier",
    ),
    "hostile input name": (
        lambda d: d["config"].update(input_names=["x; rm -rf /"]),
        "not a valid identifier",
    ),
    "bad layer sizes": (lambda d: d["config"].update(layers=[[99, 0]]), "'heads'"),
    "length mismatch": (lambda d: d["task"].update(length=5), "length does not match"),
    "history dtype": (
        lambda d: d["training"]["history"].update(step=torch.zeros(2)),
        "history 'step'",
    ),
    "not a dict": (lambda d: d.clear(), "not a w2c checkpoint"),
}


@pytest.mark.parametrize("case", sorted(BAD))
def test_bad_checkpoint_is_one_line_exit_2(
    case: str, good: dict, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    edit, message = BAD[case]
    path = write(tmp_path / "bad.pt", _mutated(good, edit))
    with pytest.raises(CheckpointError, match=message):
        checkpoint.load(path)
    assert run(["inspect", str(path)]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and err.startswith("w2c: error: ") and "Traceback" not in err


def test_truncated_file(good: dict, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = write(tmp_path / "m.pt", good)
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2])
    assert run(["compile", str(path), "-o", str(tmp_path / "p.py")]) == 2
    err = capsys.readouterr().err
    assert "not a readable w2c checkpoint" in err and err.count("\n") == 1
    assert not (tmp_path / "p.py").exists()


def test_garbage_and_empty_files(tmp_path: Path) -> None:
    (tmp_path / "g.pt").write_bytes(b"\x00garbage" * 10)
    (tmp_path / "e.pt").write_bytes(b"")
    for name in ("g.pt", "e.pt"):
        with pytest.raises(CheckpointError, match="not a readable"):
            checkpoint.load(tmp_path / name)


class Payload:
    """Unpickling this would create a marker file: weights_only loading must refuse it."""

    marker = ""

    def __reduce__(self):  # type: ignore[no-untyped-def]
        return (Path.touch, (Path(self.marker),))


def test_pickle_payload_never_runs(good: dict, tmp_path: Path) -> None:
    marker = tmp_path / "PWNED"
    payload = Payload()
    Payload.marker = str(marker)
    data = dict(good, training=dict(good["training"], size=payload))
    path = tmp_path / "evil.pt"
    torch.save(data, path)  # a full pickle: torch.load without weights_only would run it
    with pytest.raises(CheckpointError, match="not a readable"):
        checkpoint.load(path)
    assert run(["inspect", str(path)]) == 2
    assert not marker.exists()
    # the payload is live: the unsafe loader would have run it
    torch.load(path, weights_only=False)
    assert marker.exists()
