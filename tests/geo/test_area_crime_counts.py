"""The area list's crime count is kept per area and crime data version: counted once per
version, and right at once after an import, or after a change or deletion in the admin."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from layers.models import CrimeIncident
from tests.factories import make_user
from tests.layers.importing import POLICE_UK_HEADER, csv_text, police_row, run_import, write

pytestmark = pytest.mark.django_db


def crime_count(client, slug="testarea"):
    with CaptureQueriesContext(connection) as queries:
        areas = client.get("/api/areas/").json()
    counted = any("layers_crimeincident" in q["sql"] for q in queries.captured_queries)
    return {a["slug"]: a["crime_count"] for a in areas}[slug], counted


def import_crime(area, tmp_path, rows, name="p.csv"):
    path = write(tmp_path, name, csv_text(POLICE_UK_HEADER, rows))
    job = run_import(area, "crime", "police-uk", path)
    assert job.status == "done", job.error


@pytest.fixture
def admin(client):
    client.force_login(make_user(is_superuser=True, is_staff=True))
    return client


def test_counted_once_per_version_and_again_after_an_import(client_for, member, area, tmp_path):
    client = client_for(member("planner"))
    assert crime_count(client) == (0, True)
    assert crime_count(client) == (0, False)  # kept: the incidents are not read again
    import_crime(area, tmp_path, [police_row("a"), police_row("b", lon="13.012")])
    assert crime_count(client) == (2, True)
    assert crime_count(client) == (2, False)
    import_crime(area, tmp_path, [police_row("c")], name="q.csv")
    assert crime_count(client)[0] == 3


def test_a_deletion_or_change_in_the_admin_counts_again(admin, area, tmp_path):
    from tests.factories import make_area

    import_crime(area, tmp_path, [police_row(str(i)) for i in range(3)])
    assert crime_count(admin)[0] == 3
    first, second, third = CrimeIncident.objects.filter(area=area).order_by("pk")
    page = f"/admin/layers/crimeincident/{first.pk}/delete/"
    assert admin.post(page, {"post": "yes"}).status_code == 302
    assert crime_count(admin) == (2, True)
    response = admin.post(
        "/admin/layers/crimeincident/",
        {"action": "delete_selected", "_selected_action": [second.pk], "post": "yes"},
    )
    assert response.status_code == 302
    assert crime_count(admin) == (1, True)
    # Moved to another area in the admin: both areas count again.
    other = make_area("other")
    assert crime_count(admin, "other")[0] == 0
    form = {
        "area": other.pk,
        "geom": third.geom.json,
        "month": "2025-01-01",
        "category": third.category,
        "original_category": third.original_category,
        "source_dataset": third.source_dataset,
        "source_id": third.source_id,
        "source_key": third.source_key,
        "precision": third.precision,
        "reported_block_code": "",
    }
    response = admin.post(f"/admin/layers/crimeincident/{third.pk}/change/", form)
    assert response.status_code == 302, response.content[:2000]
    assert crime_count(admin)[0] == 0
    assert crime_count(admin, "other")[0] == 1
