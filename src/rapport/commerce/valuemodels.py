"""The value models on scipy: BG/NBD (Fader, Hardie and Lee 2005) and Gamma-Gamma (Fader and Hardie 2013).

Inputs follow Fader and Hardie's definitions, per customer: `x` (frequency) the number of repeat purchases (purchase
days after the first), `t_x` (recency) the time from the first purchase to the last, `T` the time from the first
purchase to the end of the calibration period, all in one unit (days, weeks or months); and for Gamma-Gamma `m_x`,
the mean value of the repeat purchases.

Customers with identical (x, t_x, T) add identical terms to the BG/NBD likelihood, so the fit works on the distinct
rows with their counts as weights: a million customers over a year of weeks collapse to a few hundred thousand rows
at most, far fewer when times are whole periods.

numpy and scipy are imported inside the functions: the command line starts without them.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass
from typing import Any


@dataclass(frozen=True)
class BGNBD:
    """Fitted BG/NBD parameters: purchase rates ~ Gamma(r, alpha), dropout probabilities ~ Beta(a, b)."""

    r: float
    alpha: float
    a: float
    b: float
    log_likelihood: float = 0.0

    def params(self) -> dict[str, float]:
        return {k: v for k, v in asdict(self).items() if k != "log_likelihood"}


@dataclass(frozen=True)
class GammaGamma:
    """Fitted Gamma-Gamma parameters of spend per transaction: shape p, and the scale's Gamma(q, v)."""

    p: float
    q: float
    v: float
    log_likelihood: float = 0.0

    def params(self) -> dict[str, float]:
        return {k: v for k, v in asdict(self).items() if k != "log_likelihood"}


class NotEnoughData(ValueError):
    """Too few customers (or repeat customers) for a fit that means anything."""


def group_rows(x, t_x, T):
    """Distinct (x, t_x, T) rows and how many customers share each (the fit's weights)."""
    import numpy as np

    stacked = np.column_stack([np.asarray(x, float), np.asarray(t_x, float), np.asarray(T, float)])
    unique, counts = np.unique(stacked, axis=0, return_counts=True)
    return unique[:, 0], unique[:, 1], unique[:, 2], counts.astype(float)


def bgnbd_log_likelihood(params, x, t_x, T, weights=None):
    """Per-row BG/NBD log-likelihood (equation 6 of Fader, Hardie and Lee 2005), times the rows' weights."""
    import numpy as np
    from scipy.special import betaln, gammaln

    r, alpha, a, b = params
    x = np.asarray(x, float)
    t_x = np.asarray(t_x, float)
    T = np.asarray(T, float)
    a1 = gammaln(r + x) - gammaln(r) + r * np.log(alpha)
    a2 = betaln(a, b + x) - betaln(a, b)
    a3 = -(r + x) * np.log(alpha + T)
    # The dropout term exists only after a repeat purchase; log-sum-exp keeps it stable for large x.
    with np.errstate(divide="ignore", invalid="ignore"):
        a4 = np.where(
            x > 0,
            np.log(a) - np.log(np.maximum(b + x - 1, 1e-300)) - (r + x) * np.log(alpha + t_x),
            -np.inf,
        )
    ll = a1 + a2 + np.logaddexp(a3, a4)
    return ll if weights is None else ll * weights


def fit_bgnbd(x, t_x, T, *, grouped: bool = True, initial=(1.0, 1.0, 1.0, 1.0)) -> BGNBD:
    """Maximum-likelihood BG/NBD on log-parameters (Nelder-Mead then a quasi-Newton polish)."""
    import numpy as np
    from scipy.optimize import minimize

    x = np.asarray(x, float)
    if len(x) < 2:
        raise NotEnoughData(f"BG/NBD needs at least 2 customers, got {len(x)}")
    if grouped:
        gx, gt, gT, w = group_rows(x, t_x, T)
    else:
        gx, gt, gT, w = x, np.asarray(t_x, float), np.asarray(T, float), np.ones(len(x))
    total = w.sum()

    def objective(log_params):
        params = np.exp(np.clip(log_params, -30, 30))
        value = -bgnbd_log_likelihood(params, gx, gt, gT, w).sum() / total
        return value if np.isfinite(value) else 1e100

    start = np.log(np.asarray(initial, float))
    first = minimize(objective, start, method="Nelder-Mead", options={"maxiter": 4000, "xatol": 1e-7, "fatol": 1e-10})
    best = minimize(objective, first.x, method="BFGS", options={"gtol": 1e-8})
    chosen = best if best.fun <= first.fun and np.all(np.isfinite(best.x)) else first
    r, alpha, a, b = (float(v) for v in np.exp(chosen.x))
    return BGNBD(r, alpha, a, b, log_likelihood=float(-chosen.fun * total))


