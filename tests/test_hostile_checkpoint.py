"""Hostile and careless checkpoints: each is refused in one line (exit 2) before any big work.

Every case starts from a shipped corpus model, read with ``torch.load(weights_only=True)``,
mutates the dict, saves it and runs the CLI in-process; the command must exit 2 with
``w2c: error: ...`` as the last stderr line and write nothing.
"""

from __future__ import annotations

import copy
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import torch

from w2c.cli import run
from w2c.limits import set_memory_budget

CORPUS = Path(__file__).resolve().parent.parent / "corpus" / "models"


@pytest.fixture(scope="module")
def shipped() -> dict[str, Any]:
    return torch.load(CORPUS / "and_last2.pt", weights_only=True)


@pytest.fixture(autouse=True)
def default_budget() -> Any:
    set_memory_budget(None)
    yield
    set_memory_budget(None)


def _save(tmp_path: Path, data: dict[str, Any], name: str = "bad.pt") -> Path:
    path = tmp_path / name
    limit = sys.getrecursionlimit()
    sys.setrecursionlimit(20_000)  # pickling a deeply nested list recurses
    try:
        torch.save(data, path)
    finally:
        sys.setrecursionlimit(limit)
    return path


def _nested(depth: int) -> list[Any]:
    """[[[...]]]: its repr would exceed Python's recursion limit."""
    value: list[Any] = []
    for _ in range(depth):
        value = [value]
    return value


def _mutated(shipped: dict[str, Any], edit: Callable[[dict[str, Any]], Any]) -> dict[str, Any]:
    data = copy.deepcopy(shipped)
    edit(data)
    return data


def _refused(
    argv: list[str], capsys: pytest.CaptureFixture[str], output: Path, *needles: str
) -> str:
    code = run(argv)
    err = capsys.readouterr().err
    assert code == 2, err
    last = err.strip().splitlines()[-1]
    assert last.startswith("w2c: error:"), err
    assert "Traceback" not in err and "internal error" not in err
    for needle in needles:
        assert needle in last, last
    assert not output.exists()
    return last


def _compile_refused(
    tmp_path: Path, data: dict[str, Any], capsys: pytest.CaptureFixture[str], *needles: str
) -> str:
    path = _save(tmp_path, data)
    out = tmp_path / "p.py"
    return _refused(["compile", str(path), "-o", str(out)], capsys, out, *needles)


# ---- 1, 5: one tensor validator for the history and the state_dict ---------------------------


def _set_history(key: str, value: Any) -> Callable[[dict[str, Any]], None]:
    return lambda d: d["training"]["history"].update({key: value})


def _set_state(key: str, value: Callable[[torch.Tensor], Any]) -> Callable[[dict[str, Any]], None]:
    return lambda d: d["state_dict"].update({key: value(d["state_dict"][key])})


TENSOR_CASES = {
    # 10 KB on disk, 32 GB declared: the length bound must come before torch.isfinite
    "history stride-0 4e9": (
        _set_history("tau", torch.zeros(1, dtype=torch.float64).expand(4 * 10**9)),
        "elements",
    ),
    # within the length bound, but still an expanded view of one element
    "history stride-0 short": (
        _set_history("tau", torch.zeros(1, dtype=torch.float64).expand(5000)),
        "expanded or overlapping",
    ),
    "history sparse": (
        _set_history("tau", torch.zeros(4, dtype=torch.float64).to_sparse()),
        "dense",
    ),
    "history meta": (
        _set_history("tau", torch.zeros(4, dtype=torch.float64, device="meta")),
        "CPU",
    ),
    "history 2-D": (_set_history("tau", torch.zeros(2, 2, dtype=torch.float64)), "1-D"),
    "history not a tensor": (_set_history("tau", [1.0, 2.0]), "must be a tensor"),
    "state sparse": (_set_state("out_weight", lambda t: t.to_sparse()), "dense"),
    "state meta": (_set_state("out_bias", lambda t: torch.zeros((), device="meta")), "CPU"),
    "state expanded": (
        _set_state("out_weight", lambda t: torch.zeros(1).expand(t.shape[0])),
        "expanded or overlapping",
    ),
    "state int dtype": (_set_state("out_weight", lambda t: t.to(torch.int64)), "float32"),
    "state nan": (_set_state("out_weight", lambda t: torch.full_like(t, float("nan"))), "NaN"),
    "state wrong shape": (_set_state("out_weight", lambda t: torch.zeros(t.numel() + 1)), "shape"),
}


