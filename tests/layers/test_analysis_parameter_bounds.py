"""Analysis parameters that once answered 500: a year 0 period and an infinite weight."""

import pytest

from tests.factories import make_area, make_member

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    "body, field",
    [
        ({"from": "0000-01"}, "from"),
        ({"to": "0000-12"}, "to"),
        ('{"insecurity_weights": {"survey": 1e400}}', "insecurity_weights"),
        ({"weights": "distance", "distance_m": 1e300}, "distance_m"),  # failed in the worker
    ],
)
def test_a_parameter_off_the_scale_is_refused_by_name(client_for, body, field):
    area = make_area("bounds")
    analyst = make_member(area, "analyst")
    client = client_for(analyst)
    url = f"/api/areas/{area.slug}/analyses/"
    if isinstance(body, str):  # JSON a Python dict cannot carry (1e400 reads as infinity)
        response = client.post(url, body, content_type="application/json")
    else:
        response = client.post(url, body, format="json")
    assert response.status_code == 400
    assert field in response.json()
    assert not area.analysis_runs.exists()
