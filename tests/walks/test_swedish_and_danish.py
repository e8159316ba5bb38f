"""What a Swedish or Danish reader sees: no English reasons, the walk's own words, their dates."""

import pytest
from django.test import Client
from django.utils import timezone

from geo.models import Role
from tests.factories import make_member
from tests.walks.helpers import make_walk
from walks.models import ObservationKind
from walks.taxonomy import builtin_kinds_ensure

pytestmark = pytest.mark.django_db


def browser(user, language):
    client = Client()
    client.force_login(user)
    client.cookies["django_language"] = language
    return client


def test_a_refusal_gives_its_reason_in_the_readers_language(area):
    coordinator = make_member(area, Role.COORDINATOR)
    walk = make_walk(area)
    page = browser(coordinator, "sv").get(f"/walks/{walk.pk}/capture/")
    assert page.status_code == 403
    assert "Bara vandringens deltagare registrerar observationer" in page.content.decode()
    answer = browser(coordinator, "da").get("/api/walks/999999/")
    assert answer.json()["detail"] == "Der findes ingen sådan vandring."


@pytest.mark.parametrize(("language", "done"), [("sv", "Genomförd"), ("da", "Gennemført")])
def test_a_done_walk_is_called_so_not_a_finished_job(area, language, done):
    participant = make_member(area, Role.PARTICIPANT)
    make_walk(area, [participant], status="done")
    page = browser(participant, language).get("/walks/").content.decode()
    assert f"· {done}" in page


def test_danish_dates_are_day_first(area):
    coordinator = make_member(area, Role.COORDINATOR)
    # The page writes the day in the site's zone; near midnight that is not UTC's day.
    joined = timezone.localtime(coordinator.memberships.get().created_at)
    page = browser(coordinator, "da").get(f"/areas/{area.slug}/members/").content.decode()
    assert joined.strftime("%d.%m.%Y") in page
    english = browser(coordinator, "en").get(f"/areas/{area.slug}/members/").content.decode()
    assert joined.strftime("%Y-%m-%d") in english


def test_a_corrected_kind_label_reaches_a_database_seeded_before():
    ObservationKind.objects.filter(code="hiding_place").update(label_da="Gemmested")
    builtin_kinds_ensure()
    assert ObservationKind.objects.get(code="hiding_place").label_da == "Skjulested"
