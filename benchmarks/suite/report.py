"""The suite's tables, totals and the evidence summary, from the per-task results (README.md).

A task is *solved* when training delivered an exact model, its compile is clean (no NumPy
fallback, a rule over the task's symbols only) and verification found nothing wrong: exit 0
VERIFIED (every check proved or exhaustive) or exit 4 CHECKED (nothing failed, some check only
sampled; docs/verification.md "Verdicts and strengths"). Both are counted apart. Every task
that is not solved, for whatever reason (budget, no exact model, unreachable, needs contract
v2, not run yet), counts at the budget in the median seconds to the accepted model.
"""

from __future__ import annotations

import statistics
from typing import Any

from catalogue import NEEDS_V2, READY, UNREACHABLE, Entry

MIPS_SOLVED = 32  # the paper's headline counts on the same 62 tasks
GPT4_SOLVED = 30

HEADER = (
    "| # | task | status | trained exact | compile exit / verdict | fidelity | clean | textbook | "
    "train s | compile s | attempts |"
)
RULE = "|---:|---|---|---|---|---|---|---|---:|---:|---:|"


def _yes(flag: object) -> str:
    return "yes" if flag else "no"


def solved(result: dict[str, Any] | None) -> bool:
    if not result or not result.get("train", {}).get("exact"):
        return False
    compiled = result.get("compile") or {}
    return bool(compiled.get("clean")) and compiled.get("exit_code") in (0, 4)


def _trained(train: dict[str, Any]) -> str:
    if train.get("stopped"):
        return "no (budget)"
    if "error" in train:
        return "error"
    return _yes(train.get("exact"))


def _compile_cells(entry: Entry, compiled: dict[str, Any] | None) -> list[str]:
    if compiled is None:
        return ["—", "—", "—", "—"]
    if "error" in compiled:
        return ["error", "—", "—", "—"]
    has_reference = getattr(entry.task, "reference", None) is not None
    return [
        f"{compiled['exit_code']} {compiled['verdict']}",
        compiled.get("fidelity") or "—",  # the fidelity strength (absent in older results)
        _yes(compiled["clean"]),
        _yes(compiled["textbook"]) if has_reference else "n/a",
    ]


def row(index: int, entry: Entry, result: dict[str, Any] | None) -> str:
    label = entry.label if entry.label == entry.name else f"{entry.label} (`{entry.name}`)"
    if result is None:
        cells = [entry.status if entry.status != READY else "not run"] + ["—"] * 8
    else:
        train, compiled = result["train"], result.get("compile")
        seconds = (
            f">{train['budget']:g}" if train.get("stopped") else f"{train['wall_seconds']:.1f}"
        )
        compile_seconds = (
            "—" if not compiled or "error" in compiled else compiled["compile_seconds"]
        )
        attempts = train.get("attempts")
        cells = [
            ("solved" if solved(result) else "ran")
            + ("" if entry.status == READY else f" ({entry.status})"),
            _trained(train),
            *_compile_cells(entry, compiled),
            seconds,
            f"{compile_seconds:.1f}" if isinstance(compile_seconds, float) else compile_seconds,
            "—" if attempts is None else str(attempts),
        ]
    return "| " + " | ".join([str(index), label, *cells]) + " |"


def _count(results: list[dict[str, Any] | None], test) -> int:  # type: ignore[no-untyped-def]
    return sum(1 for r in results if r is not None and test(r))


