"""A whole analysis run on the four-block test area: storage, no-data, reproducibility,
rasters, the command and the API with its permissions and suppression."""

from datetime import UTC, datetime

import numpy as np
import pytest
import rasterio
import shapely
from django.contrib.gis.geos import Point
from django.core.management import call_command

from geo.services import data_versions
from layers.analysis.results import BLOCK_FIELDS, analysis_shown
from layers.analysis.runs import analysis_run
from layers.assignment import crime_assignment, crime_assignment_totals
from layers.models import AnalysisRun, BlockResult, CrimeIncident, SurveyResult
from tests.factories import make_area
from walks.models import Observation, ObservationKind, Walk

pytestmark = pytest.mark.django_db

IMMEDIATE = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}
# Block centres of the test area (13.000–13.018 E, 55.600–55.610 N).
CENTRES = {
    "SW": (13.0045, 55.6025),
    "SE": (13.0135, 55.6025),
    "NW": (13.0045, 55.6075),
    "NE": (13.0135, 55.6075),
}
SMALL = {"bandwidth_m": 100, "cell_m": 5, "permutations": 99}


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    settings.TASKS = IMMEDIATE


def incidents(area, code, count, *, month="2025-03-01", spread=0.002):
    lon, lat = CENTRES[code]
    for n in range(count):
        offset = spread * (n / max(count, 1) - 0.5)
        CrimeIncident.objects.create(
            area=area,
            geom=Point(lon + offset, lat + offset / 2, srid=4326),
            month=month,
            category="burglary",
            original_category="Burglary",
            source_dataset="test",
            source_key=f"{code}:{n}:{month}",
            precision="exact",
        )


@pytest.fixture
def scene(area):
    """NE: many incidents and unsafe spots; SE: incidents and a survey; SW: two incidents and a
    safe place; NW: nothing at all (no data on insecurity)."""
    incidents(area, "NE", 12)
    incidents(area, "SE", 6)
    incidents(area, "SW", 2)
    incidents(area, "NE", 3, month="2024-01-01")  # outside --from 2025-01
    walk = Walk.objects.create(
        area=area, name="Night walk", starts_at=datetime(2025, 3, 1, tzinfo=UTC)
    )
    unsafe = ObservationKind.objects.get(code="unsafe_spot", area=None)
    safe = ObservationKind.objects.get(code="safe_place", area=None)
    lon, lat = CENTRES["NE"]
    for n, severity in enumerate([5, 4, 4]):
        Observation.objects.create(
            walk=walk,
            kind=unsafe,
            geom=Point(lon + n * 0.0003, lat, srid=4326),
            severity=severity,
            feeling=1,
            captured_at=datetime(2025, 3, 1, 21, tzinfo=UTC),
        )
    Observation.objects.create(
        walk=walk,
        kind=safe,
        geom=Point(*CENTRES["SW"], srid=4326),
        feeling=5,
        captured_at=datetime(2025, 3, 1, 21, tzinfo=UTC),
    )
    se = area.blocks.get(code="SE")
    SurveyResult.objects.create(block=se, period="2025", respondents=40, share_unsafe=0.25)
    return area


def results_by_code(run):
    return {r.block.code: r for r in BlockResult.objects.filter(run=run).select_related("block")}


def test_run_stores_counts_index_and_leaves_blocks_without_evidence_null(scene):
    before = data_versions(area=scene)
    run = analysis_run(area=scene, parameters={"from": "2025-01", **SMALL})
    assert run.status == "done" and run.progress == 1.0
    rows = results_by_code(run)
    assert {code: r.crime_count for code, r in rows.items()} == {
        "NE": 12,
        "SE": 6,
        "SW": 2,
        "NW": 0,
    }
    assert run.figures["incidents_inside"] == 20 and run.figures["incidents_unassigned"] == 0
    # NW has no evidence: null, not zero; SW's only evidence is a safe place: a real 0.
    assert rows["NW"].insecurity_index is None and rows["NW"].comparison_class == ""
    assert rows["SW"].insecurity_index == 0.0
    assert rows["SE"].insecurity_index == pytest.approx(0.25)
    # NE: observations 1 − exp(−(5+4+4)/5) and feeling (5 − 1)/4 = 1, equally weighted.
    expected = (1 - np.exp(-13 / 5) + 1.0) / 2
    assert rows["NE"].insecurity_index == pytest.approx(expected)
    assert rows["NE"].negative_observations == 3 and rows["SW"].positive_observations == 1
    assert rows["NE"].comparison_class == "both_high"
    assert rows["SW"].comparison_class == "both_low"
    assert {"spearman_rho", "lee_l", "bandwidth_m"} <= set(run.figures)
    assert set(run.timings) >= {"crime", "weights", "gi_crime", "rasters", "store"}
    after = data_versions(area=scene)
    assert after["analysis"] == before["analysis"] + 1 and after["blocks"] == before["blocks"] + 1
    assert analysis_shown(scene) == run


