"""The value models on scipy: the likelihood is proved against a direct evaluation and the paper's figures."""

import math

import numpy as np
import pytest
from scipy.special import gamma as G
from scipy.special import hyp2f1

from rapport.commerce import valuemodels as vm
from rapport.commerce.evaluation import PAPER, digits_agree, holdout, load_cdnow, reproduce


def direct_ll(r, alpha, a, b, x, t_x, T):
    """Equation 6 of Fader, Hardie and Lee (2005), written out term by term with plain gamma functions."""
    A1 = G(r + x) * alpha**r / G(r)
    A2 = G(a + b) * G(b + x) / (G(b) * G(a + b + x))
    A3 = (1 / (alpha + T)) ** (r + x)
    A4 = (a / (b + x - 1)) * (1 / (alpha + t_x)) ** (r + x) if x > 0 else 0.0
    return math.log(A1 * A2 * (A3 + A4))


@pytest.mark.parametrize("x,t_x,T", [(0, 0, 38.9), (1, 1.7, 38.9), (2, 30.4, 38.9), (7, 30.0, 31.0)])
def test_log_likelihood_equals_the_papers_formula(x, t_x, T):
    got = vm.bgnbd_log_likelihood((0.243, 4.414, 0.793, 2.426), [x], [t_x], [T])[0]
    assert got == pytest.approx(direct_ll(0.243, 4.414, 0.793, 2.426, x, t_x, T), rel=1e-10)


def test_grouping_identical_rows_gives_the_same_fit():
    rng = np.random.default_rng(3)
    x = rng.integers(0, 4, 400)
    T = rng.integers(10, 40, 400).astype(float)
    t_x = np.where(x > 0, np.floor(T * rng.random(400)), 0)
    grouped = vm.fit_bgnbd(x, t_x, T, grouped=True)
    plain = vm.fit_bgnbd(x, t_x, T, grouped=False)
    assert len(vm.group_rows(x, t_x, T)[0]) < 400
    for k in ("r", "alpha", "a", "b"):
        assert getattr(grouped, k) == pytest.approx(getattr(plain, k), rel=1e-3)
    assert grouped.log_likelihood == pytest.approx(plain.log_likelihood, rel=1e-6)
    # At any parameters the grouped, weighted likelihood is exactly the per-customer one.
    gx, gt, gT, w = vm.group_rows(x, t_x, T)
    params = (0.5, 3.0, 0.8, 2.0)
    assert vm.bgnbd_log_likelihood(params, gx, gt, gT, w).sum() == pytest.approx(
        vm.bgnbd_log_likelihood(params, x, t_x, T).sum(), rel=1e-12
    )


def test_p_alive_and_expectations_behave():
    m = vm.BGNBD(0.243, 4.414, 0.793, 2.426)
    # One who never came back is "alive" by construction; a frequent buyer gone silent is likely gone.
    assert vm.p_alive(m, [0], [0], [38])[0] == 1.0
    assert vm.p_alive(m, [10], [5], [38])[0] < 0.1 < vm.p_alive(m, [10], [37], [38])[0]
    # Equation 10 at t -> the person's own curve; for a new customer it is equation 7.
    assert vm.expected_purchases(m, 39, [0], [0], [0])[0] == pytest.approx(vm.expected_purchases_new(m, 39), rel=1e-9)
    direct = (
        (m.a + m.b - 1)
        / (m.a - 1)
        * (1 - (m.alpha / (m.alpha + 39)) ** m.r * hyp2f1(m.r, m.b, m.a + m.b - 1, 39 / (m.alpha + 39)))
    )
    assert vm.expected_purchases_new(m, 39) == pytest.approx(direct)


def test_gamma_gamma_expected_spend_shrinks_to_the_population_mean():
    gg = vm.GammaGamma(6.25, 3.74, 15.44)
    population = 6.25 * 15.44 / (3.74 - 1)
    one, many = vm.expected_spend(gg, [1, 50], [100.0, 100.0])
    assert population < one < many < 100
    assert vm.expected_spend(gg, [0], [0])[0] == pytest.approx(population)


def test_rfm_segments_and_quintiles():
    assert vm.rfm_segment(5, 5) == "champions" and vm.rfm_segment(1, 1) == "lost"
    assert vm.rfm_segment(1, 5) == "cant_lose" and vm.rfm_segment(5, 1) == "new"
    breaks = vm.quintile_breaks(range(1, 101))
    assert [vm.quintile(v, breaks) for v in (1, 30, 50, 70, 100)] == [1, 2, 3, 4, 5]


def test_cdnow_reproduces_fader_hardie_lee_to_three_digits():
    fitted = reproduce(load_cdnow())
    assert fitted["customers"] == 2357 and fitted["repeaters"] == 946
    for model, params in PAPER.items():
        for k, paper in params.items():
            got = fitted["params"][model][k]
            assert digits_agree(got, paper), f"{model}.{k} = {got}, paper {paper}"
    assert fitted["bgnbd_ll"] == pytest.approx(-9582.4, abs=0.1)
    check = holdout(load_cdnow(), fitted)
    assert check["bgnbd"]["mae"] < check["naive"]["mae"]
    assert check["bgnbd"]["correlation"] > check["naive"]["correlation"]


def test_digits_agree_is_strict():
    assert digits_agree(0.2426, 0.243) and not digits_agree(0.2424, 0.243)
    assert digits_agree(15.4435, 15.45) and not digits_agree(15.39, 15.45)
