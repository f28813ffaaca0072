"""The default offline labeller (``rules/2``): per-step cue evidence, decoded as episodes.

Real long-CoT output writes one short sentence per paragraph, so a verification ("Let me
verify.") is followed by plain arithmetic that, read alone, looks like routine work, and an
exploration runs over several tentative steps. This labeller scores every step for every label
from its cues (the *evidence*), then picks the label sequence with the highest total score under
FIXED transition scores that reward staying inside a verification or exploration episode
(a Viterbi decoder). An episode therefore keeps its label until a step with its own clear cue
(a new derivation "So ...", a plan "I'll ...", another check or branch) outscores the bonus.

The constants below come from the labelling guide (benchmarks/bonds/gold2/GUIDE.md) and were set
on the dev splits of the gold sets only; they are never fitted to the corpus being analysed, so
the decoder cannot manufacture the transition matrix the tool reports. ``decoder=False`` takes
each step's best label alone (the same evidence, no transitions), so a report can show P(b'|b)
without the decoder too. The decision rule is documented in docs/bonds.md ("Labelling").
"""

from __future__ import annotations

import re
from collections.abc import Sequence

import numpy as np

from w2c.frontends.bonds.labels import INDEX, LABELS, content

HEAD_CHARS = 80  # cues that announce a step's behaviour sit at its start

# Evidence scores (the guide's cue classes; per label the highest matching score counts).
STRONG = 3.0  # an explicit check cue ("let me verify", "double-check")
OUTCOME = 2.5  # a comparison with earlier work ("same answer", "matches", "✓")
VERDICT = 1.4  # a bare verdict ("Yes.", "Good.") at the step's start or end: R after routine
# work, but not enough to end an exploration (a probe's "Yes, that works." stays E)
BRANCH = 2.5  # an exploration cue ("maybe", "alternatively", "what if")
WEAK_R = 1.5  # "wait", "hmm", "actually": doubt, unless a stronger cue says otherwise
HEAD = 2.0  # an inference ("so", "therefore") opens the step
PLAN = 2.2  # a plan, restatement or answer cue opens the step ("So the answer is" is not D)
BODY = 1.2  # an inference connective inside a step that shares content with the previous one
BODY_LONG = 1.6  # the same in a paragraph of LONG or more characters: a move of its own
LONG = 120
BASE = 0.5  # no cue: routine work (N), or the continuation of the current R or E episode
NO_CUE = float("-inf")  # D without an inference cue; R or E cannot START without a cue
# Staying in a verification or exploration episode: a step without a cue of its own leaves the
# episode only when its evidence for another label beats BASE + SWITCH = 1.5: an opening
# inference, plan or answer (2.0) or another episode's cue does, an inference inside a step
# (1.2) or plain arithmetic (0.5) does not (the guide: an episode continues until a step
# clearly starts a different one).
SWITCH = 1.0
EPISODES = ("R", "E")


def _cues(*alternatives: str) -> re.Pattern[str]:
    """Cues matched against lower-cased text (faster than re.I; the cues are lower case)."""
    return re.compile(r"(?:" + "|".join(alternatives) + r")", re.X)


