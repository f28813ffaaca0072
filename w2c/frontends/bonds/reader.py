"""Read reasoning traces from JSONL in the common shapes, keeping offsets into the source string.

A trace's *source* is the one JSON string that holds it (a ``reasoning`` field, the assistant
message's ``content``, ...). All offsets w2c reports are Python string indices into that string,
so a label can always be shown against the user's own text, also when the reasoning sits inside
a ``<think>`` block. Bad lines raise :class:`InputError` with their line number, or are counted
and skipped when the caller asks for it.
"""

from __future__ import annotations

import json
import re
import stat
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from w2c.errors import InputError
from w2c.limits import check_memory

#: Fields tried, in order, when ``--field`` is not given.
DEFAULT_FIELDS = ("reasoning_content", "reasoning", "thinking", "text", "messages", "conversations")
#: A line longer than this is refused (or skipped): JSONL traces are kilobytes, not gigabytes.
DEFAULT_MAX_LINE_BYTES = 16 * 1024 * 1024
#: Bytes of memory one accepted line may take while it is read and parsed (the raw bytes, the
#: decoded line and the parsed strings, each up to 4 bytes per character): checked against the
#: memory budget for --max-line-bytes before anything is read.
LINE_MEMORY_FACTOR = 12
#: Bytes of memory per byte of input held for the whole run (each trace's source string).
CORPUS_MEMORY_FACTOR = 4

_SURROGATE = re.compile("[\ud800-\udfff]")

_ASSISTANT_ROLES = {"assistant", "gpt", "model", "bot", "chatbot"}
_REASONING_KEYS = ("reasoning_content", "reasoning", "thinking")
# Opening/closing markers of the reasoning block in the formats seen in the wild.
_BLOCKS = (
    ("<think>", "</think>"),
    ("<thinking>", "</thinking>"),
    ("<|begin_of_thought|>", "<|end_of_thought|>"),
)


@dataclass(frozen=True)
class Trace:
    """One reasoning trace: its source string and the span of it that holds the reasoning."""

    id: str
    source: str
    start: int
    end: int
    origin: str  # "path:line", for messages
    field: str  # where in the JSON object the source string was found

    @property
    def text(self) -> str:
        return self.source[self.start : self.end]


@dataclass
class ReadResult:
    """Traces read from one or more files, plus what was skipped and why."""

    traces: list[Trace] = field(default_factory=list)
    skipped: list[dict[str, Any]] = field(default_factory=list)
    files: list[dict[str, Any]] = field(default_factory=list)
    paths: list[Path] = field(default_factory=list)  # the files as given (outputs must differ)


def clean_text(text: str) -> str:
    """`text` with every lone surrogate replaced by U+FFFD, one code point for one.

    JSON's ``\\ud800`` escapes (and undecodable file names) give Python strings that UTF-8
    cannot encode; replacing each such code point by U+FFFD keeps every offset unchanged.
    """
    return _SURROGATE.sub("\ufffd", text)


def reasoning_span(source: str) -> tuple[int, int]:
    """The part of `source` that is reasoning: inside a think block if there is one, else all.

    An opening tag without a closing one (a truncated trace) runs to the end; a closing tag
    without an opening one (the chat template put the opening tag in the prompt) starts at 0.
    """
    for opening, closing in _BLOCKS:
        begin = source.find(opening)
        finish = source.find(closing, begin + len(opening) if begin >= 0 else 0)
        if begin >= 0:
            return begin + len(opening), finish if finish >= 0 else len(source)
        if finish >= 0:
            return 0, finish
    return 0, len(source)


