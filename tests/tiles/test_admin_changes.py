"""A change made in Django's admin shows on the next tile request, as one made through the API
or an import does: the admin marks the layers it changes, so the ETag a map holds goes stale
(it answered 304 with the old tile)."""

import pytest
from django.contrib import admin
from django.contrib.gis.geos import MultiPolygon, Polygon
from django.test import RequestFactory

from geo.models import Block, Role
from layers.models import CrimeIncident, Lamp
from tests.factories import make_user
from tests.tiles.data import WHOLE_AREA, blocks_by_code, features
from tests.tiles.layered import fill_every_layer
from walks.models import Observation, ObservationKind, Walk

pytestmark = pytest.mark.django_db

TILE = "/".join(map(str, WHOLE_AREA))


@pytest.fixture
def planner(client_for, member, area):
    fill_every_layer(area)
    return client_for(member(Role.PLANNER))


@pytest.fixture
def superuser(client):
    client.force_login(make_user(is_superuser=True, is_staff=True))
    return client


def fetch(client, layer, etag=None):
    headers = {"HTTP_IF_NONE_MATCH": etag} if etag else {}
    return client.get(f"/tiles/testarea/{layer}/{TILE}.mvt", **headers)


def admin_of(model):
    return admin.site._registry[model]


def request():
    return RequestFactory().post("/admin/")


def test_a_lamp_changed_in_the_admin_form_shows_at_once(planner, superuser, area):
    etag = fetch(planner, "lamps")["ETag"]
    lamp = Lamp.objects.get(area=area)
    form = {"area": area.pk, "geom": lamp.geom.ewkt, "status": "working", "source_id": ""}
    response = superuser.post(f"/admin/layers/lamp/{lamp.pk}/change/", form)
    assert response.status_code == 302, response.content[:2000]
    after = fetch(planner, "lamps", etag)
    assert after.status_code == 200
    assert [f["properties"]["status"] for f in features(after, "lamps")] == ["working"]


def test_a_lamp_deleted_in_the_admin_leaves_the_tiles(planner, superuser, area):
    etag = fetch(planner, "lamps")["ETag"]
    lamp = Lamp.objects.get(area=area)
    response = superuser.post(f"/admin/layers/lamp/{lamp.pk}/delete/", {"post": "yes"})
    assert response.status_code == 302
    assert fetch(planner, "lamps", etag).status_code == 204


def test_walks_and_observations_changed_in_the_admin_show_at_once(planner, area):
    observations = fetch(planner, "observations")["ETag"]
    walks = fetch(planner, "walks")["ETag"]
    walk = Walk.objects.get(area=area)
    walk.light = "night"
    admin_of(Walk).save_model(request(), walk, None, True)
    assert fetch(planner, "walks", walks).status_code == 200
    # The observation tiles filter by their walk's light: they change with the walk.
    assert fetch(planner, "observations", observations).status_code == 200

    observations = fetch(planner, "observations")["ETag"]
    found = Observation.objects.get(walk=walk, kind__code="unsafe_spot")
    found.severity = 1
    admin_of(Observation).save_model(request(), found, None, True)
    after = fetch(planner, "observations", observations)
    assert after.status_code == 200
    assert {f["properties"]["severity"] for f in features(after, "observations")} == {1, 3}

    observations = after["ETag"]
    admin_of(Observation).delete_queryset(request(), Observation.objects.filter(pk=found.pk))
    assert len(features(fetch(planner, "observations", observations), "observations")) == 1


def test_a_kind_renamed_in_the_admin_shows_in_every_area_using_it(planner, area):
    etag = fetch(planner, "observations")["ETag"]
    kind = ObservationKind.objects.get(code="unsafe_spot", area__isnull=True)  # built in
    kind.code = "unsafe_place"
    admin_of(ObservationKind).save_model(request(), kind, None, True)
    after = fetch(planner, "observations", etag)
    assert after.status_code == 200
    assert "unsafe_place" in {f["properties"]["kind"] for f in features(after, "observations")}


def test_a_block_redrawn_in_the_admin_recounts_its_crime(client_for, member, area):
    fill_every_layer(area)
    analyst = client_for(member(Role.ANALYST))
    blocks, crime = fetch(analyst, "blocks")["ETag"], fetch(analyst, "crime")["ETag"]
    sw = blocks_by_code(area)["SW"]
    # Shrunk to its south-west corner: only the incident at (13.002, 55.601) stays in it.
    sw.geom = MultiPolygon(Polygon.from_bbox((13.0, 55.6, 13.0025, 55.605)), srid=4326)
    admin_of(Block).save_model(request(), sw, None, True)
    assert fetch(analyst, "blocks", blocks).status_code == 200
    after = fetch(analyst, "crime", crime)
    assert after.status_code == 200
    assert CrimeIncident.objects.filter(block=sw).count() == 1
    assert 1 in {f["properties"]["count"] for f in features(after, "crime")}
