"""The pass manager: passes are dataclasses with their options as fields, run in order with a
between-pass callback (docs/compiler.md, the map and "A pass is a frozen dataclass")."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Any, ClassVar

import pytest

from w2c.compiler.pipeline import (
    DEFAULT_PIPELINE,
    Context,
    Options,
    Pass,
    build_passes,
    registry,
    run_pipeline,
    run_recorded,
)
from w2c.errors import InputError


def test_every_registered_pass_is_a_frozen_dataclass_named_as_registered() -> None:
    for name, cls in registry().items():
        assert issubclass(cls, Pass)
        assert cls.name == name
        assert dataclasses.is_dataclass(cls)
        assert cls.__dataclass_params__.frozen  # type: ignore[attr-defined]
        assert cls.summary().startswith(f"{name}:")


def test_options_become_the_fields_of_the_passes_that_take_them() -> None:
    options = Options(
        sr_backend="pysr", sr_time_limit=7.5, attention_threshold=0.5, seed=3, numpy_twin=True
    )
    passes = {p.name: p for p in build_passes(DEFAULT_PIPELINE, options)}
    assert passes["attention_patterns"].threshold == 0.5  # type: ignore[attr-defined]
    symbolic = passes["mlp_symbolic"]
    assert (symbolic.backend, symbolic.seed, symbolic.time_limit) == ("pysr", 3, 7.5)  # type: ignore[attr-defined]
    assert passes["emit"].numpy_twin is True  # type: ignore[attr-defined]
    defaults = {p.name: p for p in build_passes(DEFAULT_PIPELINE)}
    assert defaults["attention_patterns"].threshold == 0.99  # type: ignore[attr-defined]
    assert defaults["emit"].numpy_twin is False  # type: ignore[attr-defined]


def test_an_unknown_pass_is_refused_as_bad_input() -> None:
    with pytest.raises(InputError, match="unknown pass 'nope'"):
        build_passes(["infer_domains", "nope"])


@dataclass(frozen=True)
class Append(Pass):
    """append: adds its letter to a string IR (a stand-in for a real pass)."""

    name: ClassVar[str] = "append"
    letter: str = "a"

    def run(self, ir: Any, context: Context) -> Any:
        return ir + self.letter


def test_after_pass_is_called_between_passes_in_order_with_the_ir_after_each() -> None:
    seen: list[tuple[str, Any]] = []
    passes = [Append(letter="a"), Append(letter="b"), Append(letter="c")]
    final = run_pipeline("", None, passes, lambda p, ir, s: seen.append((p.letter, ir)))  # type: ignore[arg-type, attr-defined]
    assert final == "abc"
    assert seen == [("a", "a"), ("b", "ab"), ("c", "abc")]


def test_run_recorded_times_every_pass_and_snapshots_only_the_named_ones() -> None:
    passes = [Append(letter="a"), Append(letter="b")]
    result = run_recorded("", None, passes)  # type: ignore[arg-type]
    assert result.ir == "ab"
    assert [name for name, _ in result.timings] == ["append", "append"]
    assert all(seconds >= 0 for _, seconds in result.timings)
    assert [ir for _, ir in result.stages] == ["a", "ab"]
    assert result.snapshots == ()
