"""Behaviour labels for steps, and the default offline labeller (cue lexicons + structure).

Every labeller answers one question per trace: given the texts of its steps in order, which
behaviour (D deep reasoning, R self-reflection, E self-exploration, N normal operation) is the
transition *into* each step. Labellers see a whole trace because R ("revisits an earlier step")
and D ("follows from the previous step") are properties of a step relative to earlier ones.

The rule labeller's decision rule mirrors the labelling guide (examples/bonds/LABELLING.md), in
the guide's order R > E > D > N; docs/bonds.md summarises the cues, listed in full below.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Protocol, runtime_checkable

LABELS = ("N", "D", "R", "E")
INDEX = {label: i for i, label in enumerate(LABELS)}
NAMES = {
    "N": "normal operation",
    "D": "deep reasoning",
    "R": "self-reflection",
    "E": "self-exploration",
}


@runtime_checkable
class Labeller(Protocol):
    """Labels the steps of one trace; `name` goes into the report."""

    name: str

    def label_trace(self, steps: Sequence[str]) -> list[str]:
        """One label from LABELS per step, in order."""
        ...


def label_steps(labeller: Labeller, steps: Sequence[str], regions: Sequence[str]) -> list[str]:
    """One trace's labels; a labeller that declares ``uses_regions`` also gets each step's
    region ("think" or "answer"), so it can tell the visible answer from the reasoning."""
    if getattr(labeller, "uses_regions", False):
        return list(labeller.label_trace(steps, regions=regions))  # type: ignore[call-arg]
    return list(labeller.label_trace(steps))


def _cues(*alternatives: str) -> re.Pattern[str]:
    """A case-insensitive pattern matching any cue at a word boundary."""
    return re.compile(r"(?:" + "|".join(alternatives) + r")", re.I | re.X)


HEAD_CHARS = 60  # cues that announce a step's behaviour sit at its start

# R: the step turns back to check, doubt, confirm or correct something earlier.
R_HEAD = _cues(
    r"\bwait\b",
    r"\bhold\s+on\b",
    r"\bhang\s+on\b",
    r"\bhmm+\b",
    r"\boops\b",
    r"\bactually\b",
    r"\bon\s+second\s+thought",
    r"\blet(?:\s+me|'s|\s+us)\s+(?:double[- ]?check|check|verify|re-?check|re-?read|re-?examine"
    r"|recount|re-?do|re-?compute|re-?calculate|confirm|make\s+sure|sanity[- ]?check|trace"
    r"|look\s+again|reconsider|test\s+(?:it|this|that))",
    r"\b(?:double|cross|sanity)[- ]?check",
    r"^\W*(?:re-?)?check(?:ing)?\b",
    r"^\W*(?:to\s+)?(?:verify|verifying|verification|confirm|confirming)\b",
    r"\bre-?(?:checking|reading|running|computing|counting)\b",
    r"\bdid\s+i\b",
    r"\bam\s+i\s+sure\b",
    r"\bis\s+(?:that|this|it)\s+(?:really\s+)?(?:right|correct|true|valid|legal|plausible)",
    r"\bi\s+(?:made|have\s+made)\s+(?:a|an)\s+(?:mistake|error)",
    r"\bthat(?:'s|\s+is|\s+was)\s+(?:wrong|not\s+right|incorrect|a\s+mistake)",
    r"\b(?:going|looking)\s+back\b",
    r"^\W*but\s+(?:that|this|it|wait)\b",
    r"\b(?:count|compute|calculate|check|read|do|redo)\s+(?:it\s+|that\s+)?again\b",
    r"\b(?:deserves|needs|worth)\s+(?:a\s+)?(?:check|checking|verif)",
    r"\bshould\s+(?:double-?)?check\b",
    r"\btoo\s+(?:loose|slow|strict|weak|broad|narrow|optimistic)\b",
    r"\b(?:doesn't|does\s+not|won't|will\s+not)\s+(?:work|hold)\b",
    r"\bcan't\s+be\s+right\b",
    r"^\W*no\b,",
    r"^\W*edge\s+cases?\b",
)
# R also when the step reports the outcome of a check on something already in the trace.
R_OUTCOME = _cues(
    r"\bchecks\s+out\b",
    r"\bconsistent\b",
    r"\bsame\s+(?:answer|result|value)\b",
    r"\b(?:that|this|it|which)\s+(?:matches|agrees)\b",
    r"\bmatches\b",
    r"\bagrees\s+with\b",
    r"(?:^|[.!?:]\s+)(?:yes|correct|good)\s*[.!,]",
)
# E: the step opens a new branch (method, hypothesis, case, probe).
E_HEAD = _cues(
    r"\balternative(?:ly)?\b",
    r"\banother\s+(?:way|approach|idea|option|method|route|angle|possibility|thought|strategy)",
    r"\ba\s+different\s+(?:way|approach|idea|method|strategy)",
    r"\bwhat\s+(?:if|about)\b",
    r"\bhow\s+about\b",
    r"\bmaybe\b",
    r"\bperhaps\b",
    r"^\W*or\b",
    r"\b(?:let\s+me|let's|let\s+us|i'll|i\s+(?:could|can|might)|we\s+(?:could|can|might)"
    r"|could\s+(?:i|we))\s+(?:try|test|consider|guess|instead)",
    r"^\W*(?:try|trying|suppose|consider|imagine|guess)\b",
    r"\bsuppose\b",
    r"^\W*case\s+\d",
    r"\b(?:might|could|may)\s+work\b",
    r"\bworth\s+trying\b",
    r"\b(?:first|second|third|next|other|last)\s+case\b",
    r"\bi\s+wonder\b",
    r"\bon\s+the\s+other\s+hand\b",
    r"^\W*instead\b",
    r"^\W*could\s+(?:it|this|that|i|we)\b",
    r"\bone\s+(?:route|option|way|idea|approach)\s+is\b",
)
# D: the step draws a consequence from what came just before.
D_HEAD = _cues(
    r"^\W*so\b",
    r"\btherefore\b",
    r"\bthus\b",
    r"\bhence\b",
    r"^\W*(?:but\s+)?then\b",
    r"\bwhich\s+(?:means|implies|gives|leaves|shows)\b",
    r"\b(?:this|that|it)\s+(?:means|implies|gives|shows|leaves|follows)\b",
    r"\bit\s+follows\b",
    r"^\W*(?:since|because|as\s+a\s+result|consequently)\b",
    r"^\W*(?:substituting|plugging|squaring|multiplying|dividing|adding|subtracting|solving"
    r"|factoring|factor|expanding|simplifying|combining|cube|square|differentiating)\b",
    r"^\W*(?:from|with|using|applying|by)\s+(?:this|that|these|the|it)\b",
)
# D anywhere: an inference connective inside the step.
D_BODY = _cues(
    r",\s*so\b",
    r"\bso\s+(?:the|we|it|this|that|there)\b",
    r"\btherefore\b",
    r"\bhence\b",
    r"\bwhich\s+(?:means|implies|gives)\b",
    r"\bthis\s+(?:means|implies)\b",
    r"\bimplies\b",
    r"\bmeans\b",
    r"\bmust\b",
)
# N: restating the problem, planning, bookkeeping, giving the final answer.
N_HEAD = _cues(
    r"^\W*(?:so\s+|thus\s+|therefore\s+)?(?:the\s+)?(?:final\s+)?answer\b",
    r"^\W*final\b",
    r"^\W*(?:in\s+)?(?:summary|conclusion)\b",
    r"^\W*(?:so\s+)?the\s+(?:question|problem|task)\b",
    r"^\W*(?:recommendation|decision|strategy|conclusion)\s*:",
    r"^\W*(?:i|we)\s+(?:need|want|have)\s+to\b",
    r"^\W*(?:given|let\s+\w+\s+be)\b",
    r"^\W*(?:first|to\s+start|to\s+begin)\b",
)

_NUMBER = re.compile(r"\d+(?:\.\d+)?")
_ENUMERATION = re.compile(r"^\W*(?:step\s+)?\d+\s*[.):]\s", re.I)  # "Step 3:" is not content
_WORD = re.compile(r"[a-z][a-z']{3,}")
_STOPWORDS = frozenset(
    "that this with from have then than there their they them what when which while would "
    "could should must also into only just like some each every been were will about more "
    "most other such very does done here where these those your first second next last".split()
)


def content(text: str) -> tuple[set[str], set[str]]:
    """Numbers and content words of a step: what a later step can refer back to."""
    words = {w for w in _WORD.findall(text.lower()) if w not in _STOPWORDS}
    return set(_NUMBER.findall(_ENUMERATION.sub("", text, count=1))), words


class RuleLabeller:
    """Default offline labeller: cue lexicons at the step's start, plus structural checks.

    Decision rule, first match wins (the guide's order):
    1. first step: E if it opens with an exploration cue, else N;
    2. R if an R cue opens the step, or the step reports a check outcome ("checks out",
       "consistent", "same answer") about numbers that already appeared earlier;
    3. E if an exploration cue opens the step;
    4. N if the step is a restatement/plan/answer line, or the trace's last step, and it
       introduces no new number (it restates what was derived);
    5. D if an inference cue opens the step, or an inference connective occurs inside a step
       that shares a number or content word with the previous step;
    6. otherwise N.
    """

    name = "rules/1"

    def label_trace(self, steps: Sequence[str]) -> list[str]:
        labels: list[str] = []
        seen: set[str] = set()
        previous: tuple[set[str], set[str]] = (set(), set())
        last = len(steps) - 1
        for index, text in enumerate(steps):
            numbers, words = content(text)
            shares_previous = bool(numbers & previous[0] or words & previous[1])
            labels.append(self._label(index, index == last, text, numbers, seen, shares_previous))
            seen |= numbers
            previous = (numbers, words)
        return labels

    @staticmethod
    def _label(
        index: int,
        is_last: bool,
        text: str,
        numbers: set[str],
        seen: set[str],
        shares_previous: bool,
    ) -> str:
        head = text[:HEAD_CHARS]
        if index == 0:
            return "E" if E_HEAD.search(head) else "N"
        if R_HEAD.search(head) or (R_OUTCOME.search(text) and numbers & seen):
            return "R"
        if E_HEAD.search(head):
            return "E"
        if (N_HEAD.search(head) or is_last) and not numbers - seen:
            return "N"
        if D_HEAD.search(head) or (D_BODY.search(text) and shares_previous):
            return "D"
        return "N"
