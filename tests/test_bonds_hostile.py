"""`w2c bonds` against hostile input: every failure is one line and exit 2, never exit 70.

Each case also checks that nothing was written on exit 2 and that no input changed.
"""

from __future__ import annotations

import json
import os
import threading
import time
from pathlib import Path

import pytest

import w2c.limits
from w2c.cli import run

STEP_A = "So we have x = 4 and that is what the first equation gives us here."
STEP_B = "Wait, let me check 4 again in the second equation before going on."


def _trace(text: str = f"{STEP_A}\n\n{STEP_B}", **extra: object) -> str:
    return json.dumps({"text": text, **extra})


def _jsonl(path: Path, *lines: str) -> Path:
    path.write_text("".join(line + "\n" for line in lines), encoding="utf-8")
    return path


def _snapshot(folder: Path) -> dict[str, bytes | None]:
    """Every entry under `folder` with its bytes (None for non-regular files and folders)."""
    return {
        str(p.relative_to(folder)): p.read_bytes() if p.is_file() else None
        for p in sorted(folder.rglob("*"))
    }


def _refused(argv: list[str], capsys, folder: Path, message: str = "") -> str:
    """Run argv; assert exit 2, one error line last on stderr, and `folder` left unchanged."""
    before = _snapshot(folder)
    code = run(argv)
    err = capsys.readouterr().err
    assert code == 2, err
    last = err.strip().splitlines()[-1]
    assert last.startswith("w2c: error:") and "internal error" not in last, err
    assert "Traceback" not in err
    assert message in last, last
    assert _snapshot(folder) == before  # nothing written, no input changed
    return last


def _budget(monkeypatch: pytest.MonkeyPatch, size: str) -> None:
    """Lower the memory budget for this test (the documented environment variable)."""
    monkeypatch.setenv(w2c.limits.ENV_VARIABLE, size)
    monkeypatch.setattr(w2c.limits, "_budget", None)


def _unblock(fifo: Path, seconds: float = 3.0) -> None:
    """If something opens `fifo` for reading within `seconds`, feed it one line and close.

    The fixed code never opens a FIFO; without this helper a regression would block the test
    run forever instead of failing it.
    """

    def feed() -> None:
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            try:
                fd = os.open(fifo, os.O_WRONLY | os.O_NONBLOCK)
            except OSError:  # ENXIO: no reader yet
                time.sleep(0.02)
                continue
            os.write(fd, b"{}\n")
            os.close(fd)
            return

    threading.Thread(target=feed, daemon=True).start()


# 1. lone surrogates and all-or-nothing outputs


def test_lone_surrogates_are_replaced_and_offsets_kept(tmp_path: Path, capsys) -> None:
    source = f"{STEP_A} \ud800 tail\n\n{STEP_B}\udfff"
    # json.dumps writes the lone surrogates as \ud800 / \udfff escapes, as a hostile file would
    corpus = _jsonl(tmp_path / "s.jsonl", json.dumps({"id": "x\udc80", "text": source}))
    out = tmp_path / "out"
    assert run(["bonds", "analyze", str(corpus), "-o", str(out)]) == 0
    capsys.readouterr()
    assert sorted(p.name for p in out.iterdir()) == ["graph.png", "report.json", "trace.html"]
    report = json.loads((out / "report.json").read_text(encoding="utf-8"))
    trace = report["traces"][0]
    assert trace["id"] == "x\ufffd"
    cleaned = source.replace("\ud800", "\ufffd").replace("\udfff", "\ufffd")
    assert len(cleaned) == len(source)
    steps = [cleaned[s["start"] : s["end"]] for s in trace["steps"]]
    assert steps == [f"{STEP_A} \ufffd tail", f"{STEP_B}\ufffd"]
    page = (out / "trace.html").read_text(encoding="utf-8")
    assert "\ufffd tail" in page


