"""Two planners editing one walk: a change names the version it was made against (If-Match
with the walk's ETag), and a walk changed meanwhile is left as it is (412) instead of getting
the older copy back."""

import threading

import pytest
from django import forms
from django.contrib import admin
from django.db import connection, transaction

from geo.models import Membership
from geo.services import data_versions, membership_remove
from tests.walks.helpers import item, make_walk, sync, wait_until_waiting
from walks import services
from walks.admin import WalkAdmin, WalkAdminForm
from walks.models import Walk
from walks.serializers import walk_etag

pytestmark = pytest.mark.django_db

GZIP = {"HTTP_ACCEPT_ENCODING": "gzip"}
REFUSAL = (
    "Someone else changed this walk after you loaded it. Load it again, then make your change."
)


@pytest.fixture
def planner(client_for, member):
    return client_for(member("planner"))


def url(walk):
    return f"/api/walks/{walk.pk}/"


def stored(walk) -> tuple:
    """What a change could alter, as the database holds it."""
    walk = Walk.objects.get(pk=walk.pk)
    names = sorted(walk.participants.values_list("username", flat=True))
    return walk.name, walk.status, walk.route.coords, names, walk.version


def test_a_walk_tells_its_version_and_each_change_makes_a_new_one(planner, walk):
    read = planner.get(url(walk))
    assert read["ETag"] == read.json()["etag"] == f'"walk-{walk.pk}-1"'
    [listed] = planner.get("/api/areas/testarea/walks/").json()
    assert listed["etag"] == read["ETag"]

    changed = planner.patch(
        url(walk), {"name": "Renamed"}, format="json", HTTP_IF_MATCH=read["ETag"]
    )
    assert changed.status_code == 200, changed.json()
    assert changed["ETag"] == changed.json()["etag"] == f'"walk-{walk.pk}-2"'
    assert planner.get(url(walk))["ETag"] == changed["ETag"]


def test_a_change_against_an_older_version_is_refused_and_changes_nothing(
    planner, area, member, walk
):
    held = planner.get(url(walk))["ETag"]
    planner.patch(url(walk), {"name": "The colleague's name"}, format="json")  # behind its back
    before, walks_version = stored(walk), data_versions(area=area)["walks"]

    late = planner.patch(
        url(walk),
        {"name": "Mine", "route": None, "participants": [], "status": "done"},
        format="json",
        HTTP_IF_MATCH=held,
    )
    assert late.status_code == 412
    assert late.json() == {"detail": REFUSAL}
    assert stored(walk) == before
    assert data_versions(area=area)["walks"] == walks_version


def test_a_refusal_carries_the_walks_current_etag(planner, walk):
    held = planner.get(url(walk))["ETag"]
    planner.patch(url(walk), {"name": "The colleague's name"}, format="json")  # behind its back
    now = planner.get(url(walk))["ETag"]

    for late in (
        planner.patch(url(walk), {"name": "Mine"}, format="json", HTTP_IF_MATCH=held),
        planner.delete(url(walk), HTTP_IF_MATCH=held),
    ):
        assert late.status_code == 412 and late.json() == {"detail": REFUSAL}
        assert late["ETag"] == now != held
    # Named back, it is the version the walk has: the change is made.
    answer = planner.patch(url(walk), {"name": "Mine"}, format="json", HTTP_IF_MATCH=now)
    assert answer.status_code == 200
    assert stored(walk)[0] == "Mine"


@pytest.mark.parametrize(
    "if_match",
    [
        "{etag}",
        "*",
        '"walk-0-1", {etag}',  # a list: any of its tags
        "{etag_gzip}",  # as a client that accepts gzip reads it
    ],
)
def test_a_change_against_the_current_version_is_made(planner, walk, if_match):
    etag = planner.get(url(walk))["ETag"]
    held = if_match.format(etag=etag, etag_gzip=planner.get(url(walk), **GZIP)["ETag"])
    answer = planner.patch(url(walk), {"name": "Renamed"}, format="json", HTTP_IF_MATCH=held)
    assert answer.status_code == 200, answer.json()
    assert stored(walk)[0] == "Renamed"


