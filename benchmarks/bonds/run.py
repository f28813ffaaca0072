"""Benchmarks of the CoT-bond frontend: labeller accuracy on the gold set and throughput.

Run from the repository root: ``python benchmarks/bonds/run.py`` (``--skip-throughput`` for the
accuracy tables only). Prints tables; never asserts. The accuracy on the ``test`` split is the
number to report: the rules were tuned on ``dev`` only (see examples/bonds/LABELLING.md). Both
gold sets, decoder on and off: benchmarks/bonds/score.py.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from w2c.frontends.bonds.episodes import EpisodeLabeller  # noqa: E402
from w2c.frontends.bonds.evaluate import (  # noqa: E402
    evaluate,
    load_gold,
    segmentation_agreement,
)
from w2c.frontends.bonds.labels import LABELS, RuleLabeller  # noqa: E402

GOLD = ROOT / "examples" / "bonds" / "gold.jsonl"
FIELDS = {"instruct_short.jsonl": "output"}  # the one example file with a custom field


def accuracy_table(result: dict) -> str:
    lines = [
        f"split={result['split']}  traces={result['traces']}  steps={result['steps']}  "
        f"macro-F1={result['macro_f1']:.3f}  accuracy={result['accuracy']:.3f}",
        "class  precision  recall     F1  support",
    ]
    for label in LABELS:
        c = result["per_class"][label]
        lines.append(
            f"  {label}      {c['precision']:.3f}    {c['recall']:.3f}  {c['f1']:.3f}  "
            f"{c['support']:7d}"
        )
    lines.append("confusion (rows gold, columns predicted):")
    lines.append("        " + "".join(f"{label:>6}" for label in LABELS))
    for label, row in zip(LABELS, result["confusion"], strict=True):
        lines.append(f"  {label}     " + "".join(f"{v:6d}" for v in row))
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--skip-throughput", action="store_true")
    parser.add_argument("--traces", type=int, default=10_000, help="throughput corpus size")
    parser.add_argument("--errors", action="store_true", help="list dev disagreements")
    args = parser.parse_args()

    gold = load_gold(GOLD, FIELDS)
    print(
        f"gold: {len(gold)} traces, segmenter reproduces "
        f"{segmentation_agreement(gold):.1%} of gold steps exactly\n"
    )
    for labeller in (RuleLabeller(), EpisodeLabeller()):
        print(f"labeller {labeller.name}")
        for split in ("dev", "test"):
            result = evaluate(gold, labeller, split)
            print(accuracy_table(result) + "\n")
            if args.errors and split == "dev":
                for e in result["errors"]:
                    print(
                        f"  {e['id']}#{e['step']}: gold {e['gold']} got {e['predicted']}: "
                        f"{e['text']}"
                    )
                print()
    if not args.skip_throughput:
        sys.path.insert(0, str(Path(__file__).resolve().parent))
        from throughput import throughput_table  # noqa: PLC0415

        print(throughput_table(args.traces))


if __name__ == "__main__":
    main()
