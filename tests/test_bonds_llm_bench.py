"""benchmarks/bonds/llm.py against a local stand-in endpoint on 127.0.0.1 (offline).

The stand-in answers every trace with fixed labels (R for steps the prompt marks as the
answer, N for the rest), in two answer formats, after failing the first requests with 503: the
benchmark must parse both formats, retry, cache, and report the confusion that those fixed
labels give against gold2 (computed here from gold.jsonl directly).
"""

from __future__ import annotations

import importlib.util
import json
import re
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
GOLD2 = ROOT / "benchmarks" / "bonds" / "gold2" / "gold.jsonl"
ORDER = "NDRE"


def _bench():
    spec = importlib.util.spec_from_file_location(
        "bonds_llm_bench", ROOT / "benchmarks" / "bonds" / "llm.py"
    )
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


class Stub(BaseHTTPRequestHandler):
    failures = 0
    hits = 0

    def do_POST(self) -> None:  # noqa: N802 (http.server's name)
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        type(self).hits += 1
        if type(self).failures > 0:
            type(self).failures -= 1
            self.send_response(503)
            self.end_headers()
            return
        prompt = body["messages"][0]["content"]
        count = int(re.search(r"The trace has (\d+) steps", prompt).group(1))
        marks = re.findall(r"^\[step \d+\]( \(answer\))?$", prompt, re.M)
        labels = ["R" if mark else "N" for mark in marks]
        assert len(labels) == count
        if type(self).hits % 2:
            answer = "Here you go: " + json.dumps({"labels": labels})
        else:
            answer = "\n".join(f"{i + 1}: {b}" for i, b in enumerate(labels))
        payload = json.dumps({"choices": [{"message": {"content": answer}}]}).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)

    def log_message(self, *args) -> None:
        pass


@pytest.fixture
def endpoint() -> Iterator[str]:
    Stub.failures, Stub.hits = 0, 0
    server = ThreadingHTTPServer(("127.0.0.1", 0), Stub)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/v1"
    server.shutdown()
    server.server_close()


def _expected_new_test_confusion() -> list[list[int]]:
    matrix = [[0] * 4 for _ in ORDER]
    for line in GOLD2.read_text(encoding="utf-8").splitlines():
        entry = json.loads(line)
        if entry["split"] == "test":
            for step in entry["steps"]:
                predicted = "R" if step["region"] == "answer" else "N"
                matrix[ORDER.index(step["label"])][ORDER.index(predicted)] += 1
    return matrix


def test_benchmark_parses_retries_caches_and_scores(endpoint: str, tmp_path: Path, capsys) -> None:
    bench = _bench()
    Stub.failures = 2
    argv = ["--url", endpoint, "--model", "stub", "--send", "--split", "test"]
    argv += ["--cache", str(tmp_path / "cache"), "--backoff", "0"]
    assert bench.main(argv) == 0
    first = capsys.readouterr().out
    traces = 24 + 10 + 10  # old test, new test, new test per sentence: one request each
    assert Stub.hits == traces + 2  # the two 503s were retried
    assert "[llm:stub] new test: traces=10 steps=147" in first
    assert "requests sent: 46" in first
    # the table shows the confusion of the stand-in's fixed labels against the gold
    block = first.split("[llm:stub] new test:")[1].split("three classes")[0]
    block = block.split("columns predicted):")[1]
    rows = [list(map(int, r.split()[1:])) for r in block.splitlines()[2:6]]
    assert rows == _expected_new_test_confusion()
    # a second run answers from the cache: no request, the same tables
    assert bench.main(argv) == 0
    second = capsys.readouterr().out
    assert Stub.hits == traces + 2 and "requests sent: 0" in second
    assert first.split("requests sent")[0] == second.split("requests sent")[0]


def test_benchmark_refuses_without_send_and_reports_failures(
    endpoint: str, tmp_path: Path, capsys
) -> None:
    bench = _bench()
    cache = ["--cache", str(tmp_path / "c")]
    assert bench.main(["--url", endpoint, "--model", "stub", *cache]) == 2
    err = capsys.readouterr().err.strip()
    assert "--llm-send" in err and "\n" not in err and Stub.hits == 0
    Stub.failures = 100
    argv = ["--url", endpoint, "--model", "stub", "--send", "--retries", "1", "--backoff", "0"]
    assert bench.main([*argv, *cache]) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("error: LLM endpoint") and "failed after 2 tries: HTTP 503" in err
    assert bench.main([*argv, "--timeout", "0", *cache]) == 2
    assert "--timeout" in capsys.readouterr().err