R_STRONG = _cues(
    r"\blet(?:\s+me|'s|\s+us)\s+(?:also\s+|just\s+|quickly\s+)?(?:double[- ]?check|check"
    r"|verify|re-?check|re-?read|re-?examine|recount|re-?do|re-?compute|re-?calculate|confirm"
    r"|make\s+sure|sanity[- ]?check|test|trace|look\s+again|reconsider|plug|see\s+if|be\s+sure)",
    r"\b(?:double|cross|sanity)[- ]?check",
    r"^\W*(?:re-?)?check(?:ing)?\b",
    r"^\W*(?:to\s+)?(?:verify|verifying|verification|confirm|confirming|quick\s+check)\b",
    r"\bre-?(?:checking|reading|running|computing|counting)\b",
    r"\bto\s+be\s+(?:sure|safe)\b",
    r"\bdid\s+i\b",
    r"\bam\s+i\s+sure\b",
    r"\bis\s+(?:that|this|it)\s+(?:really\s+)?(?:right|correct|true|valid)",
    r"\b(?:does|do)\s+(?:this|that|it|they)\s+(?:satisfy|hold|check)",
    r"\bi\s+(?:made|have\s+made)\s+(?:a|an)\s+(?:mistake|error)",
    r"\bthat(?:'s|\s+is|\s+was)\s+(?:wrong|not\s+right|incorrect|a\s+mistake|strange|odd)",
    r"\b(?:going|looking)\s+back\b",
    r"\bplug(?:ging)?\s+(?:it|them|this|that|these|the\s+\w+)\s+(?:back\s+)?in",
    r"\bback\s+in(?:to)?\b",
    r"\b(?:compute|calculate|check|read|do|redo)\s+(?:it\s+|that\s+)?again\b",
    r"\bshould\s+(?:double-?)?check\b",
    r"\bcan't\s+be\s+right\b",
    r"\bsanity\b",
    r"\bchecks\s+out\b",
)
R_WEAK = _cues(
    r"^\W*(?:but\s+)?wait\b",
    r"^\W*(?:hmm+|hm)\b",
    r"\bhold\s+on\b",
    r"\bhang\s+on\b",
    r"^\W*(?:oh|oops)\b",
    r"^\W*actually\b",
    r"\bon\s+second\s+thought",
    r"^\W*but\s+(?:that|this|it|wait|the\s+problem)\b",
    r"^\W*no\b,",
)
R_OUTCOME = _cues(
    r"\bchecks\s+out\b",
    r"\bconsistent\b",
    r"\bsame\s+(?:answer|result|value)\b",
    r"^\W*same\b",
    r"\b(?:that|this|it|which)\s+(?:matches|agrees)\b",
    r"\bmatches\b",
    r"\bagrees\s+with\b",
    r"\badds\s+up\b",
    r"\bboth\s+(?:good|hold|work)\b",
    r"\u2713",
)
R_VERDICT = _cues(r"(?:^|[.!?:;]\s+|\s)(?:yes|correct|good|fine|right)\s*[.!,]")
VERDICT_TAIL = 40  # a verdict sits at the start (HEAD_CHARS) or in the last characters
E_STRONG = _cues(
    r"\balternative(?:ly)?\b",
    r"^\W*alt\b",
    r"\banother\s+(?:way|approach|idea|option|method|route|angle|possibility|thought|strategy)",
    r"\ba\s+different\s+(?:way|approach|idea|method|strategy|reading)",
    r"\b(?:slicker|simpler|quicker|faster|better|cleaner)\s+(?:way|approach|method)",
    r"\bwhat\s+(?:if|about)\b",
    r"\bhow\s+about\b",
    r"\bmaybe\b",
    r"\bperhaps\b",
    r"^\W*or\b",
    r"\b(?:let\s+me|let's|let\s+us|i'll|i\s+(?:could|can|might)|we\s+(?:could|can|might)"
    r"|could\s+(?:i|we))\s+(?:also\s+|just\s+)?(?:try|consider|guess|instead|think\s+of)",
    r"\bi\s+could\s+(?:also\s+)?(?:use|mention|have)\b",
    r"\bshould\s+i\s+(?:also\s+)?\w+",
    r"^\W*(?:try|trying|suppose|consider|considering|imagine|guess|testing)\b",
    r"\bsuppose\b",
    r"^\W*case\s+\d",
    r"\b(?:might|could|may)\s+(?:work|be\s+worth)\b",
    r"\bworth\s+(?:trying|considering|mentioning)\b",
    r"\bi\s+wonder\b",
    r"\bon\s+the\s+other\s+hand\b",
    r"^\W*instead\b",
    r"^\W*could\s+(?:it|this|that|i|we|there)\b",
    r"\bmy\s+first\s+(?:instinct|guess)\b",
    r"\bwhat\s+(?:happens|would)\b",
    r"\bthere\s+might\s+be\b",
)
D_HEAD = _cues(
    r"^\W*(?:right,\s+)?so\b",
    r"\btherefore\b",
    r"\bthus\b",
    r"\bhence\b",
    r"^\W*(?:but\s+|and\s+)?then\b",
    r"\bwhich\s+(?:means|implies|gives|leaves|shows)\b",
    r"\b(?:this|that|it)\s+(?:means|implies|shows|leaves|follows)\b",
    r"\bit\s+follows\b",
    r"^\W*(?:since|because|as\s+a\s+result|consequently|that's\s+because)\b",
    r"^\W*(?:substituting|plugging|squaring|multiplying|dividing|adding|subtracting|setting"
    r"|solving|factoring|expanding|simplifying|combining|differentiating)\b",
    r"^\W*(?:from|with|using|applying|by)\s+(?:this|that|these|the|it)\b",
    r"^\W*\*\*(?:drawing|combining|counting|solving|concluding|deriving)\b",
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
    r"\b(?:gives|giving|yields)\b",
)
N_HEAD = _cues(
    r"^\W*(?:so\s+|thus\s+|therefore\s+)?(?:the\s+)?(?:final\s+)?answer\b",
    r"^\W*so\s+(?:the\s+answer|there\s+are|they|we\s+have|far)\b",
    r"^\W*final\b",
    r"^\W*(?:in\s+)?(?:summary|conclusion)\b",
    r"^\W*\*\*(?:summar|understand|setting|mapping|restat)",
    r"^\W*(?:so\s+)?the\s+(?:question|problem|task|user)\b",
    r"^\W*(?:i|we)\s+(?:need|want|have)\s+to\b",
    r"^\W*(?:given|let\s+\w+\s+be|let\s+the)\b",
    r"^\W*(?:first|to\s+start|to\s+begin)\b",
    r"^\W*(?:okay|ok|alright|all\s+right)\b",
    r"^\W*anyway\b",
    r"\bi'll\s+(?:use|go|do|just|give|explain|write|start|aim)\b",
    r"\blet(?:'s|\s+me|\s+us)\s+(?:set|start|begin|break|list|look|write|see|use|do)\b",
    r"\b(?:the\s+)?(?:usual|standard|simplest|obvious)\s+(?:fix|plan|approach|way)\b",
    r"^\W*(?:code|fix)\s*:",
    r"^\W*(?:going|let's\s+go|i'll\s+go)\s+with\b",
)
_NEW_CHECK_IN_ANSWER = _cues(
    r"^\W*\(?\s*(?:quick\s+)?(?:check|verification|verify|sanity)\b",
    r"\u2713",
    r"\bchecks\s+out\b",
    r"\bconfirms?\b",
    r"\bfails\b",
    r"\bwere\s+checked\b",
)


