"""`w2c compile --report`: one self-contained HTML page whose contents are the compile's facts.

The page is parsed with html.parser (no browser): every pass's IR listing, every resolved node's
evidence numbers, the program text, the verdict, the inline figures; nothing external. For the
shipped parity_last2 model the facts themselves are checked: the heads route x[t-1] into t and
the program computes x[t] xor x[t-1] (checked by exhaustive evaluation, not string matching).
"""

from __future__ import annotations

import base64
import contextlib
import io
import itertools
import json
import re
import struct
from html.parser import HTMLParser
from pathlib import Path

import jsonschema
import pytest
import sympy

from w2c.cli import run
from w2c.corpus import model_path
from w2c.report.schema import json_schema
from w2c.tasks import x_sym

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


class Page(HTMLParser):
    """Text of <pre> blocks (by class), table rows, every attribute value, the whole text."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.attributes: list[tuple[str, str, str]] = []  # (tag, attribute, value)
        self.pres: list[tuple[str, str]] = []  # (class, text)
        self.rows: list[list[str]] = []
        self.text: list[str] = []
        self.title = ""
        self._pre: list[str] | None = None
        self._pre_class = ""
        self._row: list[str] | None = None
        self._cell: list[str] | None = None
        self._stack: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self._stack.append(tag)
        for name, value in attrs:
            self.attributes.append((tag, name, value or ""))
        if tag == "pre":
            self._pre, self._pre_class = [], dict(attrs).get("class") or ""
        elif tag == "tr":
            self._row = []
        elif tag in ("td", "th"):
            self._cell = []

    def handle_endtag(self, tag: str) -> None:
        if self._stack:
            self._stack.pop()
        if tag == "pre" and self._pre is not None:
            self.pres.append((self._pre_class, "".join(self._pre)))
            self._pre = None
        elif tag in ("td", "th") and self._cell is not None and self._row is not None:
            self._row.append("".join(self._cell).strip())
            self._cell = None
        elif tag == "tr" and self._row is not None:
            self.rows.append(self._row)
            self._row = None

    def handle_data(self, data: str) -> None:
        self.text.append(data)
        if self._pre is not None:
            self._pre.append(data)
        if self._cell is not None:
            self._cell.append(data)
        if self._stack and self._stack[-1] == "title":
            self.title += data


def cli(argv: list[str]) -> tuple[int, str]:
    """Run w2c in-process; (exit code, stdout)."""
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        code = run(argv)
    return code, out.getvalue()


@pytest.fixture(scope="module")
def compiled(tmp_path_factory: pytest.TempPathFactory) -> tuple[Page, dict, str, Path]:
    folder = tmp_path_factory.mktemp("report")
    report = folder / "parity.html"
    argv = ["compile", str(model_path("parity_last2")), "-o", str(folder / "parity.py")]
    code, out = cli([*argv, "--report", str(report), "--json", "-q"])
    assert code in (0, 3), out
    page = Page()
    text = report.read_text(encoding="utf-8")
    page.feed(text)
    return page, json.loads(out), text, folder


def test_json_document_follows_the_schema(compiled) -> None:  # type: ignore[no-untyped-def]
    _, document, _, folder = compiled
    jsonschema.validate(document, json_schema("compile"))
    assert document["schema"] == "w2c.report/2" and document["kind"] == "compile"
    assert document["program"] == str(folder / "parity.py")  # the key --json always had
    assert document["report"] == str(folder / "parity.html")
    assert [s["pass"] for s in document["stages"]] == ["lower", *document["pipeline"]]


def test_every_pass_ir_listing_is_on_the_page(compiled) -> None:  # type: ignore[no-untyped-def]
    page, document, _, _ = compiled
    listings = [text for cls, text in page.pres if cls == "ir"]
    assert listings == [stage["ir"] for stage in document["stages"]]
    assert any("unresolved" in text for text in listings[:1])  # the lowered IR, before passes
    headings = " ".join(page.text)
    for name in document["pipeline"]:
        assert f"after {name}" in headings


def test_evidence_numbers_are_in_the_evidence_table(compiled) -> None:  # type: ignore[no-untyped-def]
    page, document, _, _ = compiled
    rows = {row[0]: row for row in page.rows if row and row[0].startswith("%")}
    decided = [r for r in document["resolutions"] if r["name"].startswith(("attn_", "mlp_"))]
    assert decided, "parity_last2 has heads and sub-MLPs"
    for item in decided:
        row = rows[f"%{item['name']}"]
        evidence = item["node"]["evidence"]
        assert row[2] == (item["resolved_by"] or "unresolved")
        for key in ("agreement", "output_agreement", "max_abs_error"):
            if isinstance(evidence.get(key), float):
                assert f"{evidence[key]:.4g}" in row, (key, row)
        if isinstance(evidence.get("samples"), int):
            assert f"{evidence['samples']:,}" in row
    samples = {h["name"]: h["samples"] for h in document["heads"]}
    assert all(isinstance(n, int) and n >= 2046 for n in samples.values()), samples


def test_program_text_and_verdict(compiled) -> None:  # type: ignore[no-untyped-def]
    page, document, _, folder = compiled
    whole = "".join(page.text)
    program = (folder / "parity.py").read_text()
    assert program == document["source"]
    code_blocks = [text for cls, text in page.pres if cls != "ir"]
    assert any(text.strip() == program.strip() for text in code_blocks)
    assert document["verdict"] == "VERIFIED"
    assert page.title == "w2c compile report: parity_last2"
    assert "VERIFIED" in whole and "NOT VERIFIED" not in whole
    for line in ("correctness: proved", "fidelity: proved (network = rule = program"):
        assert line in whole


def test_page_is_self_contained(compiled) -> None:  # type: ignore[no-untyped-def]
    page, _, text, _ = compiled
    outside_images = re.sub(r"data:image/png;base64,[A-Za-z0-9+/=]+", "", text)
    assert not re.search(r"(?i)(https?:|ftp:|file:|//[a-z0-9])", outside_images)
    assert "<script" not in text and "@import" not in text and "url(" not in text
    images = [v for tag, name, v in page.attributes if name == "src"]
    assert images and all(v.startswith("data:image/png;base64,") for v in images)
    for _tag, name, value in page.attributes:
        if name == "href":
            assert value.startswith("#"), value
    for value in images:
        data = base64.b64decode(value.split(",", 1)[1])
        assert data[:8] == PNG_SIGNATURE and len(data) > 5000
        width, height = struct.unpack(">II", data[16:24])
        assert width >= 400 and height >= 250
    alts = {v for tag, name, v in page.attributes if tag == "img" and name == "alt"}
    assert "annealing.png" in alts and any(a.startswith("attention_") for a in alts)


def _rule(text: str) -> sympy.Expr:
    """'x[t] + x[t-1] ...' -> a sympy expression over the task's symbols (others stay free)."""
    symbols = {}

    def name(match: re.Match[str]) -> str:
        lag = int(match.group(1) or 0)
        symbols[f"x_t{lag}"] = x_sym(lag)
        return f"x_t{lag}"

    plain = re.sub(r"x\[t(?:-(\d+))?\]", name, text)
    return sympy.parse_expr(plain, local_dict=symbols)


