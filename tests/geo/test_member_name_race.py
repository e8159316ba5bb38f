"""Two coordinators adding the same resident at once, spelt with other letter case, make one
account, not two (membership_set serialises changes per name)."""

import threading

import pytest
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.db import connection

from geo.models import Role
from geo.services import membership_set
from tests.factories import make_area

pytestmark = pytest.mark.django_db(transaction=True)


def test_names_differing_in_case_added_at_once_make_one_account():
    area = make_area("race-area", blocks=False)
    barrier = threading.Barrier(2)
    outcomes = []

    def add(name):
        try:
            barrier.wait(5)
            membership_set(
                area=area,
                username=name,
                role=Role.PARTICIPANT,
                create=True,
                password="Vandring-2026-trygg",
            )
            outcomes.append("added")
        except ValidationError as refusal:
            outcomes.append(refusal.message_dict)
        finally:
            connection.close()

    threads = [threading.Thread(target=add, args=(name,)) for name in ("Karin", "karin")]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert get_user_model().objects.filter(username__iexact="karin").count() == 1
    assert sorted(map(str, outcomes))[0] == "added"
    assert any(isinstance(o, dict) and "username" in o for o in outcomes)