def test_same_inputs_and_seed_give_identical_results(scene):
    first = analysis_run(area=scene, parameters={"seed": 5, **SMALL})
    second = analysis_run(area=scene, parameters={"seed": 5, **SMALL})
    fields = [f.name for f in BlockResult._meta.fields if f.name not in {"id", "run"}]

    def values(run):
        return list(BlockResult.objects.filter(run=run).order_by("block_id").values(*fields))

    assert values(first) == values(second)
    assert first.data_fingerprint == second.data_fingerprint
    for name in ("crime_density", "insecurity", "perception_gap"):
        paths = [run.rasters.get(name=name).path for run in (first, second)]
        arrays = [rasterio.open(scene_media(p)).read(1) for p in paths]
        np.testing.assert_array_equal(arrays[0], arrays[1])
    incidents(scene, "NW", 1, month="2025-06-01")
    third = analysis_run(area=scene, parameters={"seed": 5, **SMALL})
    assert third.data_fingerprint != first.data_fingerprint


def scene_media(relative):
    from django.conf import settings

    return settings.MEDIA_ROOT / relative


def test_density_surface_is_a_cog_that_integrates_to_the_incident_count(scene):
    run = analysis_run(area=scene, parameters={**SMALL, "cell_m": 2})
    with rasterio.open(scene_media(run.rasters.get(name="crime_density").path)) as dataset:
        assert dataset.crs.to_epsg() == scene.analysis_srid
        assert dataset.res == (2.0, 2.0)
        assert dataset.overviews(1), "a COG carries overviews"
        assert dataset.profile["tiled"]
        total = dataset.read(1).astype(float).sum() * 4 / 1e6  # per km² → incidents
    assert total == pytest.approx(23, rel=0.01)
    with rasterio.open(scene_media(run.rasters.get(name="perception_gap").path)) as dataset:
        gap = dataset.read(1)
        assert np.isnan(gap).any() and np.isfinite(gap).any()


def test_assignment_totals_count_each_incident_once_like_the_assignment(area):
    CrimeIncident.objects.bulk_create(
        CrimeIncident(
            area=area,
            geom=Point(lon, lat, srid=4326),
            month="2025-01-01",
            category="robbery",
            original_category="Robbery",
            source_dataset="t",
            source_key=key,
            precision="exact",
        )
        for key, lon, lat in [
            ("inside", 13.002, 55.602),
            ("edge", 13.009, 55.602),  # on the SW/SE boundary
            ("corner", 13.009, 55.605),  # where all four blocks meet
            ("near", 13.0182, 55.6095),  # ~13 m east of NE: snapped
            ("far", 13.05, 55.65),
        ]
    )
    totals = crime_assignment_totals(area=area)
    plain = crime_assignment(area=area)
    assert (totals.inside, totals.snapped, totals.unassigned) == (3, 1, 1)
    assert (plain.inside, plain.snapped, plain.unassigned) == (3, 1, 1)
    assert totals.per_block == plain.per_block
    sw = area.blocks.get(code="SW").pk
    assert totals.per_block[sw] == 3  # edge and corner points go to the lowest block id
    assert len(shapely.from_wkb(totals.points_wkb).geoms) == 4


def test_run_hotspots_command_runs_and_reports(scene, capsys):
    call_command(
        "run_hotspots",
        scene.slug,
        "--weights",
        "knn",
        "--k",
        "2",
        "--fdr",
        "--permutations",
        "19",
        "--bandwidth",
        "150",
        verbosity=0,
    )
    run = AnalysisRun.objects.get(area=scene)
    assert run.status == "done" and run.parameters["weights"] == "knn"
    assert run.parameters["fdr"] is True and run.figures["weights"]["k"] == 2


# --- API ---------------------------------------------------------------------------------


def test_analyst_starts_a_run_that_finishes_in_the_worker(
    scene, member, client_for, django_capture_on_commit_callbacks
):
    client = client_for(member("analyst"))
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            f"/api/areas/{scene.slug}/analyses/", {"from": "2025-01", **SMALL}, format="json"
        )
    assert response.status_code == 202
    assert response["Location"].endswith(f"/api/analyses/{response.json()['id']}/")
    detail = client.get(response["Location"]).json()
    assert detail["status"] == "done" and detail["progress"] == 1.0
    assert detail["parameters"]["from"] == "2025-01"
    assert set(detail["rasters"]) == {"crime_density", "insecurity", "perception_gap"}
    download = client.get(detail["rasters"]["crime_density"])
    assert download.status_code == 200 and download["Content-Type"] == "image/tiff"
    assert b"".join(download.streaming_content)[:4] in (b"II*\x00", b"MM\x00*")