def test_parity_program_is_exactly_xor_of_the_last_two_bits(compiled) -> None:  # type: ignore[no-untyped-def]
    _, document, _, _ = compiled
    rule = _rule(document["rule"])
    assert rule.free_symbols <= {x_sym(0), x_sym(1)}, f"opaque nodes left: {rule}"
    for a, b in itertools.product((0, 1), repeat=2):
        assert rule.subs({x_sym(0): a, x_sym(1): b}) == (a + b) % 2
    # the same proof the textbook form admits: x + x1 - 2*x*x1 on {0,1}^2 (a polynomial of degree
    # <= 1 in each bit is determined by its 4 values, so sympy may compare multilinear forms)
    reduced = sympy.expand(rule).subs({x_sym(0) ** 2: x_sym(0), x_sym(1) ** 2: x_sym(1)})
    if not reduced.has(sympy.Max, sympy.Min, sympy.Abs, sympy.Mod):
        assert sympy.expand(reduced - (x_sym(0) + x_sym(1) - 2 * x_sym(0) * x_sym(1))) == 0
    namespace: dict = {}
    exec(document["source"], namespace)
    for length in range(1, 9):
        for xs in itertools.product((0, 1), repeat=length):
            expected = [(xs[t] + (xs[t - 1] if t else 0)) % 2 for t in range(length)]
            assert [round(v) for v in namespace["program"](list(xs))] == expected
    assert document["fallbacks"] == [] and document["exit_code"] == 0


