"""A retried batch may reach the server in another order while the first attempt still runs
(found by bench/load): the two must not deadlock on each other's new rows."""

import threading

import pytest
from django.db import connection, transaction
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from tests.walks.helpers import item, make_walk, sync, wait_until_waiting
from walks import services
from walks.models import Observation
from walks.taxonomy import builtin_kinds_ensure


@pytest.mark.django_db(transaction=True)
def test_reordered_retry_running_beside_the_first_attempt_does_not_deadlock(area, participant):
    builtin_kinds_ensure()
    walk = make_walk(area, [participant])
    token = Token.objects.create(user=participant)
    # In client_id order x < z < y: the first attempt meets z (held by another transaction)
    # between x and y, and the retry sends y before x.
    x, z, y = (item(client_id=f"00000000-0000-4000-8000-00000000000{n}") for n in (1, 2, 3))
    held, release = threading.Event(), threading.Event()
    answers, errors = {}, []

    def hold_z():
        # Another tablet's transaction that has written z and not yet committed: it makes the
        # first attempt stop between its rows, as a busy server would.
        try:
            with transaction.atomic():
                services.observations_sync(walk=walk, author=participant, items=[z])
                held.set()
                release.wait(10)
        finally:
            connection.close()

    def send(name, items):
        client = APIClient()
        client.credentials(HTTP_AUTHORIZATION=f"Token {token.key}")
        try:
            answers[name] = sync(client, walk, items)
        except Exception as error:  # the test client re-raises what would be a 500
            errors.append(error)
        finally:
            connection.close()

    holder = threading.Thread(target=hold_z)
    holder.start()
    assert held.wait(10)
    first = threading.Thread(target=send, args=("first", [x, z, y]))
    first.start()
    wait_until_waiting(1)  # the first attempt has stored x and waits for z
    retry = threading.Thread(target=send, args=("retry", [y, x]))
    retry.start()
    wait_until_waiting(2)  # the retry waits for x
    release.set()
    for thread in (holder, first, retry):
        thread.join(30)

    assert errors == []
    assert {name: a.status_code for name, a in answers.items()} == {"first": 200, "retry": 200}
    stored = dict(Observation.objects.values_list("client_id", "id"))
    assert {str(k) for k in stored} == {x["client_id"], y["client_id"], z["client_id"]}
    for answer in answers.values():
        for result in answer.json()["results"]:
            assert result["status"] in ("created", "duplicate")
            assert stored[next(k for k in stored if str(k) == result["client_id"])] == result["id"]
