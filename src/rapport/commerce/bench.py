"""Customer value at scale: purchase import, the RFM + CLV refit (BG/NBD alone too) and a new order's update, each
beside a baseline in the same run. The import is the user's command, `rapport purchases import FILE`, run as a fresh
process with everything attached, beside the file read and parsed with nothing written, a plain ORM bulk_create of
the same orders and lines, and the previous importer's figure; the refit beside pandas on the same rows and a naive
per-customer ORM loop. Its output says what it leaves out.

The default size is small enough for a laptop; the issue's figures are for `--customers 1000000 --lines 10000000`
on PostgreSQL (`--import-only` stops after the import figures).
"""

from __future__ import annotations

import json
import random
import tempfile
import time
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path

from django.db import connection
from django.db.models import Count, Max, Min, Sum

from rapport.commerce import services
from rapport.commerce.importer import CANONICAL_HEADERS, parse_row
from rapport.commerce.models import Order
from rapport.contacts.models import Person
from rapport.core import csvread, csvsafe
from rapport.core.services import get_or_create_workspace

NAME = "value"
# The importer before it deferred summaries to one set-based pass and wrote lookups, summaries, audit rows and JSON
# leanly, measured with the same command on the same machine (PostgreSQL, 100,000 customers, 500,000 lines, two
# runs): kept as text, since that code is gone.
PREVIOUS = "2,750-3,100 lines/s on PostgreSQL at 100,000 customers and 500,000 lines (measured before the change)"
GOALS = {"import_lines_per_s": 50_000, "refit_s": 60, "bgnbd_fit_s": 5, "new_order_s": 1}


def add_arguments(parser) -> None:
    parser.add_argument("--customers", type=int, default=5_000)
    parser.add_argument("--lines", type=int, default=50_000)
    parser.add_argument("--workspace", default="bench-value")
    parser.add_argument("--seed", type=int, default=5)
    parser.add_argument("--naive-sample", type=int, default=500, help="customers the naive ORM loop is timed on")
    parser.add_argument(
        "--import-only", action="store_true", help="time the purchase import and its baselines, skip the refit"
    )
    parser.add_argument(
        "--in-process",
        action="store_true",
        help="run `purchases import` through call_command instead of as a fresh `rapport` process",
    )


def _write_file(path: Path, *, customers: int, lines: int, seed: int) -> int:
    """Order lines for `customers` people: a few big spenders, many one-off buyers, 1 to 5 lines per order."""
    rng = random.Random(seed)
    end = datetime(2026, 6, 30, tzinfo=UTC)
    written = 0
    order_no = 0
    with path.open("w", newline="") as fh:
        w = csvsafe.writer(fh)
        w.writerow(CANONICAL_HEADERS)
        while written < lines:
            c = int(customers * rng.random() ** 2)  # skewed: low ids buy more often
            order_no += 1
            when = end - timedelta(days=rng.uniform(0, 540))
            for k in range(min(rng.randint(1, 5), lines - written)):
                sku = rng.randint(1, 2000)
                w.writerow(
                    [
                        f"b{order_no}",
                        f"c{c}",
                        "",
                        "",
                        when.strftime("%Y-%m-%dT%H:%M:%S"),
                        f"sku{sku}",
                        f"Product {sku}",
                        f"Cat {sku % 20} > Sub {sku % 7}",
                        1,
                        f"{rng.uniform(2, 80):.2f}",
                        "EUR",
                        f"s{k % 3}",
                    ]
                )
                written += 1
    return order_no


def _pandas_baseline(workspace) -> float | None:
    """The same per-customer aggregates with pandas over the same order rows read from the database."""
    try:
        import pandas as pd
    except ImportError:
        return None
    t0 = time.perf_counter()
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT person_id, ordered_at, total - returned FROM commerce_order WHERE workspace_id = %s "
            "AND person_id IS NOT NULL",
            [workspace.pk],
        )
        rows = cursor.fetchall()
    df = pd.DataFrame(rows, columns=["person", "at", "amount"])
    df["at"] = pd.to_datetime(df["at"], utc=True, format="mixed")
    df["day"] = df["at"].dt.floor("D")
    df["amount"] = df["amount"].astype(float)
    days = df.groupby(["person", "day"], as_index=False)["amount"].sum()
    first = days.groupby("person")["day"].transform("min")
    agg = (
        days.assign(first=first)
        .groupby("person")
        .agg(n=("day", "size"), last=("day", "max"), first=("first", "min"), spend=("amount", "sum"))
    )
    agg["x"] = agg["n"] - 1
    from rapport.commerce import valuemodels as vm

    until = df["day"].max()
    vm.fit_bgnbd(agg["x"], (agg["last"] - agg["first"]).dt.days / 7, (until - agg["first"]).dt.days / 7)
    return time.perf_counter() - t0


