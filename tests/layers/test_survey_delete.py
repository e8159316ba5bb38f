"""Undoing a survey import by period: analysts list an area's survey rounds and delete one with
its results (GET /api/areas/{slug}/survey/, DELETE /api/areas/{slug}/survey/{period}/, the data
page), audited, with the data versions survey results feed bumped."""

import re
from urllib.parse import quote

import pytest

from geo.models import AuditEntry, DataVersion, Role
from geo.services import data_versions
from layers.analysis.runs import analysis_run
from layers.models import BlockResult, SurveyResult
from layers.services import LAYERS_OF
from tests.factories import make_area, make_member
from tests.layers.importing import counts, run_import, write
from tests.tiles.data import WHOLE_AREA, add_crime_points

pytestmark = pytest.mark.django_db

PAGE = "/areas/testarea/data/"
LIST = "/api/areas/testarea/survey/"
BLOCKS_TILE = "/tiles/testarea/blocks/" + "/".join(map(str, WHOLE_AREA)) + ".mvt"
HEADER = "block_code,period,respondents,unsafe\n"


def survey(area, tmp_path, name, rows: str):
    """Import a survey CSV the way an analyst does (the importer's upsert, a real file)."""
    job = run_import(area, "survey", "csv", write(tmp_path, name, HEADER + rows))
    assert job.status == "done", job.error
    return job


def results_of(area) -> dict[tuple[str, str], int]:
    rows = SurveyResult.objects.filter(block__area=area)
    return {(r.block.code, r.period): r.respondents for r in rows.select_related("block")}


@pytest.fixture
def analyst_user(member):
    return member(Role.ANALYST)


@pytest.fixture
def analyst(client_for, analyst_user):
    return client_for(analyst_user)


@pytest.fixture
def rounds(area, tmp_path):
    """Two rounds in the test area, and the same period in another area."""
    survey(area, tmp_path, "h1.csv", "SW,2025-H1,40,10\nSE,2025-H1,30,3\nNE,2025-H1,20,5\n")
    survey(area, tmp_path, "h2.csv", "SW,2025-H2,50,20\n")
    other = make_area("other")
    survey(other, tmp_path, "o.csv", "SW,2025-H1,60,6\n")
    return other


def test_the_list_gives_each_period_with_its_counts(area, analyst, rounds):
    assert analyst.get(LIST).json() == [
        {"period": "2025-H1", "blocks": 3, "respondents": 90},
        {"period": "2025-H2", "blocks": 1, "respondents": 50},
    ]
    assert analyst.get("/api/areas/other/survey/").status_code == 404  # not their area


def test_deleting_a_period_takes_exactly_its_rows(area, analyst, analyst_user, rounds):
    before = data_versions(area=area)
    other_before = data_versions(area=rounds)

    response = analyst.delete(LIST + "2025-H1/")

    assert response.status_code == 204, response.content
    assert results_of(area) == {("SW", "2025-H2"): 50}
    assert results_of(rounds) == {("SW", "2025-H1"): 60}  # another area's same period stays
    entry = AuditEntry.objects.get(action="survey.delete")
    assert entry.area == area and entry.user == analyst_user
    assert entry.detail == {"period": "2025-H1", "blocks": 3, "respondents": 90}
    after = data_versions(area=area)
    for layer in LAYERS_OF["survey"]:  # what a survey import bumps, the undo bumps too
        assert after[layer] == before[layer] + 1
    assert {k: v for k, v in after.items() if k not in LAYERS_OF["survey"]} == {
        k: v for k, v in before.items() if k not in LAYERS_OF["survey"]
    }
    assert data_versions(area=rounds) == other_before
    assert analyst.get(LIST).json() == [{"period": "2025-H2", "blocks": 1, "respondents": 50}]
    # Twice (a second client): nothing left to delete, nothing audited again.
    again = analyst.delete(LIST + "2025-H1/")
    assert again.status_code == 404
    assert again.json() == {"detail": "The area has no survey results for period 2025-H1."}
    assert AuditEntry.objects.filter(action="survey.delete").count() == 1


@pytest.mark.parametrize(
    "period",
    ["2025", "2025-h1", "2025-H1 ", " 2025-H1", "2025-H", "2025-H1x", "%", "2025-H1%00", "x" * 21],
)
def test_the_period_is_matched_exactly(area, analyst, rounds, period):
    version = DataVersion.objects.get(area=area, layer="blocks").version
    response = analyst.delete(LIST + quote(period, safe="%") + "/")
    assert response.status_code == 404, response.content
    assert len(results_of(area)) == 4
    assert DataVersion.objects.get(area=area, layer="blocks").version == version
    assert not AuditEntry.objects.filter(action="survey.delete").exists()


def test_a_period_with_a_slash_is_deleted_percent_encoded(area, analyst, tmp_path):
    survey(area, tmp_path, "s.csv", "SW,2025/26,40,10\nSE,2025,30,3\n")
    assert analyst.get(LIST).json()[1] == {"period": "2025/26", "blocks": 1, "respondents": 40}
    assert analyst.delete(LIST + quote("2025/26", safe="") + "/").status_code == 204
    assert results_of(area) == {("SE", "2025"): 30}


