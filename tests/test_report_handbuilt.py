"""Report facts on a hand-built parity model, whose truth is known without any training.

Head 0 points at x[t], head 1 at x[t-1], the sub-MLP computes relu(a + b - 1) = a and b on bits,
and the output head is fitted: y = a + b - 2 (a and b) = x[t] xor x[t-1]. The compile report
must say exactly that: fixed offsets 0 and 1 with their attention maps, the sub-MLP's fit, and
a rule equal to the xor of the last two bits.
"""

from __future__ import annotations

import itertools

import numpy as np
import pytest
import torch

from helpers import checkpoint_dict, config_for
from w2c.compiler import compile_model
from w2c.corpus import TASKS
from w2c.network.train import fit_output_head
from w2c.network.transformer import DiscreteTransformer
from w2c.report.compile_doc import compile_document
from w2c.report.html_page import render
from w2c.tasks import x_sym

TASK = TASKS["parity_last2"]


def xor_model() -> DiscreteTransformer:
    torch.manual_seed(0)
    model = DiscreteTransformer(config_for(TASK, heads=2, mlps=1))
    layer = model.layers[0]
    with torch.no_grad():
        layer.q_weight.zero_()
        layer.k_weight.zero_()
        layer.rel_bias.copy_(torch.tensor([[50.0] + [-50.0] * 19, [-50.0, 50.0] + [-50.0] * 18]))
        layer.head_read.fill_(5.0)  # the stream holds only x: every head reads it
        layer.mlp_read.copy_(torch.tensor([[-5.0, 5.0, -5.0], [-5.0, -5.0, 5.0]])[None])
        layer.w1.zero_()
        layer.w1[0, :, 0] = 1.0
        layer.b1.zero_()
        layer.b1[0, 0] = -1.0
        layer.w2.zero_()
        layer.w2[0, 0] = 1.0
        layer.b2.zero_()
    fit_output_head(model, TASK, np.random.default_rng(0))
    return model


@pytest.fixture(scope="module")
def document(tmp_path_factory: pytest.TempPathFactory) -> dict:
    from w2c.network.checkpoint import save

    path = tmp_path_factory.mktemp("xor") / "parity_last2.pt"
    save(checkpoint_dict(xor_model(), TASK), path)
    return compile_document(compile_model(path, task=TASK))


def test_heads_are_the_two_fixed_offsets(document: dict) -> None:
    heads = {h["name"]: h for h in document["heads"]}
    assert heads["attn_L0H0"]["pattern"] == "shift x by 0"
    assert heads["attn_L0H1"]["pattern"] == "shift x by 1"
    for name, offset in (("attn_L0H0", 0), ("attn_L0H1", 1)):
        head = heads[name]
        assert head["agreement"] == 1.0 and head["resolved"]
        assert set(head["offsets"]) == {str(offset)}
        pad = -head["attention"]["first_key"]
        matrix = np.array(head["attention"]["map"])
        expected = np.zeros_like(matrix)
        expected[np.arange(10), np.arange(10) - offset + pad] = 1.0
        assert np.array_equal(matrix, expected)
        for t in range(10):  # grid rows: "t=5 " + pad cells + "|" + key cells
            cells = head["grid"][1 + t][4:].replace("|", "")
            assert cells[t - offset + pad] == "#" and cells.count("#") == 1


def test_sub_mlp_fit_and_rule(document: dict) -> None:
    (mlp,) = document["mlps"]
    assert mlp["inputs"] == ["attn_L0H0", "attn_L0H1"]
    assert mlp["fit"]["accepted"] and mlp["fit"]["max_abs_error"] <= 1e-9
    stories = {r["name"]: r for r in document["resolutions"]}
    assert stories["mlp_L0M0"]["resolved_by"] == "mlp_symbolic"
    assert stories["mlp_L0M0"]["removed_by"] == "simplify"  # inlined into the rule
    import sympy

    rule = sympy.sympify(
        document["rule"].replace("x[t-1]", "b").replace("x[t]", "a"),
        locals={"a": sympy.Symbol("a"), "b": sympy.Symbol("b")},
    )
    for a, b in itertools.product((0, 1), repeat=2):
        assert rule.subs({"a": a, "b": b}) == (a + b) % 2
    assert document["verification"]["correctness"]["strength"] == "proved"
    assert x_sym(1).name in document["rule"]


def test_html_shows_the_offsets_without_figures(document: dict) -> None:
    page = render(document, {}, None, "test")
    assert "shift x by 1" in page and "shift x by 0" in page
    assert "<img" not in page and 'href="#training"' not in page  # no figures were given
