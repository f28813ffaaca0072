"""The compile report as one self-contained HTML page (``w2c compile --report r.html``).

Everything is inline: CSS in a <style> element, figures as base64 PNG data URIs, the program
highlighted by pygments with inline styles. No scripts, fonts or external URLs, so the file
opens offline and can be mailed around. Every piece of text from the model, the IR or the
verification goes through ``html.escape`` (pygments escapes the code it highlights). The page
renders the JSON document of w2c/report/compile_doc.py, so the two never disagree.
"""

from __future__ import annotations

import base64
from collections.abc import Iterable, Mapping
from html import escape
from typing import Any

CSS = """
body { font: 14px/1.45 system-ui, -apple-system, "Segoe UI", sans-serif; color: #1d232b;
       margin: 0; background: #f4f6f8; }
main { max-width: 1180px; margin: 0 auto; padding: 18px 28px 40px; background: #fff; }
h1 { font-size: 22px; margin: 4px 0 10px; }
h2 { font-size: 17px; border-bottom: 1px solid #d8dee4; padding-bottom: 4px; margin-top: 28px; }
h3 { font-size: 14px; margin: 16px 0 6px; }
.badge { display: inline-block; padding: 2px 10px; border-radius: 10px; font-weight: 600;
         font-size: 13px; color: #fff; vertical-align: middle; margin-left: 8px; }
.ok { background: #1f883d; } .bad { background: #cf222e; } .partial { background: #bf8700; }
.na { background: #6e7781; }
table { border-collapse: collapse; margin: 6px 0 10px; font-size: 13px; }
th, td { border: 1px solid #d8dee4; padding: 3px 8px; text-align: left; vertical-align: top; }
th { background: #f6f8fa; font-weight: 600; }
td.num { text-align: right; font-variant-numeric: tabular-nums; }
table.facts th { width: 170px; }
code, pre { font: 12.5px/1.4 ui-monospace, "DejaVu Sans Mono", Menlo, Consolas, monospace; }
pre { margin: 4px 0; padding: 8px 10px; background: #f6f8fa; border: 1px solid #e1e4e8;
      border-radius: 4px; overflow-x: auto; }
.highlight pre { background: transparent; border: 0; padding: 0; }
.highlight { padding: 8px 10px; border: 1px solid #e1e4e8; border-radius: 4px; }
pre.ir span.changed { background: #fff5b1; display: inline-block; min-width: 100%; }
nav a { margin-right: 14px; color: #0969da; text-decoration: none; }
.pass { color: #1f883d; font-weight: 600; } .fail { color: #cf222e; font-weight: 600; }
figure { margin: 8px 0 14px; } figure img { max-width: 100%; border: 1px solid #e1e4e8; }
figcaption { font-size: 12px; color: #57606a; }
.muted { color: #57606a; }
details { margin: 4px 0; } summary { cursor: pointer; color: #0969da; }
.scroll { overflow-x: auto; }
td code { white-space: pre-wrap; word-break: break-word; }
.cols { display: flex; gap: 18px; flex-wrap: wrap; align-items: flex-start; }
"""


def _e(value: Any) -> str:
    return escape(str(value), quote=True)


def _num(value: Any, digits: int = 4) -> str:
    if value is None:
        return ""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return _e(value)
    if isinstance(value, int):
        return f"{value:,}"
    return f"{value:.{digits}g}"


def _row(cells: Iterable[str], header: bool = False) -> str:
    tag = "th" if header else "td"
    return "<tr>" + "".join(f"<{tag}>{c}</{tag}>" for c in cells) + "</tr>"


def _table(header: list[str], rows: Iterable[list[str]], cls: str = "") -> str:
    head = _row((_e(h) for h in header), header=True)
    body = "".join(_row(r) for r in rows)
    return f'<table class="{cls}">{head}{body}</table>'


def _image(name: str, data: bytes, caption: str) -> str:
    encoded = base64.b64encode(data).decode("ascii")
    return (
        f'<figure><img alt="{_e(name)}" src="data:image/png;base64,{encoded}">'
        f"<figcaption>{_e(caption)}</figcaption></figure>"
    )


def _badge(document: Mapping[str, Any]) -> str:
    verdict = document["verdict"]
    cls = {"VERIFIED": "ok", "CHECKED": "na", "NOT VERIFIED": "bad"}.get(verdict, "na")
    badge = f'<span class="badge {cls}">{_e(verdict)}</span>'
    if document["fallbacks"]:
        badge += '<span class="badge partial">PARTIAL</span>'
    return badge


CHECK_KINDS = ("correctness", "fidelity", "twin")