def p_alive(model: BGNBD, x, t_x, T):
    """P(still active | x, t_x, T): 1 for a customer who never bought again (the BG/NBD convention)."""
    import numpy as np

    x = np.asarray(x, float)
    t_x = np.asarray(t_x, float)
    T = np.asarray(T, float)
    r, alpha, a, b = model.r, model.alpha, model.a, model.b
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        log_ratio = np.log(a) - np.log(np.maximum(b + x - 1, 1e-300)) + (r + x) * np.log((alpha + T) / (alpha + t_x))
        out = 1.0 / (1.0 + np.exp(np.minimum(log_ratio, 700)))
    return np.where(x > 0, out, 1.0)


def expected_purchases(model: BGNBD, t, x, t_x, T):
    """E[purchases in the next t | x, t_x, T] (equation 10 of Fader, Hardie and Lee 2005)."""
    import numpy as np
    from scipy.special import hyp2f1

    x = np.asarray(x, float)
    t_x = np.asarray(t_x, float)
    T = np.asarray(T, float)
    r, alpha, a, b = model.r, model.alpha, model.a, model.b
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        first = (a + b + x - 1) / (a - 1)
        hyp = hyp2f1(r + x, b + x, a + b + x - 1, t / (alpha + T + t))
        second = 1 - hyp * ((alpha + T) / (alpha + T + t)) ** (r + x)
        log_ratio = np.log(a) - np.log(np.maximum(b + x - 1, 1e-300)) + (r + x) * np.log((alpha + T) / (alpha + t_x))
        denominator = 1 + np.where(x > 0, np.exp(np.minimum(log_ratio, 700)), 0.0)
        out = first * second / denominator
    return np.where(np.isfinite(out), np.maximum(out, 0.0), 0.0)


def expected_purchases_new(model: BGNBD, t):
    """E[X(t)] for a customer just acquired (equation 7): the population curve."""
    from scipy.special import hyp2f1

    r, alpha, a, b = model.r, model.alpha, model.a, model.b
    return (a + b - 1) / (a - 1) * (1 - (alpha / (alpha + t)) ** r * hyp2f1(r, b, a + b - 1, t / (alpha + t)))


def gamma_gamma_log_likelihood(params, x, m_x):
    """Per-customer Gamma-Gamma log-likelihood of mean spend m_x over x transactions (Fader and Hardie 2013)."""
    import numpy as np
    from scipy.special import gammaln

    p, q, v = params
    x = np.asarray(x, float)
    m_x = np.asarray(m_x, float)
    return (
        gammaln(p * x + q)
        - gammaln(p * x)
        - gammaln(q)
        + q * np.log(v)
        + (p * x - 1) * np.log(m_x)
        + (p * x) * np.log(x)
        - (p * x + q) * np.log(x * m_x + v)
    )


