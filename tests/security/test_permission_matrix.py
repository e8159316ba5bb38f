"""The permission matrix: every route of the URLconf × every role, with the expected status.

A route with no entry fails `test_every_route_is_in_the_matrix`, so a new endpoint cannot ship
without someone deciding who may use it. Statuses are listed in the order of ROLES:
anonymous, outsider (participant of another area), participant, planner, analyst, coordinator.
Each role's request runs in a savepoint that is rolled back, so writes do not leak between roles.
"""

import pytest
from django.db import transaction

from tests.security.urlconf import all_routes
from tests.security.world import ROLES, build_world

pytestmark = pytest.mark.django_db

# route → [(method, url, body, expected statuses per role)]
MATRIX = {
    "": [
        ("GET", "/", None, "200 200 200 200 200 200"),
    ],
    "healthz": [
        ("GET", "/healthz", None, "200 200 200 200 200 200"),
    ],
    "api/auth/token/": [
        ("POST", "/api/auth/token/", None, "400 400 400 400 400 400"),
    ],
    "api/schema/": [
        ("GET", "/api/schema/", None, "200 200 200 200 200 200"),
    ],
    "api/docs/": [
        ("GET", "/api/docs/", None, "200 200 200 200 200 200"),
    ],
    "api/areas/": [
        ("GET", "/api/areas/", None, "200 200 200 200 200 200"),
    ],
    "api/areas/<slug:slug>/blocks/": [
        ("GET", "/api/areas/{slug}/blocks/", None, "404 404 200 200 200 200"),
    ],
    "api/areas/<slug:slug>/members/": [
        ("GET", "/api/areas/{slug}/members/", None, "404 404 403 200 403 200"),
        ("POST", "/api/areas/{slug}/members/", None, "404 404 403 403 403 400"),
    ],
    "api/areas/<slug:slug>/members/many/": [
        ("POST", "/api/areas/{slug}/members/many/", None, "404 404 403 403 403 400"),
    ],
    "api/areas/<slug:slug>/members/<int:pk>/": [
        ("DELETE", "/api/areas/{slug}/members/{member}/", None, "404 404 403 403 403 204"),
    ],
    "api/kinds/": [
        ("GET", "/api/kinds/", None, "200 200 200 200 200 200"),
    ],
    "api/areas/<slug:slug>/walks/": [
        ("GET", "/api/areas/{slug}/walks/", None, "401 404 200 200 200 200"),
        ("POST", "/api/areas/{slug}/walks/", None, "401 404 403 400 403 400"),
    ],
    "api/walks/<int:pk>/": [
        ("GET", "/api/walks/{walk}/", None, "401 404 200 200 200 200"),
        ("PATCH", "/api/walks/{walk}/", None, "401 404 403 200 403 200"),
        ("DELETE", "/api/walks/{walk}/", None, "401 404 403 409 403 409"),
    ],
    "api/walks/<int:pk>/observations/sync": [
        ("POST", "/api/walks/{walk}/observations/sync", None, "401 404 400 403 403 403"),
    ],
    "api/walks/<int:pk>/observations/": [
        ("GET", "/api/walks/{walk}/observations/", None, "401 404 200 200 200 200"),
    ],
    "api/observations/<int:pk>/": [
        ("PATCH", "/api/observations/{observation}/", None, "401 404 403 400 403 400"),
        # The participant wrote it: an author withdraws their own while the walk is open.
        ("DELETE", "/api/observations/{observation}/", None, "401 404 204 403 403 204"),
    ],
    "api/walks/<int:pk>/observations/<uuid:client_id>/": [
        # An empty correction: its author's (while the walk is open) and coordinators' only.
        ("PATCH", "/api/walks/{walk}/observations/{client_id}/", None, "401 404 200 403 403 200"),
        ("DELETE", "/api/walks/{walk}/observations/{client_id}/", None, "401 404 204 403 403 204"),
    ],
    "api/photos/<int:pk>/": [
        # The participant wrote its finding: an author removes their own while the walk is open.
        ("DELETE", "/api/photos/{photo}/", None, "401 404 204 403 403 204"),
    ],
    "api/observations/<int:pk>/photos/": [
        ("POST", "/api/observations/{observation}/photos/", None, "401 404 415 403 403 403"),
    ],
    "api/photos/<int:pk>/image/": [
        ("GET", "/api/photos/{photo}/image/", None, "401 404 200 200 200 200"),
    ],
    "api/photos/<int:pk>/thumbnail/": [
        ("GET", "/api/photos/{photo}/thumbnail/", None, "401 404 200 200 200 200"),
    ],
    "api/areas/<slug:slug>/imports/": [
        ("POST", "/api/areas/{slug}/imports/", None, "404 404 403 403 415 403"),
    ],
    "api/imports/<int:pk>/": [
        ("GET", "/api/imports/{job}/", None, "401 404 403 403 200 403"),
        # A finished crime import, deleted with its rows by the area's analysts only.
        ("DELETE", "/api/imports/{crime_job}/", None, "401 404 403 403 204 403"),
        ("DELETE", "/api/imports/{job}/", None, "401 404 403 403 409 403"),  # lamps: not yet
    ],
    "api/imports/<int:pk>/stop/": [
        # A queued import: stopped at once, by the area's analysts only.
        ("POST", "/api/imports/{job}/stop/", None, "401 404 403 403 202 403"),
    ],
    "api/areas/<slug:slug>/jobs/": [
        ("GET", "/api/areas/{slug}/jobs/", None, "401 404 403 403 200 403"),
    ],
    "api/areas/<slug:slug>/survey/": [
        ("GET", "/api/areas/{slug}/survey/", None, "401 404 403 403 200 403"),
    ],
    "api/areas/<slug:slug>/survey/<path:period>/": [
        # A survey round, deleted with its results by the area's analysts only.
        ("DELETE", "/api/areas/{slug}/survey/2025/", None, "401 404 403 403 204 403"),
        ("DELETE", "/api/areas/{slug}/survey/2024/", None, "401 404 403 403 404 403"),  # none
    ],
    "api/areas/<slug:slug>/crime/": [
        ("GET", "/api/areas/{slug}/crime/", None, "404 404 403 403 200 403"),
    ],
    "api/areas/<slug:slug>/analyses/": [
        ("POST", "/api/areas/{slug}/analyses/", None, "404 404 403 403 202 403"),
    ],
    "api/analyses/<int:pk>/": [
        ("GET", "/api/analyses/{run}/", None, "404 404 403 200 200 200"),
        ("DELETE", "/api/analyses/{run}/", None, "404 404 403 403 204 403"),
    ],
    "api/analyses/<int:pk>/pin/": [
        ("POST", "/api/analyses/{run}/pin/", None, "404 404 403 403 200 403"),
        ("DELETE", "/api/analyses/{run}/pin/", None, "404 404 403 403 204 403"),
    ],
    "api/analyses/<int:pk>/stop/": [
        ("POST", "/api/analyses/{run}/stop/", None, "404 404 403 403 409 403"),  # done already
    ],
    "api/analyses/<int:pk>/blocks/": [
        ("GET", "/api/analyses/{run}/blocks/", None, "404 404 403 200 200 200"),
    ],
    "api/analyses/<int:pk>/rasters/<str:name>.tif": [
        # The float surfaces give incidents back (tiles/raster.py): analysts only.
        ("GET", "/api/analyses/{run}/rasters/crime_density.tif", None, "404 404 403 403 200 403"),
    ],
    "api/^areas/(?P<slug>[-\\w]+)/export/(?P<layer>\\w+)\\.(?P<fmt>\\w+)$": [
        ("GET", "/api/areas/{slug}/export/blocks.geojson", None, "404 404 403 200 200 200"),
        ("GET", "/api/areas/{slug}/export/crime.geojson", None, "404 404 403 404 200 404"),
        ("GET", "/api/areas/{slug}/export/crime_blocks.csv", None, "404 404 403 200 200 200"),
        ("GET", "/api/areas/{slug}/export/observations.gpkg", None, "404 404 403 200 200 200"),
    ],
    # The kinds' symbols: the same for everyone, nothing of any area in them.
    r"tiles/^sprite/(?P<version>[0-9a-f]{12})(?P<ratio>@2x)?\.(?P<kind>json|png)$": [
        ("GET", "/tiles/sprite/000000000000.png", None, "200 200 200 200 200 200"),
        ("GET", "/tiles/sprite/000000000000@2x.json", None, "200 200 200 200 200 200"),
    ],
    "tiles/<slug:slug>/style.json": [
        ("GET", "/tiles/{slug}/style.json", None, "404 404 200 200 200 200"),
    ],
    "tiles/<slug:slug>/<tilelayer:layer>.json": [
        ("GET", "/tiles/{slug}/blocks.json", None, "404 404 200 200 200 200"),
        ("GET", "/tiles/{slug}/crime.json", None, "404 404 403 200 200 200"),
    ],
    "tiles/<slug:slug>/<tilelayer:layer>/<int:z>/<int:x>/<int:y>.mvt": [
        ("GET", "/tiles/{slug}/blocks/9/274/160.mvt", None, "404 404 200 200 200 200"),
        ("GET", "/tiles/{slug}/crime/9/274/160.mvt", None, "404 404 403 200 200 200"),
        ("GET", "/tiles/{slug}/observations/9/274/160.mvt", None, "404 404 200 200 200 200"),
        ("GET", "/tiles/{slug}/lamps/9/274/160.mvt", None, "404 404 403 200 200 200"),
        ("GET", "/tiles/{slug}/walks/9/274/160.mvt", None, "404 404 200 200 200 200"),
    ],
    "tiles/<slug:slug>/raster/<slug:name>/<int:z>/<int:x>/<int:y>.png": [
        (
            "GET",
            "/tiles/{slug}/raster/crime_density/9/274/160.png",
            None,
            "404 404 403 200 200 200",
        ),
    ],
    "ogc/": [
        ("GET", "/ogc/", None, "200 200 200 200 200 200"),
    ],
    "ogc/conformance": [
        ("GET", "/ogc/conformance", None, "200 200 200 200 200 200"),
    ],
    "ogc/collections": [
        ("GET", "/ogc/collections", None, "200 200 200 200 200 200"),
    ],
    "ogc/collections/<str:collection_id>": [
        ("GET", "/ogc/collections/{slug}-blocks", None, "404 404 404 200 200 200"),
        ("GET", "/ogc/collections/{slug}-crime", None, "404 404 404 404 200 404"),
    ],
    "ogc/collections/<str:collection_id>/items": [
        ("GET", "/ogc/collections/{slug}-blocks/items", None, "404 404 404 200 200 200"),
        ("GET", "/ogc/collections/{slug}-crime/items", None, "404 404 404 404 200 404"),
        ("GET", "/ogc/collections/{slug}-observations/items", None, "404 404 200 200 200 200"),
    ],
    "ogc/collections/<str:collection_id>/items/<str:feature_id>": [
        ("GET", "/ogc/collections/{slug}-blocks/items/SW", None, "404 404 404 200 200 200"),
    ],
    "map/<slug:slug>/": [
        ("GET", "/map/{slug}/", None, "302 404 200 200 200 200"),
    ],
    "map/<slug:slug>/blocks/<int:pk>.json": [
        ("GET", "/map/{slug}/blocks/{block}.json", None, "404 404 200 200 200 200"),
    ],
    "map/<slug:slug>/observations/<int:pk>.json": [
        ("GET", "/map/{slug}/observations/{observation}.json", None, "404 404 200 200 200 200"),
    ],
    "walks/": [
        ("GET", "/walks/", None, "302 200 200 200 200 200"),
    ],
    "walks/sw.js": [
        ("GET", "/walks/sw.js", None, "200 200 200 200 200 200"),
    ],
    "areas/<slug:slug>/data/": [
        ("GET", "/areas/{slug}/data/", None, "302 404 403 403 200 403"),
        ("POST", "/areas/{slug}/data/", None, "302 404 403 403 400 403"),
    ],
    "areas/<slug:slug>/members/": [
        ("GET", "/areas/{slug}/members/", None, "302 404 403 200 403 200"),
        ("POST", "/areas/{slug}/members/", None, "302 404 403 403 403 400"),
    ],
    "walks/plan/<slug:slug>/": [
        ("GET", "/walks/plan/{slug}/", None, "302 404 403 200 403 200"),
    ],
    "walks/<int:pk>/capture/": [
        ("GET", "/walks/{walk}/capture/", None, "302 404 200 403 403 403"),
    ],
    "walks/<int:pk>/report/": [
        ("GET", "/walks/{walk}/report/", None, "302 404 200 200 200 200"),
        ("POST", "/walks/{walk}/report/", None, "302 404 403 403 403 302"),
    ],
    "walks/<int:pk>/manifest.webmanifest": [
        ("GET", "/walks/{walk}/manifest.webmanifest", None, "302 404 200 403 403 403"),
    ],
    "accounts/login/": [
        ("GET", "/accounts/login/", None, "200 200 200 200 200 200"),
    ],
    "accounts/logout/": [
        ("POST", "/accounts/logout/", None, "200 200 200 200 200 200"),
    ],
    "accounts/password_change/": [
        ("GET", "/accounts/password_change/", None, "302 200 200 200 200 200"),
    ],
    "accounts/password_change/done/": [
        ("GET", "/accounts/password_change/done/", None, "302 200 200 200 200 200"),
    ],
    "i18n/setlang/": [
        ("POST", "/i18n/setlang/", None, "302 302 302 302 302 302"),
    ],
    "admin/": [
        ("GET", "/admin/", None, "302 302 302 302 302 302"),
    ],
}

