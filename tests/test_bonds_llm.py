"""The optional LLM labeller against a local stand-in server on 127.0.0.1 (no real endpoint)."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from w2c.errors import InputError
from w2c.frontends.bonds.llm import LLMLabeller, parse_labels

STEPS = ["We restate the problem in our own words here.", "Wait, let me check that again."]


class FakeEndpoint(BaseHTTPRequestHandler):
    """Answers chat completions; fails with 503 while `failures` is positive."""

    failures = 0
    answer = '{"labels": ["N", "R"]}'
    bodies: list[dict] = []

    def do_POST(self) -> None:  # noqa: N802 (http.server's name)
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        type(self).bodies.append(body)
        if type(self).failures > 0:
            type(self).failures -= 1
            self.send_response(503)
            self.end_headers()
            return
        payload = json.dumps({"choices": [{"message": {"content": type(self).answer}}]}).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)

    def log_message(self, *args) -> None:  # keep test output clean
        pass


@pytest.fixture
def endpoint() -> Iterator[str]:
    FakeEndpoint.failures, FakeEndpoint.bodies = 0, []
    FakeEndpoint.answer = '{"labels": ["N", "R"]}'
    server = ThreadingHTTPServer(("127.0.0.1", 0), FakeEndpoint)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/v1"
    server.shutdown()
    server.server_close()


def test_nothing_is_sent_without_the_explicit_flag(endpoint: str) -> None:
    with pytest.raises(InputError, match="--llm-send"):
        LLMLabeller(endpoint, "m")
    assert FakeEndpoint.bodies == []


def test_labels_cache_and_prompt(endpoint: str, tmp_path: Path) -> None:
    labeller = LLMLabeller(endpoint, "tiny", allow_send=True, cache_dir=tmp_path)
    assert labeller.label_trace(STEPS) == ["N", "R"]
    assert labeller.label_trace(STEPS) == ["N", "R"]  # from the cache
    assert labeller.requests == 1 and len(FakeEndpoint.bodies) == 1
    body = FakeEndpoint.bodies[0]
    assert body["model"] == "tiny" and body["temperature"] == 0
    assert "[step 2]\nWait, let me check that again." in body["messages"][0]["content"]
    fresh = LLMLabeller(endpoint, "tiny", allow_send=True, cache_dir=tmp_path)
    assert fresh.label_trace(STEPS) == ["N", "R"] and fresh.requests == 0


def test_retries_transient_failures_then_gives_up(endpoint: str) -> None:
    FakeEndpoint.failures = 2
    labeller = LLMLabeller(endpoint, "m", allow_send=True, retries=3, backoff=0.0)
    assert labeller.label_trace(STEPS) == ["N", "R"]
    assert labeller.requests == 3
    FakeEndpoint.failures = 10
    with pytest.raises(InputError, match="failed after 2 tries: HTTP 503"):
        LLMLabeller(endpoint, "m", allow_send=True, retries=1, backoff=0.0).label_trace(STEPS)


def test_unusable_answers_and_unreachable_endpoint(endpoint: str) -> None:
    FakeEndpoint.answer = "I think N"
    with pytest.raises(InputError, match="1 usable labels for 2 steps"):
        LLMLabeller(endpoint, "m", allow_send=True).label_trace(STEPS)
    closed = LLMLabeller("http://127.0.0.1:9/v1", "m", allow_send=True, timeout=2, retries=0)
    with pytest.raises(InputError, match="failed after 1 tries"):
        closed.label_trace(STEPS)


def test_parse_labels_variants() -> None:
    assert parse_labels('Sure! {"labels": ["n", "D"]}', 2) == ["N", "D"]
    assert parse_labels("1: E\n2: R", 2) == ["E", "R"]
    with pytest.raises(InputError):
        parse_labels('{"labels": ["X", "D"]}', 2)