def test_undecodable_file_name_does_not_crash_the_page(tmp_path: Path, capsys) -> None:
    corpus = _jsonl(tmp_path / os.fsdecode(b"bad\xff.jsonl"), _trace())
    out = tmp_path / "out"
    assert run(["bonds", "analyze", str(corpus), "-o", str(out)]) == 0
    capsys.readouterr()
    assert "bad\ufffd.jsonl:1" in (out / "trace.html").read_text(encoding="utf-8")


def test_a_render_failure_writes_no_output(tmp_path: Path, capsys, monkeypatch) -> None:
    from w2c.errors import InputError
    from w2c.frontends.bonds import render

    def broken(*args: object, **kwargs: object) -> bytes:
        raise InputError("picture failed")

    monkeypatch.setattr(render, "graph_png", broken)
    corpus = _jsonl(tmp_path / "t.jsonl", _trace())
    out = tmp_path / "out"
    _refused(["bonds", "analyze", str(corpus), "-o", str(out)], capsys, tmp_path, "picture")
    assert not out.exists()


def test_unknown_trace_id_leaves_no_folder(tmp_path: Path, capsys) -> None:
    corpus = _jsonl(tmp_path / "t.jsonl", _trace())
    out = tmp_path / "out"
    argv = ["bonds", "analyze", str(corpus), "-o", str(out), "--trace", "nope"]
    _refused(argv, capsys, tmp_path, "no trace with id")
    assert not out.exists()


def test_a_failed_write_leaves_no_output(tmp_path: Path, capsys, monkeypatch) -> None:
    """The second of three files hits a full disk: no file is written, no temporary is left."""
    from w2c import fileio
    from w2c.errors import InputError

    real = fileio._stage
    calls = []

    def second_fails(target: Path, data: bytes) -> str:
        calls.append(target)
        if len(calls) == 2:
            raise InputError(f"cannot write {target}: disk full")
        return real(target, data)

    monkeypatch.setattr(fileio, "_stage", second_fails)
    corpus = _jsonl(tmp_path / "t.jsonl", _trace())
    out = tmp_path / "out"
    assert run(["bonds", "analyze", str(corpus), "-o", str(out)]) == 2
    assert "disk full" in capsys.readouterr().err
    assert len(calls) == 2
    assert list(out.iterdir()) == []


# 2. nesting depth and sizes


def test_deep_nesting_is_a_bad_line(tmp_path: Path, capsys) -> None:
    corpus = _jsonl(tmp_path / "d.jsonl", "[" * 100_000, _trace())
    _refused(["bonds", "analyze", str(corpus)], capsys, tmp_path, "d.jsonl:1: not JSON")
    assert run(["bonds", "analyze", str(corpus), "--skip-bad", "--json"]) == 0
    captured = capsys.readouterr()
    report = json.loads(captured.out)
    assert report["skipped"]["count"] == 1 and report["summary"]["traces"] == 1
    assert "nested too deeply" in report["skipped"]["lines"][0]["reason"]


def test_deeply_nested_report_is_refused(tmp_path: Path, capsys) -> None:
    report = tmp_path / "report.json"
    report.write_text("[" * 100_000)
    _refused(["bonds", "plan", "--from", str(report)], capsys, tmp_path, "nested too deeply")


@pytest.mark.parametrize("value,message", [("0", ">= 1"), ("-5", ">= 1"), (str(10**12), "budget")])
def test_max_line_bytes_is_validated(value: str, message: str, tmp_path: Path, capsys) -> None:
    corpus = _jsonl(tmp_path / "t.jsonl", _trace())
    argv = ["bonds", "analyze", str(corpus), "--max-line-bytes", value]
    _refused(argv, capsys, tmp_path, message)


def test_corpus_and_line_sizes_are_checked_against_the_budget(
    tmp_path: Path, capsys, monkeypatch
) -> None:
    _budget(monkeypatch, "1M")
    corpus = _jsonl(tmp_path / "big.jsonl", *[_trace()] * 2000)  # ~300 KB, x4 > 1 MiB
    argv = ["bonds", "analyze", str(corpus), "--max-line-bytes", "4096"]
    _refused(argv, capsys, tmp_path, "trace files")
    # the default --max-line-bytes (16 MiB) alone exceeds a 1 MiB budget
    small = _jsonl(tmp_path / "small.jsonl", _trace())
    _refused(["bonds", "analyze", str(small)], capsys, tmp_path, "--max-line-bytes")


