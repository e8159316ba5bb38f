"""Progress is written on its own connection, so the status endpoint sees it while the import's
own transaction is still open."""

import pytest
from django.db import connection, transaction

from layers.importers.progress import JobProgress
from layers.models import ImportJob
from tests.factories import make_area


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