def _naive_loop(workspace, person_ids: list[int]) -> float:
    """Per customer: one aggregate query and one save, the way a first version would do it."""
    from rapport.commerce.models import CustomerValue

    t0 = time.perf_counter()
    for pid in person_ids:
        agg = Order.objects.filter(workspace=workspace, person_id=pid).aggregate(
            n=Count("id"), spend=Sum("total"), first=Min("ordered_at"), last=Max("ordered_at")
        )
        cv, _ = CustomerValue.objects.get_or_create(workspace=workspace, person_id=pid)
        cv.orders, cv.total_spend = agg["n"] or 0, agg["spend"] or Decimal(0)
        cv.first_order_at, cv.last_order_at = agg["first"], agg["last"]
        cv.save()
    return (time.perf_counter() - t0) / max(1, len(person_ids))


LEAVES_OUT = (
    "the import is the user's command, `rapport purchases import FILE` run as a fresh process (Django's start "
    "included) with everything attached: linking, products, stores, timeline, loyalty, value summaries, events and "
    "the lifecycle and segment listeners they reach; left out: writing the file and creating the people. A new "
    "order is services.record_order (not the API's or a webhook's HTTP, auth and signature check); each figure is "
    "one run on this machine, not a median"
)
LEAVES_OUT_IN_PROCESS = LEAVES_OUT.replace(
    "run as a fresh process (Django's start included)", "run through call_command in this process"
)


def _read_parse_baseline(path: Path) -> float:
    """The floor of the import: the same file read and every row parsed, nothing written."""
    t0 = time.perf_counter()
    with path.open("rb") as fh:
        _header, rows = csvread.read_rows(fh, mapping={})
        for _line, row, _error in rows:
            if row is not None:
                parse_row(row, source="import")
    return time.perf_counter() - t0


def _plain_insert_baseline(path: Path, workspace) -> float:
    """What a plain ORM import costs: the same rows parsed and written with Django's bulk_create as orders and
    lines, nothing else (no people linked, no timeline, value, loyalty or events), in batches of 5,000 lines."""
    from rapport.commerce.models import OrderLine

    t0 = time.perf_counter()
    with path.open("rb") as fh:
        _header, rows = csvread.read_rows(fh, mapping={})
        batch: list = []

        def flush() -> None:
            orders: dict[str, Order] = {}
            for o in batch:
                orders.setdefault(
                    o.order_id, Order(workspace=workspace, source="plain", order_id=o.order_id, ordered_at=o.ordered_at)
                )
            Order.objects.bulk_create(list(orders.values()), batch_size=2000, ignore_conflicts=True)
            known = dict(
                Order.objects.filter(workspace=workspace, source="plain", order_id__in=list(orders)).values_list(
                    "order_id", "id"
                )
            )
            OrderLine.objects.bulk_create(
                [
                    OrderLine(
                        order_id=known[o.order_id], sku=ln.sku, name=ln.name, quantity=ln.quantity, amount=ln.amount
                    )
                    for o in batch
                    for ln in o.lines
                ],
                batch_size=2000,
            )
            batch.clear()

        for _line, row, _error in rows:
            if row is not None:
                batch.append(parse_row(row, source="plain"))
                if len(batch) >= 5000:
                    flush()
        if batch:
            flush()
    seconds = time.perf_counter() - t0
    Order.objects.filter(workspace=workspace, source="plain").delete()
    return seconds


def _run_import(path: Path, workspace, *, in_process: bool) -> tuple[dict, float]:
    """`rapport purchases import FILE --workspace SLUG`, timed from start to exit; its JSON summary and seconds."""
    t0 = time.perf_counter()
    if in_process:
        import io

        from django.core.management import call_command

        out = io.StringIO()
        call_command("purchases", "import", str(path), "--workspace", workspace.slug, stdout=out, stderr=io.StringIO())
        text = out.getvalue()
    else:
        import subprocess
        import sys

        done = subprocess.run(  # noqa: S603 - our own interpreter and command
            [
                sys.executable,
                "-c",
                "from rapport.cli import main; main()",
                "purchases",
                "import",
                str(path),
                "--workspace",
                workspace.slug,
            ],
            capture_output=True,
            text=True,
            check=False,
        )
        if done.returncode != 0:
            raise RuntimeError(f"rapport purchases import failed ({done.returncode}): {done.stderr[-2000:]}")
        text = done.stdout
    seconds = time.perf_counter() - t0
    return json.loads(text.strip().splitlines()[-1]), seconds