def _summary(document: Mapping[str, Any]) -> str:
    verification = document["verification"] or {}
    strengths = [
        f"{kind}: {_e(check['label'] or ('not checked' if not check['checked'] else 'FAILED'))}"
        for kind, check in ((k, verification.get(k)) for k in CHECK_KINDS)
        if check is not None
    ]
    facts = [
        ("task", _e(document["task"])),
        ("model sha256", f"<code>{_e(document['model_sha256'])}</code>"),
        ("update rule", f"<code>y[t] = {_e(document['rule'])}</code>"),
        ("constants", _e(document.get("constants") or "no rule")),
        ("verification", "; ".join(strengths) or "not run"),
        ("oracle", _e(document["correctness_source"])),
        ("pipeline", _e(", ".join(document["pipeline"]))),
        ("exit code", _e(document["exit_code"])),
    ]
    if document["fallbacks"]:
        facts.append(("NumPy fallbacks", _e(", ".join(document["fallbacks"]))))
    for key in ("program", "tests"):
        if key in document:
            facts.append((f"{key} file", f"<code>{_e(document[key])}</code>"))
    rows = "".join(f"<tr><th>{k}</th><td>{v}</td></tr>" for k, v in facts)
    return f'<table class="facts">{rows}</table>'


def _program(document: Mapping[str, Any]) -> str:
    from pygments import highlight
    from pygments.formatters import HtmlFormatter
    from pygments.lexers import PythonLexer

    size = document["size"]
    code = highlight(document["source"], PythonLexer(), HtmlFormatter(noclasses=True))
    return (
        f'<h2 id="program">Program</h2><p class="muted">{size["lines"]} lines, '
        f"{size['code_lines']} lines of code, {size['ast_nodes']} AST nodes "
        f"(docstrings excluded)</p>{code}"
    )


def _verification(document: Mapping[str, Any]) -> str:
    verification = document["verification"]
    parts = ['<h2 id="verification">Verification</h2>']
    if verification is None:
        return parts[0] + "<p>Verification was not run.</p>"
    header = ["method", "result", "cases", "lengths", "max |error|", "relMSE", "seconds", "detail"]
    for kind in CHECK_KINDS:
        check = verification.get(kind)
        if check is None:  # no NumPy twin to check
            continue
        if not check["checked"]:
            parts.append(f"<h3>{kind}: not checked</h3><p>{_e(check['reason'])}</p>")
            continue
        verdict = check["label"] if check["passed"] else "FAILED"
        cls = "pass" if check["passed"] else "fail"
        parts.append(f'<h3>{kind}: <span class="{cls}">{_e(verdict)}</span></h3>')
        rows = []
        for item in check["evidence"]:
            lengths = item["lengths"]
            result = "passed" if item["passed"] else "FAILED"
            rows.append(
                [
                    _e(item["method"]),
                    f'<span class="{"pass" if item["passed"] else "fail"}">{result}</span>',
                    _num(item["cases"]),
                    "" if lengths is None else f"{lengths[0]}–{lengths[1]}",
                    _num(item["max_abs_error"], 3),
                    _num(item["rel_mse"], 3),
                    _num(item["seconds"], 3),
                    _e(item["detail"]),
                ]
            )
        parts.append(_table(header, rows))
        for item in check["evidence"]:
            if item["counterexample"] is not None:
                import json

                text = json.dumps(item["counterexample"], sort_keys=True)
                parts.append(f"<p>{_e(item['method'])} counterexample:</p><pre>{_e(text)}</pre>")
    return "".join(parts)


EVIDENCE_COLUMNS = (
    ("agreement", "head agreement"),
    ("output_agreement", "output agreement"),
    ("samples", "samples"),
    ("max_abs_error", "fit max |error|"),
    ("tolerance", "fit tolerance"),
    ("backend", "SR backend"),
)


def _evidence(document: Mapping[str, Any]) -> str:
    rows = []
    details = []
    traced = {head["name"]: head["samples"] for head in document["heads"]}
    for item in document["resolutions"]:
        node = item["node"]
        evidence = dict(node["evidence"])
        if item["name"] in traced:  # a head's agreement is measured on every traced position
            evidence.setdefault("samples", traced[item["name"]])
        if item["resolved_by"] == "lower" and not evidence:
            continue  # inputs and scalings: nothing was decided about them
        rows.append(
            [
                f"<code>%{_e(item['name'])}</code>",
                f"<code>{_e(item['lowered_op'])}</code>",
                _e(item["resolved_by"] or "unresolved"),
                f"<code>{_e(node['op'])}</code>",
                *(_num(evidence.get(key)) for key, _ in EVIDENCE_COLUMNS),
                _e(item["removed_by"] or ""),
            ]
        )
        pairs = "".join(
            f"<tr><th>{_e(k)}</th><td><code>{_e(v)}</code></td></tr>"
            for k, v in sorted(evidence.items())
        )
        details.append(
            f"<details><summary>all evidence of <code>%{_e(item['name'])}</code></summary>"
            f'<table class="facts">{pairs}</table></details>'
            if pairs
            else ""
        )
    header = [
        "node",
        "lowered as",
        "resolved by",
        "became",
        *(title for _, title in EVIDENCE_COLUMNS),
        "inlined/removed by",
    ]
    return (
        '<h2 id="evidence">Evidence per node</h2>'
        '<p class="muted">Each head and sub-MLP as the pass that resolved it left it; the output '
        "after its last pass. Every evidence value is listed below the table.</p>"
        + f'<div class="scroll">{_table(header, rows)}</div>'
        + "".join(details)
    )


