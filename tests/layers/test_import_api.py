"""Imports over the API: analysts only, 202 with a status URL, the report, the crime points."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import override_settings
from django.urls import reverse

from layers.models import CrimeIncident, ImportJob
from tests.factories import make_user
from tests.layers.importing import CHICAGO_HEADER, POLICE_UK_HEADER, csv_text, police_row

pytestmark = pytest.mark.django_db

IMMEDIATE = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}


def upload(name, text):
    return SimpleUploadedFile(name, text.encode(), content_type="text/csv")


def police_csv():
    rows = [
        police_row("r1"),
        police_row("r2", month="someday"),
        police_row("r3", lon="14.9", lat="56.9"),
    ]
    return csv_text(POLICE_UK_HEADER, rows)


@override_settings(TASKS=IMMEDIATE)
def test_an_analyst_uploads_crime_and_reads_the_report(
    area, member, client_for, django_capture_on_commit_callbacks, settings, tmp_path
):
    settings.MEDIA_ROOT = tmp_path
    client = client_for(member("analyst"))
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            f"/api/areas/{area.slug}/imports/",
            {"file": upload("aug.csv", police_csv()), "kind": "crime", "format": "police-uk"},
            format="multipart",
        )
    assert response.status_code == 202, response.content
    status_url = response.json()["status_url"]
    assert (
        response["Location"]
        == status_url
        == f"http://testserver/api/imports/{response.json()['id']}/"
    )
    report = client.get(status_url).json()
    assert report["status"] == "done" and report["progress"] == 1.0
    assert report["counts"] == "read: 3, imported: 2, duplicates: 0, rejected: 1, outside: 1"
    assert report["rejected_rows"] == [
        {"row": 3, "reason": "Month 'someday' is not a month written YYYY-MM"}
    ]
    assert report["file_name"] == "aug.csv"
    assert CrimeIncident.objects.filter(area=area).count() == 2
    assert list((tmp_path / "imports").iterdir()) == []  # the upload is deleted once imported
    # A task delivered twice does not run the finished import again.
    from layers.services import import_job_execute

    assert import_job_execute(job_id=report["id"]).status == "done"
    assert CrimeIncident.objects.filter(area=area).count() == 2


@override_settings(TASKS=IMMEDIATE)
def test_empty_options_count_as_not_given(area, member, client_for, settings, tmp_path):
    """An HTML form, curl -F and the API docs page send the fields left empty as empty text."""
    settings.MEDIA_ROOT = tmp_path
    blanks = dict.fromkeys(["map", "srid", "delimiter", "timezone", "precision", "code_field"], "")
    response = client_for(member("analyst")).post(
        f"/api/areas/{area.slug}/imports/",
        {"file": upload("aug.csv", police_csv()), "kind": "crime", "format": "police-uk", **blanks},
        format="multipart",
    )
    assert response.status_code == 202, response.content
    assert ImportJob.objects.get().options == {"strict": False}


@pytest.mark.parametrize("role", ["participant", "planner", "coordinator"])
def test_only_analysts_may_import(area, member, client_for, role):
    response = client_for(member(role)).post(
        f"/api/areas/{area.slug}/imports/",
        {"file": upload("a.csv", police_csv()), "kind": "crime", "format": "police-uk"},
        format="multipart",
    )
    assert response.status_code == 403
    assert ImportJob.objects.count() == 0


def test_outsiders_get_404_for_the_area_and_for_its_import_reports(area, member, client_for):
    job = ImportJob.objects.create(area=area, kind="crime", format="police-uk", file_name="x")
    stranger = client_for(make_user())
    assert stranger.post(f"/api/areas/{area.slug}/imports/", {}).status_code == 404
    assert stranger.get(f"/api/imports/{job.pk}/").status_code == 404
    assert client_for(member("planner")).get(f"/api/imports/{job.pk}/").status_code == 403
    assert client_for(member("analyst")).get(f"/api/imports/{job.pk}/").status_code == 200


def test_bad_uploads_get_a_4xx_naming_the_field(area, member, client_for, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    client = client_for(member("analyst"))
    url = f"/api/areas/{area.slug}/imports/"
    wrong_preset = client.post(
        url,
        {"file": upload("c.csv", CHICAGO_HEADER + "\n"), "kind": "crime", "format": "police-uk"},
        format="multipart",
    )  # fmt: skip
    assert wrong_preset.status_code == 400
    assert "every column the chicago preset needs" in wrong_preset.json()["format"][0]
    no_kind = client.post(url, {"file": upload("c.csv", police_csv())}, format="multipart")
    assert no_kind.status_code == 400 and "kind" in no_kind.json()
    no_file = client.post(url, {"kind": "crime", "format": "police-uk"}, format="multipart")
    assert no_file.status_code == 400 and "file" in no_file.json()
    empty = client.post(url, {"file": upload("e.csv", " "), "kind": "crime", "format": "police-uk"},
                        format="multipart")  # fmt: skip
    assert empty.status_code == 400 and "empty" in empty.json()["file"][0]
    with override_settings(TRYGG_IMPORT_MAX_BYTES=100):
        big = client.post(
            url, {"file": upload("b.csv", police_csv()), "kind": "crime", "format": "police-uk"},
            format="multipart",
        )  # fmt: skip
    assert big.status_code == 413 and "limit is 100" in big.json()["file"][0]
    with override_settings(TRYGG_IMPORT_MAX_BYTES=100):
        huge = client.post(
            url, {"file": upload("h.csv", "x" * 1_100_000), "kind": "crime", "format": "police-uk"},
            format="multipart",
        )  # fmt: skip
    assert huge.status_code == 413 and "The upload is" in huge.json()["file"][0]
    assert ImportJob.objects.count() == 0
    assert list((tmp_path / "imports").iterdir()) == []


def make_incidents(area, n):
    from django.contrib.gis.geos import Point

    CrimeIncident.objects.bulk_create(
        CrimeIncident(area=area, geom=Point(13.001 + i * 0.001, 55.601, srid=4326),
                      month=f"2025-0{1 + i % 3}-01", category="burglary",
                      original_category="Burglary", source_dataset="t", source_key=f"k{i}",
                      precision="exact")
        for i in range(n)
    )  # fmt: skip


def test_crime_points_are_for_analysts_and_filter_by_bbox_and_month(
    area, member, client_for, django_assert_max_num_queries, monkeypatch
):
    make_incidents(area, 9)
    url = reverse("crime-points", kwargs={"slug": area.slug})
    for role in ("participant", "planner", "coordinator"):
        assert client_for(member(role)).get(url).status_code == 403
    analyst = client_for(member("analyst"))
    body = analyst.get(url).json()
    assert body["type"] == "FeatureCollection" and len(body["features"]) == 9
    first = body["features"][0]
    assert first["properties"]["category"] == "burglary"
    assert set(first["properties"]) == {
        "id", "category", "original_category", "month", "occurred_at", "source_dataset",
        "source_id", "precision", "reported_block_code",
    }  # fmt: skip
    assert first["id"] == first["properties"]["id"]
    assert first["geometry"]["type"] == "Point"
    months = [f["properties"]["month"] for f in body["features"]]
    assert months == sorted(months)  # a truncated answer holds the first months whole
    assert not body["truncated"]
    west = analyst.get(url, {"bbox": "13.0,55.6,13.0035,55.61"}).json()
    assert len(west["features"]) == 3
    february = analyst.get(url, {"from": "2025-02", "to": "2025-02-28"}).json()
    assert {f["properties"]["month"] for f in february["features"]} == {"2025-02-01"}
    monkeypatch.setattr("layers.views_imports.CRIME_POINTS_LIMIT", 4)
    cut = analyst.get(url).json()
    assert cut["truncated"] and len(cut["features"]) == 4
    assert {f["properties"]["month"] for f in cut["features"]} == {"2025-01-01", "2025-02-01"}
    assert analyst.get(url, {"from": "Feb"}).status_code == 400
    assert analyst.get(url, {"bbox": "1,2,3"}).status_code == 400


def test_crime_points_take_a_fixed_number_of_queries(
    area, member, client_for, django_assert_max_num_queries
):
    analyst = client_for(member("analyst"))
    url = reverse("crime-points", kwargs={"slug": area.slug})
    make_incidents(area, 3)
    with django_assert_max_num_queries(5) as few:
        analyst.get(url)
    make_incidents_more = 20
    CrimeIncident.objects.all().delete()
    make_incidents(area, make_incidents_more)
    with django_assert_max_num_queries(len(few.captured_queries)):
        analyst.get(url)


@override_settings(TASKS=IMMEDIATE)
def test_blocks_lamps_and_surveys_upload_through_the_api(
    area, member, client_for, django_capture_on_commit_callbacks, settings, tmp_path
):
    import io
    import zipfile

    import shapely

    from layers.models import Lamp, SurveyResult
    from tests.layers.importing import polygon_geojson, write_layer

    settings.MEDIA_ROOT = tmp_path / "media"
    client = client_for(member("analyst"))
    url = f"/api/areas/{area.slug}/imports/"
    ring = [(13.001, 55.601), (13.002, 55.601), (13.002, 55.602), (13.001, 55.601)]
    shp = tmp_path / "shp"
    shp.mkdir()
    write_layer(shp / "lamps.shp", [shapely.to_wkb(shapely.Point(13.003, 55.603))],
                {"id": ["L9"], "status": ["broken"]}, "EPSG:4326")  # fmt: skip
    zipped = io.BytesIO()
    with zipfile.ZipFile(zipped, "w") as z:
        for part in shp.iterdir():
            z.write(part, part.name)
    uploads = [
        {"file": SimpleUploadedFile("new.geojson", polygon_geojson({"kod": "T1"}, ring).encode()),
         "kind": "blocks", "code_field": "kod"},
        {"file": SimpleUploadedFile("lamps.zip", zipped.getvalue()), "kind": "lamps",
         "format": "shapefile"},
        {"file": upload("s.csv", "block_code,period,respondents,unsafe\nNE,2025,8,2\n"),
         "kind": "survey"},
    ]  # fmt: skip
    for data in uploads:
        with django_capture_on_commit_callbacks(execute=True):
            response = client.post(url, data, format="multipart")
        assert response.status_code == 202, response.content
        report = client.get(response.json()["status_url"]).json()
        assert report["status"] == "done", report["error"]
        assert report["counts"] == "read: 1, imported: 1, duplicates: 0, rejected: 0, outside: 0"
    assert area.blocks.filter(code="T1").exists()
    assert Lamp.objects.get(source_id="L9").status == "broken"
    assert SurveyResult.objects.get(block__code="NE").share_unsafe == 0.25
