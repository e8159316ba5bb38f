"""Writers for the export formats. GeoJSON and CSV stream as they are read; GeoPackage and DXF
go through GDAL (pyogrio) into a temporary file, which is then streamed out.

Memory stays flat for GeoJSON, CSV and GeoPackage (batches of rows through Arrow). GDAL's DXF
driver cannot take Arrow batches or append, so a DXF is assembled from one array of WKB
geometries: CAD drawings are far smaller than that matters for.

Arrow and pyogrio (with the pandas and GeoPandas they load, some 100 MB) are imported by the
file writers, when a web worker first writes a GeoPackage or DXF, not when it starts.
"""

import csv
import io
from collections.abc import Callable, Iterator
from datetime import date, datetime
from pathlib import Path

import numpy as np

from layers.exports import sql
from layers.exports.definitions import Layer

FORMATS = {
    "geojson": "application/geo+json",
    "gpkg": "application/geopackage+sqlite3",
    "csv": "text/csv; charset=utf-8",
    "dxf": "image/vnd.dxf",
}
WKB = {b"ARROW:extension:name": b"geoarrow.wkb"}
Progress = Callable[[int], None] | None


def geojson_chunks(layer: Layer, qs, *, progress: Progress = None) -> Iterator[bytes]:
    """A FeatureCollection, one batch of features per chunk."""
    yield b'{"type": "FeatureCollection", "features": [\n'
    first = True
    for rows in sql.stream_batches(*sql.geojson_sql(layer, qs)):
        text = ",\n".join(row[0] for row in rows)
        yield (text if first else ",\n" + text).encode()
        first = False
        if progress:
            progress(len(rows))
    yield b"\n]}\n"


# What a spreadsheet takes for the start of a formula: a participant's note "=HYPERLINK(…)"
# would run when a planner opens the walk's findings in Excel or LibreOffice.
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def _csv_value(value):
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, str) and value.startswith(FORMULA_START):
        return "'" + value  # shown as typed, never evaluated
    return value


def csv_chunks(layer: Layer, qs, *, progress: Progress = None) -> Iterator[bytes]:
    """WKT (WGS 84) in the first column, named WKT so QGIS and GDAL take it as the geometry."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(["WKT", *(a.name for a in layer.attributes)])
    for rows in sql.stream_batches(*sql.csv_sql(layer, qs)):
        writer.writerows([_csv_value(v) for v in row] for row in rows)
        yield buffer.getvalue().encode()
        buffer.seek(0)
        buffer.truncate()
        if progress:
            progress(len(rows))
    yield buffer.getvalue().encode()


def _arrow_schema(layer: Layer):
    import pyarrow as pa

    types = {
        "int": pa.int64(),
        "float": pa.float64(),
        "str": pa.string(),
        "bool": pa.bool_(),
        "date": pa.date32(),
        "datetime": pa.timestamp("us", tz="UTC"),
    }
    fields = [pa.field("geometry", pa.binary(), metadata=WKB)]
    fields += [pa.field(a.name, types[a.type]) for a in layer.attributes]
    return pa.schema(fields)


def write_gpkg(
    layer: Layer, qs, path: Path, *, srid: int, layer_name: str, progress: Progress = None
) -> None:
    """A GeoPackage with one layer in `srid`, typed fields, written batch by batch."""
    import pyarrow as pa
    from pyogrio import raw as ogr

    schema = _arrow_schema(layer)

    def batches():
        for rows in sql.stream_batches(*sql.wkb_sql(layer, qs, srid=srid, outlines=False)):
            columns = list(zip(*rows, strict=True))
            yield pa.record_batch(
                [pa.array(col, type=f.type) for col, f in zip(columns, schema, strict=True)],
                schema=schema,
            )
            if progress:
                progress(len(rows))

    ogr.write_arrow(
        pa.RecordBatchReader.from_batches(schema, batches()),
        str(path),
        layer=layer_name,
        driver="GPKG",
        geometry_name="geometry",
        geometry_type=layer.geometry_type,
        crs=f"EPSG:{srid}",
        layer_options={"DESCRIPTION": layer.title},
        # GeoPackage 1.2, not the 1.4 the bundled GDAL writes by default: GDAL 3.6 (Debian 12,
        # the QGIS of many municipal desktops) warns that 1.4 "may only be partially supported".
        # Nothing this file holds needs 1.3 or 1.4.
        dataset_options={"VERSION": "1.2"},
    )


def write_dxf(
    layer: Layer, qs, path: Path, *, srid: int, layer_name: str, progress: Progress = None
) -> None:
    """A DXF drawing in `srid` (metres). DXF has no attribute table, so each entity's CAD layer
    says what it is: the export's layer, and the kind for observations."""
    from pyogrio import raw as ogr

    geometries, cad_layers = [], []
    kind_at = next((i for i, a in enumerate(layer.attributes) if a.name == "kind"), None)
    for rows in sql.stream_batches(*sql.wkb_sql(layer, qs, srid=srid, outlines=True)):
        for row in rows:
            geometries.append(row[0])
            kind = row[1 + kind_at] if kind_at is not None else None
            cad_layers.append(f"{layer_name}_{kind}" if kind else layer_name)
        if progress:
            progress(len(rows))
    ogr.write(
        str(path),
        np.array(geometries, dtype=object),
        [np.array(cad_layers, dtype=object)],
        ["Layer"],
        # GDAL's DXF writer turns a layer named "blocks" into block definitions, so always
        # "entities"; the CAD layer of each entity is the "Layer" field.
        layer="entities",
        driver="DXF",
        geometry_type="Unknown",
        crs=f"EPSG:{srid}",
    )