@pytest.mark.parametrize("case", sorted(TENSOR_CASES))
def test_hostile_tensors_are_refused(
    case: str, shipped: dict[str, Any], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    edit, needle = TENSOR_CASES[case]
    _compile_refused(tmp_path, _mutated(shipped, edit), capsys, needle)


def test_a_strided_but_complete_view_is_still_accepted(shipped: dict[str, Any]) -> None:
    """The storage check refuses expansion, not every non-contiguous tensor."""
    from w2c.network.checkpoint import validate

    data = copy.deepcopy(shipped)
    weight = data["state_dict"]["out_weight"]
    data["state_dict"]["out_weight"] = torch.stack([weight, weight])[0]  # a view, offset 0
    assert validate(data).model_hash == validate(copy.deepcopy(shipped)).model_hash


# ---- 4 and friends: numbers and strings out of range ----------------------------------------


def _domain(domain: Any) -> Callable[[dict[str, Any]], None]:
    return lambda d: d["task"].update(domains=[domain])


FIELD_CASES = {
    "int domain below -2**53": (_domain({"kind": "int", "lo": -(2**70), "hi": 2}), "2**53"),
    "int domain above 2**53": (_domain({"kind": "int", "lo": 0, "hi": 2**70}), "2**53"),
    "real domain 1e308": (_domain({"kind": "real", "lo": -1e308, "hi": 1e308}), "2**53"),
    "real domain nan": (_domain({"kind": "real", "lo": float("nan"), "hi": 1.0}), "finite"),
    "real domain lo == hi": (_domain({"kind": "real", "lo": 1.0, "hi": 1.0}), "lo < hi"),
    "domain with int keys": (_domain({1: 2}), "malformed"),
    "domain deeply nested": (lambda d: d["task"].update(domains=[_nested(3000)]), "malformed"),
    "input scale 1e300": (lambda d: d["config"].update(input_scales=[1e300]), "input scale"),
    "input scale 1e-300": (lambda d: d["config"].update(input_scales=[1e-300]), "input scale"),
    "output scale 1e300": (lambda d: d["config"].update(output_scale=1e300), "output_scale"),
    "ple range 1e-300": (lambda d: d["config"].update(ple_range=1e-300), "ple_range"),
    "ple range huge int": (lambda d: d["config"].update(ple_range=10**400), "ple_range"),
    "lr huge int": (lambda d: d["training"].update(lr=10**400), "'lr'"),
    "seed 2**70": (lambda d: d["training"].update(seed=2**70), "'seed'"),
    "negative steps": (lambda d: d["training"].update(steps=-5), "'steps'"),
    "tensor scalar": (lambda d: d["training"].update(seed=torch.tensor(3)), "'seed'"),
    "tensor task length": (lambda d: d["task"].update(length=torch.ones(3)), "length"),
    "huge version": (lambda d: d.update(w2c_version="1" * 100_000), "w2c_version"),
    "int key at top": (lambda d: d.update({5: 1}), "unknown field"),
    "int key in state_dict": (lambda d: d["state_dict"].update({7: torch.zeros(1)}), "7"),
}


@pytest.mark.parametrize("case", sorted(FIELD_CASES))
def test_out_of_range_fields_are_refused(
    case: str, shipped: dict[str, Any], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    edit, needle = FIELD_CASES[case]
    _compile_refused(tmp_path, _mutated(shipped, edit), capsys, needle)


# ---- 3: sizes are budgeted from the config before the model is built ------------------------


def _max_config(data: dict[str, Any]) -> None:
    """The largest config the limits allow, with every tensor the config asks for (zeros)."""
    from w2c.network.config import ModelConfig
    from w2c.network.transformer import DiscreteTransformer

    channels = [f"x{i}" for i in range(16)]
    config = {
        "input_names": channels,
        "input_scales": [1.0] * 16,
        "output_scale": 1.0,
        "length": 256,
        "layers": [[16, 16]] * 8,
        "mlp_arity": 4,
        "mlp_hidden": 256,
        "attn_dim": 64,
        "ple_bins": 64,
        "ple_range": 3.0,
    }
    model = DiscreteTransformer(ModelConfig.from_dict(config))
    data["config"] = config
    data["state_dict"] = {k: torch.zeros_like(v) for k, v in model.state_dict().items()}
    data["task"].update(channels=channels, domains=[{"kind": "bits"}] * 16, length=256)


def test_a_config_at_the_limits_is_refused_for_memory(
    shipped: dict[str, Any], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    data = _mutated(shipped, _max_config)
    last = _compile_refused(tmp_path, data, capsys, "memory", "--max-memory", "bad.pt")
    assert "GiB" in last


def test_the_memory_estimate_follows_the_budget(
    shipped: dict[str, Any], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A corpus model fits the default budget but not a tiny one (the check is really there)."""
    from w2c.network import checkpoint

    path = _save(tmp_path, copy.deepcopy(shipped))
    loaded = checkpoint.load(path)
    needed = checkpoint.compile_memory(loaded.config)
    assert 1024**2 < needed < 2 * 1024**3
    out = tmp_path / "plots"
    argv = ["--max-memory", str(int(needed) - 1), "inspect", str(path), "--plot", str(out)]
    _refused(argv, capsys, out, "memory")
    argv[1] = str(int(needed) + 1)
    assert run(argv) == 0
    assert (out / "annealing.png").exists()


def test_estimate_grows_with_the_attention_scores() -> None:
    from w2c.network.config import LayerSpec, ModelConfig

    def config(length: int, heads: int) -> ModelConfig:
        return ModelConfig(("x",), (1.0,), 1.0, length, (LayerSpec(heads, 0),))

    small, long, wide = config(8, 1), config(64, 1), config(8, 8)
    # scores are [B, H, T, 2T]: 8x the length gives well over 8x the memory, 8x the heads ~8x
    assert long.forward_elements(64) > 16 * small.forward_elements(64)
    assert wide.forward_elements(64) > 4 * small.forward_elements(64)
    assert small.forward_elements(128) == pytest.approx(2 * small.forward_elements(64))


# ---- 2: work that grows as 2^channels -------------------------------------------------------


def test_edge_sequences_grow_linearly_with_channels() -> None:
    import numpy as np

    from w2c.network.lower import MAX_EDGE_SEQUENCES, edge_points, trace_inputs
    from w2c.tasks import Bits, IntRange, Task

    def task(channels: int, length: int = 256) -> Task:
        names = tuple(f"c{i}" for i in range(channels))
        return Task("many", (IntRange(0, 3),) * channels, None, length=length, channels=names)

    few = edge_points(task(2))
    assert len(few) == 4  # every corner of two channels
    many = edge_points(task(16))
    assert len(many) <= 2 + 2 * 16 < MAX_EDGE_SEQUENCES
    assert {tuple(row) for row in many} >= {(0.0,) * 16, (2.0,) * 16}
    x = trace_inputs(task(16), samples=8, seed=0)
    assert x.shape == (8 + len(many), 256, 16)
    bits = Task("b", (Bits(),), None, length=3)
    assert len(trace_inputs(bits, samples=8, seed=0)) == 8  # exhaustive: no extra edges
    assert np.array_equal(edge_points(bits), [[0.0], [1.0]])


def test_sixteen_channels_length_256_verifies_without_blowing_up() -> None:
    """Exhaustive domain points and explicit property examples stay small for 16 x 256."""
    from w2c.tasks import Bits, Task
    from w2c.verify.exhaustive import domain_points, exhaustive_length
    from w2c.verify.property import explicit_examples

    names = tuple(f"c{i}" for i in range(16))
    task = Task("wide", (Bits(),) * 16, None, length=256, channels=names)
    assert exhaustive_length(task, 10**6) == 1
    points, array = domain_points(task)
    assert array.shape == (2**16, 16)
    examples = explicit_examples(task)
    assert {len(e) for e in examples} == set(range(1, 257))  # every length still covered
    # two per length: quadratic in T, one tuple of 16 values per position (not 2^16)
    assert len(examples) == 2 * 256
    assert sum(len(e) for e in examples) == 256 * 257
    assert all(len(point) == 16 for e in examples for point in e)


# ---- 6: an empty training history ------------------------------------------------------------


def test_inspect_plots_an_empty_history(
    shipped: dict[str, Any], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    def empty(data: dict[str, Any]) -> None:
        history = data["training"]["history"]
        for key in history:
            history[key] = history[key][:0].clone()

    path = _save(tmp_path, _mutated(shipped, empty))
    plots = tmp_path / "plots"
    assert run(["inspect", str(path), "--plot", str(plots)]) == 0, capsys.readouterr().err
    assert (plots / "annealing.png").read_bytes().startswith(b"\x89PNG")
    assert run(["inspect", str(path), "--json"]) == 0
    assert '"log_points": 0' in capsys.readouterr().out


# ---- 8: --print-ir-after names -----------------------------------------------------------------


def test_print_ir_after_an_unknown_pass_is_exit_2(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "p.py"
    argv = ["compile", str(CORPUS / "and_last2.pt"), "-o", str(out), "--print-ir-after", "bogus"]
    last = _refused(argv, capsys, out, "bogus")
    assert "simplify" in last and "all" in last  # the known names are listed


# ---- the verify entry point reads checkpoints through the same validation --------------------


def test_verify_refuses_a_hostile_checkpoint(
    shipped: dict[str, Any], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    program = tmp_path / "and.py"  # a valid program: the checkpoint is what gets refused
    program.write_text("def program(xs):\n    return [0 for _ in xs]\n")
    assert run(["verify", str(program), str(CORPUS / "and_last2.pt")]) == 1  # loads fine
    capsys.readouterr()
    stride0 = torch.zeros(1, dtype=torch.float64).expand(4 * 10**9)
    path = _save(tmp_path, _mutated(shipped, _set_history("soft_loss", stride0)))
    assert run(["verify", str(program), str(path)]) == 2
    err = capsys.readouterr().err
    assert err.strip().splitlines()[-1].startswith("w2c: error:") and "elements" in err


def test_odd_but_valid_shapes_compile_without_internal_errors(
    shipped: dict[str, Any], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Length 1, a first layer with more heads than the model has inputs, and layers with
    neither heads nor sub-MLPs (the output head reads the inputs alone): a documented verdict
    exit (0 VERIFIED, 1 NOT VERIFIED, 3 PARTIAL, 4 CHECKED), never an internal error."""
    from w2c.network.config import ModelConfig
    from w2c.network.transformer import DiscreteTransformer

    for length, layers in ((1, [[1, 1]]), (3, [[4, 0], [2, 1]]), (2, [[0, 0]] * 8)):
        data = copy.deepcopy(shipped)
        data["config"].update(length=length, layers=layers)
        data["task"]["length"] = length
        torch.manual_seed(0)
        model = DiscreteTransformer(ModelConfig.from_dict(data["config"]))
        data["state_dict"] = {k: v.detach().clone() for k, v in model.state_dict().items()}
        path = _save(tmp_path, data, f"odd{length}.pt")
        out = tmp_path / f"odd{length}.py"
        code = run(["compile", str(path), "-o", str(out), "-q"])
        err = capsys.readouterr().err
        assert code in (0, 1, 3, 4), err
        assert "internal error" not in err and out.exists()