def fit_gamma_gamma(x, m_x, *, initial=(1.0, 1.0, 1.0)) -> GammaGamma:
    """Maximum-likelihood Gamma-Gamma over the customers with at least one repeat purchase and positive spend."""
    import numpy as np
    from scipy.optimize import minimize

    x = np.asarray(x, float)
    m_x = np.asarray(m_x, float)
    keep = (x > 0) & (m_x > 0)
    x, m_x = x[keep], m_x[keep]
    if len(x) < 3:
        raise NotEnoughData(f"Gamma-Gamma needs at least 3 repeat customers with spend, got {len(x)}")
    stacked = np.column_stack([x, m_x])
    unique, counts = np.unique(stacked, axis=0, return_counts=True)
    gx, gm, w = unique[:, 0], unique[:, 1], counts.astype(float)
    total = w.sum()

    def objective(log_params):
        params = np.exp(np.clip(log_params, -30, 30))
        value = -(gamma_gamma_log_likelihood(params, gx, gm) * w).sum() / total
        return value if np.isfinite(value) else 1e100

    first = minimize(objective, np.log(initial), method="Nelder-Mead", options={"maxiter": 4000, "xatol": 1e-7})
    best = minimize(objective, first.x, method="BFGS", options={"gtol": 1e-8})
    chosen = best if best.fun <= first.fun and np.all(np.isfinite(best.x)) else first
    p, q, v = (float(val) for val in np.exp(chosen.x))
    return GammaGamma(p, q, v, log_likelihood=float(-chosen.fun * total))


def expected_spend(model: GammaGamma, x, m_x):
    """E[spend per transaction | x, m_x]: a weighted mean of the person's own mean and the population's."""
    import numpy as np

    x = np.asarray(x, float)
    m_x = np.asarray(m_x, float)
    p, q, v = model.p, model.q, model.v
    population = p * v / (q - 1) if q > 1 else float("nan")
    with np.errstate(divide="ignore", invalid="ignore"):
        own = (p * (v + x * m_x)) / (p * x + q - 1)
    return np.where((x > 0) & (m_x > 0), own, population)


def clv(
    bgnbd: BGNBD,
    gg: GammaGamma,
    x,
    t_x,
    T,
    m_x,
    *,
    months: int = 12,
    period_days: float = 7.0,
    monthly_discount: float = 0.01,
):
    """Customer lifetime value over `months`: expected purchases month by month, times expected spend, discounted."""
    import numpy as np

    spend = expected_spend(gg, x, m_x)
    month = 365.25 / 12 / period_days  # one month in the fit's unit
    value = np.zeros(len(np.asarray(x)))
    previous = np.zeros_like(value)
    for i in range(1, months + 1):
        cumulative = expected_purchases(bgnbd, i * month, x, t_x, T)
        value += (cumulative - previous) * spend / (1 + monthly_discount) ** i
        previous = cumulative
    return np.where(np.isfinite(value), value, 0.0)


RFM_SEGMENTS = [
    # (name, recency scores, frequency scores): the first that matches names the segment.
    ("champions", (4, 5), (4, 5)),
    ("loyal", (3, 4, 5), (3, 4, 5)),
    ("new", (4, 5), (1,)),
    ("potential_loyalist", (4, 5), (2, 3)),
    ("promising", (3,), (1, 2)),
    ("cant_lose", (1, 2), (4, 5)),
    ("at_risk", (1, 2), (3,)),
    ("hibernating", (2,), (1, 2)),
    ("lost", (1,), (1, 2)),
]


def rfm_segment(r: int | None, f: int | None) -> str:
    """The named RFM segment of a recency and a frequency quintile (5 = best)."""
    if r is None or f is None:
        return ""
    for name, rs, fs in RFM_SEGMENTS:
        if r in rs and f in fs:
            return name
    return "needs_attention"


def quintile_breaks(values) -> list[float]:
    """The four cut points that split values into quintiles."""
    import numpy as np

    arr = np.asarray(values, float)
    if len(arr) == 0:
        return []
    return [float(v) for v in np.quantile(arr, [0.2, 0.4, 0.6, 0.8])]


def quintile(value: float, breaks: list[float]) -> int:
    """1..5: how many cut points the value exceeds, plus one (5 = top fifth)."""
    if not breaks:
        return 3
    return 1 + sum(1 for b in breaks if value > b)


def describe(params: dict[str, Any] | None) -> dict[str, float] | None:
    """Rounded parameters for printing and JSON (None stays None)."""
    if params is None:
        return None
    return {k: (round(v, 6) if isinstance(v, float) and math.isfinite(v) else v) for k, v in params.items()}
