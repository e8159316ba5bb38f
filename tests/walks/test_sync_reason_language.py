"""A sync rejection reads as a sentence in every language: the kind's label, lower-cased
within the English sentence, comes first in Swedish and Danish and is capitalised there."""

import pytest

from tests.walks.helpers import item

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    "language, reason",
    [
        ("sv", "Skymd sikt ritas som en linje, inte som en punkt."),
        ("da", "Blokeret udsyn tegnes som en linje, ikke som et punkt."),
        ("en", "A blocked sightline is drawn as a line, not as a point."),
    ],
)
def test_a_kind_drawn_with_the_wrong_shape_starts_with_a_capital(
    capture_client, walk, language, reason
):
    response = capture_client.post(
        f"/api/walks/{walk.pk}/observations/sync",
        {"observations": [item(kind="blocked_sightline")]},
        format="json",
        HTTP_ACCEPT_LANGUAGE=language,
    )
    assert response.status_code == 200
    [result] = response.json()["results"]
    assert result["status"] == "rejected"
    assert result["errors"]["geometry"] == [reason]