def run(options: dict, write) -> None:
    customers, lines = options["customers"], options["lines"]
    workspace, _ = get_or_create_workspace(slug=options["workspace"], name="Value bench")
    Order.objects.filter(workspace=workspace).delete()
    Person.objects.filter(workspace=workspace).delete()
    in_process = bool(options.get("in_process"))
    write(f"{connection.vendor}: {customers:,} customers, {lines:,} order lines")
    write(f"  ({LEAVES_OUT_IN_PROCESS if in_process else LEAVES_OUT})")
    for start in range(0, customers, 20_000):
        Person.objects.bulk_create(
            [
                Person(workspace=workspace, external_id=f"c{i}", first_name="Bench", last_name=f"C{i}")
                for i in range(start, min(customers, start + 20_000))
            ],
            batch_size=5000,
        )
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "orders.csv"
        orders = _write_file(path, customers=customers, lines=lines, seed=options["seed"])
        summary, import_s = _run_import(path, workspace, in_process=in_process)
        floor_s = _read_parse_baseline(path)
        plain_s = _plain_insert_baseline(path, workspace)
    imported = summary["lines"]
    rate = imported / import_s if import_s else 0
    write(
        f"import: {imported:,} lines in {orders:,} orders, {import_s:.1f}s = {rate:,.0f} lines/s "
        f"(goal >= {GOALS['import_lines_per_s']:,} at 10M lines)"
    )
    write(
        f"  baseline read + parse only, nothing written: {floor_s:.1f}s = "
        f"{(imported / floor_s if floor_s else 0):,.0f} lines/s"
    )
    write(
        f"  baseline plain ORM insert (parse + bulk_create of orders and lines, nothing linked): {plain_s:.1f}s = "
        f"{(imported / plain_s if plain_s else 0):,.0f} lines/s"
    )
    write(f"  previous importer (5,000-line batches, summaries recomputed every 20,000 people): {PREVIOUS}")
    if options.get("import_only"):
        write(
            json.dumps(
                {
                    "vendor": connection.vendor,
                    "customers": customers,
                    "lines": imported,
                    "import_lines_per_s": round(rate),
                    "read_parse_baseline_s": round(floor_s, 2),
                    "plain_insert_baseline_s": round(plain_s, 2),
                }
            )
        )
        return
    fit = services.fit(workspace=workspace, period="week")
    refit_s = sum(fit.seconds.values())
    write(
        f"refit RFM + CLV: {refit_s:.1f}s (read {fit.seconds['read']:.1f}s, BG/NBD {fit.seconds['bgnbd']:.2f}s, "
        f"Gamma-Gamma {fit.seconds['gamma_gamma']:.2f}s, write {fit.seconds.get('write', 0):.1f}s) for "
        f"{fit.customers:,} customers (goal < {GOALS['refit_s']}s, BG/NBD < {GOALS['bgnbd_fit_s']}s at 1M)"
    )
    pandas_s = _pandas_baseline(workspace)
    if pandas_s is None:
        write("  baseline pandas: not run (pandas is not installed)")
    else:
        write(f"  baseline pandas (read, group by customer and day, BG/NBD fit): {pandas_s:.1f}s")
    pids = list(Person.objects.filter(workspace=workspace).values_list("pk", flat=True)[: options["naive_sample"]])
    per = _naive_loop(workspace, pids)
    write(
        f"  baseline naive ORM loop (aggregates only, no model): {per * 1000:.2f} ms per customer "
        f"= {per * fit.customers:.1f}s for all {fit.customers:,} (timed on {len(pids)})"
    )
    latencies = []
    for i in range(20):
        t = time.perf_counter()
        services.record_order(
            workspace=workspace,
            order=services.OrderIn(
                order_id=f"live-{i}",
                ordered_at=datetime.now(UTC),
                external_id=f"c{i * 7}",
                lines=[services.LineIn(sku="sku1", amount=Decimal("9.99"))],
            ),
        )
        latencies.append(time.perf_counter() - t)
    latencies.sort()
    write(
        f"new order -> RFM and predictions: median {latencies[10] * 1000:.0f} ms, max {latencies[-1] * 1000:.0f} ms "
        f"(goal < {GOALS['new_order_s']}s)"
    )
    write(
        json.dumps(
            {
                "vendor": connection.vendor,
                "customers": customers,
                "lines": imported,
                "plain_insert_baseline_s": round(plain_s, 2),
                "import_lines_per_s": round(rate),
                "read_parse_baseline_s": round(floor_s, 2),
                "refit_s": round(refit_s, 2),
                "bgnbd_fit_s": round(fit.seconds["bgnbd"], 3),
                "pandas_baseline_s": None if pandas_s is None else round(pandas_s, 2),
                "naive_loop_s_all": round(per * fit.customers, 1),
                "new_order_median_ms": round(latencies[10] * 1000, 1),
            }
        )
    )
