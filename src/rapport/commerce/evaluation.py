"""Value-model quality on CDNOW: reproduce Fader, Hardie and Lee (2005), then a calibration/holdout check.

The CDNOW sample (2,357 customers of the cohort who first bought in the first quarter of 1997, purchases to the end
of June 1998) ships inside the `lifetimes` wheel; its data file is read from the installed distribution without
importing that unmaintained package (a dev/data dependency only).

Fit BG/NBD and Gamma-Gamma on the 39 calibration weeks to 1997-09-30, compare with the published parameters, then
predict each customer's repeat purchases in the 39 holdout weeks: MAE and correlation against what they did, beside
the naive "same rate as before" baseline.
"""

from __future__ import annotations

import json
import math
import time
from datetime import date
from typing import Any

NAME = "value"
CALIBRATION_END = date(1997, 9, 30)
HOLDOUT_END = date(1998, 6, 30)
PAPER = {
    "bgnbd": {"r": 0.243, "alpha": 4.414, "a": 0.793, "b": 2.426},
    "gamma_gamma": {"p": 6.25, "q": 3.74, "v": 15.45},
}


class DataMissing(RuntimeError):
    """The CDNOW data is not installed."""


def cdnow_path():
    """The CDNOW sample's transaction log inside the installed `lifetimes` distribution."""
    from importlib.metadata import PackageNotFoundError, distribution

    try:
        path = distribution("lifetimes").locate_file("lifetimes/datasets/CDNOW_sample.txt")
    except PackageNotFoundError:
        raise DataMissing("the CDNOW data ships in the `lifetimes` wheel: pip install -e '.[dev]'") from None
    if not path.exists():
        raise DataMissing(f"{path} is missing from the lifetimes distribution")
    return path


def load_cdnow() -> dict[str, dict[date, float]]:
    """customer id -> purchase day -> amount spent that day (several orders on one day are one purchase)."""
    days: dict[str, dict[date, float]] = {}
    with open(cdnow_path()) as fh:
        for line in fh:
            parts = line.split()
            if len(parts) != 5:
                continue
            cid, _, ymd, _, amount = parts
            day = date(int(ymd[:4]), int(ymd[4:6]), int(ymd[6:]))
            per = days.setdefault(cid, {})
            per[day] = per.get(day, 0.0) + float(amount)
    return days


def digits_agree(got: float, paper: float, digits: int = 3) -> bool:
    """Whether got equals paper to `digits` significant digits (within half a unit of the last one)."""
    unit = 10 ** (math.floor(math.log10(abs(paper))) - (digits - 1))
    return abs(got - paper) <= unit / 2 + 1e-12


def reproduce(days: dict[str, dict[date, float]]) -> dict[str, Any]:
    """Fit both models on the calibration period in weeks; the parameters and whether each matches the paper."""
    from rapport.commerce import valuemodels as vm
    from rapport.commerce.services import summarise

    ids, x, t_x, T, m_x = summarise(days, until=CALIBRATION_END)
    t0 = time.perf_counter()
    bg = vm.fit_bgnbd(x, [t / 7 for t in t_x], [t / 7 for t in T])
    gg = vm.fit_gamma_gamma(x, m_x)
    seconds = time.perf_counter() - t0
    got = {"bgnbd": bg.params(), "gamma_gamma": gg.params()}
    agree = {m: {k: digits_agree(v, PAPER[m][k]) for k, v in got[m].items()} for m in got}
    return {
        "customers": len(ids),
        "repeaters": sum(1 for v in x if v > 0),
        "params": got,
        "agree": agree,
        "seconds": seconds,
        "models": (bg, gg),
        "features": (ids, x, t_x, T, m_x),
        "bgnbd_ll": bg.log_likelihood,
    }


