"""Rows rendered in binary COPY format arrive in PostgreSQL as the values they were made from."""

from datetime import UTC, date, datetime

import numpy as np
import pyarrow as pa
import pytest
from django.db import connection
from psycopg import errors

from layers.importers import pgcopy
from layers.importers.crimeload import ewkb, key_digests
from layers.models import source_key_of

TEXTS = [
    "plain",
    "",
    None,
    'quote " and, comma',
    "line\nbreak\ttab\\backslash\r",
    "Malmö Ærø Åse Øresund",
    "x" * 300,
]
MOMENTS = [
    datetime(2021, 8, 1, 22, 15, 30, 123456, tzinfo=UTC),
    None,
    datetime(1999, 12, 31, 23, 59, 59, tzinfo=UTC),
    datetime(2000, 1, 1, tzinfo=UTC),
    datetime(1900, 1, 1, tzinfo=UTC),
    datetime(2100, 12, 31, 12, tzinfo=UTC),
    None,
]
DAYS = [date(2021, 8, 1), date(1999, 12, 1), date(2000, 1, 1), date(1900, 1, 1)] + [
    date(2100, 12, 1)
] * 3
NUMBERS = np.array([1, -1, 0, 2**62, -(2**62), 7, 8], dtype=np.int64)
LON = np.array([13.0, -3.1, 0.0, -0.0, 179.999999, -180.0, 12.345678912345])
LAT = np.array([55.6, 54.9, 0.0, 1e-9, -89.5, 90.0, 55.123456789012])


@pytest.fixture
def table(db):
    with connection.cursor() as cursor:
        cursor.execute(
            "CREATE TEMP TABLE copied (n bigint, t text, c varchar(40), at timestamptz,"
            " day date, g geometry(Point, 4326), area bigint)"
        )
    return "copied"


def copy(table: str, data: memoryview) -> None:
    with connection.connection.cursor() as cursor:
        with cursor.copy(f"COPY {table} FROM STDIN (FORMAT binary)") as stream:
            stream.write(pgcopy.SIGNATURE)
            stream.write(data)
            stream.write(pgcopy.TRAILER)


def test_every_kind_of_cell_arrives_as_it_was_made(table):
    null = NUMBERS == 7
    days = pa.array(DAYS, pa.date32()).cast(pa.int32()).to_numpy()
    data = pgcopy.rows(
        [
            pgcopy.int8_cells(NUMBERS, null=null),
            pgcopy.text_cells(pa.array(TEXTS, pa.string())),
            pgcopy.constant(b"same in every row"),
            pgcopy.timestamptz_cells(pa.array(MOMENTS, pa.timestamp("us", tz="UTC"))),
            pgcopy.date_cells(days),
            pgcopy.bytes_cells(ewkb(LON, LAT)),
            pgcopy.constant((42).to_bytes(8, "big")),
        ]
    )
    copy(table, data)
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT n, t, c, at, day, ST_X(g), ST_Y(g), ST_SRID(g), area FROM {table}"  # noqa: S608
            " ORDER BY ctid"
        )
        got = cursor.fetchall()
    assert len(got) == len(TEXTS)
    for i, row in enumerate(got):
        number = None if null[i] else int(NUMBERS[i])
        assert row == (
            number, TEXTS[i], "same in every row", MOMENTS[i], DAYS[i],
            LON[i], LAT[i], 4326, 42,
        )  # fmt: skip


def test_a_slice_of_a_batch_renders_only_its_rows(table):
    texts = pa.array(TEXTS, pa.string()).slice(2, 3)
    data = pgcopy.rows([pgcopy.int8_cells(NUMBERS[2:5]), pgcopy.text_cells(texts)])
    with connection.cursor() as cursor:
        cursor.execute("CREATE TEMP TABLE two (n bigint, t text)")
    copy("two", data)
    with connection.cursor() as cursor:
        cursor.execute("SELECT n, t FROM two ORDER BY ctid")
        assert cursor.fetchall() == list(zip(NUMBERS[2:5].tolist(), TEXTS[2:5], strict=True))


def test_text_too_long_for_its_column_is_refused_by_the_server(table):
    data = pgcopy.rows([pgcopy.int8_cells(NUMBERS[:1]), pgcopy.text_cells(pa.array(["y" * 41]))])
    with connection.cursor() as cursor:
        cursor.execute("CREATE TEMP TABLE short (n bigint, c varchar(40))")
    with pytest.raises(errors.StringDataRightTruncation):
        copy("short", data)


@pytest.mark.parametrize("text", ["police-uk:" + "a" * 64, "generic:Malmö Ærø Øresund", ""])
def test_a_stored_key_is_what_postgresql_md5_gives_for_its_text(db, text):
    # Migration 0010 converted the stored keys with md5(); new imports must meet them.
    with connection.cursor() as cursor:
        cursor.execute("SELECT md5(%s)::uuid", [text])
        assert cursor.fetchone()[0] == source_key_of(text)
    digests = key_digests(pa.array([text]))
    assert digests.tobytes() == source_key_of(text).bytes
