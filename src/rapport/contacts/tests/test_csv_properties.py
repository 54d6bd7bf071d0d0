"""Property test of the contacts CSV reader: any bytes in any encoding give rows and line rejections, or one
ImportFileError for the whole file; never another exception."""

from __future__ import annotations

import io

from hypothesis import given, settings
from hypothesis import strategies as st

from rapport.contacts.csvfile import ImportFileError, read_rows

SEED = 'first_name,last_name,email\nAnn,Berg,ann@example.se\n"Bo, Jr",Holm,bo@example.se\n'
encodings = st.sampled_from(["utf-8-sig", "utf-8", "utf-16", "utf-16-le", "cp1252", "latin-1", "ascii"])


@st.composite
def files(draw) -> bytes:
    text_codec = draw(st.sampled_from(["utf-8", "utf-16", "utf-16-le", "utf-16-be", "cp1252"]))
    data = bytearray(SEED.encode(text_codec))
    for _ in range(draw(st.integers(0, 4))):
        at = draw(st.integers(0, len(data)))
        data[at : at + draw(st.integers(0, 6))] = draw(
            st.one_of(st.binary(max_size=8), st.sampled_from([b"\x00", b'"', b"\r", b"\n", b"\xff\xfe", b"\xd8"]))
        )
    return bytes(data)


@settings(max_examples=300, deadline=None)
@given(st.one_of(files(), st.binary(max_size=60)), encodings)
def test_any_bytes_read_as_rows_or_one_file_error(data, encoding):
    try:
        header, rows = read_rows(io.BytesIO(data), mapping={}, encoding=encoding)
        for line, row, error in rows:
            assert line >= 2 and (row is None) == (error is not None)
            if row is not None:
                assert all(isinstance(v, str) for v in row.values())
    except ImportFileError:
        return
