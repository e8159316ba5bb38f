"""Progress is written on its own connection, so the status endpoint sees it while the import's
own transaction is still open."""

import pytest
from django.db import connection, transaction

from geo.models import Role
from layers.importers.progress import JobProgress
from layers.models import ImportJob
from layers.partitions import side_connection
from tests.factories import make_area
from tests.layers.importing import POLICE_UK_HEADER, csv_text, police_row, run_import, write
from tests.layers.test_analysis_inputs_lock import Session, version_row_held

JOBS_URL = "/api/areas/testarea/jobs/"


@pytest.mark.django_db(transaction=True)
def test_progress_is_visible_while_the_import_transaction_is_open():
    area = make_area("progress", blocks=False)
    job = ImportJob.objects.create(
        area=area, kind="crime", format="police-uk", file_name="x", status="running"
    )
    progress = JobProgress(job.pk, every_seconds=0)
    try:
        with transaction.atomic():
            # The import's transaction holds uncommitted work of its own …
            ImportJob.objects.filter(pk=job.pk).values_list("status", flat=True).get()
            progress(50, 100)
            # … while another connection already reads the progress.
            with progress._conn.cursor() as other:
                other.execute("SELECT progress FROM layers_importjob WHERE id = %s", [job.pk])
                assert other.fetchone()[0] == pytest.approx(0.45)
            assert connection.in_atomic_block
        job.refresh_from_db()
        assert job.progress == pytest.approx(0.45)
        progress(100, 100)
        job.refresh_from_db()
        assert job.progress == pytest.approx(0.9)  # the last tenth is the insert and commit
    finally:
        progress.close()


@pytest.mark.django_db(transaction=True)
def test_the_jobs_api_gives_a_running_imports_rows_read_so_far(
    client_for, member, area, tmp_path, settings
):
    """The imports page's Rows column stayed empty until an import ended: the rows read are
    now stored with its progress, and the area's jobs API gives them while it runs."""
    settings.MEDIA_ROOT = tmp_path
    rows = [police_row(f"r-{n}", lon="13.0135", lat="55.6075") for n in range(5)]
    path = write(tmp_path, "five.csv", csv_text(POLICE_UK_HEADER, rows))
    analyst = client_for(member(Role.ANALYST))
    holder = version_row_held(area, "crime")  # the import waits there, its rows read
    with side_connection() as watcher:
        watcher.autocommit = True
        try:
            job = Session(lambda: run_import(area, "crime", "police-uk", path))
            assert job.waits(watcher)
            running = analyst.get(JOBS_URL).json()["imports"][0]
        finally:
            holder.close()
        job = job.result()
    assert (running["status"], running["read"]) == ("running", 5)
    done = analyst.get(JOBS_URL).json()["imports"][0]
    assert (done["status"], done["read"], job.imported) == ("done", 5, 5)
