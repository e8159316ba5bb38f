import pytest

pytestmark = pytest.mark.django_db


def test_openapi_documents_the_sync_and_photo_endpoints(api):
    schema = api.get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json").json()
    paths = schema["paths"]
    sync = paths["/api/walks/{id}/observations/sync"]["post"]
    assert "SyncRequest" in str(sync["requestBody"])
    assert "SyncResponse" in str(sync["responses"]["200"])
    photos = paths["/api/observations/{id}/photos/"]["post"]
    assert "multipart/form-data" in photos["requestBody"]["content"]
    assert {"/api/areas/{slug}/walks/", "/api/walks/{id}/", "/api/walks/{id}/observations/"} <= set(
        paths
    )
