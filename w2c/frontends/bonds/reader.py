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
from dataclasses import dataclass, field, replace
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

#: What part of a response is analysed (--region) and which assistant turns of a chat (--turns).
REGIONS = ("think", "answer", "all")
TURNS = ("last", "all")

_ASSISTANT_ROLES = {"assistant", "gpt", "model", "bot", "chatbot"}
_REASONING_KEYS = ("reasoning_content", "reasoning", "thinking")
# Where the visible answer sits beside a separate reasoning field: in a chat turn, and at the
# top level of an API dump ({"reasoning_content": ..., "content": ...}).
_TURN_ANSWER_KEYS = ("content", "value", "text")
_TOP_ANSWER_KEYS = ("content", "answer", "response")
# Opening/closing markers of the reasoning block in the formats seen in the wild.
_BLOCKS = (
    ("<think>", "</think>"),
    ("<thinking>", "</thinking>"),
    ("<|begin_of_thought|>", "<|end_of_thought|>"),
)


@dataclass(frozen=True)
class Part:
    """One analysed span of one JSON string: reasoning ("think") or the visible answer."""

    source: str
    start: int
    end: int
    field: str  # where in the JSON object the source string was found
    region: str  # "think" or "answer"
    turn: int | None = None  # index of the chat turn it came from (None outside a chat)

    @property
    def text(self) -> str:
        return self.source[self.start : self.end]


@dataclass(frozen=True)
class Trace:
    """One reasoning trace: the parts of its JSON strings that are analysed, in reading order.

    With the default ``--region think`` a trace has one part, the reasoning; ``source``,
    ``start``, ``end`` and ``field`` are that first part's.
    """

    id: str
    origin: str  # "path:line", for messages
    parts: tuple[Part, ...]

    @property
    def source(self) -> str:
        return self.parts[0].source

    @property
    def start(self) -> int:
        return self.parts[0].start

    @property
    def end(self) -> int:
        return self.parts[0].end

    @property
    def field(self) -> str:
        return self.parts[0].field

    @property
    def text(self) -> str:
        return self.parts[0].text


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


def _think_block(source: str) -> tuple[int, int, int | None]:
    """(start, end) of the reasoning in `source`, and where the answer after it starts.

    The answer start is None when there is no closing tag: an untagged string is all
    reasoning, and a truncated one (opening tag, no closing tag) has no answer yet.
    """
    for opening, closing in _BLOCKS:
        begin = source.find(opening)
        finish = source.find(closing, begin + len(opening) if begin >= 0 else 0)
        if begin >= 0:
            if finish < 0:
                return begin + len(opening), len(source), None
            return begin + len(opening), finish, finish + len(closing)
        if finish >= 0:
            return 0, finish, finish + len(closing)
    return 0, len(source), None


def reasoning_span(source: str) -> tuple[int, int]:
    """The part of `source` that is reasoning: inside a think block if there is one, else all.

    An opening tag without a closing one (a truncated trace) runs to the end; a closing tag
    without an opening one (the chat template put the opening tag in the prompt) starts at 0.
    """
    start, end, _ = _think_block(source)
    return start, end


def _string_parts(source: str, where: str, turn: int | None) -> list[Part]:
    """Reasoning and answer of one string that may hold a think block (answer after it)."""
    start, end, answer = _think_block(source)
    parts = [Part(source, start, end, where, "think", turn)]
    if answer is not None:
        parts.append(Part(source, answer, len(source), where, "answer", turn))
    return parts


def _whole(source: str, where: str, region: str, turn: int | None) -> Part:
    return Part(source, 0, len(source), where, region, turn)


def _reasoning_key(holder: dict[str, Any]) -> str | None:
    """The first non-empty separate reasoning field of a dict (`reasoning_content`, ...)."""
    for key in _REASONING_KEYS:
        value = holder.get(key)
        if isinstance(value, str) and value.strip():
            return key
    return None


def _field_parts(
    holder: dict[str, Any], prefix: str, key: str, answer_keys: Sequence[str], turn: int | None
) -> list[Part]:
    """A separate reasoning field (a think block inside it is honoured) and its sibling answer."""
    value = holder[key]
    start, end, _ = _think_block(value)
    parts = [Part(value, start, end, f"{prefix}{key}", "think", turn)]
    for answer_key in answer_keys:
        answer = holder.get(answer_key)
        if isinstance(answer, str):
            parts.append(_whole(answer, f"{prefix}{answer_key}", "answer", turn))
            break
    return parts


def _block_parts(blocks: list[Any], where: str, turn: int | None) -> list[Part]:
    """Content blocks (``[{"type": "thinking", "thinking": ...}, {"type": "text", ...}]``).

    Beside a thinking block a text block is the answer; without one, a text block is read like
    any string (a think block inside it, else all reasoning).
    """
    typed = [
        (index, block["type"], block[block["type"]])
        for index, block in enumerate(blocks)
        if isinstance(block, dict)
        and block.get("type") in ("thinking", "text")
        and isinstance(block.get(block["type"]), str)
    ]
    thinking = any(kind == "thinking" for _, kind, _ in typed)
    parts = []
    for index, kind, value in typed:
        field = f"{where}[{index}].{kind}"
        if kind == "thinking":
            start, end, _ = _think_block(value)
            parts.append(Part(value, start, end, field, "think", turn))
        elif thinking:
            parts.append(_whole(value, field, "answer", turn))
        else:
            parts.extend(_string_parts(value, field, turn))
    return parts


