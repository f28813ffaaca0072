"""Labeller accuracy on both gold sets: per-class tables, confusion, macro-F1, three-class score.

Run from the repository root: ``python benchmarks/bonds/score.py`` (all splits, decoder on and
off). ``--split dev`` scores the dev splits only: the mode used while tuning, so the test splits
are never looked at then. Prints tables; never asserts. Gold steps are given to the labeller
(segmentation is not scored); the ``sentences`` rows score the whole pipeline end to end, one
sentence at a time (``--region all --unit sentence``), against the gold step holding each
sentence. ``--labeller llm`` scores an OpenAI-compatible endpoint instead (benchmarks/bonds/llm.py).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from w2c.frontends.bonds.episodes import EpisodeLabeller  # noqa: E402
from w2c.frontends.bonds.evaluate import (  # noqa: E402
    THREE_LABELS,
    evaluate,
    evaluate_sentences,
    load_gold,
    segmentation_agreement,
)
from w2c.frontends.bonds.labels import LABELS, Labeller, RuleLabeller  # noqa: E402

OLD = ROOT / "examples" / "bonds" / "gold.jsonl"
OLD_FIELDS = {"instruct_short.jsonl": "output"}
NEW = ROOT / "benchmarks" / "bonds" / "gold2" / "gold.jsonl"


def table(title: str, result: dict) -> str:
    """One result as text: per-class P/R/F1, macro-F1, three-class score and confusions."""
    three = result["three"]
    lines = [
        f"{title}: traces={result['traces']} steps={result['steps']} "
        f"macro-F1={result['macro_f1']:.3f} accuracy={result['accuracy']:.3f} "
        f"three-class macro-F1={three['macro_f1']:.3f}",
        "  class  precision  recall     F1  support",
    ]
    for label in LABELS:
        c = result["per_class"][label]
        lines.append(
            f"    {label}      {c['precision']:.3f}    {c['recall']:.3f}  {c['f1']:.3f}  "
            f"{c['support']:7d}"
        )
    lines.append("  confusion (rows gold, columns predicted):")
    lines.append("        " + "".join(f"{b:>5}" for b in LABELS))
    for label, row in zip(LABELS, result["confusion"], strict=True):
        lines.append(f"    {label}   " + "".join(f"{v:5d}" for v in row))
    lines.append("  three classes (W = N+D):" + "".join(f"{b:>5}" for b in THREE_LABELS))
    for label, row in zip(THREE_LABELS, three["confusion"], strict=True):
        f1 = three["per_class"][label]["f1"]
        lines.append(f"    {label} F1={f1:.3f}         " + "".join(f"{v:5d}" for v in row))
    return "\n".join(lines)


def summary_row(name: str, result: dict) -> str:
    f1 = " ".join(f"{result['per_class'][b]['f1']:.3f}" for b in LABELS)
    return (
        f"| {name} | {result['steps']} | {result['macro_f1']:.3f} | "
        f"{result['three']['macro_f1']:.3f} | {result['accuracy']:.3f} | {f1} |"
    )


def run(labellers: dict[str, Labeller], splits: list[str], errors: bool) -> dict[str, dict]:
    """Print every table and the summary; return the results by row name."""
    old = load_gold(OLD, OLD_FIELDS)
    new = load_gold(NEW)
    print(
        f"old gold: {len(old)} traces; new gold (gold2): {len(new)} traces, "
        f"the default segmenter reproduces {segmentation_agreement(new):.1%} of its steps\n"
    )
    results: dict[str, dict] = {}
    for name, labeller in labellers.items():
        for split in splits:
            for gold_name, gold, scorer in (
                ("old", old, evaluate),
                ("new", new, evaluate),
                ("new sentences", new, evaluate_sentences),
            ):
                result = scorer(gold, labeller, split)
                results[f"{name}, {gold_name} {split}"] = result
                print(table(f"[{name}] {gold_name} {split}", result) + "\n")
                if errors and split == "dev" and scorer is evaluate:
                    for e in result["errors"]:
                        print(
                            f"  {e['id']}#{e['step']}: gold {e['gold']} got {e['predicted']}: "
                            f"{e['text']}"
                        )
                    print()
    print("| labeller, gold split | steps | macro-F1 | 3-class | accuracy | F1 N D R E |")
    print("|---|---|---|---|---|---|")
    print("\n".join(summary_row(row, result) for row, result in results.items()))
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--split", choices=("dev", "test", "both"), default="both")
    parser.add_argument("--decoder", choices=("on", "off", "both"), default="both")
    parser.add_argument("--errors", action="store_true", help="list dev disagreements")
    parser.add_argument("--baseline", action="store_true", help="also score rules/1")
    args = parser.parse_args()
    splits = ["dev", "test"] if args.split == "both" else [args.split]
    decoders = ["on", "off"] if args.decoder == "both" else [args.decoder]
    labellers: dict[str, Labeller] = {}
    for decoder in decoders:
        labeller = EpisodeLabeller(decoder=decoder == "on")
        labellers[labeller.name] = labeller
    if args.baseline:
        labellers["rules/1"] = RuleLabeller()
    run(labellers, splits, args.errors)


if __name__ == "__main__":
    main()
