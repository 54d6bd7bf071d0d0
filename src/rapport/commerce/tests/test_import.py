"""`rapport purchases import`: canonical headers, bad rows by line, idempotency, linking, review, timeline, value."""

import io
import json
from decimal import Decimal

import pytest
from django.core.management import call_command

from rapport.commerce.importer import import_purchases, parse_mapping
from rapport.commerce.models import CustomerValue, Order, OrderLine
from rapport.contacts.models import Person, Touchpoint
from rapport.core import events

pytestmark = pytest.mark.django_db(transaction=True)

HEADER = "order_id,external_id,customer_number,email,ordered_at,sku,product,category,quantity,amount,currency,store\n"


def run(workspace, text, **kw):
    return import_purchases(workspace=workspace, stream=io.BytesIO(text.encode()), **kw)


@pytest.fixture
def people(workspace):
    ann = Person.objects.create(workspace=workspace, external_id="v1", first_name="Ann", email="ann@example.se")
    bo = Person.objects.create(workspace=workspace, customer_number="C-9", first_name="Bo")
    return ann, bo


def test_rows_link_by_external_id_customer_number_or_email_and_bad_rows_are_named(workspace, people):
    ann, bo = people
    text = HEADER + (
        "o1,v1,,,2026-01-05,sku1,Lens,Photo > Lenses,1,499.00,EUR,web\n"
        "o1,v1,,,2026-01-05,sku3,Cap,Photo > Parts,2,20.00,EUR,web\n"
        "o2,,,ANN@example.se,2026-02-05T10:00:00Z,sku2,Bag,Photo,1,59.00,EUR,web\n"
        "o3,,C-9,,2026-02-06,sku2,Bag,Photo,1,59.00,EUR,Aarhus\n"
        "o4,,,zed@example.se,2026-02-07,sku2,Bag,Photo,1,59.00,EUR,web\n"
        "o5,v1,,,yesterday,sku2,Bag,Photo,1,59.00,EUR,web\n"
        "o6,v1,,,2026-02-07,sku2,Bag,Photo,0,59.00,EUR,web\n"
        "o7,,,,2026-02-07,sku2,Bag,Photo,1,59.00,EUR,web\n"
        "o8,v1,,,2026-02-07,sku2,Bag,Photo,1,lots,EUR,web\n"
    )
    result = run(workspace, text)
    assert [(r.line, r.reason.split(" ")[0]) for r in result.rejected] == [
        (7, "ordered_at"),
        (8, "quantity"),
        (9, "names"),
        (10, "amount"),
    ]
    assert (result.orders, result.lines, result.matched, result.unmatched) == (4, 5, 3, 1)
    o1 = Order.objects.get(order_id="o1")
    assert o1.person_id == ann.pk and o1.total == Decimal("519.00") and o1.lines.count() == 2
    assert Order.objects.get(order_id="o2").person_id == ann.pk
    assert Order.objects.get(order_id="o3").person_id == bo.pk
    waiting = Order.objects.get(order_id="o4")
    assert waiting.person_id is None and waiting.customer_ref == {"email": "zed@example.se"}
    cv = CustomerValue.objects.get(person=ann)
    assert cv.orders == 2 and cv.total_spend == Decimal("578.00")
    # The timeline shows each linked order once, as a projection of the order.
    tps = Touchpoint.objects.filter(person=ann, kind="purchase").order_by("occurred_at")
    assert [t.source_id for t in tps] == [str(o1.pk), str(Order.objects.get(order_id="o2").pk)]
    assert tps[0].amount == Decimal("519.00") and "Lens" in tps[0].body


def test_reimport_is_idempotent_on_source_and_order_id(workspace, people):
    text = HEADER + "o1,v1,,,2026-01-05,sku1,Lens,photo,1,499.00,EUR,web\n"
    run(workspace, text)
    again = run(workspace, text)
    assert (again.orders, again.duplicates) == (0, 1)
    assert Order.objects.count() == 1 and OrderLine.objects.count() == 1
    assert Touchpoint.objects.filter(kind="purchase").count() == 1
    other_source = run(workspace, text, source="shop2")
    assert other_source.orders == 1 and Order.objects.count() == 2


def test_lines_of_one_order_apart_in_the_file_join_it_once(workspace, people):
    text = HEADER + (
        "o1,v1,,,2026-01-05,a,A,x,1,10.00,EUR,web\n"
        "o2,v1,,,2026-01-06,b,B,x,1,5.00,EUR,web\n"
        "o1,v1,,,2026-01-05,c,C,x,1,7.00,EUR,web\n"
    )
    run(workspace, text)
    assert Order.objects.get(order_id="o1").total == Decimal("17.00")
    run(workspace, text)
    assert Order.objects.get(order_id="o1").lines.count() == 2