def _turn_parts(turn: dict[str, Any], where: str, index: int) -> list[Part]:
    """Parts of one assistant turn of a chat list."""
    key = _reasoning_key(turn)
    if key is not None:
        return _field_parts(turn, f"{where}[{index}].", key, _TURN_ANSWER_KEYS, index)
    for key in _TURN_ANSWER_KEYS:
        value = turn.get(key)
        if isinstance(value, str):
            return _string_parts(value, f"{where}[{index}].{key}", index)
        if isinstance(value, list) and key == "content":
            blocks = _block_parts(value, f"{where}[{index}].{key}", index)
            if blocks:
                return blocks
    raise ValueError(f"{where}[{index}] has no string content")


def _chat_parts(turns: list[Any], where: str, all_turns: bool) -> list[Part]:
    """The last assistant turn of a chat list, or every assistant turn in order."""
    chosen = []
    for index, turn in enumerate(turns):
        if isinstance(turn, dict):
            role = str(turn.get("role", turn.get("from", ""))).lower()
            if role in _ASSISTANT_ROLES:
                chosen.append(index)
    if not chosen:
        raise ValueError(f"{where} has no assistant turn")
    if not all_turns:
        return _turn_parts(turns[chosen[-1]], where, chosen[-1])
    parts: list[Part] = []
    for index in chosen:
        try:
            parts.extend(_turn_parts(turns[index], where, index))
        except ValueError:
            continue  # a turn with no text (a tool call, say) contributes nothing
    if not parts:
        raise ValueError(f"{where} has no assistant turn with string content")
    return parts


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


def _candidate(obj: dict[str, Any], field_path: str | None) -> tuple[str, Any, Any]:
    """(name, value, the dict holding it) of the trace field of one JSON object."""
    if field_path is not None:
        head = field_path.rpartition(".")[0]
        try:
            value = _resolve(obj, field_path)
            holder = _resolve(obj, head) if head else obj
        except KeyError:
            raise ValueError(f"no field {field_path!r}") from None
        return field_path, value, holder
    for name in DEFAULT_FIELDS:
        if name in obj:
            return name, obj[name], obj
    raise ValueError(f"no trace field (looked for {', '.join(DEFAULT_FIELDS)}; use --field NAME)")


def extract_parts(
    obj: Any, field_path: str | None, region: str = "think", turns: str = "last"
) -> list[Part]:
    """The analysed parts of one JSON object, in reading order (docs/bonds.md, "Input").

    Raises ValueError with a short reason when the object holds no usable trace.
    """
    if not isinstance(obj, dict):
        raise ValueError("not a JSON object")
    name, value, holder = _candidate(obj, field_path)
    head, _, key = name.rpartition(".")
    if isinstance(value, list):
        parts = _chat_parts(value, name, turns == "all")
    elif isinstance(value, str) and key in _REASONING_KEYS and isinstance(holder, dict):
        prefix = f"{head}." if head else ""
        parts = _field_parts(holder, prefix, key, _TOP_ANSWER_KEYS, None)
    elif isinstance(value, str):
        parts = _string_parts(value, name, None)
    else:
        raise ValueError(f"field {name!r} is a {type(value).__name__}, not a string or chat list")
    kept = [p for p in parts if region in ("all", p.region) and p.text.strip()]
    if not kept:
        where = parts[0].field if parts else name
        if region == "answer":
            raise ValueError(f"no answer after the reasoning in {where}")
        raise ValueError(f"trace in {where} is empty")
    return kept


def extract(obj: Any, field_path: str | None) -> tuple[str, str]:
    """The reasoning string of one JSON object and where it was found (the default region)."""
    part = extract_parts(obj, field_path)[0]
    return part.source, part.field


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


def check_choice(value: Any, flag: str, choices: Sequence[str]) -> str:
    """`value` if it is one of `choices`, else an InputError naming `flag` (exit 2)."""
    if value not in choices:
        raise InputError(f"{flag} must be one of {', '.join(choices)}, not {value!r}")
    return value


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
    region: str = "think",
    turns: str = "last",
) -> ReadResult:
    """Read one JSONL file of traces into `result` (a new one by default)."""
    check_choice(region, "--region", REGIONS)
    check_choice(turns, "--turns", TURNS)
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
            parts = tuple(
                replace(part, source=clean_text(part.source), field=clean_text(part.field))
                for part in extract_parts(obj, field_path, region, turns)
            )
        except ValueError as exc:
            seen_content = True
            if not skip_bad:
                raise InputError(f"{shown}:{number}: {exc} (--skip-bad skips such lines)") from None
            result.skipped.append({"path": shown, "line": number, "reason": clean_text(str(exc))})
            continue
        result.traces.append(
            Trace(
                id=_trace_id(obj.get("id"), f"{clean_text(path.stem)}:{number}"),
                origin=f"{shown}:{number}",
                parts=parts,
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
    region: str = "think",
    turns: str = "last",
) -> ReadResult:
    """Read several JSONL files as one corpus; fails if no trace at all survives."""
    check_choice(region, "--region", REGIONS)
    check_choice(turns, "--turns", TURNS)
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
        read_file(path, field_path, skip_bad, max_line_bytes, result, region, turns)
    if not result.traces:
        raise InputError(f"no usable trace in {', '.join(map(str, paths))}")
    return result