def totals(
    entries: list[Entry],
    results: dict[str, dict[str, Any]],
    budget: float,
    compare: bool,
) -> list[str]:
    """The lines under a table; ``compare`` adds MIPS's and GPT-4's counts (MIPS table)."""
    got = [results.get(e.name) for e in entries]
    n = len(entries)
    solved_count = _count(got, solved)
    exact = _count(got, lambda r: r["train"].get("exact"))
    clean = _count(got, lambda r: (r.get("compile") or {}).get("clean"))
    verified = _count(got, lambda r: (r.get("compile") or {}).get("exit_code") == 0)
    checked = _count(got, lambda r: (r.get("compile") or {}).get("exit_code") == 4)
    book = _count(got, lambda r: (r.get("compile") or {}).get("textbook"))
    headline = f"**solved {solved_count}/{n}** (trained exact, compiled clean, nothing failed)"
    if compare:
        headline += f"; MIPS {MIPS_SOLVED}/62, GPT-4 {GPT4_SOLVED}/62"
    lines = [
        headline,
        f"trained exact {exact}/{n}, compiled clean {clean}, VERIFIED (exit 0) {verified}, "
        f"CHECKED (exit 4) {checked}, textbook rule {book}",
    ]
    seconds = [
        r["train"]["wall_seconds"] if solved(r) else budget  # type: ignore[index]
        for r in got
    ]
    lines.append(
        f"median seconds to the accepted model over all {n}: {statistics.median(seconds):.1f} s "
        f"(every unsolved task counted at the {budget:g} s budget)"
    )
    trained = [r for r in got if r is not None]
    first = _count(
        trained,
        lambda r: solved(r) and r["train"].get("accepted") == r["train"].get("first_exact"),
    )
    if trained:
        lines.append(
            f"first-attempt success: {first}/{len(trained)} tasks trained "
            f"({first / len(trained):.0%}; solved by the first attempt in plan order that was "
            "exact: no exact model had to be passed over as unclean)"
        )
    indices = sorted(
        r["train"]["accepted"]  # type: ignore[index]
        for r in got
        if solved(r) and r["train"].get("accepted") is not None  # type: ignore[union-attr]
    )
    if indices:
        lines.append(
            f"plan index of the accepted attempt: median {statistics.median(indices):g}, "
            f"max {indices[-1]}"
        )
    missing = [e.name for e in entries if e.status == READY and e.name not in results]
    if missing:
        lines.append(f"not run yet ({len(missing)}): {', '.join(missing)}")
    return lines


def reasons(entries: list[Entry]) -> list[str]:
    """Why the unreachable and contract-v2 rows cannot run."""
    lines = []
    for status, title in ((UNREACHABLE, "Unreachable"), (NEEDS_V2, "Needs contract v2")):
        rows = [e for e in entries if e.status == status]
        if rows:
            lines.append(f"{title} ({len(rows)}):")
            lines.extend(f"- `{e.name}`: {e.reason}" for e in rows)
    return lines


def table(
    title: str,
    entries: list[Entry],
    results: dict[str, dict[str, Any]],
    budget: float,
    compare: bool,
) -> str:
    body = [row(i, e, results.get(e.name)) for i, e in enumerate(entries, start=1)]
    parts = [f"## {title}", "", HEADER, RULE, *body, ""]
    parts += totals(entries, results, budget, compare)
    parts += node_kind_table(entries, results)
    extra = reasons(entries)
    return "\n".join(parts + ([""] + extra if extra else [])) + "\n"


def evidence_summary(
    entries: list[Entry], results: dict[str, dict[str, Any]], revision: str
) -> dict[str, Any]:
    """Every unmatched head, unfitted sub-MLP and fallback node, per task and counted."""
    kinds = ("unmatched_heads", "unfitted_sub_mlps", "fallbacks")
    tasks = {}
    for entry in entries:
        compiled = (results.get(entry.name) or {}).get("compile")
        if not compiled or "evidence" not in compiled:
            continue
        tasks[entry.name] = {
            "rule": compiled["rule"],
            "verdict": compiled["verdict"],
            "clean": compiled["clean"],
            **{k: compiled["evidence"][k] for k in kinds},
        }
    counts = {k: sum(len(t[k]) for t in tasks.values()) for k in kinds}
    return {
        "w2c_revision": revision,
        "compiled_tasks": len(tasks),
        "counts": counts,
        "node_kinds": node_kind_counts(entries, results),
        "tasks": tasks,
    }


def node_kind_counts(
    entries: list[Entry], results: dict[str, dict[str, Any]]
) -> dict[str, dict[str, int]]:
    """How every head and sub-MLP of every compiled model was resolved, counted per kind."""
    counts: dict[str, dict[str, int]] = {}
    for entry in entries:
        compiled = (results.get(entry.name) or {}).get("compile") or {}
        for item in compiled.get("node_kinds", []):
            per_kind = counts.setdefault(item["kind"], {})
            per_kind[item["resolved"]] = per_kind.get(item["resolved"], 0) + 1
    return {k: dict(sorted(v.items())) for k, v in sorted(counts.items())}


def node_kind_table(entries: list[Entry], results: dict[str, dict[str, Any]]) -> list[str]:
    """The coverage table: node kind x how it was resolved, over every compiled model."""
    counts = node_kind_counts(entries, results)
    if not counts:
        return []
    lines = ["", "| node | resolved as | count |", "|---|---|---:|"]
    for kind, per in counts.items():
        lines += [f"| {kind} | {how} | {n} |" for how, n in per.items()]
    return lines
