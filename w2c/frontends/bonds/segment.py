"""Cut a trace into steps: paragraphs, with tiny fragments merged and huge ones split.

Paragraphs (blank-line separated) are the unit long-CoT models write in. A fragment shorter than
``min_chars`` is not a step of its own: a short lead-in ("Wait.", "Hmm, hold on:") joins the next
paragraph, whose behaviour it announces; any other short fragment ("So x = 4.") joins the previous
one, whose result it states. A paragraph longer than ``max_chars`` is split at sentence ends (or
at whitespace if it has none). Steps are ``(start, end)`` offsets into the trace's source string,
stripped of surrounding whitespace.

The sentence unit (``--unit sentence``) cuts every paragraph into lines and every line into
sentences, with no merging: human labels and many analyses are per sentence.
"""

from __future__ import annotations

import re

DEFAULT_MIN_CHARS = 40
DEFAULT_MAX_CHARS = 1500

_PARAGRAPH_BREAK = re.compile(r"\n[ \t\r\f\v]*\n\s*")
_SENTENCE_END = re.compile(r"(?<=[.!?])\s+")
_LEAD_IN = re.compile(r"^\W*(?:\w+\W*){1,3}$")
# A sentence ends at . ! or ? (and any closing quotes or brackets) before whitespace, when the
# next sentence does not start in lower case ("e.g. the" and "3.5" are not cut).
_SENTENCE_BREAK = re.compile(r"[.!?]+[\"'\u201d\u2019)\]*_]*(\s+)(?=\S)")
_ABBREVIATION = re.compile(r"\b(?:e\.g|i\.e|etc|vs|cf|approx|resp)\.$", re.I)
_FENCE = "```"
UNITS = ("step", "sentence")


def _paragraphs(source: str, start: int, end: int) -> list[tuple[int, int]]:
    spans = []
    cursor = start
    for match in _PARAGRAPH_BREAK.finditer(source, start, end):
        spans.append((cursor, match.start()))
        cursor = match.end()
    spans.append((cursor, end))
    return [s for s in (_strip(source, a, b) for a, b in spans) if s[1] > s[0]]


def _strip(source: str, start: int, end: int) -> tuple[int, int]:
    while start < end and source[start].isspace():
        start += 1
    while end > start and source[end - 1].isspace():
        end -= 1
    return start, end


def _is_lead_in(text: str) -> bool:
    """A few words with no digits, or anything ending in a colon: it introduces what follows."""
    stripped = text.rstrip()
    return stripped.endswith(":") or (
        bool(_LEAD_IN.match(stripped)) and not any(c.isdigit() for c in stripped)
    )


def _merge_short(
    source: str, spans: list[tuple[int, int]], min_chars: int
) -> list[tuple[int, int]]:
    merged: list[tuple[int, int]] = []
    carry: int | None = None  # start of a lead-in waiting for the next paragraph
    merged_end = 0
    for start, end in spans:
        if carry is not None:
            start, carry = carry, None
        if end - start >= min_chars:
            merged.append((start, end))
        elif _is_lead_in(source[start:end]) or not merged:
            carry = start
            merged_end = end
        else:
            merged[-1] = (merged[-1][0], end)
    if carry is not None:  # a trailing lead-in (or a whole trace shorter than min_chars)
        if merged:
            merged[-1] = (merged[-1][0], merged_end)
        else:
            merged.append((carry, merged_end))
    return merged


def _split_long(source: str, start: int, end: int, max_chars: int) -> list[tuple[int, int]]:
    pieces: list[tuple[int, int]] = []
    while end - start > max_chars:
        limit = start + max_chars
        cut = None
        for match in _SENTENCE_END.finditer(source, start, limit + 1):
            if match.start() > start:
                cut = match
        if cut is None:  # no sentence end: the last whitespace, else a hard cut
            space = source.rfind(" ", start + 1, limit)
            cut_start, cut_end = (space, space + 1) if space > start else (limit, limit)
        else:
            cut_start, cut_end = cut.start(), cut.end()
        pieces.append((start, cut_start))
        start = cut_end
    pieces.append((start, end))
    return pieces


def segment(
    source: str,
    start: int = 0,
    end: int | None = None,
    min_chars: int = DEFAULT_MIN_CHARS,
    max_chars: int = DEFAULT_MAX_CHARS,
) -> list[tuple[int, int]]:
    """Steps of ``source[start:end]`` as (start, end) offsets into ``source``."""
    if min_chars < 0 or max_chars < max(1, min_chars):
        raise ValueError("need 0 <= min_chars <= max_chars and max_chars >= 1")
    end = len(source) if end is None else end
    spans = _merge_short(source, _paragraphs(source, start, end), min_chars)
    steps: list[tuple[int, int]] = []
    for a, b in spans:
        steps.extend(_split_long(source, a, b, max_chars))
    return steps


def _lines(source: str, start: int, end: int) -> list[tuple[int, int]]:
    """Lines of one paragraph; a fenced code block (``` to ```) stays one piece."""
    pieces: list[tuple[int, int]] = []
    cursor, fence_start = start, None
    while cursor < end:
        newline = source.find("\n", cursor, end)
        line_end = end if newline < 0 else newline
        line = source[cursor:line_end].strip()
        if fence_start is not None:
            if line.startswith(_FENCE):
                pieces.append((fence_start, line_end))
                fence_start = None
        elif line.startswith(_FENCE) and line.count(_FENCE) == 1:
            fence_start = cursor
        else:
            pieces.append((cursor, line_end))
        cursor = line_end + 1
    if fence_start is not None:  # an unclosed fence runs to the end of the paragraph
        pieces.append((fence_start, end))
    return [s for s in (_strip(source, a, b) for a, b in pieces) if s[1] > s[0]]


def _sentences(source: str, start: int, end: int) -> list[tuple[int, int]]:
    if source.startswith(_FENCE, start):
        return [(start, end)]
    spans, cursor = [], start
    for match in _SENTENCE_BREAK.finditer(source, start, end):
        if source[match.end()].islower() or _ABBREVIATION.search(source, cursor, match.start(1)):
            continue
        spans.append((cursor, match.start(1)))
        cursor = match.end()
    spans.append((cursor, end))
    return [s for s in (_strip(source, a, b) for a, b in spans) if s[1] > s[0]]


def segment_sentences(
    source: str, start: int = 0, end: int | None = None, max_chars: int = DEFAULT_MAX_CHARS
) -> list[tuple[int, int]]:
    """Sentences of ``source[start:end]`` as (start, end) offsets, paragraph by paragraph.

    Each line is cut at sentence ends; nothing is merged, so "Hmm." is a sentence of its own.
    A sentence longer than `max_chars` is split like a long paragraph.
    """
    if max_chars < 1:
        raise ValueError("need max_chars >= 1")
    end = len(source) if end is None else end
    spans: list[tuple[int, int]] = []
    for a, b in _paragraphs(source, start, end):
        for c, d in _lines(source, a, b):
            for e, f in _sentences(source, c, d):
                spans.extend(_split_long(source, e, f, max_chars))
    return spans