def test_starting_a_run_needs_the_analyst_role_and_valid_parameters(scene, member, client_for):
    url = f"/api/areas/{scene.slug}/analyses/"
    assert client_for(member("planner")).post(url, {}, format="json").status_code == 403
    assert client_for(None).post(url, {}, format="json").status_code == 404  # area hidden
    analyst = client_for(member("analyst"))
    bad = analyst.post(
        url, {"from": "2025-13", "weights": "rook", "permutations": -1, "colour": 1}, format="json"
    )
    assert bad.status_code == 400
    assert set(bad.json()) == {"from", "weights", "permutations", "colour"}
    assert AnalysisRun.objects.count() == 0


def test_blocks_geojson_has_the_shared_fields_and_suppresses_small_counts(
    scene, member, client_for, django_assert_max_num_queries
):
    run = analysis_run(area=scene, parameters=SMALL)
    url = f"/api/analyses/{run.pk}/blocks/"
    planner = client_for(member("planner"))
    with django_assert_max_num_queries(8):
        body = planner.get(url).json()
    features = {f["properties"]["code"]: f for f in body["features"]}
    assert set(features["NE"]["properties"]) == set(BLOCK_FIELDS)
    assert features["NE"]["geometry"]["type"] == "MultiPolygon"
    # SW (2 incidents) and NW (0) fall below the threshold of 3 for a planner ...
    assert features["SW"]["properties"]["crime_count"] is None
    assert features["SW"]["properties"]["crime_value"] is None
    assert features["NE"]["properties"]["crime_count"] == 15
    assert features["NW"]["properties"]["insecurity_index"] is None
    # ... but an analyst sees them.
    analyst = client_for(member("analyst")).get(url).json()
    counts = {f["properties"]["code"]: f["properties"]["crime_count"] for f in analyst["features"]}
    assert counts == {"NE": 15, "SE": 6, "SW": 2, "NW": 0}
    # The permutation p-values, stored but in no output before: analysts get both; others the
    # insecurity one (crime's would solve back small counts, like its z).
    ne = {f["properties"]["code"]: f["properties"] for f in analyst["features"]}["NE"]
    stored = BlockResult.objects.get(run=run, block__code="NE")
    assert ne["crime_gi_p_sim"] == stored.crime_gi_p_sim is not None
    assert ne["insecurity_gi_p_sim"] == stored.insecurity_gi_p_sim is not None
    assert features["NE"]["properties"]["crime_gi_p_sim"] is None
    assert features["NE"]["properties"]["insecurity_gi_p_sim"] == stored.insecurity_gi_p_sim


def test_results_are_hidden_from_outsiders_and_participants(scene, member, client_for):
    run = analysis_run(area=scene, parameters=SMALL)
    outsider = client_for(None)
    assert outsider.get(f"/api/analyses/{run.pk}/").status_code == 404
    assert outsider.get(f"/api/analyses/{run.pk}/rasters/crime_density.tif").status_code == 404
    participant = client_for(member("participant"))
    assert participant.get(f"/api/analyses/{run.pk}/blocks/").status_code == 403
    planner = client_for(member("planner"))
    assert planner.get(f"/api/analyses/{run.pk}/rasters/nonsense.tif").status_code == 404
    assert planner.get(f"/api/analyses/{run.pk}/").json()["status"] == "done"


def test_a_run_that_cannot_complete_is_stored_as_failed_with_the_reason(area):
    area.blocks.update(population=None)
    run = AnalysisRun.objects.create(area=area, parameters={"variable": "rate"})
    from layers.analysis.tasks import analysis_execute

    with pytest.raises(Exception, match="population"):
        analysis_execute.call(run.pk)
    run.refresh_from_db()
    assert run.status == "failed" and "population" in run.error


def test_assignment_totals_agree_with_the_sql_assignment_on_scattered_incidents(area):
    rng = np.random.default_rng(11)
    # Around the area and up to ~60 m beyond it, so some snap and some stay unassigned; some
    # exactly on the shared edges.
    lon = rng.uniform(12.9985, 13.0195, 300)
    lat = rng.uniform(55.5995, 55.6105, 300)
    lon[:20] = 13.009
    lat[20:40] = 55.605
    CrimeIncident.objects.bulk_create(
        CrimeIncident(
            area=area,
            geom=Point(float(x), float(y), srid=4326),
            month="2025-01-01",
            category="drugs",
            original_category="Drugs",
            source_dataset="t",
            source_key=f"r{n}",
            precision="exact",
        )
        for n, (x, y) in enumerate(zip(lon, lat, strict=True))
    )
    totals = crime_assignment_totals(area=area)
    plain = crime_assignment(area=area)
    assert totals.snapped > 0 and totals.unassigned > 0
    assert (totals.inside, totals.snapped, totals.unassigned) == (
        plain.inside,
        plain.snapped,
        plain.unassigned,
    )
    assert totals.per_block == plain.per_block