def _pick_turn(turns: list[Any], where: str) -> tuple[str, str]:
    """The last assistant turn of a chat list: its reasoning field if present, else its content."""
    for index in range(len(turns) - 1, -1, -1):
        turn = turns[index]
        if not isinstance(turn, dict):
            continue
        role = str(turn.get("role", turn.get("from", ""))).lower()
        if role not in _ASSISTANT_ROLES:
            continue
        for key in _REASONING_KEYS:
            if isinstance(turn.get(key), str) and turn[key].strip():
                return turn[key], f"{where}[{index}].{key}"
        for key in ("content", "value", "text"):
            if isinstance(turn.get(key), str):
                return turn[key], f"{where}[{index}].{key}"
        raise ValueError(f"{where}[{index}] has no string content")
    raise ValueError(f"{where} has no assistant turn")


def _resolve(obj: Any, path: str) -> Any:
    """Follow a dotted path (``a.b.0.c``; negative list indices allowed) through `obj`."""
    current = obj
    for part in path.split("."):
        if isinstance(current, dict) and part in current:
            current = current[part]
        elif isinstance(current, list) and re.fullmatch(r"-?\d+", part):
            try:
                current = current[int(part)]
            except IndexError:
                raise KeyError(path) from None
        else:
            raise KeyError(path)
    return current


def extract(obj: Any, field_path: str | None) -> tuple[str, str]:
    """The trace string of one JSON object and a description of where it was found.

    Raises ValueError with a short reason when the object holds no usable trace.
    """
    if not isinstance(obj, dict):
        raise ValueError("not a JSON object")
    if field_path is not None:
        try:
            value = _resolve(obj, field_path)
        except KeyError:
            raise ValueError(f"no field {field_path!r}") from None
        candidates = [(field_path, value)]
    else:
        candidates = [(name, obj[name]) for name in DEFAULT_FIELDS if name in obj]
        if not candidates:
            raise ValueError(
                f"no trace field (looked for {', '.join(DEFAULT_FIELDS)}; use --field NAME)"
            )
    name, value = candidates[0]
    if isinstance(value, list):
        return _pick_turn(value, name)
    if isinstance(value, str):
        return value, name
    raise ValueError(f"field {name!r} is a {type(value).__name__}, not a string or chat list")


def _lines(path: Path, max_line_bytes: int) -> Iterator[tuple[int, bytes | None]]:
    """(line number, raw line) pairs; raw is None for a line over the size limit."""
    with path.open("rb") as handle:
        number = 0
        while True:
            raw = handle.readline(max_line_bytes + 1)
            if not raw:
                return
            number += 1
            if len(raw) > max_line_bytes and not raw.endswith(b"\n"):
                while True:  # drain the rest of the oversized line without holding it
                    rest = handle.readline(1 << 20)
                    if not rest or rest.endswith(b"\n"):
                        break
                yield number, None
                continue
            yield number, raw


def regular_file(path: Path, what: str) -> int:
    """The size of `path`, an existing regular file (a FIFO or device would block or never end)."""
    shown = clean_text(str(path))
    try:
        info = path.stat()
    except FileNotFoundError:
        raise InputError(f"{what} not found: {shown}") from None
    except OSError as exc:
        raise InputError(f"cannot read {what} {shown}: {exc.strerror}") from None
    if stat.S_ISDIR(info.st_mode):
        raise InputError(f"{what} is a folder, not a file: {shown}")
    if not stat.S_ISREG(info.st_mode):
        raise InputError(f"{what} is not a regular file (FIFO, device or socket): {shown}")
    return info.st_size


def _check_file(path: Path) -> None:
    regular_file(path, "trace file")
    try:
        with path.open("rb") as handle:
            head = handle.read(8192)
    except OSError as exc:
        raise InputError(
            f"cannot read trace file {clean_text(str(path))}: {exc.strerror}"
        ) from None
    if b"\x00" in head:
        raise InputError(f"{clean_text(str(path))} is a binary file, not JSONL text")


def parse_json(text: str) -> Any:
    """json.loads that reports nesting too deep for the parser as a ValueError, like bad JSON."""
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise ValueError(f"not JSON ({exc.msg})") from None
    except RecursionError:
        raise ValueError("not JSON it can parse (nested too deeply)") from None
    except ValueError:  # Python refuses integers of more than 4300 digits
        raise ValueError("not JSON it can parse (a number with too many digits)") from None