def holdout(days: dict[str, dict[date, float]], fitted: dict[str, Any]) -> dict[str, Any]:
    """Predicted vs actual repeat purchases per customer in the 39 weeks after calibration, and the naive baseline."""
    import numpy as np

    from rapport.commerce import valuemodels as vm

    bg, _ = fitted["models"]
    ids, x, t_x, T, _ = fitted["features"]
    weeks = (HOLDOUT_END - CALIBRATION_END).days / 7
    actual = np.array([sum(1 for d in days[c] if CALIBRATION_END < d <= HOLDOUT_END) for c in ids], dtype=float)
    x_ = np.asarray(x)
    T_w = np.asarray(T) / 7
    predicted = vm.expected_purchases(bg, weeks, x_, np.asarray(t_x) / 7, T_w)
    naive = np.where(T_w > 0, x_ / np.maximum(T_w, 1e-9) * weeks, 0.0)

    def score(pred):
        return {
            "mae": float(np.mean(np.abs(pred - actual))),
            "correlation": float(np.corrcoef(pred, actual)[0, 1]),
            "total": float(pred.sum()),
        }

    return {
        "weeks": round(weeks, 2),
        "actual_total": float(actual.sum()),
        "bgnbd": score(predicted),
        "naive": score(naive),
    }


def through_orders(days: dict[str, dict[date, float]]) -> dict[str, Any]:
    """The same fit through the product: CDNOW as people and orders in a scratch workspace (rolled back), then
    `services.fit` to the calibration date, so the numbers come from Rapport's own SQL features."""
    from datetime import UTC, datetime

    from django.db import transaction

    from rapport.commerce import services
    from rapport.contacts.models import Person
    from rapport.core.models import Workspace

    class Rollback(Exception):
        pass

    out: dict[str, Any] = {}
    try:
        with transaction.atomic():
            ws = Workspace.objects.create(name="CDNOW evaluation", slug=f"cdnow-eval-{int(time.time())}")
            Person.objects.bulk_create(
                [Person(workspace=ws, external_id=c, first_name="CDNOW", last_name=c) for c in days], batch_size=2000
            )
            orders = [
                services.OrderIn(
                    order_id=f"{c}-{d:%Y%m%d}",
                    ordered_at=datetime(d.year, d.month, d.day, 12, tzinfo=UTC),
                    source="cdnow",
                    external_id=c,
                    currency="USD",
                    lines=[services.LineIn(sku="cd", name="CD", amount=services.money(amt))],
                )
                for c, per in days.items()
                for d, amt in per.items()
            ]
            t0 = time.perf_counter()
            for start in range(0, len(orders), 5000):
                services.record_orders(workspace=ws, orders=orders[start : start + 5000], refresh=False, earn=False)
            out["import_seconds"] = time.perf_counter() - t0
            result = services.fit(workspace=ws, period="week", until=CALIBRATION_END, write=False)
            out.update(customers=result.customers, params={"bgnbd": result.bgnbd, "gamma_gamma": result.gamma_gamma})
            raise Rollback
    except Rollback:
        pass
    return out


def add_arguments(parser) -> None:
    """Options of `rapport eval value`."""
    parser.add_argument("--skip-orders", action="store_true", help="skip the run through orders and `value fit`")


def run(options: dict, write) -> None:
    """Print the reproduction, the holdout check and a JSON summary last."""
    days = load_cdnow()
    fitted = reproduce(days)
    write(f"CDNOW: {fitted['customers']} customers, {fitted['repeaters']} with a repeat purchase in calibration")
    for model, params in fitted["params"].items():
        for k, v in params.items():
            mark = "ok" if fitted["agree"][model][k] else "DIFFERS"
            write(f"  {model:12} {k:6} {v:9.4f}   paper {PAPER[model][k]:<7} {mark}")
    write(f"  fitted in {fitted['seconds']:.2f}s (BG/NBD log-likelihood {fitted['bgnbd_ll']:.2f}; paper -9582.4)")
    check = holdout(days, fitted)
    write(f"holdout {check['weeks']} weeks: {check['actual_total']:.0f} repeat purchases happened")
    for name in ("bgnbd", "naive"):
        s = check[name]
        write(f"  {name:6} predicted {s['total']:7.1f}  MAE {s['mae']:.3f}  correlation {s['correlation']:.3f}")
    summary: dict[str, Any] = {
        "customers": fitted["customers"],
        "params": {m: {k: round(v, 4) for k, v in p.items()} for m, p in fitted["params"].items()},
        "paper": PAPER,
        "reproduced": all(all(a.values()) for a in fitted["agree"].values()),
        "holdout": check,
    }
    if not options.get("skip_orders"):
        via = through_orders(days)
        write(f"through orders and `value fit`: {via['customers']} customers, imported in {via['import_seconds']:.1f}s")
        summary["through_orders"] = {
            m: {k: round(v, 4) for k, v in (p or {}).items()} for m, p in via["params"].items()
        }
    write(json.dumps(summary))
