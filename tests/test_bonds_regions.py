"""Real response shapes: reasoning vs visible answer (--region), chat turns (--turns), sentences.

Each test writes a small file in one shape seen in the wild and checks, against texts written
here by hand, which strings are analysed and that every offset indexes its own source string.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from w2c.cli import run
from w2c.errors import InputError
from w2c.frontends.bonds import api
from w2c.frontends.bonds.reader import read_file
from w2c.frontends.bonds.segment import segment_sentences

THINK = "Okay, so 24 times 17.\n\nLet me verify that.\n\n25 times 17 is 425, minus 17 is 408."
ANSWER = "**408**\n\nCheck: 24 × 17 = 408."
QUESTION = {"role": "user", "content": "What is 24 × 17?"}


def _write(path: Path, objects: list) -> Path:
    path.write_text("".join(json.dumps(o) + "\n" for o in objects), encoding="utf-8")
    return path


def _parts(tmp_path: Path, obj: dict, region: str, turns: str = "last") -> list[tuple]:
    trace = read_file(_write(tmp_path / "t.jsonl", [obj]), region=region, turns=turns).traces[0]
    for part in trace.parts:  # offsets index the part's own source string
        assert part.source[part.start : part.end] == part.text
    return [(p.region, p.field, p.text.strip(), p.turn) for p in trace.parts]


SHAPES = {
    "r1 <think> in content": (
        {
            "messages": [
                QUESTION,
                {"role": "assistant", "content": f"<think>\n{THINK}\n</think>\n\n{ANSWER}"},
            ]
        },
        "messages[1].content",
        "messages[1].content",
    ),
    "qwq closing tag only": (
        {
            "messages": [
                QUESTION,
                {"role": "assistant", "content": f"{THINK}\n</think>\n\n{ANSWER}"},
            ]
        },
        "messages[1].content",
        "messages[1].content",
    ),
    "sharegpt <think>": (
        {
            "conversations": [
                {"from": "human", "value": "Q"},
                {"from": "gpt", "value": f"<think>{THINK}</think>{ANSWER}"},
            ]
        },
        "conversations[1].value",
        "conversations[1].value",
    ),
    "api dump reasoning_content + content": (
        {"reasoning_content": THINK, "content": ANSWER},
        "reasoning_content",
        "content",
    ),
    "openrouter reasoning + content": (
        {"reasoning": THINK, "content": ANSWER},
        "reasoning",
        "content",
    ),
    "chat turn reasoning_content": (
        {
            "messages": [
                QUESTION,
                {"role": "assistant", "reasoning_content": THINK, "content": ANSWER},
            ]
        },
        "messages[1].reasoning_content",
        "messages[1].content",
    ),
    "content blocks thinking + text": (
        {
            "messages": [
                QUESTION,
                {
                    "role": "assistant",
                    "content": [
                        {"type": "thinking", "thinking": THINK},
                        {"type": "text", "text": ANSWER},
                    ],
                },
            ]
        },
        "messages[1].content[0].thinking",
        "messages[1].content[1].text",
    ),
}


@pytest.mark.parametrize("shape", SHAPES)
def test_each_shape_splits_reasoning_and_answer(tmp_path: Path, shape: str) -> None:
    obj, think_field, answer_field = SHAPES[shape]
    turn = 1 if "messages" in obj or "conversations" in obj else None
    think = ("think", think_field, THINK, turn)
    answer = ("answer", answer_field, ANSWER, turn)
    assert _parts(tmp_path, obj, "think") == [think]  # the default, as before
    assert _parts(tmp_path, obj, "answer") == [answer]
    assert _parts(tmp_path, obj, "all") == [think, answer]


def test_untagged_and_truncated_strings_have_no_answer(tmp_path: Path) -> None:
    for text in (THINK, f"<think>{THINK}"):
        assert _parts(tmp_path, {"text": text}, "all") == [("think", "text", THINK, None)]
        with pytest.raises(InputError, match="no answer after the reasoning in text"):
            _parts(tmp_path, {"text": text}, "answer")


def test_several_assistant_turns_last_or_all_in_order(tmp_path: Path) -> None:
    chat = {
        "messages": [
            QUESTION,
            {"role": "assistant", "content": "<think>First thought.</think>First answer."},
            {"role": "user", "content": "And 25 × 17?"},
            {"role": "assistant", "tool_calls": [{"id": "x"}], "content": None},
            {"role": "assistant", "reasoning_content": "Second thought.", "content": "425."},
        ]
    }
    assert _parts(tmp_path, chat, "all") == [
        ("think", "messages[4].reasoning_content", "Second thought.", 4),
        ("answer", "messages[4].content", "425.", 4),
    ]
    assert _parts(tmp_path, chat, "all", turns="all") == [
        ("think", "messages[1].content", "First thought.", 1),
        ("answer", "messages[1].content", "First answer.", 1),
        ("think", "messages[4].reasoning_content", "Second thought.", 4),
        ("answer", "messages[4].content", "425.", 4),
    ]
    assert [p[2] for p in _parts(tmp_path, chat, "answer", turns="all")] == [
        "First answer.",
        "425.",
    ]


def test_sentences_with_offsets() -> None:
    source = (
        "<think>Hmm, right. Let me check that.\n\n24 times 10 is 240. So e.g. 3.5 stays whole!\n"
        "Code:\n```\nx = 1. Y\n```\n</think>"
    )
    spans = segment_sentences(source, 7, source.index("</think>"))
    assert [source[a:b] for a, b in spans] == [
        "Hmm, right.",
        "Let me check that.",
        "24 times 10 is 240.",
        "So e.g. 3.5 stays whole!",
        "Code:",
        "```\nx = 1. Y\n```",
    ]
    assert spans[0] == (7, 18)


def test_analysis_over_all_regions_reports_parts(tmp_path: Path) -> None:
    path = _write(
        tmp_path / "t.jsonl", [{"id": "a", "reasoning_content": THINK, "content": ANSWER}]
    )
    analysis = api.analyze(path, region="all", unit="sentence")
    entry = analysis.report()["traces"][0]
    assert [p["field"] for p in entry["parts"]] == ["reasoning_content", "content"]
    sources = [THINK, ANSWER]
    texts = [sources[s["part"]][s["start"] : s["end"]] for s in entry["steps"]]
    assert texts == [
        "Okay, so 24 times 17.",
        "Let me verify that.",
        "25 times 17 is 425, minus 17 is 408.",
        "**408**",
        "Check: 24 × 17 = 408.",
    ]
    assert analysis.report()["segmentation"]["unit"] == "sentence"
    page = analysis.html()
    assert page.count('class="step"') == 5 and "content" in page
    default = api.analyze(path).report()
    assert "parts" not in default["traces"][0] and "region" not in {
        k for k in default if k == "region"
    }


@pytest.mark.parametrize(
    "flag,value", [("--region", "answers"), ("--turns", "first"), ("--unit", "word")]
)
def test_bad_flag_values_exit_2_with_one_line(
    tmp_path: Path, capsys, flag: str, value: str
) -> None:
    path = _write(tmp_path / "t.jsonl", [{"reasoning_content": THINK, "content": ANSWER}])
    assert run(["bonds", "analyze", str(path), flag, value]) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith(f"w2c: error: {flag} must be one of") and "\n" not in err