def test_a_trace_with_too_many_steps_is_refused(tmp_path: Path, capsys, monkeypatch) -> None:
    _budget(monkeypatch, "64M")
    text = "\n\n".join(f"word{i} is {i}" for i in range(2000))
    corpus = _jsonl(tmp_path / "long.jsonl", _trace(text))
    argv = ["bonds", "analyze", str(corpus), "--min-chars", "1", "--max-line-bytes", "1000000"]
    _refused(argv, capsys, tmp_path, "long.jsonl:1: the step-similarity matrix of 2000 steps")


# 3. report.json read by plan --from


@pytest.fixture()
def saved_report(tmp_path: Path, capsys) -> dict:
    corpus = _jsonl(
        tmp_path / "t.jsonl",
        _trace(),
        _trace(f"{STEP_B}\n\n{STEP_A}\n\nAlternatively, try a different method for x now."),
    )
    assert run(["bonds", "analyze", str(corpus), "-o", str(tmp_path / "r")]) == 0
    capsys.readouterr()
    return json.loads((tmp_path / "r" / "report.json").read_text())


def _edit(report: dict, path: str, value: object) -> dict:
    edited = json.loads(json.dumps(report))
    *parents, last = path.split(".")
    node = edited
    for key in parents:
        node = node[key]
    if value is _DELETE:
        del node[last]
    else:
        node[last] = value
    return edited


_DELETE = object()


@pytest.mark.parametrize(
    "path,value,message",
    [
        ("length_histogram", {"3": 1e10}, "integer count"),
        ("length_histogram", {"2": -1, "3": 3}, "integer count"),
        ("length_histogram", {"x": 2}, "not a step count"),
        ("length_histogram", {"2": True, "3": 1}, "integer count"),
        ("length_histogram", {}, "non-empty"),
        ("length_histogram", {"2": 5}, "summary.traces"),
        ("alpha", float("nan"), "alpha"),
        ("alpha", -1, "alpha"),
        ("alpha", "0", "alpha"),
        ("label_counts.N", -1, "label_counts.N"),
        ("label_counts.X", 1, "exactly the labels"),
        ("transition_counts.D", [1, 2], "exactly the labels"),
        ("transition_counts.D.D", 1.5, "transition_counts.D.D"),
        ("marginals.N", 0.9, "sums to"),
        ("marginals.N", float("inf"), "probability"),
        ("initial_counts", _DELETE, "missing initial_counts"),
        ("format", "w2c.other/9", "format"),
        ("summary.steps", 10**20, "summary.steps"),
    ],
)
def test_plan_refuses_a_bad_report(
    path: str, value: object, message: str, saved_report: dict, tmp_path: Path, capsys
) -> None:
    target = tmp_path / "edited.json"
    target.write_text(json.dumps(_edit(saved_report, path, value)))
    _refused(["bonds", "plan", "--from", str(target), "-n", "2"], capsys, tmp_path, message)


def test_plan_refuses_probabilities_that_disagree_with_the_counts(
    saved_report: dict, tmp_path: Path, capsys
) -> None:
    row = next(a for a, r in saved_report["transition_counts"].items() if sum(r.values()))
    probabilities = saved_report["transitions"][row]
    rare = min(probabilities, key=probabilities.get)  # move all mass to the least likely label
    edited = _edit(saved_report, f"transitions.{row}", {b: float(b == rare) for b in "NDRE"})
    target = tmp_path / "edited.json"
    target.write_text(json.dumps(edited))
    argv = ["bonds", "plan", "--from", str(target)]
    _refused(argv, capsys, tmp_path, f"transitions.{row} does not match")