def _heads(document: Mapping[str, Any], images: Mapping[str, bytes]) -> str:
    if not document["heads"]:
        return ""
    parts = ['<h2 id="heads">Attention heads</h2>']
    for head in document["heads"]:
        name = f"attention_{head['name']}.png"
        agreement = head["agreement"]
        parts.append(
            f"<h3>{_e(head['name'])}: q={_e(head['query'])} k={_e(head['key'])} "
            f"v={_e(head['value'])} → {_e(head['pattern'])}"
            + (f" (agreement {agreement:.3f})" if agreement is not None else "")
            + "</h3>"
        )
        grid = _e("\n".join(head["grid"]))
        figure = (
            _image(name, images[name], "attended fraction per query and key")
            if name in images
            else ""
        )
        parts.append(f'<div class="cols"><pre>{grid}</pre>{figure}</div>')
    return "".join(parts)


def _mlps(document: Mapping[str, Any], images: Mapping[str, bytes]) -> str:
    if not document["mlps"]:
        return ""
    parts = ['<h2 id="mlps">Sub-MLPs</h2>']
    for mlp in document["mlps"]:
        fit = mlp["fit"] or {}
        parts.append(
            f"<h3>{_e(mlp['name'])}({_e(', '.join(mlp['inputs']))}) = "
            f"<code>{_e(fit.get('expr'))}</code></h3>"
        )
        name = f"mlp_{mlp['name']}.png"
        if name in images:
            parts.append(_image(name, images[name], "the sub-MLP next to its symbolic fit"))
    return "".join(parts)


def _training(images: Mapping[str, bytes], training: Mapping[str, Any] | None) -> str:
    if training is None or "annealing.png" not in images:
        return ""
    facts = (
        f"{training['steps']} annealing steps + {training['polish_steps']} polish, "
        f"{training['attempts']} attempt(s), {training['seconds']:.1f} s; final hard loss "
        f"{training['final_hard_loss']:.3g}"
    )
    return f'<h2 id="training">Training</h2><p class="muted">{_e(facts)}</p>' + _image(
        "annealing.png", images["annealing.png"], "soft/hard loss, Δ, agreement vs τ"
    )


def _ir(document: Mapping[str, Any]) -> str:
    parts = ['<h2 id="ir">IR after each pass</h2>']
    previous: set[str] = set()
    for stage in document["stages"]:
        seconds = stage["seconds"]
        when = "lowered" if stage["pass"] == "lower" else f"after {stage['pass']}"
        timing = f" ({seconds:.3f} s)" if seconds is not None else ""
        lines = stage["ir"].split("\n")
        shown = "\n".join(
            f'<span class="changed">{_e(line)}</span>'
            if previous and line not in previous
            else _e(line)
            for line in lines
        )
        parts.append(f'<h3>{_e(when)}{_e(timing)}</h3><pre class="ir">{shown}</pre>')
        previous = set(lines)
    return "".join(parts)


def _timings(document: Mapping[str, Any]) -> str:
    rows = [[_e(t["pass"]), _num(t["seconds"], 3)] for t in document["timings"]]
    total = sum(t["seconds"] for t in document["timings"])
    rows.append(["<b>all passes</b>", _num(total, 3)])
    rows.append(["verification", _num(document["verify_seconds"], 3)])
    return '<h2 id="timings">Timings</h2>' + _table(["step", "seconds"], rows)


def render(
    document: Mapping[str, Any],
    images: Mapping[str, bytes],
    training: Mapping[str, Any] | None = None,
    version: str = "",
) -> str:
    """The page for one compile document, with its figures (file name -> PNG bytes)."""
    sections = [
        ("program", "Program"),
        ("verification", "Verification"),
        ("evidence", "Evidence"),
        ("heads", "Heads"),
        ("mlps", "Sub-MLPs"),
        ("training", "Training"),
        ("ir", "IR per pass"),
        ("timings", "Timings"),
    ]
    body = [
        _program(document),
        _verification(document),
        _evidence(document),
        _heads(document, images),
        _mlps(document, images),
        _training(images, training),
        _ir(document),
        _timings(document),
    ]
    nav = " ".join(
        f'<a href="#{anchor}">{title}</a>'
        for (anchor, title), html in zip(sections, body, strict=True)
        if html
    )
    title = f"w2c compile report: {document['task']}"
    return (
        '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
        f"<title>{_e(title)}</title><style>{CSS}</style></head><body><main>"
        f"<h1>{_e(title)}{_badge(document)}</h1>{_summary(document)}<nav>{nav}</nav>"
        + "".join(body)
        + f'<p class="muted">Generated by w2c {_e(version)} (schema {_e(document["schema"])}).'
        "</p></main></body></html>\n"
    )
