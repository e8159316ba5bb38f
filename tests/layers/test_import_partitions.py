"""A crime import into an area whose partition is empty builds the partition afresh and attaches
it; into a populated area it inserts. Both give the same rows and the same report."""

import psycopg
import pytest
from django.db import connection, transaction

from layers import partitions
from layers.assignment import crime_assignment
from layers.models import CrimeIncident, source_key_of
from tests.factories import make_area
from tests.layers.importing import POLICE_UK_HEADER, csv_text, police_row, run_import, write

ROWS = [
    police_row("a1", kind="Burglary"),  # SW block
    police_row("a1", kind="Robbery"),  # the same id again: a duplicate, the first row stays
    police_row("", lon="13.016", lat="55.608", kind="Anti-social behaviour"),  # NE
    police_row("", lon="13.016", lat="55.608", kind="Anti-social behaviour"),  # its twin
    police_row("e1", lon="13.009", lat="55.605", kind="Drugs"),  # on the corner of all four
    police_row("n1", lon="13.0182", lat="55.6051", kind="Shoplifting"),  # ~13 m east: snapped
    police_row("f1", lon="13.030", lat="55.605", kind="Vehicle crime"),  # ~760 m east: neither
    police_row("x1", month="someday"),  # rejected
    police_row("z1", lon="0", lat="0"),  # rejected
    police_row("u1", kind="Stolen goods"),  # an unknown type: other crime
]


def partition_oid(area) -> int | None:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT i.inhrelid FROM pg_inherits i"
            " WHERE i.inhparent = 'layers_crimeincident'::regclass"
            " AND i.inhrelid = to_regclass(%s)",
            [partitions.partition_name(area.pk)],
        )
        row = cursor.fetchone()
    return row[0] if row else None


def table_exists(name: str) -> bool:
    with connection.cursor() as cursor:
        cursor.execute("SELECT to_regclass(%s) IS NOT NULL", [name])
        return cursor.fetchone()[0]


def stored_rows(area, *, without=()):
    return {
        (
            c.source_key,
            c.source_id,
            round(c.geom.x, 7),
            round(c.geom.y, 7),
            c.month,
            c.category,
            c.original_category,
            c.reported_block_code,
            c.precision,
            c.source_dataset,
            c.block.code if c.block else None,
        )  # fmt: skip
        for c in CrimeIncident.objects.filter(area=area).select_related("block")
        if c.source_key not in {source_key_of(text) for text in without}
    }


def report_of(job):
    return (job.counts_line(), job.rejected_rows, job.notes["unknown_categories"])


def test_first_load_and_insert_into_a_populated_area_give_the_same_rows_and_report(db, tmp_path):
    empty, populated = make_area("empty"), make_area("populated")
    earlier = run_import(populated, "crime", "police-uk", write(
        tmp_path, "earlier.csv", csv_text(POLICE_UK_HEADER, [police_row("old", lat="55.601")])
    ))  # fmt: skip
    assert earlier.notes["load"].startswith("first load")
    path = write(tmp_path, "crime.csv", csv_text(POLICE_UK_HEADER, ROWS))

    first = run_import(empty, "crime", "police-uk", path)
    insert = run_import(populated, "crime", "police-uk", path)

    assert first.notes["load"].startswith("first load")
    assert insert.notes["load"].startswith("insert")
    assert report_of(first) == report_of(insert)
    assert first.counts_line() == "read: 10, imported: 7, duplicates: 1, rejected: 2, outside: 2"
    assert [r["row"] for r in first.rejected_rows] == [9, 10]
    rows = stored_rows(empty)
    assert rows == stored_rows(populated, without={"police-uk:old"})
    by_id = {row[1]: row for row in rows}
    assert by_id["a1"][5] == "burglary"  # the first of the two rows with id a1
    assert {row[1]: row[-1] for row in rows} == {
        "a1": "SW", "": "NE", "e1": "SW", "n1": "NE", "f1": None, "u1": "SW",
    }  # fmt: skip
    for area in (empty, populated):
        assignment = crime_assignment(area=area)
        stored = dict(
            CrimeIncident.objects.filter(area=area, block__isnull=False).values_list(
                "id", "block_id"
            )
        )
        assert stored == assignment.block_of


def test_reimporting_after_a_first_load_adds_nothing(area, tmp_path):
    path = write(tmp_path, "crime.csv", csv_text(POLICE_UK_HEADER, ROWS))
    run_import(area, "crime", "police-uk", path)
    again = run_import(area, "crime", "police-uk", path)
    assert again.counts_line() == "read: 10, imported: 0, duplicates: 8, rejected: 2, outside: 2"
    assert CrimeIncident.objects.filter(area=area).count() == 7


def test_a_failing_first_load_changes_no_partition(area, tmp_path, monkeypatch):
    before = partition_oid(area)
    assert before is not None
    path = write(tmp_path, "crime.csv", csv_text(POLICE_UK_HEADER, ROWS))

    strict = run_import(area, "crime", "police-uk", path, strict="1")
    assert strict.status == "failed"

    real_attach = partitions.FirstLoad.attach

    def attach_then_fail(self):
        real_attach(self)
        raise RuntimeError("disk full")

    monkeypatch.setattr(partitions.FirstLoad, "attach", attach_then_fail)
    with pytest.raises(RuntimeError):
        run_import(area, "crime", "police-uk", path)

    assert partition_oid(area) == before
    assert not table_exists(partitions.load_table_name(area.pk))
    assert not CrimeIncident.objects.filter(area=area).exists()


