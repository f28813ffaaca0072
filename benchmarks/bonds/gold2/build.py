"""Build the gold2 trace files and gold.jsonl from labels.txt (deterministic; no w2c import).

Run from the repository root: ``python benchmarks/bonds/gold2/build.py``. Each trace of
labels.txt becomes one JSONL line in ``STYLE.jsonl`` in the shape its ``format`` names, and one
line of ``gold.jsonl`` with every step's label, region (think or answer), the dotted JSON path of
the string that holds it and its character offsets into that string. The offsets are computed
here from the text as written, independently of w2c's reader and segmenter.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

HERE = Path(__file__).resolve().parent
STEP = re.compile(r"^([NDRE])\| (.*)$")
SEPARATOR = "\n\n"


def parse(text: str) -> list[dict]:
    """Traces of labels.txt: header fields, question, think and answer steps with labels."""
    traces: list[dict] = []
    current: dict | None = None
    for raw in text.splitlines():
        if raw.startswith("### "):
            current = dict(item.split("=", 1) for item in raw[4:].split())
            current.update(question="", think=[], answer=[], region="think")
            traces.append(current)
        elif current is None or not raw.strip() or raw.startswith("#"):
            continue
        elif raw.startswith("? "):
            current["question"] = raw[2:]
        elif raw == "---":
            current["region"] = "answer"
        elif raw.startswith("+| ") or raw == "+|":
            label, body = current[current["region"]][-1]
            current[current["region"]][-1] = (label, body + "\n" + raw[3:])
        else:
            match = STEP.match(raw)
            if not match:
                raise SystemExit(f"labels.txt: cannot read line {raw!r}")
            current[current["region"]].append((match.group(1), match.group(2)))
    return traces


def _spans(prefix: str, steps: list[tuple[str, str]]) -> tuple[str, list[tuple[int, int]]]:
    """`prefix` + the steps joined by blank lines, and each step's span in that string."""
    text, spans = prefix, []
    for index, (_, body) in enumerate(steps):
        if index:
            text += SEPARATOR
        spans.append((len(text), len(text) + len(body)))
        text += body
    return text, spans


def render(trace: dict) -> tuple[dict, list[dict]]:
    """The JSON object of one trace and its gold steps."""
    fmt, think, answer = trace["format"], trace["think"], trace["answer"]
    inline = fmt in ("messages_think", "messages_open", "sharegpt", "text")
    if inline:
        opening = "" if fmt == "messages_open" else "<think>\n"
        body, think_spans = _spans(opening, think)
        body += "\n</think>\n\n"
        source, answer_spans = _spans(body, answer)
        think_text = answer_text = source
    else:
        think_text, think_spans = _spans("", think)
        answer_text, answer_spans = _spans("", answer)
    user = {"role": "user", "content": trace["question"]}
    obj: dict = {"id": trace["id"]}
    if fmt in ("messages_think", "messages_open"):
        obj["messages"] = [user, {"role": "assistant", "content": source}]
        paths = ("messages.1.content", "messages.1.content")
    elif fmt == "sharegpt":
        obj["conversations"] = [
            {"from": "human", "value": trace["question"]},
            {"from": "gpt", "value": source},
        ]
        paths = ("conversations.1.value", "conversations.1.value")
    elif fmt == "text":
        obj.update(prompt=trace["question"], text=source)
        paths = ("text", "text")
    elif fmt in ("api", "reasoning"):
        key = "reasoning_content" if fmt == "api" else "reasoning"
        obj.update({"prompt": trace["question"], key: think_text, "content": answer_text})
        paths = (key, "content")
    elif fmt in ("turn_rc", "claude"):
        key = "reasoning_content" if fmt == "turn_rc" else "thinking"
        turn = {"role": "assistant", key: think_text, "content": answer_text}
        obj["messages"] = [user, turn]
        paths = (f"messages.1.{key}", "messages.1.content")
    else:
        raise SystemExit(f"labels.txt: unknown format {fmt!r}")
    steps = []
    for region, path, items, spans in (
        ("think", paths[0], think, think_spans),
        ("answer", paths[1], answer, answer_spans),
    ):
        for (label, _), (start, end) in zip(items, spans, strict=True):
            steps.append(
                {"region": region, "field": path, "start": start, "end": end, "label": label}
            )
    return obj, steps


def main() -> None:
    traces = parse((HERE / "labels.txt").read_text(encoding="utf-8"))
    files: dict[str, list[str]] = {}
    gold = []
    for position, trace in enumerate(traces):
        obj, steps = render(trace)
        name = f"{trace['style']}.jsonl"
        files.setdefault(name, []).append(json.dumps(obj, ensure_ascii=False))
        gold.append(
            {
                "file": name,
                "line": len(files[name]),
                "id": trace["id"],
                "split": "test" if position % 5 in (3, 4) else "dev",
                "style": trace["style"],
                "format": trace["format"],
                "domain": trace["domain"],
                "steps": steps,
            }
        )
    for name, lines in files.items():
        (HERE / name).write_text("\n".join(lines) + "\n", encoding="utf-8")
    (HERE / "gold.jsonl").write_text(
        "".join(json.dumps(g, ensure_ascii=False) + "\n" for g in gold), encoding="utf-8"
    )
    total = sum(len(g["steps"]) for g in gold)
    print(f"{len(gold)} traces, {total} steps, files: {', '.join(sorted(files))}")


if __name__ == "__main__":
    main()
