"""The import commands print one counts line scripts can read, and fail loudly."""

import io

import pytest
from django.core.management import CommandError, call_command

from geo.models import Area
from tests.layers.importing import (
    POLICE_UK_HEADER,
    csv_text,
    point_geojson,
    police_row,
    polygon_geojson,
    write,
)

pytestmark = pytest.mark.django_db


def run(*args) -> tuple[str, str]:
    out, err = io.StringIO(), io.StringIO()
    call_command(*args, stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


def test_import_crime_prints_the_counts_line_and_the_reasons(area, tmp_path):
    rows = [police_row("a"), police_row("b", lon="0", lat="0"), police_row("c", lon="15", lat="57")]
    path = write(tmp_path, "p.csv", csv_text(POLICE_UK_HEADER, rows))
    out, err = run("import_crime", area.slug, path, "--format", "police-uk")
    assert out.strip() == "read: 3, imported: 2, duplicates: 0, rejected: 1, outside: 1"
    assert "row 3: coordinates are 0,0" in err


def test_strict_and_refusals_end_with_an_error(area, tmp_path):
    path = write(tmp_path, "p.csv", csv_text(POLICE_UK_HEADER, [police_row("b", month="x")]))
    with pytest.raises(CommandError, match="strict: 1 rows rejected"):
        run("import_crime", area.slug, path, "--format", "police-uk", "--strict")
    with pytest.raises(CommandError, match="format: The file is not a chicago file"):
        run("import_crime", area.slug, path, "--format", "chicago")
    with pytest.raises(CommandError, match="No area"):
        run("import_crime", "nowhere", path, "--format", "police-uk")


def test_create_area_then_blocks_and_lamps(tmp_path):
    out, _ = run("create_area", "gamla-stan", "--name", "Gamla stan", "--analysis-srid", "3006")
    assert "created area gamla-stan" in out
    triangle = [(18.07, 59.32), (18.08, 59.32), (18.08, 59.33), (18.07, 59.32)]
    blocks = write(tmp_path, "b.geojson", polygon_geojson({"kod": "B1", "folk": 42}, triangle))
    out, _ = run("import_blocks", "gamla-stan", blocks, "--code-field", "kod",
                 "--population-field", "folk")  # fmt: skip
    assert out.strip() == "read: 1, imported: 1, duplicates: 0, rejected: 0, outside: 0"
    area = Area.objects.get(slug="gamla-stan")
    assert area.blocks.get().population == 42 and area.analysis_srid == 3006
    lamps = write(tmp_path, "l.geojson", point_geojson([(18.078, 59.3225, {"id": "7"})]))
    out, _ = run("import_lamps", "gamla-stan", lamps)
    assert out.strip() == "read: 1, imported: 1, duplicates: 0, rejected: 0, outside: 0"
    survey = write(
        tmp_path, "s.csv", "block_code,period,respondents,share_unsafe\nB1,2025,10,0.4\n"
    )
    out, _ = run("import_survey", "gamla-stan", survey)
    assert out.strip() == "read: 1, imported: 1, duplicates: 0, rejected: 0, outside: 0"
    with pytest.raises(CommandError, match="exists already"):
        run("create_area", "gamla-stan", "--name", "Again")
