import datetime as dt

import pytest
from django.core.checks import Error
from django.db import connection
from django.utils import timezone

from geo.checks import check_postgis

pytestmark = pytest.mark.django_db


def test_healthz_tells_the_public_only_whether_the_service_works(client, django_user_model):
    assert client.get("/healthz").json() == {"database": "ok", "worker": "ok"}
    client.force_login(django_user_model.objects.create_user("someone"))
    assert client.get("/healthz").json() == {"database": "ok", "worker": "ok"}


@pytest.fixture
def staff_client(client, django_user_model):
    client.force_login(django_user_model.objects.create_user("operator", is_staff=True))
    return client


def test_healthz_reports_database_and_postgis_version_to_staff(staff_client):
    response = staff_client.get("/healthz")
    assert response.status_code == 200
    body = response.json()
    assert body["database"] == "ok"
    assert body["postgis"].startswith("3.")
    assert body["worker"] == "ok" and body["tasks_waiting"] == 0
    assert body["worker_seen_at"] is None  # no worker ever took a task


def test_healthz_tells_staff_when_a_worker_last_took_or_finished_a_task(staff_client):
    """Beside `late`: a worker seen lately is there but too slow or stuck; one long unseen, or
    never, is not running. The jobs' `unclaimed` asks the same (layers.jobs)."""
    from django_tasks_db.models import DBTaskResult

    from layers.tasks import import_job_task

    now = timezone.now().replace(microsecond=0)  # JSON writes milliseconds
    taken, finished = now - dt.timedelta(hours=3), now - dt.timedelta(hours=2)
    import_job_task.enqueue(0)
    DBTaskResult.objects.update(status="SUCCESSFUL", started_at=taken, finished_at=finished)
    seen = staff_client.get("/healthz").json()["worker_seen_at"]
    assert dt.datetime.fromisoformat(seen) == finished
    import_job_task.enqueue(0)
    later = now - dt.timedelta(minutes=1)
    DBTaskResult.objects.filter(started_at=None).update(status="RUNNING", started_at=later)
    seen = staff_client.get("/healthz").json()["worker_seen_at"]
    assert dt.datetime.fromisoformat(seen) == later  # taken, not finished yet: seen too


def test_healthz_says_the_worker_is_late_once_a_task_waited_ten_minutes(staff_client):
    from django_tasks_db.models import DBTaskResult

    from layers.tasks import import_job_task

    import_job_task.enqueue(0)  # no worker runs in the tests: it waits
    assert staff_client.get("/healthz").json() | {"postgis": ""} == {
        "database": "ok",
        "postgis": "",
        "worker": "ok",
        "tasks_waiting": 1,
        "worker_seen_at": None,
    }
    DBTaskResult.objects.update(enqueued_at=timezone.now() - dt.timedelta(minutes=11))
    response = staff_client.get("/healthz")
    assert response.status_code == 200  # the web side serves; imports and analyses stall
    assert response.json()["worker"] == "late"


def test_postgis_check_passes_on_this_database():
    assert check_postgis(databases=["default"]) == []


def test_postgis_check_names_the_missing_extension(monkeypatch):
    monkeypatch.setattr("geo.checks.postgis_version", lambda: None)
    [error] = check_postgis(databases=["default"])
    assert isinstance(error, Error) and error.id == "trygg.E002"
    assert "CREATE EXTENSION postgis" in error.hint


def test_postgis_check_refuses_an_old_postgis(monkeypatch):
    monkeypatch.setattr("geo.checks.postgis_version", lambda: "2.5.4")
    [error] = check_postgis(databases=["default"])
    assert error.id == "trygg.E003" and "2.5.4 is too old" in error.msg


def test_openapi_schema_and_docs_are_served_with_local_assets(client):
    schema = client.get("/api/schema/")
    assert schema.status_code == 200
    assert b"/api/areas/{slug}/blocks/" in schema.content
    docs = client.get("/api/docs/")
    assert docs.status_code == 200
    html = docs.content.decode()
    assert "/static/drf_spectacular_sidecar/swagger-ui-dist/" in html
    assert "cdn" not in html.lower()


def test_the_docs_page_groups_operations_and_offers_a_file_picker_for_uploads(client):
    from config.openapi import TAGS

    schema = client.get("/api/schema/?format=json").json()
    assert [tag["name"] for tag in schema["tags"]] == [tag["name"] for tag in TAGS]
    operations = [op for path in schema["paths"].values() for op in path.values()]
    assert all(
        len(op["tags"]) == 1 and op["tags"][0] in {t["name"] for t in TAGS} for op in operations
    )
    assert all(op.get("summary") for op in operations)  # shown beside each path
    upload = schema["components"]["schemas"]["ImportUploadRequest"]["properties"]
    assert upload["file"] == {"type": "string", "format": "binary"}
    assert upload["srid"]["example"] == ""  # the page leaves it empty, not "string"


def test_the_export_documents_every_filter_it_honours_and_operation_ids_have_no_dots(client):
    schema = client.get("/api/schema/?format=json").json()
    export = schema["paths"]["/api/areas/{slug}/export/{layer}.{fmt}"]["get"]
    parameters = {p["name"]: p for p in export["parameters"]}
    assert {"light", "follow_up", "walk"} <= set(parameters)
    assert parameters["light"]["schema"]["enum"] == ["day", "night"]
    assert parameters["follow_up"]["schema"]["items"]["enum"] == [
        "fixed",
        "no_action",
        "open",
        "reported",
    ]
    assert parameters["walk"]["schema"]["items"]["type"] == "integer"
    assert all(parameters[name]["description"] for name in ("light", "follow_up", "walk"))
    operation_ids = [op["operationId"] for path in schema["paths"].values() for op in path.values()]
    assert [o for o in operation_ids if "." in o] == []


def test_kinds_lists_the_taxonomy_with_three_languages(client):
    kinds = {k["code"]: k for k in client.get("/api/kinds/").json()}
    assert len(kinds) == 12
    assert kinds["blocked_sightline"]["geometry_types"] == ["LineString"]
    assert kinds["safe_place"]["polarity"] == "positive"
    assert kinds["lighting_defect"]["labels"]["sv"] == "Bristande belysning"


def test_database_is_postgis_not_sqlite():
    assert connection.vendor == "postgresql"
