import pytest

pytestmark = pytest.mark.django_db


def test_the_api_schema_is_built_once_and_served_from_the_cache(client, django_assert_num_queries):
    first = client.get("/api/schema/")
    assert "max-age=3600" in first["Cache-Control"]
    with django_assert_num_queries(0):
        again = client.get("/api/schema/")
    assert again.content == first.content