def test_a_queued_run_reports_its_status_and_has_no_results_yet(scene, member, client_for):
    run = AnalysisRun.objects.create(area=scene, parameters={"permutations": 9})
    planner = client_for(member("planner"))
    detail = planner.get(f"/api/analyses/{run.pk}/").json()
    assert (detail["status"], detail["progress"], detail["rasters"]) == ("queued", 0.0, {})
    assert planner.get(f"/api/analyses/{run.pk}/blocks/").status_code == 409
    other = client_for(member("analyst", target=make_area("elsewhere")))
    assert other.get(f"/api/analyses/{run.pk}/").status_code == 404
    assert other.post(f"/api/areas/{scene.slug}/analyses/", {}, format="json").status_code == 404


def test_a_period_whose_crime_lies_away_from_every_block_fails_and_stays_off_the_map(scene):
    # Its crime is in the area's table but in no block: the run would have finished with every
    # block empty and become the analysis colouring everyone's map.
    CrimeIncident.objects.create(
        area=scene, geom=Point(13.2, 55.7, srid=4326), month="2021-08-01", category="burglary",
        original_category="Burglary", source_dataset="test", source_key="far", precision="exact",
    )  # fmt: skip
    before = analysis_run(area=scene, parameters=SMALL)
    with pytest.raises(Exception, match="no block"):
        analysis_run(area=scene, parameters={"from": "2021-08", "to": "2021-08", **SMALL})
    failed = AnalysisRun.objects.latest("pk")
    assert failed.status == "failed" and "lies in or near no block" in failed.error
    assert analysis_shown(scene) == before


@pytest.mark.parametrize(
    "value, problem",
    [
        ("1e400", "Must be a finite number."),
        ("1.5", "Expected an integer"),
        ('"2.5"', "Expected an integer"),
    ],
)
def test_an_integer_parameter_refuses_fractions_and_infinity(
    scene, member, client_for, value, problem
):
    # 1e400 in JSON is infinity to Python: int() of it raised OverflowError, a 500; 1.5 was 1.
    analyst = client_for(member("analyst"))
    for name in ("permutations", "seed", "k"):
        answer = analyst.post(
            f"/api/areas/{scene.slug}/analyses/", f'{{"{name}": {value}}}',
            content_type="application/json",
        )  # fmt: skip
        assert answer.status_code == 400 and problem in answer.json()[name][0], answer.content
    assert AnalysisRun.objects.count() == 0


def test_observation_months_are_the_areas_like_crime_months(area):
    # Cut at UTC midnight: a finding at 00:30 on 1 March in Malmö (23:30 UTC the day before)
    # counted in February's analysis, while crime months are the area's.
    from datetime import date

    from layers.analysis import sql
    from tests.walks.helpers import make_walk

    walk = make_walk(area)
    Observation.objects.create(
        walk=walk, kind=ObservationKind.objects.get(code="unsafe_spot", area__isnull=True),
        geom=Point(13.005, 55.605, srid=4326), severity=3,
        captured_at=datetime(2025, 2, 28, 23, 30, tzinfo=UTC),
    )  # fmt: skip
    march = sql.observation_points(area=area, date_from=date(2025, 3, 1), until=date(2025, 4, 1))
    february = sql.observation_points(area=area, date_from=date(2025, 2, 1), until=date(2025, 3, 1))
    assert (len(march[0]), len(february[0])) == (1, 0)


def test_data_arriving_while_the_run_reads_fails_the_run_with_its_reason(scene):
    """An import committing between the run's reads would leave results whose fingerprint
    claims data they do not include: the run fails and says to start again, storing nothing."""

    def import_meanwhile(stage, _fraction):
        if stage == "crime":  # the counts are read; now new incidents arrive
            incidents(scene, "SW", 3, month="2025-04-01")

    with pytest.raises(ValueError, match="changed while the analysis ran"):
        analysis_run(area=scene, parameters=SMALL, progress=import_meanwhile)
    run = AnalysisRun.objects.get()
    assert run.status == "failed" and "start the analysis again" in run.error
    assert not BlockResult.objects.exists()
    assert analysis_shown(scene) is None
