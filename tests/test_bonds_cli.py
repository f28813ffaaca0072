"""`w2c bonds` end to end: outputs, JSON on stdout, no clobbering, exit codes, Python API."""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path

import pytest

import w2c.bonds
from w2c.cli import run

EXAMPLES = Path(__file__).resolve().parents[1] / "examples" / "bonds"
R1 = str(EXAMPLES / "r1_math.jsonl")
LOGIC = str(EXAMPLES / "sharegpt_logic.jsonl")
SHORT = str(EXAMPLES / "instruct_short.jsonl")


def test_analyze_writes_report_graph_and_html(tmp_path: Path, capsys) -> None:
    out = tmp_path / "r1"
    assert run(["bonds", "analyze", R1, "-o", str(out), "--trace", "math-square-point"]) == 0
    printed = capsys.readouterr().out
    assert "15 traces" in printed and "wrote" in printed
    report = json.loads((out / "report.json").read_text())
    assert (out / "graph.png").read_bytes().startswith(b"\x89PNG")
    page = (out / "trace.html").read_text()
    assert "math-square-point" in page and page.count('class="step"') == 10
    assert "&lt;think&gt;" in page  # the source around the steps is shown, escaped
    source = json.loads(Path(R1).read_text().splitlines()[0])["messages"][1]["content"]
    first = report["traces"][0]
    assert first["field"] == "messages[1].content"
    for step in first["steps"]:
        assert source[step["start"] : step["end"]].strip() == source[step["start"] : step["end"]]
        assert step["label"] in "NDRE"
    assert set(report["marginals"]) == set("NDRE")
    assert sum(report["marginals"].values()) == pytest.approx(1.0)
    # an existing output is never replaced without --force; nothing is half-written
    assert run(["bonds", "analyze", R1, "-o", str(out)]) == 2
    assert "exists; pass --force" in capsys.readouterr().err
    assert run(["bonds", "analyze", R1, "-o", str(out), "--force"]) == 0


def test_json_goes_alone_to_stdout_and_is_deterministic(capsys) -> None:
    assert run(["bonds", "analyze", SHORT, "--field", "output", "--json"]) == 0
    first = capsys.readouterr().out
    assert run(["bonds", "analyze", SHORT, "--field", "output", "--json"]) == 0
    assert capsys.readouterr().out == first
    report = json.loads(first)
    assert report["summary"] == {"traces": 8, "steps": 30}
    assert report["traces"][0]["id"] == "inst-train"


def test_compare_outputs_and_min_r_check(tmp_path: Path, capsys) -> None:
    out = tmp_path / "cmp"
    assert run(["bonds", "compare", R1, LOGIC, "-o", str(out), "--bootstrap", "200"]) == 0
    assert "Pearson r" in capsys.readouterr().out
    report = json.loads((out / "compare.json").read_text())
    assert (out / "compare.png").read_bytes().startswith(b"\x89PNG")
    assert report["bootstrap"]["pearson"]["samples"] == 200
    assert run(["bonds", "compare", R1, R1, "--json", "--bootstrap", "50"]) == 0
    same = json.loads(capsys.readouterr().out)
    assert same["metrics"]["pearson"] == pytest.approx(1.0)
    code = run(["bonds", "compare", R1, LOGIC, "--bootstrap", "0", "--min-r", "0.99"])
    assert code == 1
    assert "below --min-r" in capsys.readouterr().err


