"""End to end with real data: Cumbria's 321 LSOAs as blocks and its August 2021 street crime
(fixtures/police-uk-cumbria-2021-08, counts from its README)."""

import json
from pathlib import Path

import pytest

from geo.models import Area
from layers.assignment import crime_assignment
from layers.models import CrimeIncident
from layers.services import area_create
from tests.layers.importing import counts, run_import

pytestmark = pytest.mark.django_db

DATA = Path(__file__).resolve().parents[2] / "fixtures" / "police-uk-cumbria-2021-08"


def all_lsoas(tmp_path) -> str:
    """The six district files as one GeoJSON, so the area's boundary is unioned once."""
    features = []
    for part in sorted((DATA / "lsoa_by_lad").glob("E07*.json")):
        features += json.loads(part.read_text())["features"]
    path = tmp_path / "cumbria-lsoa.geojson"
    path.write_text(json.dumps({"type": "FeatureCollection", "features": features}))
    return str(path)


def test_cumbria_blocks_and_crime_import_give_the_published_counts(tmp_path):
    area = area_create(slug="cumbria", name="Cumbria", analysis_srid=27700)
    assert area.boundary is None

    blocks = run_import(
        area, "blocks", "auto", all_lsoas(tmp_path), code_field="LSOA11CD", name_field="LSOA11NM"
    )
    assert blocks.status == "done", blocks.error
    assert counts(blocks) == (321, 321, 0, 0, 0)
    area = Area.objects.get(pk=area.pk)
    assert area.boundary is not None and area.analysis_srid == 27700

    crime_csv = str(DATA / "2021-08-cumbria-street.csv")
    crime = run_import(area, "crime", "police-uk", crime_csv)
    assert crime.status == "done", crime.error
    # 15 crimes recorded elsewhere in England lie outside every Cumbrian LSOA: kept, reported.
    assert counts(crime) == (3669, 3669, 0, 0, 15)
    assert CrimeIncident.objects.filter(area=area, source_id="").count() == 600

    assignment = crime_assignment(area=area)
    assert assignment.inside + assignment.snapped == 3654
    assert assignment.unassigned == 15
    code_of = dict(area.blocks.values_list("id", "code"))
    reported = dict(
        CrimeIncident.objects.filter(area=area).values_list("id", "reported_block_code")
    )
    in_own_lsoa = sum(
        1 for incident, block in assignment.block_of.items() if code_of[block] == reported[incident]
    )
    assert in_own_lsoa == 3563
    # The import stored the same assignment on the incidents, for maps and exports.
    stored = CrimeIncident.objects.filter(area=area, block__isnull=False)
    assert dict(stored.values_list("id", "block_id")) == assignment.block_of

    again = run_import(area, "crime", "police-uk", crime_csv)
    assert counts(again) == (3669, 0, 3669, 0, 15)
