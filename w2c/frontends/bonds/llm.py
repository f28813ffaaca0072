"""Optional labeller that asks an OpenAI-compatible chat endpoint chosen by the user.

Nothing is sent unless the caller passes ``allow_send=True`` (CLI: ``--llm-send``): traces can
be private, and the endpoint is the user's choice, not ours. Requests use only the standard
library (urllib) with a timeout, a few retries with backoff on transient failures (timeouts,
connection errors, HTTP 429 and 5xx), and an on-disk cache keyed by endpoint, model and prompt so
re-running an analysis never pays twice.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import time
import urllib.error
import urllib.request
from collections.abc import Sequence
from pathlib import Path

from w2c.errors import InputError
from w2c.fileio import write_text
from w2c.frontends.bonds.labels import LABELS

PROMPT = """You label the steps of a reasoning trace with the behaviour of the transition into
each step, judged by what the step does in its episode. Labels:
R = self-reflection: the step belongs to a verification: it checks, doubts, confirms or corrects
something earlier (the plain arithmetic that carries out a check is R too).
E = self-exploration: the step opens or probes a branch not yet committed to (another method,
a hypothesis, a guess being tested, an interpretation, a case).
D = deep reasoning: derives a new fact from the previous step(s) by a real inference.
N = normal operation: restating, planning, bookkeeping, routine arithmetic, the final answer.
Steps marked (answer) are the visible answer after the reasoning: restating the work there is N,
a closing check is R. If several apply, prefer R, then E, then D, then N. The first step is
labelled by its content. Answer with JSON only: {"labels": ["N", "D", ...]} with exactly one
label per step.

"""
_TRANSIENT_HTTP = {408, 409, 425, 429, 500, 502, 503, 504}


class LLMLabeller:
    """Labels each trace with one chat-completion request (cached)."""

    uses_regions = True  # steps of the visible answer are marked in the prompt

    def __init__(
        self,
        url: str,
        model: str,
        *,
        allow_send: bool = False,
        api_key_env: str = "OPENAI_API_KEY",
        cache_dir: str | os.PathLike[str] | None = None,
        timeout: float = 60.0,
        retries: int = 3,
        backoff: float = 1.0,
    ) -> None:
        if not allow_send:
            raise InputError(
                "the LLM labeller sends your traces to " + url + "; pass --llm-send to allow it"
            )
        if not re.match(r"https?://", url):
            raise InputError(f"--llm-url must start with http:// or https://: {url}")
        self.url = url.rstrip("/")
        if not self.url.endswith("/chat/completions"):
            self.url += "/chat/completions"
        self.model = model
        self.api_key = os.environ.get(api_key_env, "")
        self.cache_dir = Path(cache_dir) if cache_dir is not None else None
        self.timeout, self.retries, self.backoff = timeout, retries, backoff
        self.name = f"llm:{model}"
        self.requests = 0  # how many requests actually went out (cache misses)

    def prompt(self, steps: Sequence[str], regions: Sequence[str] | None = None) -> str:
        marks = [" (answer)" if r == "answer" else "" for r in regions or [""] * len(steps)]
        numbered = "\n\n".join(
            f"[step {i + 1}]{mark}\n{text}"
            for i, (text, mark) in enumerate(zip(steps, marks, strict=True))
        )
        return PROMPT + f"The trace has {len(steps)} steps.\n\n" + numbered

    def label_trace(self, steps: Sequence[str], regions: Sequence[str] | None = None) -> list[str]:
        prompt = self.prompt(steps, regions)
        key = hashlib.sha256(f"{self.url}\n{self.model}\n{prompt}".encode()).hexdigest()
        cached = self._cache_get(key)
        answer = cached if cached is not None else self._ask(prompt)
        labels = parse_labels(answer, len(steps))
        if cached is None:
            self._cache_put(key, answer)
        return labels

    def _cache_get(self, key: str) -> str | None:
        if self.cache_dir is None:
            return None
        path = self.cache_dir / f"{key}.json"
        return json.loads(path.read_text())["answer"] if path.is_file() else None

    def _cache_put(self, key: str, answer: str) -> None:
        if self.cache_dir is not None:
            self.cache_dir.mkdir(parents=True, exist_ok=True)
            write_text(self.cache_dir / f"{key}.json", json.dumps({"answer": answer}), force=True)

    def _ask(self, prompt: str) -> str:
        body = json.dumps(
            {
                "model": self.model,
                "temperature": 0,
                "messages": [{"role": "user", "content": prompt}],
            }
        ).encode()
        headers = {"Content-Type": "application/json"}
        if self.api_key:
            headers["Authorization"] = f"Bearer {self.api_key}"
        last = ""
        for attempt in range(self.retries + 1):
            if attempt:
                time.sleep(self.backoff * 2 ** (attempt - 1))
            request = urllib.request.Request(self.url, data=body, headers=headers, method="POST")
            self.requests += 1
            try:
                with urllib.request.urlopen(request, timeout=self.timeout) as response:
                    payload = json.loads(response.read().decode("utf-8"))
                return str(payload["choices"][0]["message"]["content"])
            except urllib.error.HTTPError as exc:
                last = f"HTTP {exc.code}"
                if exc.code not in _TRANSIENT_HTTP:
                    break
            except (urllib.error.URLError, TimeoutError, ConnectionError) as exc:
                last = " ".join(str(getattr(exc, "reason", exc)).split())
            except (KeyError, IndexError, TypeError, ValueError):
                raise InputError(f"{self.url} did not answer like a chat-completions API") from None
        raise InputError(f"LLM endpoint {self.url} failed after {attempt + 1} tries: {last}")


def parse_labels(answer: str, count: int) -> list[str]:
    """The labels in a model's answer: JSON {"labels": [...]}, else the first `count` letters."""
    match = re.search(r"\{.*\}", answer, re.S)
    labels: list[str] = []
    if match:
        try:
            labels = [str(x).strip().upper()[:1] for x in json.loads(match.group(0))["labels"]]
        except (ValueError, KeyError, TypeError):
            labels = []
    if len(labels) != count:
        labels = re.findall(r"\b([NDRE])\b", answer)[:count]
    if len(labels) != count or any(b not in LABELS for b in labels):
        raise InputError(f"the LLM answered {len(labels)} usable labels for {count} steps")
    return labels