def test_plan_is_seeded_and_reads_saved_reports(tmp_path: Path, capsys) -> None:
    assert run(["bonds", "plan", "--from", R1, "-n", "5", "--seed", "1"]) == 0
    first = capsys.readouterr().out.splitlines()
    assert run(["bonds", "plan", "--from", R1, "-n", "5", "--seed", "1"]) == 0
    assert capsys.readouterr().out.splitlines() == first
    plans = [json.loads(line) for line in first]
    assert len(plans) == 5 and all(set(p["behaviours"]) <= set("NDRE") for p in plans)
    assert plans[0]["steps"][0]["instruction"] in plans[0]["prompt"]
    assert run(["bonds", "analyze", R1, "-o", str(tmp_path / "a")]) == 0
    out = tmp_path / "plans.jsonl"
    args = [
        "bonds",
        "plan",
        "--from",
        str(tmp_path / "a" / "report.json"),
        "-n",
        "3",
        "--start",
        "E",
        "--length",
        "4",
        "-o",
        str(out),
    ]
    assert run(args) == 0
    lines = out.read_text().splitlines()
    assert len(lines) == 3
    assert all(json.loads(x)["behaviours"].startswith("E") for x in lines)
    assert all(len(json.loads(x)["behaviours"]) == 4 for x in lines)
    assert run(args) == 2  # exists


@pytest.mark.parametrize(
    "argv,message",
    [
        (["bonds", "analyze", "missing.jsonl"], "not found"),
        (["bonds", "analyze", SHORT], "no trace field"),
        (["bonds", "analyze", SHORT, "--field", "nope"], "no field 'nope'"),
        (["bonds", "analyze", R1, "--labeller", "magic"], "--labeller must be"),
        (["bonds", "analyze", R1, "--labeller", "llm"], "needs --llm-url"),
        (
            [
                "bonds",
                "analyze",
                R1,
                "--labeller",
                "llm",
                "--llm-url",
                "http://127.0.0.1:9",
                "--llm-model",
                "m",
            ],
            "--llm-send",
        ),
        (["bonds", "analyze", R1, "--alpha", "-1"], "--alpha"),
        (["bonds", "plan", "--from", R1, "--start", "X"], "--start"),
        (["bonds", "plan", "--from", R1, "-n", "0"], "-n must be"),
        (["bonds", "plan", "--from", R1.replace(".jsonl", ".json")], "not a w2c bonds report"),
    ],
)
def test_bad_usage_exits_2_with_one_line(argv: list[str], message: str, capsys) -> None:
    assert run(argv) == 2
    err = capsys.readouterr().err
    assert message in err and err.count("\n") == 1 and "Traceback" not in err


def test_bad_files_exit_2_and_skip_bad_counts(tmp_path: Path, capsys) -> None:
    binary = tmp_path / "b.jsonl"
    binary.write_bytes(b"\x89PNG\x00\x00")
    assert run(["bonds", "analyze", str(binary)]) == 2
    assert "binary" in capsys.readouterr().err
    mixed = tmp_path / "m.jsonl"
    good = Path(R1).read_text().splitlines()[0]
    mixed.write_text(f"{good}\nnot json\n{good}\n")
    assert run(["bonds", "analyze", str(mixed)]) == 2
    assert "m.jsonl:2: not JSON" in capsys.readouterr().err
    assert run(["bonds", "analyze", str(mixed), "--skip-bad", "--json"]) == 0
    captured = capsys.readouterr()
    assert json.loads(captured.out)["skipped"]["count"] == 1
    assert "skipped 1 bad line" in captured.err


@pytest.mark.skipif(
    importlib.util.find_spec("sentence_transformers") is not None, reason="package installed"
)
def test_embedding_model_absent_is_a_clear_error(capsys) -> None:
    assert run(["bonds", "analyze", R1, "--embed", "all-MiniLM-L6-v2"]) == 2
    assert "sentence-transformers" in capsys.readouterr().err


def test_python_api_mirrors_the_cli(tmp_path: Path) -> None:
    a = w2c.bonds.analyze(R1)
    b = w2c.bonds.analyze([SHORT], field="output")
    assert a.report()["summary"]["traces"] == 15
    comparison = w2c.bonds.compare(a, b, bootstrap=20)
    assert -1 <= comparison.report()["metrics"]["pearson"] <= 1
    plans = w2c.bonds.plan(a, 4, seed=2)
    assert plans == w2c.bonds.plan(R1, 4, seed=2)
    written = a.save(tmp_path / "api")
    assert [p.name for p in written] == ["report.json", "graph.png", "trace.html"]