# Routes left out of the matrix, with the reason.
NOT_IN_MATRIX: dict[str, str] = {}


def routes_in_matrix():
    return set(MATRIX) | set(NOT_IN_MATRIX)


def test_every_route_is_in_the_matrix():
    missing = [
        route
        for route in all_routes()
        if route not in routes_in_matrix() and not route.startswith("admin/")
    ]
    assert missing == [], f"routes without an entry in the permission matrix: {missing}"


CASES = [
    pytest.param(method, url, body, expected, id=f"{method} {url}")
    for checks in MATRIX.values()
    for method, url, body, expected in checks
]


@pytest.mark.parametrize("method, url, body, expected", CASES)
def test_route_answers_each_role_as_the_matrix_says(
    method, url, body, expected, client_for, settings, tmp_path
):
    settings.MEDIA_ROOT = tmp_path
    world = build_world(tmp_path)
    url = url.format(**world.ids)
    got = []
    for role in ROLES:
        client = client_for(world.users[role])
        if world.users[role] is not None:
            client.force_login(world.users[role])  # pages use the session, the API the token
        client.raise_request_exception = False  # a 500 is a status to compare, not a crash
        with transaction.atomic():
            if method == "GET":
                response = client.get(url)
            else:
                response = getattr(client, method.lower())(url, body or {}, format="json")
            transaction.set_rollback(True)
        got.append(response.status_code)
    assert dict(zip(ROLES, got, strict=True)) == dict(
        zip(ROLES, map(int, expected.split()), strict=True)
    )


def test_an_outsider_cannot_tell_a_hidden_thing_from_a_missing_one(client_for, member):
    # "No such area." for an area hidden from them, "No Area matches the given query." for
    # none at all: the difference said which exist. Likewise analyses, walks and photos.
    from tests.factories import make_area

    make_area("hidden")
    outsider = client_for(member("participant"))
    for hidden, missing in [
        ("/api/areas/hidden/blocks/", "/api/areas/nowhere/blocks/"),
        ("/api/areas/hidden/walks/", "/api/areas/nowhere/walks/"),
    ]:
        one, other = outsider.get(hidden), outsider.get(missing)
        assert (one.status_code, one.json()) == (other.status_code, other.json())
