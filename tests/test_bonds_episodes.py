"""The default labeller rules/2: cue evidence per step, decoded into episodes (docs/bonds.md)."""

from __future__ import annotations

from pathlib import Path

import pytest

from w2c.cli import run
from w2c.frontends.bonds.episodes import EpisodeLabeller
from w2c.frontends.bonds.evaluate import evaluate, load_gold
from w2c.frontends.bonds.labels import Labeller

GOLD2 = Path(__file__).resolve().parents[1] / "benchmarks" / "bonds" / "gold2" / "gold.jsonl"

# A verification episode: the check's plain arithmetic stays R until a new derivation starts.
CHECK = [
    "Okay, so I need 24 times 17.",  # N: restates
    "24 times 10 is 240, and 24 times 7 is 168.",  # N: routine arithmetic
    "So the product is 240 + 168 = 408.",  # D: an inference opens the step
    "Let me verify that another way.",  # R: opens the check
    "25 times 17 is 425.",  # R: arithmetic inside the check (no cue of its own)
    "Subtract one 17: 425 minus 17 is 408.",  # R: still the check
    "So the answer is 408.",  # N: the answer ends the episode
]


def test_a_verification_episode_keeps_its_label() -> None:
    assert EpisodeLabeller().label_trace(CHECK) == ["N", "N", "D", "R", "R", "R", "N"]
    # without the decoder each step is read alone: the check's arithmetic looks routine
    assert EpisodeLabeller(decoder=False).label_trace(CHECK) == [
        "N",
        "N",
        "D",
        "R",
        "N",
        "N",
        "N",
    ]


def test_exploration_runs_until_a_derivation_or_a_check() -> None:
    steps = [
        "We want positive integers with xy = 2x + 3y.",  # N
        "Maybe I can just try small values of x.",  # E: opens a branch
        "With x = 4 we get 4y = 8 + 3y, so y = 8.",  # E: the probe (short inference inside)
        "That is slow, though.",  # E: no cue, the branch goes on
        "Hmm, wait, let me double-check x = 4: 32 = 8 + 24.",  # R: a check cue
        "Adding 6 to both sides gives (x - 3)(y - 2) = 6.",  # D: an inference opens the step
    ]
    assert EpisodeLabeller().label_trace(steps) == ["N", "E", "E", "E", "R", "D"]


def test_the_answer_restates_and_checks() -> None:
    steps = [
        "Okay, 24 times 17.",
        "So it is 408.",
        "**408**",
        "So 24 x 17 = 408.",
        "Check: 408 / 24 = 17.",
    ]
    regions = ["think", "think", "answer", "answer", "answer"]
    labeller = EpisodeLabeller()
    # in the answer an inference cue is a restatement (N); a check line is R
    assert labeller.label_trace(steps, regions=regions)[2:] == ["N", "N", "R"]
    # the same steps as reasoning: "So ..." is an inference again
    assert labeller.label_trace(steps)[3] == "D"


def test_edge_cases_and_names() -> None:
    labeller = EpisodeLabeller()
    assert labeller.label_trace([]) == []
    assert labeller.label_trace(["Let me verify the answer."]) == ["N"]  # nothing to check yet
    assert labeller.label_trace(["Maybe it is a parity argument."]) == ["E"]
    assert isinstance(labeller, Labeller)
    assert (labeller.name, EpisodeLabeller(decoder=False).name) == (
        "rules/2",
        "rules/2 (decoder off)",
    )


def test_gold2_dev_regression_guard() -> None:
    # A regression guard, not a tuning target: benchmarks/bonds/score.py reports the numbers.
    result = evaluate(load_gold(GOLD2), EpisodeLabeller(), "dev")
    assert result["steps"] >= 200 and result["macro_f1"] >= 0.8


@pytest.mark.parametrize("labeller,name", [("rules", "rules/2"), ("rules1", "rules/1")])
def test_cli_labeller_and_decoder_flags(tmp_path: Path, capsys, labeller: str, name: str) -> None:
    r1 = str(GOLD2.parent / "r1.jsonl")
    assert run(["bonds", "analyze", r1, "--labeller", labeller, "--region", "all"]) == 0
    assert f"labeller {name}" in capsys.readouterr().out
    assert run(["bonds", "analyze", r1, "--decoder", "off"]) == 0
    assert "labeller rules/2 (decoder off)" in capsys.readouterr().out
    assert run(["bonds", "analyze", r1, "--decoder", "maybe"]) == 2
    err = capsys.readouterr().err.strip()
    assert err == "w2c: error: --decoder must be one of on, off, not 'maybe'"