@pytest.mark.parametrize("role", ["participant", "planner", "coordinator"])
def test_only_the_areas_analysts_list_and_delete_rounds(area, client_for, member, rounds, role):
    client = client_for(member(role))
    assert client.get(LIST).status_code == 403
    assert client.delete(LIST + "2025-H1/").status_code == 403
    outsider = client_for(make_member(rounds, Role.ANALYST))  # the other area's analyst
    assert outsider.get(LIST).status_code == 404
    assert outsider.delete(LIST + "2025-H1/").status_code == 404
    assert client_for(None).get(LIST).status_code == 401
    assert client_for(None).delete(LIST + "2025-H1/").status_code == 401
    assert len(results_of(area)) == 4 and len(results_of(rounds)) == 1
    assert not AuditEntry.objects.filter(action="survey.delete").exists()


def test_tiles_and_the_next_analysis_follow_and_runs_keep_their_results(
    area, analyst, tmp_path, settings
):
    settings.MEDIA_ROOT = tmp_path
    add_crime_points(area)  # an analysis needs crime to run
    survey(area, tmp_path, "s.csv", "SE,2025,40,10\n")
    small = {"bandwidth_m": 100, "cell_m": 5, "permutations": 99}
    earlier = analysis_run(area=area, parameters=small)
    se = area.blocks.get(code="SE")
    assert BlockResult.objects.get(run=earlier, block=se).insecurity_survey == pytest.approx(0.25)
    etag = analyst.get(BLOCKS_TILE)["ETag"]
    assert analyst.get(BLOCKS_TILE, HTTP_IF_NONE_MATCH=etag).status_code == 304

    assert analyst.delete(LIST + "2025/").status_code == 204

    after = analyst.get(BLOCKS_TILE, HTTP_IF_NONE_MATCH=etag)
    assert after.status_code == 200 and after["ETag"] != etag
    later = analysis_run(area=area, parameters=small)
    assert BlockResult.objects.get(run=later, block=se).insecurity_survey is None
    # The run made before keeps what it found.
    assert BlockResult.objects.get(run=earlier, block=se).insecurity_survey == pytest.approx(0.25)


# On the data page.


@pytest.fixture
def page_analyst(client, analyst_user, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    client.force_login(analyst_user)
    return client


def test_the_data_page_lists_and_deletes_a_survey_round(area, page_analyst, rounds):
    page = page_analyst.get(PAGE).content.decode()
    forms = re.findall(r'<form method="post" class="delete-survey"[^>]*>.*?</form>', page)
    assert len(forms) == 2  # one per period of this area
    assert "<td>2025-H1</td><td>3</td><td>90</td>" in page
    assert (
        "Delete the survey results of period 2025-H1 (3 blocks)? Analyses already run keep their"
        " results; run a new one." in forms[0]
    )
    assert 'aria-label="Delete the survey results of period 2025-H2"' in forms[1]

    response = page_analyst.post(PAGE, {"action": "delete_survey", "period": "2025-H1"})

    assert response.status_code == 302 and response["Location"] == PAGE
    assert results_of(area) == {("SW", "2025-H2"): 50}
    assert results_of(rounds) == {("SW", "2025-H1"): 60}
    page = page_analyst.get(PAGE).content.decode()
    assert "The survey results of period 2025-H1 are deleted (3 blocks)." in page
    assert len(re.findall(r'class="delete-survey"', page)) == 1
    assert AuditEntry.objects.get(action="survey.delete").detail["period"] == "2025-H1"
    # Twice (a second tab): refused with the reason, nothing else changes.
    page_analyst.post(PAGE, {"action": "delete_survey", "period": "2025-H1"})
    page = page_analyst.get(PAGE).content.decode()
    assert "The area has no survey results for period 2025-H1." in page
    assert AuditEntry.objects.filter(action="survey.delete").count() == 1


def test_the_data_page_without_survey_results_says_so(area, page_analyst):
    page = page_analyst.get(PAGE).content.decode()
    assert "No survey results yet." in page and "delete-survey" not in page


@pytest.mark.parametrize("role", ["planner", "coordinator"])
def test_only_analysts_delete_rounds_on_the_page(area, client, member, rounds, role):
    client.force_login(member(role))
    response = client.post(PAGE, {"action": "delete_survey", "period": "2025-H1"})
    assert response.status_code == 403
    assert len(results_of(area)) == 4


def test_the_right_file_replaces_a_deleted_round(area, analyst, tmp_path):
    """An import keeps the result a block already has for a period (a repeat is a duplicate),
    so the right file of a round counts only once the wrong one is deleted."""
    survey(area, tmp_path, "wrong.csv", "SW,2025,40,10\nSE,2025,30,3\n")
    right = survey(area, tmp_path, "right.csv", "SW,2025,44,22\n")
    assert counts(right) == (1, 0, 1, 0, 0)
    assert analyst.get(LIST).json() == [{"period": "2025", "blocks": 2, "respondents": 70}]

    assert analyst.delete(LIST + "2025/").status_code == 204

    right = survey(area, tmp_path, "right.csv", "SW,2025,44,22\n")
    assert counts(right) == (1, 1, 0, 0, 0)
    assert SurveyResult.objects.get(block__area=area).share_unsafe == 0.5