def test_map_and_dry_run_write_nothing(workspace, people):
    text = "Order,Kunde,Date,Article,Total\nx1,v1,2026-03-01,Milk,1.50\n"
    mapping = parse_mapping("order=order_id,kunde=external_id,date=ordered_at,article=product,total=amount")
    result = run(workspace, text, mapping=mapping, dry_run=True)
    assert (result.orders, result.matched, len(result.rejected)) == (1, 1, 0)
    assert Order.objects.count() == 0
    run(workspace, text, mapping=mapping)
    assert Order.objects.get(order_id="x1").total == Decimal("1.50")


def test_jsonl_rows(workspace, people):
    rows = [
        {"order_id": "j1", "email": "ann@example.se", "ordered_at": "2026-01-01", "sku": "s", "amount": 3},
        "not an object",
    ]
    text = "\n".join(json.dumps(r) for r in rows) + "\n{broken\n"
    result = run(workspace, text, fmt="jsonl")
    assert result.orders == 1 and [r.line for r in result.rejected] == [2, 3]


def test_value_changed_is_emitted_with_the_people(workspace, people):
    seen = []

    def handler(event, payload):
        seen.append(payload)

    events.subscribe("commerce.value_changed", handler)
    try:
        run(workspace, HEADER + "o1,v1,,,2026-01-05,sku1,Lens,photo,1,499.00,EUR,web\n")
    finally:
        events.unsubscribe("commerce.value_changed", handler)
    assert seen and seen[0]["workspace_id"] == workspace.pk and seen[0]["person_ids"] == [people[0].pk]


def test_command_exits_1_when_a_row_is_rejected(workspace, people, tmp_path, capsys):
    f = tmp_path / "o.csv"
    f.write_text(
        HEADER + "o1,v1,,,2026-01-05,sku1,Lens,photo,1,499.00,EUR,web\no2,v1,,,2026-01-05,,,photo,1,4,EUR,web\n"
    )
    with pytest.raises(SystemExit) as exit_:
        call_command("purchases", "import", str(f), "--workspace", workspace.slug)
    assert exit_.value.code == 1
    out = capsys.readouterr()
    assert "line 3: a line needs a sku or a product" in out.err
    assert json.loads(out.out.strip().splitlines()[-1])["orders"] == 1


UNCLOSED = "a quoted field opened on this line is never closed (the lines after it are read again as rows)"


def test_a_semicolon_windows_1252_file_imports_as_contacts_reads_it(workspace, people):
    ann, _ = people
    text = "order_id;external_id;ordered_at;product;amount;currency\no1;v1;2026-01-05;Kaffebønner, 500 g;12,50;EUR\n"
    result = import_purchases(workspace=workspace, stream=io.BytesIO(text.encode("cp1252")))
    assert not result.rejected and (result.orders, result.matched) == (1, 1)
    line = OrderLine.objects.get(order__order_id="o1")
    assert line.name == "Kaffebønner, 500 g" and line.amount == Decimal("12.50") and line.order.person_id == ann.pk


def test_an_unclosed_quote_names_its_line_and_the_orders_after_it_still_import(workspace, people):
    text = HEADER + (
        "o1,v1,,,2026-01-05,sku1,Lens,Photo,1,499.00,EUR,web\n"
        'o2,v1,,,2026-01-06,sku2,"Bag,Photo,1,59.00,EUR,web\n'
        "o3,v1,,,2026-01-07,sku3,Cap,Photo,1,20.00,EUR,web\n"
        "o4,v1,,,2026-01-08,sku4,Strap,Photo,1,15.00,EUR,web\n"
    )
    result = run(workspace, text)
    assert [(r.line, r.reason) for r in result.rejected] == [(3, UNCLOSED)]
    assert sorted(Order.objects.values_list("order_id", flat=True)) == ["o1", "o3", "o4"]


def test_undecodable_bytes_reject_their_line_and_a_bad_delimiter_is_refused(workspace, people, tmp_path):
    # Past the 64 KiB the encoding is guessed from, a Windows-1252 line in a UTF-8 file is rejected by its line.
    good = "o{},v1,,,2026-01-05,sku1,Lens,Photo,1,499.00,EUR,web\n"
    data = HEADER.encode() + good.format(1).encode() + b"\n" * 70_000 + good.format("2-\u00f8").encode("cp1252")
    data += good.format(3).encode()
    result = import_purchases(workspace=workspace, stream=io.BytesIO(data))
    assert [r.line for r in result.rejected] == [70_003] and "not valid utf-8" in result.rejected[0].reason
    assert sorted(Order.objects.values_list("order_id", flat=True)) == ["o1", "o3"]
    f = tmp_path / "orders.csv"
    f.write_text(HEADER + "o1,v1,,,2026-01-05,sku1,Lens,Photo,1,499.00,EUR,web\n")
    from django.core.management.base import CommandError

    with pytest.raises(CommandError, match="--delimiter ':'"):
        call_command("purchases", "import", str(f), "--workspace", workspace.slug, "--delimiter", ":")


