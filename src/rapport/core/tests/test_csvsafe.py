"""CSV cells cannot run as spreadsheet formulas, the escape is undone exactly, and every writer uses it."""

import csv
import io
import re
from pathlib import Path

import pytest

from rapport.core import csvsafe

DANGEROUS = ['=HYPERLINK("http://evil.example","x")', "+SUM(1)", "@SUM", "-1+1", "\tx", "\rx"]


@pytest.mark.parametrize("value", DANGEROUS)
def test_cells_that_start_a_formula_get_a_quote(value):
    out = io.StringIO()
    csvsafe.DictWriter(out, fieldnames=["a"]).writerow({"a": value})
    cell = next(csv.reader(io.StringIO(out.getvalue())))[0]
    assert cell.startswith("'") and cell == "'" + value


@pytest.mark.parametrize(
    "value", [*DANGEROUS, "+45 12 34 56 78", "-Ann", "'=already quoted", "''+twice", "'plain", "plain", "a=b", "", "'"]
)
def test_escape_is_undone_exactly(value):
    assert csvsafe.unescape_cell(csvsafe.escape_cell(value)) == value


def test_plain_values_and_non_strings_are_left_alone():
    assert csvsafe.escape_cell("Ann") == "Ann" and csvsafe.escape_cell(12) == 12 and csvsafe.escape_cell(None) is None
    out = io.StringIO()
    csvsafe.writer(out).writerows([["=1", 2, "ok"]])
    assert out.getvalue() == "'=1,2,ok\r\n"


def test_no_csv_file_is_written_around_the_helper():
    root = Path(csvsafe.__file__).resolve().parent.parent
    offenders = [
        str(path.relative_to(root))
        for path in root.rglob("*.py")
        if "tests" not in path.parts
        and path.name != "csvsafe.py"
        and re.search(r"\bcsv\.(writer|DictWriter)\(", path.read_text())
    ]
    assert not offenders, f"write CSV through rapport.core.csvsafe: {offenders}"