def _trace_id(value: Any, default: str) -> str:
    """A line's `id` (a string or an integer, not a bool), else `default`."""
    if isinstance(value, str):
        return clean_text(value)
    if isinstance(value, int) and not isinstance(value, bool):
        return str(value)  # json refuses integers too long to print, so this cannot fail
    return default


def check_line_limit(max_line_bytes: int) -> None:
    """--max-line-bytes must be positive and its worst-case line must fit the memory budget."""
    if isinstance(max_line_bytes, bool) or not isinstance(max_line_bytes, int):
        raise InputError("--max-line-bytes must be an integer")
    if max_line_bytes < 1:
        raise InputError("--max-line-bytes must be >= 1")
    check_memory(
        float(max_line_bytes) * LINE_MEMORY_FACTOR,
        f"a JSONL line of --max-line-bytes {max_line_bytes}",
    )


def read_file(
    path: str | Path,
    field_path: str | None = None,
    skip_bad: bool = False,
    max_line_bytes: int = DEFAULT_MAX_LINE_BYTES,
    result: ReadResult | None = None,
) -> ReadResult:
    """Read one JSONL file of traces into `result` (a new one by default)."""
    path = Path(path)
    shown = clean_text(str(path))
    result = result if result is not None else ReadResult()
    check_line_limit(max_line_bytes)
    _check_file(path)
    before_traces, before_skipped = len(result.traces), len(result.skipped)
    seen_content = False
    for number, raw in _lines(path, max_line_bytes):
        try:
            if raw is None:
                raise ValueError(f"line longer than {max_line_bytes} bytes")
            try:
                line = raw.decode("utf-8")
            except UnicodeDecodeError:
                raise ValueError("not UTF-8 text") from None
            if number == 1:
                line = line.removeprefix("\ufeff")  # a byte-order mark some editors write
            if not line.strip():
                continue
            seen_content = True
            obj = parse_json(line)
            source, where = extract(obj, field_path)
            source, where = clean_text(source), clean_text(where)
            start, end = reasoning_span(source)
            if not source[start:end].strip():
                raise ValueError(f"trace in {where} is empty")
        except ValueError as exc:
            seen_content = True
            if not skip_bad:
                raise InputError(f"{shown}:{number}: {exc} (--skip-bad skips such lines)") from None
            result.skipped.append({"path": shown, "line": number, "reason": clean_text(str(exc))})
            continue
        result.traces.append(
            Trace(
                id=_trace_id(obj.get("id"), f"{clean_text(path.stem)}:{number}"),
                source=source,
                start=start,
                end=end,
                origin=f"{shown}:{number}",
                field=where,
            )
        )
    if not seen_content:
        raise InputError(f"{shown} is empty (no JSONL lines)")
    count = len(result.traces) - before_traces
    skipped = len(result.skipped) - before_skipped
    result.files.append({"path": shown, "traces": count, "skipped": skipped})
    result.paths.append(path)
    return result


def read_traces(
    paths: Sequence[str | Path],
    field_path: str | None = None,
    skip_bad: bool = False,
    max_line_bytes: int = DEFAULT_MAX_LINE_BYTES,
) -> ReadResult:
    """Read several JSONL files as one corpus; fails if no trace at all survives."""
    if not paths:
        raise InputError("no trace file given")
    check_line_limit(max_line_bytes)
    sizes = []
    for path in paths:
        sizes.append(regular_file(Path(path), "trace file"))
    check_memory(
        float(sum(sizes)) * CORPUS_MEMORY_FACTOR,
        f"the trace files' {sum(sizes)} bytes (a corpus is held in memory)",
    )
    result = ReadResult()
    for path in paths:
        read_file(path, field_path, skip_bad, max_line_bytes, result)
    if not result.traces:
        raise InputError(f"no usable trace in {', '.join(map(str, paths))}")
    return result
