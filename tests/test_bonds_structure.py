"""Structure statistics on inputs small enough to compute by hand."""

from __future__ import annotations

import numpy as np
import pytest

from w2c.frontends.bonds.structure import estimate, geometry_free_stats, run_lengths, stationary

SEQS = [["N", "D", "D", "R"], ["N", "E", "D"]]  # transitions: ND DD DR NE ED


def test_transition_matrix_by_hand() -> None:
    s = estimate(SEQS)
    np.testing.assert_array_equal(
        s.transition_counts, [[0, 1, 0, 1], [0, 1, 1, 0], [0, 0, 0, 0], [0, 1, 0, 0]]
    )
    np.testing.assert_allclose(
        s.transitions,
        [[0, 0.5, 0, 0.5], [0, 0.5, 0.5, 0], [0.25] * 4, [0, 1, 0, 0]],  # R row: unobserved
    )
    np.testing.assert_allclose(s.marginals, np.array([2, 3, 1, 1]) / 7)
    np.testing.assert_allclose(s.initial, [1, 0, 0, 0])
    report = s.as_dict()
    assert report["transitions"]["N"]["E"] == 0.5
    assert report["transition_counts"]["E"]["D"] == 1
    assert report["label_counts"] == {"N": 2, "D": 3, "R": 1, "E": 1}


def test_add_alpha_smoothing_by_hand() -> None:
    p = estimate(SEQS, alpha=1.0).transitions
    np.testing.assert_allclose(p[0], np.array([1, 2, 1, 2]) / 6)
    np.testing.assert_allclose(p[3], np.array([1, 2, 1, 1]) / 5)
    np.testing.assert_allclose(p[2], [0.25] * 4)
    np.testing.assert_allclose(p.sum(axis=1), 1.0)
    with pytest.raises(ValueError):
        estimate(SEQS, alpha=-1).transitions  # noqa: B018


def test_stationary_entropy_and_run_lengths_by_hand() -> None:
    p = np.array([[0.5, 0.5, 0, 0], [1, 0, 0, 0], [0.25] * 4, [0.25] * 4])
    np.testing.assert_allclose(stationary(p), [2 / 3, 1 / 3, 0, 0], atol=1e-12)
    # N->N, N->D each 0.5 (1 bit), D->N certain (0 bits); π = (3/4, 1/4): 0.75 bit per step.
    s = estimate([["N", "N", "D", "N"]])
    assert s.entropy_rate() == pytest.approx(0.75 * 1.0 + 0.25 * 0.0)
    assert run_lengths(SEQS) == {"N": 1.0, "D": 1.5, "R": 1.0, "E": 1.0}
    assert run_lengths([["D", "D", "D"], []]) == {"N": None, "D": 3.0, "R": None, "E": None}


def test_reflection_reach_and_exploration_novelty_by_hand() -> None:
    sim = np.array(
        [
            [1.0, 0.2, 0.9, 0.1],
            [0.2, 1.0, 0.3, 0.4],
            [0.9, 0.3, 1.0, 0.2],
            [0.1, 0.4, 0.2, 1.0],
        ]
    )
    stats = geometry_free_stats([["N", "D", "R", "E"]], [sim])
    # R (step 2) is most like step 0: two steps back. E (step 3) max earlier similarity 0.4.
    assert stats["reflection"]["back_reference_distance"]["mean"] == 2
    assert stats["exploration"]["novelty"]["E"]["mean"] == pytest.approx(0.6)
    assert stats["exploration"]["novelty"]["other"]["mean"] == pytest.approx((0.8 + 0.1) / 2)
    assert stats["exploration"]["branches_per_trace"]["mean"] == 1
    assert stats["steps_per_trace"]["max"] == 4