def test_a_new_area_gets_its_partition_and_a_deleted_one_loses_it(
    db, django_capture_on_commit_callbacks
):
    area = make_area("fresh", blocks=False)
    name = partitions.partition_name(area.pk)
    assert partition_oid(area) is not None
    with django_capture_on_commit_callbacks(execute=True):
        area.delete()
    assert not table_exists(name)


def test_an_area_that_lost_its_partition_gets_one_at_import(area, tmp_path):
    with connection.cursor() as cursor:
        cursor.execute(f"DROP TABLE {partitions.partition_name(area.pk)}")
    path = write(tmp_path, "crime.csv", csv_text(POLICE_UK_HEADER, ROWS))
    job = run_import(area, "crime", "police-uk", path)
    assert job.notes["load"].startswith("first load")
    assert partition_oid(area) is not None
    assert CrimeIncident.objects.filter(area=area).count() == 7


def test_creating_an_area_does_not_hold_up_readers_of_other_areas(transactional_db):
    """Statements that pick their area's partition only when they run (the tile statements)
    read while another area is being created and not yet committed."""
    params = connection.get_connection_params()
    with transaction.atomic():
        make_area("uncommitted", blocks=False)
        with psycopg.connect(**params, autocommit=True) as reader:
            reader.execute("SET lock_timeout = 2000")
            count = reader.execute(
                "SELECT count(*) FROM layers_crimeincident WHERE area_id = (SELECT 0)"
            ).fetchone()
    assert count == (0,)


def test_a_quoted_line_break_in_a_police_uk_field_is_kept(area, tmp_path):
    rows = [police_row("q1", location="On or near\nStorgatan"), police_row("q2", month="bad")]
    job = run_import(area, "crime", "police-uk", write(
        tmp_path, "crime.csv", csv_text(POLICE_UK_HEADER, rows)
    ))  # fmt: skip
    assert job.counts_line() == "read: 2, imported: 1, duplicates: 0, rejected: 1, outside: 0"
    # Rows are numbered as records (the header is 1), not as physical lines.
    assert job.rejected_rows == [{"row": 3, "reason": "Month 'bad' is not a month written YYYY-MM"}]


def test_a_first_load_inserts_when_the_crime_table_stays_busy(
    transactional_db, tmp_path, monkeypatch
):
    """A long reader of the crime table holds off the swap: after the lock timeout the rows go
    into the empty partition by INSERT, with the same result. (The area is committed first:
    creating its partition locks the crime table until then.)"""
    area = make_area("busy")
    monkeypatch.setattr(partitions, "SWAP_LOCK_TIMEOUT_MS", 100)
    path = write(tmp_path, "crime.csv", csv_text(POLICE_UK_HEADER, ROWS))
    params = connection.get_connection_params()
    with psycopg.connect(**params) as reader:
        reader.execute("LOCK TABLE layers_crimeincident IN ACCESS SHARE MODE")
        job = run_import(area, "crime", "police-uk", path)
    assert job.status == "done"
    assert "stayed busy" in job.notes["load"]
    assert job.counts_line() == "read: 10, imported: 7, duplicates: 1, rejected: 2, outside: 2"
    assert not table_exists(partitions.load_table_name(area.pk))
    assert CrimeIncident.objects.filter(area=area).count() == 7


def test_a_first_load_commits_its_rows_apart_and_a_failure_drops_them(
    transactional_db, tmp_path, monkeypatch
):
    """With nothing holding the crime table, the rows are COPYed and committed on a second
    connection and indexed on both; an import failing after that leaves no table behind."""
    area = make_area("apart")
    path = write(tmp_path, "crime.csv", csv_text(POLICE_UK_HEADER, ROWS))
    real_attach = partitions.FirstLoad.attach

    def attach_then_fail(self):
        real_attach(self)
        assert self.side is not None and self.side.closed
        raise RuntimeError("disk full")

    monkeypatch.setattr(partitions.FirstLoad, "attach", attach_then_fail)
    with pytest.raises(RuntimeError):
        run_import(area, "crime", "police-uk", path)
    assert not table_exists(partitions.load_table_name(area.pk))
    assert not CrimeIncident.objects.filter(area=area).exists()

    monkeypatch.setattr(partitions.FirstLoad, "attach", real_attach)
    job = run_import(area, "crime", "police-uk", path)
    assert "two connections" in job.notes["load"]
    assert job.counts_line() == "read: 10, imported: 7, duplicates: 1, rejected: 2, outside: 2"
    assert CrimeIncident.objects.filter(area=area).count() == 7


def test_a_first_load_left_by_a_dead_process_is_dropped_by_the_next(transactional_db, tmp_path):
    area = make_area("left")
    with connection.cursor() as cursor:
        cursor.execute(f"CREATE TABLE {partitions.load_table_name(area.pk)} (junk int)")
    path = write(tmp_path, "crime.csv", csv_text(POLICE_UK_HEADER, ROWS))
    job = run_import(area, "crime", "police-uk", path)
    assert "two connections" in job.notes["load"]
    assert CrimeIncident.objects.filter(area=area).count() == 7