def test_plan_never_expands_a_huge_histogram(saved_report: dict, tmp_path: Path, capsys) -> None:
    """Counts scaled by 10**12 describe the same chain; a plan must not list every trace."""
    scale = 10**12
    report = json.loads(json.dumps(saved_report))
    for key in ("label_counts", "initial_counts", "length_histogram"):
        report[key] = {k: v * scale for k, v in report[key].items()}
    report["transition_counts"] = {
        a: {b: v * scale for b, v in row.items()} for a, row in report["transition_counts"].items()
    }
    report["summary"] = {k: v * scale for k, v in report["summary"].items()}
    target = tmp_path / "scaled.json"
    target.write_text(json.dumps(report))
    assert run(["bonds", "plan", "--from", str(target), "-n", "3", "--seed", "0"]) == 0
    plans = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert len(plans) == 3
    assert all(len(p["behaviours"]) in {int(k) for k in report["length_histogram"]} for p in plans)


def test_plan_never_writes_over_its_input(saved_report: dict, tmp_path: Path, capsys) -> None:
    report = tmp_path / "r" / "report.json"
    argv = ["bonds", "plan", "--from", str(report), "-o", str(report), "--force"]
    _refused(argv, capsys, tmp_path, "is an input of this command")
    corpus = tmp_path / "t.jsonl"
    argv = ["bonds", "plan", "--from", str(corpus), "-o", str(corpus), "--force"]
    _refused(argv, capsys, tmp_path, "is an input of this command")


def test_analyze_and_compare_never_write_over_their_inputs(tmp_path: Path, capsys) -> None:
    folder = tmp_path / "d"
    folder.mkdir()
    corpus = _jsonl(folder / "report.json", _trace())
    argv = ["bonds", "analyze", str(corpus), "-o", str(folder), "--force"]
    _refused(argv, capsys, tmp_path, "is an input of this command")
    other = _jsonl(folder / "compare.json", _trace())
    argv = ["bonds", "compare", str(corpus), str(other), "-o", str(folder), "--force"]
    _refused(argv, capsys, tmp_path, "is an input of this command")


# 4. numeric flags


@pytest.mark.parametrize(
    "argv,message",
    [
        (["analyze", "{t}", "--alpha", "nan"], "--alpha"),
        (["analyze", "{t}", "--alpha", "inf"], "--alpha"),
        (["analyze", "{t}", "--alpha", "-0.5"], "--alpha"),
        (["plan", "--from", "{t}", "--alpha", "1e308"], "--alpha"),
        (["compare", "{t}", "{t}", "--alpha", "nan"], "--alpha"),
        (["plan", "--from", "{t}", "--seed", "-1"], "--seed"),
        (["compare", "{t}", "{t}", "--seed", "-1"], "--seed"),
        (["compare", "{t}", "{t}", "--bootstrap", "-1"], "--bootstrap"),
        (["compare", "{t}", "{t}", "--bootstrap", str(10**9)], "--bootstrap"),
        (["compare", "{t}", "{t}", "--min-r", "nan"], "--min-r"),
        (["compare", "{t}", "{t}", "--min-r", "2"], "--min-r"),
        (["plan", "--from", "{t}", "-n", "-3"], "-n"),
        (["plan", "--from", "{t}", "-n", str(10**9)], "-n"),
        (["plan", "--from", "{t}", "--length", "0"], "--length"),
        (["plan", "--from", "{t}", "--length", str(10**9)], "--length"),
        (["plan", "--from", "{t}", "-n", "100000", "--length", "100000"], "limit"),
        (["analyze", "{t}", "--min-chars", "-1"], "--min-chars"),
        (
            [
                "analyze",
                "{t}",
                "--labeller",
                "llm",
                "--llm-url",
                "http://127.0.0.1:9",
                "--llm-model",
                "m",
                "--llm-timeout",
                "nan",
            ],
            "--llm-timeout",
        ),
    ],
)
def test_numeric_flags_are_validated(argv: list[str], message: str, tmp_path: Path, capsys) -> None:
    corpus = _jsonl(tmp_path / "t.jsonl", _trace())
    args = ["bonds", *[str(corpus) if a == "{t}" else a for a in argv]]
    _refused(args + ["-o", str(tmp_path / "out")], capsys, tmp_path, message)


# 5. odd files and odd lines


