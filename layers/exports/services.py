"""Building an export: which layer, what the user may see of it, and the file it becomes."""

import shutil
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from django.utils import timezone
from django.utils.translation import gettext as _
from rest_framework.exceptions import NotFound, ValidationError

from geo.access import Access
from geo.models import Area
from geo.services import audit_record
from layers.exports import writers
from layers.exports.definitions import LAYERS, Layer
from layers.exports.filters import Filters

FILE_CHUNK = 256 * 1024


@dataclass
class Export:
    filename: str
    content_type: str
    chunks: Iterator[bytes]


def layer_for(access: Access, name: str) -> Layer:
    """The named layer if this user may see it; otherwise it does not exist for them (404)."""
    layer = LAYERS.get(name)
    if layer is None or not layer.visible_to(access):
        visible = [n for n, candidate in LAYERS.items() if candidate.visible_to(access)]
        raise NotFound(
            _("No layer %(name)r here; you may export: %(layers)s.")
            % {"name": name, "layers": ", ".join(visible)}
        )
    return layer


def exact_crime_audit(
    *, user, area: Area, layer: Layer, action: str, method: str = "GET", **detail
) -> None:
    """Reads of exact crime points leave an audit entry (docs/privacy.md); other layers and
    HEAD requests, which are answered without a single feature, do not."""
    if layer.capability == "view_crime_points" and method != "HEAD":
        clean = {k: v for k, v in detail.items() if v not in (None, "", [])}
        audit_record(user=user, area=area, action=action, detail={"layer": layer.name, **clean})


def export_filename(area: Area, layer: Layer, filters: Filters, fmt: str) -> str:
    """e.g. `rosengard_observations-lighting_defect_2025-06-01.geojson` (the export's date), or
    `rosengard_observations-walk12_2025-06-01.csv` for one walk's findings."""
    name = layer.name
    if layer.uses_kind and filters.kinds:
        name += "-" + "+".join(filters.kinds)
    if layer.uses_walk and filters.walks:
        name += "-walk" + "+".join(map(str, filters.walks))
    return f"{area.slug}_{name}_{timezone.localdate().isoformat()}.{fmt}"


def _file_chunks(directory: Path, path: Path) -> Iterator[bytes]:
    try:
        with path.open("rb") as handle:
            while chunk := handle.read(FILE_CHUNK):
                yield chunk
    finally:
        shutil.rmtree(directory, ignore_errors=True)


def export_open(
    *,
    area: Area,
    layer: Layer,
    fmt: str,
    access: Access,
    filters: Filters,
    progress: writers.Progress = None,
) -> Export:
    """The export as a stream of bytes. GeoJSON and CSV are produced while they are sent;
    GeoPackage and DXF are written by GDAL to a temporary file first (removed once sent)."""
    if fmt not in writers.FORMATS:
        raise ValidationError(
            {"format": [_("Use one of %(values)s.") % {"values": ", ".join(writers.FORMATS)}]}
        )
    qs = layer.queryset(area, filters, access)
    filename = export_filename(area, layer, filters, fmt)
    content_type = writers.FORMATS[fmt]
    if fmt == "geojson":
        return Export(filename, content_type, writers.geojson_chunks(layer, qs, progress=progress))
    if fmt == "csv":
        return Export(filename, content_type, writers.csv_chunks(layer, qs, progress=progress))
    srid = area.analysis_srid or 4326
    directory = Path(tempfile.mkdtemp(prefix="trygg-export-"))
    path = directory / filename
    write = writers.write_gpkg if fmt == "gpkg" else writers.write_dxf
    try:
        write(layer, qs, path, srid=srid, layer_name=layer.name, progress=progress)
    except BaseException:
        shutil.rmtree(directory, ignore_errors=True)
        raise
    return Export(filename, content_type, _file_chunks(directory, path))