def test_values_the_database_cannot_store_reject_their_row_by_column_and_the_rest_import(workspace, people):
    head = HEADER.rstrip("\n") + ",unit_price,discount\n"
    text = head + (
        "o1,v1,,,2026-01-05,sku1,Le\x00ns,Photo,1,499.00,EUR,web,,\n"
        "o2,v1,,,2026-01-05,sku1,Lens,Photo,1,499.00,EUR,web,1e11,\n"
        "o3,v1,,,2026-01-05,sku1,Lens,Photo,1,499.00,EUR,web,,1e11\n"
        "o4,v1,,,9999-12-31T23:59:59-05:00,sku1,Lens,Photo,1,499.00,EUR,web,,\n"
        "o5,v1,,,2026-01-05,sku\x07,Lens,Photo,1,4.00,EUR,web,,\n"
        "o6,v1,,,2026-01-05,sku1,Lens,Photo,1,4.00,EUR,web,,\n"
    )
    result = run(workspace, text)
    assert [str(r) for r in result.rejected] == [
        "line 2: product: must not contain control characters",
        "line 3: unit_price: is too large (at most 9,999,999,999)",
        "line 4: discount: is too large (at most 9,999,999,999)",
        "line 5: ordered_at: is not a plausible order date (years 1900 to 2999)",
        "line 6: sku: must not contain control characters",
    ]
    assert list(Order.objects.values_list("order_id", flat=True)) == ["o6"]


def test_lines_of_orders_spread_over_the_file_join_their_orders_in_bounded_queries(
    workspace, people, monkeypatch, django_assert_max_num_queries
):
    from rapport.commerce import importer

    monkeypatch.setattr(importer, "BATCH_LINES", 50)
    # 200 orders of 3 lines, the file sorted by line number: every order's 2nd and 3rd line come long after its 1st.
    rows = [f"o{n},v1,,,2026-01-05,sku{k},Item {k},Photo,1,{k}.00,EUR,web\n" for k in (1, 2, 3) for n in range(200)]
    with django_assert_max_num_queries(400):  # a handful per batch of 50 rows; it was several per late line
        result = run(workspace, HEADER + "".join(rows))
    assert not result.rejected and (result.orders, result.lines) == (200, 600)
    assert OrderLine.objects.count() == 600
    assert set(Order.objects.values_list("total", flat=True)) == {Decimal("6.00")}
    assert all(line.product_id for line in OrderLine.objects.all())
    cv = CustomerValue.objects.get(person=people[0])
    assert cv.orders == 200 and cv.total_spend == Decimal("1200.00")  # the late lines reached the value summary
    again = run(workspace, HEADER + "".join(rows))  # idempotent: a second import adds no lines
    assert (again.orders, again.duplicates) == (0, 200) and OrderLine.objects.count() == 600


def test_jsonl_rows_with_bad_bytes_or_nested_values_are_named_and_the_rest_import(workspace, people):
    good = {"order_id": "j1", "email": "ann@example.se", "ordered_at": "2026-01-01", "sku": "s", "amount": 3}
    data = b"\n".join(
        [
            json.dumps(good).encode(),
            json.dumps({**good, "order_id": "j2", "sku": "KAFFEB\u00d8NNER"})
            .encode("ascii")
            .replace(b"\\u00d8", b"\xd8"),
            json.dumps({**good, "order_id": {"id": "j3"}}).encode(),
            json.dumps({**good, "order_id": "j4", "sku": "s\u0000"}).encode(),
            json.dumps({**good, "order_id": "j5"}).encode(),
        ]
    )
    result = import_purchases(workspace=workspace, stream=io.BytesIO(data), fmt="jsonl")
    assert [str(r) for r in result.rejected] == [
        "line 2: not valid UTF-8 text (JSON Lines files are UTF-8)",
        "line 3: order_id: must be text or a number, not an object or a list",
        "line 4: sku: must not contain control characters",
    ]
    assert sorted(Order.objects.values_list("order_id", flat=True)) == ["j1", "j5"]
