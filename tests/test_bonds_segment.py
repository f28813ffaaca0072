"""Segmentation into steps: paragraphs, merging tiny fragments, splitting huge ones."""

from __future__ import annotations

import pytest

from w2c.frontends.bonds.segment import segment

LONG = "This paragraph is long enough to stand as a step on its own."


def texts(source: str, **kwargs) -> list[str]:
    return [source[a:b] for a, b in segment(source, **kwargs)]


def test_paragraphs_are_steps_with_stripped_offsets() -> None:
    source = f"\n  {LONG}  \n\n\n{LONG.upper()}\n"
    steps = segment(source)
    assert [source[a:b] for a, b in steps] == [LONG, LONG.upper()]
    assert steps[0][0] == 3


def test_short_lead_in_joins_next_and_short_result_joins_previous() -> None:
    source = f"Wait.\n\n{LONG}\n\nSo x = 4.\n\n{LONG}"
    assert texts(source) == [f"Wait.\n\n{LONG}\n\nSo x = 4.", LONG]
    colon = f"{LONG}\n\nCode:\n\n{LONG}"
    assert texts(colon) == [LONG, f"Code:\n\n{LONG}"]


def test_trailing_lead_in_and_tiny_trace() -> None:
    assert texts(f"{LONG}\n\nHmm.") == [f"{LONG}\n\nHmm."]
    assert texts("Just this.") == ["Just this."]
    assert segment("   ") == []


def test_huge_paragraph_splits_at_sentence_ends_within_the_limit() -> None:
    sentence = "Sentence number one is right here. "
    source = sentence * 20
    steps = segment(source, max_chars=100)
    assert all(b - a <= 100 for a, b in steps)
    assert all(source[a:b].endswith(".") for a, b in steps)
    assert " ".join(source[a:b] for a, b in steps) == source.strip()
    nospace = "x" * 250
    assert [b - a for a, b in segment(nospace, max_chars=100)] == [100, 100, 50]


def test_region_limits_and_bad_parameters() -> None:
    source = f"<think>{LONG}</think>{LONG}"
    start = len("<think>")
    assert segment(source, start, start + len(LONG)) == [(start, start + len(LONG))]
    with pytest.raises(ValueError):
        segment(source, min_chars=50, max_chars=10)
