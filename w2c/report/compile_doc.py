"""The compile report as one JSON-able document (schema ``w2c.report/2``, kind ``compile``).

It starts from ``CompileReport.to_dict()`` (the keys ``w2c compile --json`` always printed) and
adds: the IR after lowering and after every pass, each lowered node's story (which pass resolved
it, with what evidence, which pass removed it), the heads' attention maps, the sub-MLPs' fits,
the program text and size, and a one-word verdict. The HTML report renders this document.
"""

from __future__ import annotations

from typing import Any

from w2c.compiler.ir import Attend
from w2c.report.program_size import program_size
from w2c.report.schema import SCHEMA
from w2c.report.stages import NodeStory, Stages, heads, mlps, stories


def verdict(report: Any) -> str:
    """VERIFIED / CHECKED / NOT VERIFIED, or NOT RUN when verification was skipped."""
    if report.verification is None:
        return "NOT RUN"
    return str(report.verification.verdict)


def pad_of(stages: Stages, length: int) -> int:
    """Zero slots before the sequence that heads can attend (from a head's weights)."""
    for node in stages[0][1].nodes:
        if isinstance(node.op, Attend) and node.op.weights is not None:
            return node.op.weights.pad
    return length


def _resolution(story: NodeStory) -> dict[str, Any]:
    from w2c.compiler.records import node_record

    return {
        "name": story.lowered.name,
        "lowered_op": story.lowered.op.describe(),
        "resolved_by": story.resolved_by,
        "removed_by": story.removed_by,
        "node": node_record(story.node),
    }


def compile_document(compiled: Any, **paths: str) -> dict[str, Any]:
    """Everything about one compile; ``paths`` (program=, report=, tests=) name written files."""
    report = compiled.report
    stages: Stages = report.stages
    found = stories(stages)
    seconds = [None, *(s for _, s in report.timings)]  # lowering is not a timed pass
    pad = pad_of(stages, stages[0][1].task.length)
    document = report.to_dict()
    document.update(
        schema=SCHEMA,
        kind="compile",
        verdict=verdict(report),
        stages=[
            {"pass": name, "seconds": s, "ir": str(ir)}
            for (name, ir), s in zip(stages, seconds, strict=True)
        ],
        resolutions=[_resolution(story) for story in found.values()],
        heads=heads(found, compiled.traces, pad) if compiled.traces else [],
        mlps=mlps(found),
        source=compiled.source,
        size=program_size(compiled.source),
    )
    document.update(paths)
    return document