def test_fifo_inputs_are_refused_without_blocking(tmp_path: Path, capsys) -> None:
    fifo = tmp_path / "traces.jsonl"
    os.mkfifo(fifo)
    _unblock(fifo)
    _refused(["bonds", "analyze", str(fifo)], capsys, tmp_path, "not a regular file")
    report = tmp_path / "report.json"
    os.mkfifo(report)
    _unblock(report)
    _refused(["bonds", "plan", "--from", str(report)], capsys, tmp_path, "not a regular file")


def test_folders_as_inputs_are_refused(tmp_path: Path, capsys) -> None:
    (tmp_path / "dir.jsonl").mkdir()
    (tmp_path / "dir.json").mkdir()
    _refused(["bonds", "analyze", str(tmp_path / "dir.jsonl")], capsys, tmp_path, "folder")
    _refused(["bonds", "plan", "--from", str(tmp_path / "dir.json")], capsys, tmp_path, "folder")


@pytest.mark.parametrize(
    "content,message",
    [
        (b"", "is empty"),
        (b"\n \n", "is empty"),
        (b"\xff\xfe\x80 not utf-8\n", ":1: not UTF-8"),
        (b"42\n", ":1: not a JSON object"),
        (b"[1, 2]\n", ":1: not a JSON object"),
        (b"null\n", ":1: not a JSON object"),
        (b'"text"\n', ":1: not a JSON object"),
        (b'{"text": 5}\n', "is a int"),
        (b'{"text": {"a": 1}}\n', "is a dict"),
        (b'{"messages": [{"role": "assistant", "content": null}]}\n', "no string content"),
        (b'{"messages": [{"role": "user", "content": "hi"}]}\n', "no assistant turn"),
        (b'{"messages": 7}\n', "is a int"),
        (b'{"other": "x"}\n', "no trace field"),
        (b'{"text": "<think>   </think>"}\n', "is empty"),
        (b'{"id": ' + b"9" * 5000 + b', "text": "x"}\n', "too many digits"),
        (b'{"text": "x", "id": NaN}\n{"text": \n', ":2: not JSON"),
    ],
)
def test_bad_lines_exit_2_naming_the_line(
    content: bytes, message: str, tmp_path: Path, capsys
) -> None:
    corpus = tmp_path / "bad.jsonl"
    corpus.write_bytes(content)
    _refused(
        ["bonds", "analyze", str(corpus), "-o", str(tmp_path / "out")], capsys, tmp_path, message
    )


def test_a_byte_order_mark_is_not_a_bad_line(tmp_path: Path, capsys) -> None:
    corpus = tmp_path / "bom.jsonl"
    corpus.write_bytes(b"\xef\xbb\xbf" + _trace().encode() + b"\n")
    assert run(["bonds", "analyze", str(corpus), "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["summary"]["traces"] == 1


def test_odd_ids_are_kept_or_replaced(tmp_path: Path, capsys) -> None:
    corpus = _jsonl(
        tmp_path / "ids.jsonl", _trace(id=True), _trace(id=[1]), _trace(id=7), _trace(id="s")
    )
    assert run(["bonds", "analyze", str(corpus), "--json"]) == 0
    ids = [t["id"] for t in json.loads(capsys.readouterr().out)["traces"]]
    assert ids == ["ids:1", "ids:2", "7", "s"]


def test_compare_with_an_undefined_correlation_writes_null(tmp_path: Path, capsys) -> None:
    """A corpus whose only trace is tags has a constant structure: r is undefined, not a crash."""
    a = _jsonl(tmp_path / "a.jsonl", json.dumps({"text": "</think><think><|begin_of_thought|>"}))
    b = _jsonl(tmp_path / "b.jsonl", _trace(), _trace())
    out = tmp_path / "out"
    argv = ["bonds", "compare", str(a), str(b), "--bootstrap", "5", "--min-chars", "200"]
    assert run([*argv, "-o", str(out)]) == 0
    document = json.loads((out / "compare.json").read_text())
    assert None in document["metrics"].values(), document["metrics"]
