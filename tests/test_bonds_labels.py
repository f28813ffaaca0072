"""The first rule labeller (rules/1): its documented decision rule and its gold-set score."""

from __future__ import annotations

from pathlib import Path

from w2c.frontends.bonds.evaluate import confusion, evaluate, load_gold, scores
from w2c.frontends.bonds.labels import Labeller, RuleLabeller

GOLD = Path(__file__).resolve().parents[1] / "examples" / "bonds" / "gold.jsonl"


def test_decision_rule_order_on_made_up_steps() -> None:
    steps = [
        "We need the number of ways to tile a 2 by 10 strip with dominoes.",  # first: N
        "The last domino is vertical or a pair of horizontals, so f(n) = f(n-1) + f(n-2).",  # D
        "Wait, does f(2) = 2 hold? Two vertical or two horizontal: yes, 2 ways.",  # R (cue)
        "Alternatively, we could count by the number of horizontal pairs instead.",  # E
        "Counting up from f(1) = 1 and f(2) = 2 gives f(10) = 89.",  # N: plain arithmetic
        "The answer is 89 tilings.",  # N: last step restates a derived number
    ]
    assert RuleLabeller().label_trace(steps) == ["N", "D", "R", "E", "N", "N"]


def test_first_step_and_check_outcomes() -> None:
    labeller = RuleLabeller()
    assert labeller.label_trace(["Suppose the answer is 12 and test it."]) == ["E"]
    steps = [
        "Area is 6 × 4 = 24 square units here.",
        "So the perimeter is 20 units.",
        "Recomputing the area as 4 × 6 also gives 24, which is consistent.",
    ]
    assert labeller.label_trace(steps)[2] == "R"
    assert labeller.label_trace([]) == []
    assert isinstance(labeller, Labeller)


def test_scores_from_a_confusion_matrix() -> None:
    matrix = confusion(["N", "N", "D", "R", "E"], ["N", "D", "D", "R", "N"])
    result = scores(matrix)
    assert result["per_class"]["N"] == {"precision": 0.5, "recall": 0.5, "f1": 0.5, "support": 2}
    assert result["per_class"]["D"]["precision"] == 0.5
    assert result["per_class"]["E"]["f1"] == 0.0
    assert result["accuracy"] == 0.6
    assert result["macro_f1"] == (0.5 + 2 / 3 + 1.0 + 0.0) / 4


def test_gold_set_size_split_and_score() -> None:
    gold = load_gold(GOLD, {"instruct_short.jsonl": "output"})
    steps = {
        split: sum(len(g.labels) for g in gold if g.split == split) for split in ("dev", "test")
    }
    assert sum(steps.values()) >= 150 and min(steps.values()) >= 60
    assert {label for g in gold for label in g.labels} == {"N", "D", "R", "E"}
    # A regression guard, not a tuning target: the benchmark reports the real numbers.
    assert evaluate(gold, RuleLabeller(), "test")["macro_f1"] >= 0.8
