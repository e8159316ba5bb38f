"""Hypothesis: the column-wise police-uk checks (pyarrow) accept, key and reject exactly the rows
the row-by-row checks do, with the same reasons, on files full of real quirks."""

import io

from hypothesis import given, settings
from hypothesis import strategies as st

from layers.importers import crime, crimeformats, policeuk, textfiles
from layers.importers.base import Report
from tests.layers.importing import POLICE_UK_HEADER

EXTENT = (-3.1, 54.8, -2.8, 54.95)
COORDINATES = [
    "-3.0", " -2.95 ", "-2.9e0", ".5", "-3.", "", "abc", "0", "inf", "nan", "1e999", "1_0",
    "54.9", "-3.05", "200", "+54.85",
]  # fmt: skip
fields = st.fixed_dictionaries(
    {
        "id": st.sampled_from(["", "", "abc", " abc ", "dup", "dup", "x" * 64]),
        "month": st.sampled_from(
            ["2021-01", "2021-12", " 2021-03 ", "2021-13", "someday", "2021-+1", "", "2021-1"]
        ),
        "lon": st.sampled_from(COORDINATES),
        "lat": st.sampled_from(COORDINATES),
        "type": st.sampled_from(
            [
                "Burglary",
                " Drugs ",
                "",
                "Stolen goods",
                "Anti-social behaviour",
                "Anti-social behaviour",
            ]
        ),
        "location": st.sampled_from(
            ["On or near X", "Åsgatan", '"quoted, with comma"', 'a"b', '"say ""hi"""']
        ),
        "lsoa": st.sampled_from(["E01", " E02 ", ""]),
        "width": st.sampled_from([12, 12, 12, 12, 11, 5, 13, 0]),
        "latin1": st.booleans(),
    }
)


def line_of(f: dict) -> bytes:
    row = [
        f["id"], f["month"], "Force", "Force", f["lon"], f["lat"], f["location"], f["lsoa"],
        "name", f["type"], "", "",
    ]  # fmt: skip
    row = (row + ["extra"])[: f["width"]] if f["width"] else []
    text = ",".join(row) + "\r\n"
    return text.encode("latin-1" if f["latin1"] else "utf-8")


def reference(data: bytes):
    """The row-by-row import of before: Python's CSV reader over lines decoded one by one."""
    report = Report()
    lines, reader, header = textfiles.open_csv(io.BytesIO(data), ",")
    preset = policeuk.PoliceUk(crimeformats.header_index(header, "police-uk", {}), EXTENT, report)
    accepted = []
    for row in reader:
        report.read += 1
        staged = preset.row(row, reader.line_num)
        if staged is not None:
            accepted.append(staged)
    report.notes["encoding"] = lines.encoding_note()
    return report, accepted


def columnwise(data: bytes):
    report = Report()
    batches = crime._csv_batches(
        io.BytesIO(data), "police-uk", {}, EXTENT, report, lambda: None, None
    )
    accepted = [tuple(row.values()) for batch in batches for row in batch.to_pylist()]
    return report, accepted


@settings(max_examples=150, deadline=None)
@given(st.lists(fields, max_size=40))
def test_column_checks_agree_with_the_row_by_row_checks(rows):
    data = (POLICE_UK_HEADER + "\r\n").encode() + b"".join(line_of(f) for f in rows)
    expected_report, expected = reference(data)
    report, accepted = columnwise(data)
    assert sorted(accepted) == sorted(expected)
    assert report.read == expected_report.read
    assert report.rejected_rows == expected_report.rejected_rows
    assert report.notes == expected_report.notes


def test_a_row_pyarrow_cannot_hand_back_mid_file_sends_the_rest_row_by_row():
    """A Latin-1 row with a field too few after the first 2 MB block (2.8 MB of rows before
    it): pyarrow stops there, the rest of the file is read row by row, and nothing is counted
    twice or lost."""
    good = {
        "id": "", "month": "2021-01", "lon": "-3.0", "lat": "54.9", "type": "Burglary",
        "location": "On or near X", "lsoa": "E01", "width": 12, "latin1": False,
    }  # fmt: skip
    body = [line_of({**good, "location": f"On or near {n}"}) for n in range(40_000)]
    body.append(line_of({**good, "location": "Åsgatan", "width": 11, "latin1": True}))
    body += [line_of({**good, "month": "someday"}), line_of({**good, "location": "Åsgatan"})]
    data = (POLICE_UK_HEADER + "\r\n").encode() + b"".join(body)
    expected_report, expected = reference(data)
    report, accepted = columnwise(data)
    assert report.read == expected_report.read == 40_003
    assert sorted(accepted) == sorted(expected)
    assert report.rejected_rows == expected_report.rejected_rows
    assert [r["row"] for r in report.rejected_rows] == [40_003]
    assert report.notes == expected_report.notes