def test_parity_heads_route_the_previous_bit(compiled) -> None:  # type: ignore[no-untyped-def]
    """Offset-1 routing: each head's attention mass lies on key t-1 (the pad at t = 0)."""
    _, document, _, _ = compiled
    heads = document["heads"]
    assert heads
    routing = []
    for head in heads:
        matrix, first = head["attention"]["map"], head["attention"]["first_key"]
        on_diagonal = sum(row[t - 1 - first] for t, row in enumerate(matrix)) / len(matrix)
        routing.append((head["name"], head["pattern"], on_diagonal))
        grid = head["grid"][1:]
        pad = -first
        for t, line in enumerate(grid):  # the text grid marks the same diagonal
            cells = line.split(" ", 1)[1].replace("|", "")
            if matrix[t][t - 1 + pad] >= 2 / 3:
                assert cells[t - 1 + pad] == "#"
    assert sum(d >= 0.75 for _, _, d in routing) >= 1, routing
    patterns = [p for _, p, _ in routing]
    assert any(p.startswith("shift x by 1") or "over t-1..t" in p for p in patterns), patterns


@pytest.mark.parametrize("setup", ["exists", "missing_folder"])
def test_report_target_is_checked_before_compiling(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], setup: str
) -> None:
    report = tmp_path / ("r.html" if setup == "exists" else "nope/r.html")
    if setup == "exists":
        report.write_text("mine")
    program = tmp_path / "p.py"
    code = run(
        ["compile", str(model_path("and_last2")), "-o", str(program), "--report", str(report)]
    )
    assert code == 2
    err = capsys.readouterr().err
    assert err.startswith("w2c: error: ") and err.count("\n") == 1
    assert ("--force" in err) if setup == "exists" else ("does not exist" in err)
    assert not program.exists()
    if setup == "exists":
        assert report.read_text() == "mine"


def test_partial_compile_report_marks_unresolved_nodes(tmp_path: Path) -> None:
    """Without the explaining passes every head and sub-MLP stays a marked NumPy fallback."""
    report = tmp_path / "r.html"
    argv = ["compile", str(model_path("maximum_prev2")), "-o", str(tmp_path / "p.py")]
    code, out = cli([*argv, "--passes", "infer_domains", "--report", str(report), "--json"])
    assert code == 3
    document = json.loads(out)
    jsonschema.validate(document, json_schema("compile"))
    assert document["fallbacks"] == ["attn_L0H0", "mlp_L0M0"]
    assert all(m["fit"] is None for m in document["mlps"])
    page = Page()
    page.feed(report.read_text())
    assert "PARTIAL" in "".join(page.text)
    rows = {row[0]: row for row in page.rows if row and row[0].startswith("%")}
    assert rows["%attn_L0H0"][2] == "unresolved" and rows["%mlp_L0M0"][2] == "unresolved"
    assert [text for cls, text in page.pres if cls == "ir"] == [s["ir"] for s in document["stages"]]


def test_a_numpy_twin_gets_its_own_check_in_page_and_json(tmp_path: Path) -> None:
    report = tmp_path / "mod3.html"
    argv = ["compile", str(model_path("add_mod_3")), "-o", str(tmp_path / "mod3.py")]
    code, out = cli([*argv, "--numpy-twin", "--report", str(report), "--json", "-q"])
    assert code == 0, out
    document = json.loads(out)
    jsonschema.validate(document, json_schema("compile"))
    twin = document["verification"]["twin"]
    assert twin["kind"] == "twin" and twin["passed"] and twin["strength"] == "exhaustive"
    page = Page()
    page.feed(report.read_text(encoding="utf-8"))
    assert "twin: exhaustive (every sequence of lengths 1..10)" in " ".join(
        " ".join(page.text).split()
    )
