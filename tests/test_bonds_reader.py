"""Reading traces: shapes, offsets into the source string, bad inputs (w2c bonds)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from w2c.errors import InputError
from w2c.frontends.bonds.reader import read_file, read_traces, reasoning_span
from w2c.frontends.bonds.segment import segment

STEP_A = "First I restate the problem and set up some notation for it."
STEP_B = "Wait, let me double-check the second equation before going on."


def _write(path: Path, objects: list) -> Path:
    path.write_text("".join(json.dumps(o) + "\n" for o in objects), encoding="utf-8")
    return path


def test_shapes_and_offsets_index_into_the_source_field(tmp_path: Path) -> None:
    think = f"<think>\n{STEP_A}\n\n{STEP_B}\n</think>\n\nAnswer: 4."
    rows = [
        {
            "id": "m",
            "messages": [{"role": "user", "content": "Q"}, {"role": "assistant", "content": think}],
        },
        {
            "id": "c",
            "conversations": [{"from": "human", "value": "Q"}, {"from": "gpt", "value": think}],
        },
        {"id": 7, "reasoning": f"{STEP_A}\n\n{STEP_B}"},
        {"text": f"  {STEP_A}\n \n{STEP_B}  "},
        {
            "id": "rc",
            "messages": [
                {"role": "assistant", "content": "4", "reasoning_content": f"{STEP_A}\n\n{STEP_B}"}
            ],
        },
    ]
    result = read_file(_write(tmp_path / "t.jsonl", rows))
    assert [t.id for t in result.traces] == ["m", "c", "7", "t:4", "rc"]
    assert [t.field for t in result.traces] == [
        "messages[1].content",
        "conversations[1].value",
        "reasoning",
        "text",
        "messages[0].reasoning_content",
    ]
    for trace in result.traces:
        steps = segment(trace.source, trace.start, trace.end)
        assert [trace.source[a:b] for a, b in steps] == [STEP_A, STEP_B]
    inside = result.traces[0]
    assert inside.start == len("<think>")
    assert segment(inside.source, inside.start, inside.end)[0] == (8, 8 + len(STEP_A))
    assert "Answer" not in inside.text  # text after </think> is not reasoning


def test_dotted_field_and_truncated_think(tmp_path: Path) -> None:
    rows = [{"resp": {"choices": [{"text": f"<think>{STEP_A}"}]}}]
    trace = read_file(_write(tmp_path / "f.jsonl", rows), "resp.choices.0.text").traces[0]
    assert trace.text == STEP_A
    assert reasoning_span(f"{STEP_A}</think>rest") == (0, len(STEP_A))


@pytest.mark.parametrize(
    "content,message",
    [
        (b"\x00\x01binary\x00", "binary file"),
        (b"", "is empty"),
        (b"\n\n  \n", "is empty"),
        (b'{"text": "fine and long enough to be a step of its own"}\n{oops\n', ":2: not JSON"),
        (b'{"answer": "x"}\n', ":1: no trace field"),
        (b'{"text": 3}\n', "not a string"),
        (b'{"text": "   "}\n', "is empty"),
        (b'["a list"]\n', "not a JSON object"),
        (b'{"text": "\xff\xfe"}\n', "not UTF-8"),
    ],
)
def test_bad_inputs_raise_one_line_errors(tmp_path: Path, content: bytes, message: str) -> None:
    path = tmp_path / "bad.jsonl"
    path.write_bytes(content)
    with pytest.raises(InputError, match=message) as info:
        read_traces([path])
    assert "\n" not in str(info.value)


def test_huge_line_and_skip_bad_counts(tmp_path: Path) -> None:
    path = tmp_path / "mixed.jsonl"
    good = json.dumps({"text": STEP_A})
    path.write_text(
        "\n".join([good, "not json", json.dumps({"text": "x" * 5000}), "{}", good]) + "\n"
    )
    huge = tmp_path / "huge.jsonl"
    huge.write_text(json.dumps({"text": "x" * 5000}) + "\n")
    with pytest.raises(InputError, match=r"huge.jsonl:1: line longer than 1000 bytes"):
        read_traces([huge], max_line_bytes=1000)
    with pytest.raises(InputError, match=r"mixed.jsonl:2: not JSON"):
        read_traces([path])
    result = read_traces([path], max_line_bytes=1000, skip_bad=True)
    assert len(result.traces) == 2
    assert [s["line"] for s in result.skipped] == [2, 3, 4]
    assert result.files == [{"path": str(path), "traces": 2, "skipped": 3}]


def test_all_lines_bad_is_an_error_even_when_skipping(tmp_path: Path) -> None:
    path = tmp_path / "none.jsonl"
    path.write_text("nope\n")
    with pytest.raises(InputError, match="no usable trace"):
        read_traces([path], skip_bad=True)
    with pytest.raises(InputError, match="not found"):
        read_traces([tmp_path / "missing.jsonl"])