@pytest.mark.parametrize(
    "if_match",
    [
        "W/{etag}",  # If-Match compares strongly: a weak tag never matches
        '"walk-{other}-1"',  # another walk's version 1
        "walk-{pk}-1",  # not a tag (unquoted)
        "",
    ],
)
def test_a_tag_that_is_not_this_walks_current_one_is_refused(planner, area, walk, if_match):
    other = make_walk(area)
    held = if_match.format(etag=walk_etag(walk), other=other.pk, pk=walk.pk)
    before = stored(walk)
    answer = planner.patch(url(walk), {"name": "Renamed"}, format="json", HTTP_IF_MATCH=held)
    assert answer.status_code == 412
    assert stored(walk) == before


def test_a_change_without_if_match_is_made_whatever_the_version(planner, walk):
    # API clients and scripts written before versions keep working.
    planner.patch(url(walk), {"name": "First"}, format="json")
    answer = planner.patch(url(walk), {"name": "Second"}, format="json")
    assert answer.status_code == 200
    assert stored(walk)[0] == "Second" and stored(walk)[-1] == 3


def test_a_compressed_answers_tag_stays_strong(planner, walk):
    packed = planner.get(url(walk), **GZIP)
    assert packed["Content-Encoding"] == "gzip"
    assert packed["ETag"] == f'"walk-{walk.pk}-1-gzip"'  # not W/: If-Match could never match


def test_a_deletion_against_an_older_version_is_refused(planner, area, walk):
    held = walk_etag(walk)
    planner.patch(url(walk), {"name": "Still wanted"}, format="json")
    answer = planner.delete(url(walk), HTTP_IF_MATCH=held)
    assert answer.status_code == 412 and answer.json() == {"detail": REFUSAL}
    assert stored(walk)[0] == "Still wanted"

    assert (
        planner.delete(url(walk), HTTP_IF_MATCH=planner.get(url(walk))["ETag"]).status_code == 204
    )
    assert not Walk.objects.filter(pk=walk.pk).exists()


@pytest.mark.parametrize("if_match", ["*", None])
def test_a_deletion_of_any_version(planner, walk, if_match):
    headers = {"HTTP_IF_MATCH": if_match} if if_match else {}
    assert planner.delete(url(walk), **headers).status_code == 204
    assert not Walk.objects.filter(pk=walk.pk).exists()


def test_the_first_finding_starting_the_walk_is_a_change_of_it_later_ones_are_not(
    planner, capture_client, walk
):
    # A planner's page showing the walk as planned would put "planned" back with its save.
    planned = walk_etag(walk)
    sync(capture_client, walk, [item()])
    started = planner.get(url(walk))
    assert started.json()["status"] == "walking" and started["ETag"] != planned
    sync(capture_client, walk, [item()])
    assert planner.get(url(walk))["ETag"] == started["ETag"]  # findings are not the walk
    answer = planner.patch(url(walk), {"status": "planned"}, format="json", HTTP_IF_MATCH=planned)
    assert answer.status_code == 412
    assert stored(walk)[1] == "walking"


def test_a_member_leaving_the_area_changes_its_open_walks(area, participant, walk, member):
    done = make_walk(area, [participant], status="done")
    before_open, before_done = walk_etag(walk), walk_etag(done)
    membership_remove(membership=Membership.objects.get(user=participant, area=area))
    walk.refresh_from_db(), done.refresh_from_db()
    assert walk_etag(walk) != before_open  # they are no longer on it
    assert walk_etag(done) == before_done  # they stay on a walk that is done: unchanged


def test_a_change_in_the_admin_is_a_change_of_the_walk(walk):
    held = walk_etag(walk)
    walk.name = "Renamed in the admin"
    WalkAdmin(Walk, admin.site).save_model(None, walk, None, change=True)
    assert walk_etag(walk) != held
    assert walk_etag(Walk.objects.get(pk=walk.pk)) == walk_etag(walk)