def evidence(steps: Sequence[str], regions: Sequence[str] | None = None) -> np.ndarray:
    """steps x 4 scores (LABELS order) from each step's own cues; -inf marks a label the step
    cannot start (D without an inference cue, R or E without a cue of their own)."""
    scores = np.zeros((len(steps), len(LABELS)))
    seen: set[str] = set()
    previous: tuple[set[str], set[str]] = (set(), set())
    for t, text in enumerate(steps):
        numbers, words = content(text)
        low = text.lower()
        head = low[:HEAD_CHARS]
        region = regions[t] if regions is not None else "think"
        shares = bool(numbers & previous[0] or words & previous[1])
        r = max(
            STRONG if R_STRONG.search(head) else NO_CUE,
            OUTCOME if R_OUTCOME.search(low) and (numbers & seen or len(text) < 60) else NO_CUE,
            VERDICT if R_VERDICT.search(head) or R_VERDICT.search(low[-VERDICT_TAIL:]) else NO_CUE,
            WEAK_R if R_WEAK.search(head) else NO_CUE,
        )
        e = BRANCH if E_STRONG.search(head) else NO_CUE
        body = BODY_LONG if len(text) >= LONG else BODY
        d = HEAD if D_HEAD.search(head) else body if D_BODY.search(low) and shares else NO_CUE
        n = PLAN if N_HEAD.search(head) else BASE
        last = t == len(steps) - 1 or (regions is not None and regions[t + 1] != region)
        if last and not numbers - seen:
            n = PLAN  # the region's last step restates what was derived (the answer)
        if region == "answer":  # the answer restates the work (guide, decision 6)
            n, d, e = max(n, d), NO_CUE, NO_CUE
            first = regions is not None and (t == 0 or regions[t - 1] != "answer")
            r = STRONG if _NEW_CHECK_IN_ANSWER.search(head) and not first else NO_CUE
        if t == 0:
            r = NO_CUE  # nothing earlier to turn back to
        scores[t] = [n, d, r, e]
        seen |= numbers
        previous = (numbers, words)
    return scores


#: Order of preference when two labels score the same for one step (the guide's question order).
_PREFERENCE = [INDEX[b] for b in ("R", "E", "D", "N")]


def _best(row: np.ndarray, exclude: int | None = None) -> int:
    return max((i for i in _PREFERENCE if i != exclude), key=lambda i: row[i])


def local(scores: np.ndarray) -> list[int]:
    """Each step's best label alone (``--decoder off``), ties broken R > E > D > N."""
    return [_best(row) for row in scores]


def decode(scores: np.ndarray, regions: Sequence[str] | None = None) -> list[int]:
    """Left to right: a step inside a verification or exploration episode keeps its label
    unless it brings its own evidence (see docs/bonds.md, "Labelling").

    While the previous step is R or E (in the same region), a step with a cue for that label is
    labelled by its evidence alone; a step without one continues the episode (score BASE plus
    the SWITCH bonus) unless another label's evidence reaches that.
    """
    path: list[int] = []
    for t, row in enumerate(scores):
        label = _best(row)
        if path and LABELS[path[-1]] in EPISODES:
            state = path[-1]
            same_region = regions is None or regions[t] == regions[t - 1]
            if same_region and row[state] == NO_CUE:
                other = _best(row, exclude=state)
                label = other if row[other] >= BASE + SWITCH else state
        path.append(label)
    return path


class EpisodeLabeller:
    """Cue evidence per step, decoded into episodes with fixed transition scores (``rules/2``)."""

    uses_regions = True

    def __init__(self, decoder: bool = True) -> None:
        self.decoder = decoder
        self.name = "rules/2" if decoder else "rules/2 (decoder off)"

    def label_trace(self, steps: Sequence[str], regions: Sequence[str] | None = None) -> list[str]:
        scores = evidence(steps, regions)
        path = decode(scores, regions) if self.decoder else local(scores)
        return [LABELS[i] for i in path]
