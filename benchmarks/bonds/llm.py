"""Score an LLM labeller on both gold sets: the same tables as benchmarks/bonds/score.py.

Run from the repository root, against any OpenAI-compatible endpoint you choose::

    python benchmarks/bonds/llm.py --url http://HOST/v1 --model NAME --send [--key-env VAR]

Nothing is sent without ``--send`` (the gold traces go to that endpoint). One chat-completion
request per trace (temperature 0) through w2c's LLM labeller: a timeout per request, retries with
backoff on timeouts, connection errors, HTTP 429 and 5xx, and an on-disk answer cache
(``--cache``), so a second run costs no request. Bad flags or an endpoint that fails: one line on
stderr, exit 2. Prints tables; never asserts.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parents[1]))
sys.path.insert(0, str(HERE))

from score import run  # noqa: E402

from w2c.errors import InputError  # noqa: E402
from w2c.frontends.bonds.llm import LLMLabeller  # noqa: E402


def _cache_default() -> Path:
    return Path(os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache"), "w2c", "bonds-llm")


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--url", required=True, help="OpenAI-compatible base URL (…/v1)")
    parser.add_argument("--model", required=True, help="model name sent to --url")
    parser.add_argument("--key-env", default="OPENAI_API_KEY", help="env var with the API key")
    parser.add_argument("--send", action="store_true", help="allow sending the gold traces")
    parser.add_argument("--cache", type=Path, default=None, help="answer cache folder")
    parser.add_argument("--timeout", type=float, default=60.0, help="seconds per request")
    parser.add_argument("--retries", type=int, default=3, help="retries on transient failures")
    parser.add_argument("--backoff", type=float, default=1.0, help="first retry delay, seconds")
    parser.add_argument("--split", choices=("dev", "test", "both"), default="both")
    args = parser.parse_args(argv)
    splits = ["dev", "test"] if args.split == "both" else [args.split]
    try:
        if not 0 < args.timeout <= 3600 or not 0 <= args.retries <= 10 or args.backoff < 0:
            raise InputError("need 0 < --timeout <= 3600, 0 <= --retries <= 10, --backoff >= 0")
        labeller = LLMLabeller(
            args.url,
            args.model,
            allow_send=args.send,
            api_key_env=args.key_env,
            cache_dir=args.cache or _cache_default(),
            timeout=args.timeout,
            retries=args.retries,
            backoff=args.backoff,
        )
        run({labeller.name: labeller}, splits, errors=False)
    except InputError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    print(f"\nrequests sent: {labeller.requests} (the rest came from the cache)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