@pytest.mark.django_db(transaction=True)
def test_of_two_changes_against_one_version_exactly_one_is_made(area, member, client_for):
    walk = make_walk(area)
    held_tag = walk_etag(walk)
    colleagues = {
        "planner's": client_for(member("planner")),
        "coordinator's": client_for(member("coordinator")),
    }
    locked, release = threading.Event(), threading.Event()
    answers, errors = {}, []

    def hold():
        # A third transaction holds the walk while both changes read it and come to write:
        # they meet at its lock, both past their reading, whichever the threads' timing.
        try:
            with transaction.atomic():
                Walk.objects.select_for_update().get(pk=walk.pk)
                locked.set()
                release.wait(10)
        finally:
            connection.close()

    def change(name, client):
        try:
            answers[name] = client.patch(
                url(walk), {"name": name}, format="json", HTTP_IF_MATCH=held_tag
            )
        except Exception as error:  # the test client re-raises what would be a 500
            errors.append(error)
        finally:
            connection.close()

    holder = threading.Thread(target=hold)
    holder.start()
    assert locked.wait(10)
    threads = [threading.Thread(target=change, args=pair) for pair in colleagues.items()]
    for thread in threads:
        thread.start()
    wait_until_waiting(2)  # both at the lock
    release.set()
    for thread in (holder, *threads):
        thread.join(30)

    assert errors == []
    codes = {name: answer.status_code for name, answer in answers.items()}
    assert sorted(codes.values()) == [200, 412]
    [winner] = [name for name, code in codes.items() if code == 200]
    walk.refresh_from_db()
    assert (walk.name, walk.version) == (winner, 2)
    assert answers[winner]["ETag"] == walk_etag(walk)


def test_openapi_documents_if_match_the_etag_and_the_412(api):
    schema = api.get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json").json()
    detail = schema["paths"]["/api/walks/{id}/"]
    for method in ("patch", "delete"):
        headers = {p["name"] for p in detail[method]["parameters"] if p["in"] == "header"}
        assert "If-Match" in headers
        assert "412" in detail[method]["responses"]
    for method, code in (("get", "200"), ("patch", "200"), ("patch", "412"), ("delete", "412")):
        assert "ETag" in detail[method]["responses"][code]["headers"]
    assert "etag" in schema["components"]["schemas"]["Walk"]["properties"]


def admin_form_data(walk, **changes) -> dict:
    data = forms.model_to_dict(walk)
    data["participants"] = [user.pk for user in data["participants"]]
    return {key: value for key, value in data.items() if value is not None} | changes


def test_the_admin_does_not_save_over_a_change_made_since_it_opened_the_walk(walk):
    opened = WalkAdminForm(instance=walk).fields["opened_version"].initial
    services.walk_update(walk=Walk.objects.get(pk=walk.pk), name="Planner's name")
    with transaction.atomic():  # as the admin saves
        form = WalkAdminForm(
            data=admin_form_data(walk, name="Admin's name", opened_version=opened),
            instance=Walk.objects.get(pk=walk.pk),
        )
        assert not form.is_valid()
    assert form.non_field_errors() == [REFUSAL]
    assert Walk.objects.get(pk=walk.pk).name == "Planner's name"

    current = Walk.objects.get(pk=walk.pk)
    form = WalkAdminForm(
        data=admin_form_data(current, name="Admin's name", opened_version=current.version),
        instance=current,
    )
    assert form.is_valid(), form.errors


def test_the_admin_change_page_carries_the_version_it_opened(client, walk, django_user_model):
    client.force_login(django_user_model.objects.create_superuser("root", password="x" * 12))
    page = client.get(f"/admin/walks/walk/{walk.pk}/change/").content.decode()
    assert f'name="opened_version" value="{walk.version}"' in page
