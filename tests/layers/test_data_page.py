"""The imports and analyses page: analysts upload a file and start an analysis there, with the
API's rules and reports; a refused upload changes nothing and says why."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import override_settings

from layers.models import AnalysisRun, CrimeIncident, ImportJob
from tests.layers.importing import POLICE_UK_HEADER, csv_text, police_row

pytestmark = pytest.mark.django_db

PAGE = "/areas/testarea/data/"
IMMEDIATE = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}


@pytest.fixture(autouse=True)
def media_in_tmp(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path


@pytest.fixture
def analyst(client, member):
    client.force_login(member("analyst"))
    return client


def police_csv() -> SimpleUploadedFile:
    rows = [police_row("r1"), police_row("r2", month="someday"), police_row("r3")]
    text = csv_text(POLICE_UK_HEADER, rows)
    return SimpleUploadedFile("august.csv", text.encode(), content_type="text/csv")


@pytest.mark.parametrize("role", ["participant", "planner", "coordinator"])
def test_only_analysts_open_it(client, member, role):
    client.force_login(member(role))
    assert client.get(PAGE).status_code == 403


@override_settings(TASKS=IMMEDIATE)
def test_an_analyst_imports_police_data_and_reads_the_report(
    analyst, area, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        response = analyst.post(
            PAGE, {"action": "import", "kind": "crime", "format": "police-uk", "file": police_csv()}
        )
    assert response.status_code == 302 and response["Location"] == PAGE
    job = ImportJob.objects.get()
    assert (job.status, job.imported, job.rejected) == ("done", 2, 1)
    assert CrimeIncident.objects.filter(area=area).count() == 2
    page = analyst.get(PAGE).content.decode()
    assert "august.csv is queued for import" in page
    assert "3 read · 2 imported · 0 duplicates · 1 rejected" in page
    assert "Row 3: Month &#x27;someday&#x27; is not a month written YYYY-MM" in page
    assert "data-job" not in page  # nothing left under way


def test_a_refused_upload_says_why_and_leaves_nothing(analyst, tmp_path):
    wrong = SimpleUploadedFile("x.csv", b"a,b\n1,2\n", content_type="text/csv")
    response = analyst.post(
        PAGE,
        {"action": "import", "kind": "crime", "format": "police-uk", "file": wrong, "srid": "3006"},
    )
    assert response.status_code == 200
    page = response.content.decode()
    assert 'class="error"' in page and "Longitude" in page
    assert 'name="srid" value="3006"' in page  # what was typed is kept
    assert not ImportJob.objects.exists()
    uploads = tmp_path / "imports"
    assert not uploads.exists() or not any(uploads.iterdir())  # the stored file is removed


def test_bad_options_and_missing_files_are_named(analyst):
    response = analyst.post(PAGE, {"action": "import", "kind": "crime", "format": "police-uk"})
    assert "This field is required." in response.content.decode()
    response = analyst.post(
        PAGE,
        {
            "action": "import",
            "kind": "crime",
            "format": "generic",
            "file": police_csv(),
            "map": "x",
        },
    )
    assert response.status_code == 200 and "map" in response.content.decode()
    assert not ImportJob.objects.exists()


def test_an_analyst_starts_an_analysis(analyst, area):
    response = analyst.post(
        PAGE,
        {
            "action": "analyse",
            "date_from": "2025-01",
            "date_to": "2025-12",
            "categories": ["burglary"],
        },
    )
    assert response.status_code == 302
    run = AnalysisRun.objects.get()
    assert run.status == "queued" and run.created_by is not None
    assert (run.parameters["from"], run.parameters["to"]) == ("2025-01", "2025-12")
    assert run.parameters["categories"] == ["burglary"]
    page = analyst.get(PAGE).content.decode()
    assert "The analysis is queued" in page and f'data-job="/api/analyses/{run.pk}/"' in page


def test_a_bad_period_is_named_and_nothing_runs(analyst):
    response = analyst.post(PAGE, {"action": "analyse", "date_from": "2025-13"})
    assert response.status_code == 200 and 'class="error"' in response.content.decode()
    assert not AnalysisRun.objects.exists()


def test_an_unknown_action_is_a_400(analyst):
    assert analyst.post(PAGE, {"action": "drop"}).status_code == 400
