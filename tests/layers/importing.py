"""Helpers for import tests: tiny real files in the formats the importers accept."""

import csv
import io
import json

from layers.models import ImportJob
from layers.services import import_job_create, import_job_run, import_options_parse

POLICE_UK_HEADER = (
    "Crime ID,Month,Reported by,Falls within,Longitude,Latitude,Location,LSOA code,LSOA name,"
    "Crime type,Last outcome category,Context"
)
CHICAGO_HEADER = (
    "ID,Case Number,Date,Block,IUCR,Primary Type,Description,Location Description,Arrest,"
    "Domestic,Beat,District,Ward,Community Area,FBI Code,X Coordinate,Y Coordinate,Year,"
    "Updated On,Latitude,Longitude,Location"
)


def police_row(crime_id="", lon="13.002", lat="55.602", month="2025-01", kind="Burglary",
               lsoa="SW", location="On or near Storgatan"):  # fmt: skip
    return [crime_id, month, "Skåne", "Skåne", lon, lat, location, lsoa, lsoa, kind, "", ""]


def chicago_row(id_, date_text, primary, description, lat="55.602", lon="13.002", x="", y=""):
    return [id_, "JA1", date_text, "012XX W MADISON ST", "0486", primary, description,
            "STREET", "false", "false", "1", "1", "1", "1", "08B", x, y, "2021", "", lat, lon,
            ""]  # fmt: skip


def csv_text(header: str, rows: list[list[str]], delimiter=",") -> str:
    out = io.StringIO()
    writer = csv.writer(out, delimiter=delimiter, lineterminator="\r\n")
    writer.writerow(header.split(","))
    writer.writerows(rows)
    return out.getvalue()


def write(tmp_path, name: str, content: str | bytes, encoding="utf-8"):
    path = tmp_path / name
    if isinstance(content, str):
        content = content.encode(encoding)
    path.write_bytes(content)
    return str(path)


def point_geojson(features: list[tuple[float, float, dict]], crs: str | None = None) -> str:
    collection = {
        "type": "FeatureCollection",
        "features": [
            {"type": "Feature", "properties": props,
             "geometry": {"type": "Point", "coordinates": [x, y]}}
            for x, y, props in features
        ],
    }  # fmt: skip
    if crs:
        collection["crs"] = {"type": "name", "properties": {"name": crs}}
    return json.dumps(collection)


def run_import(area, kind, fmt, path, **raw) -> ImportJob:
    options = import_options_parse(kind=kind, fmt=fmt, raw=raw)
    job = import_job_create(area=area, kind=kind, fmt=fmt, file_name="f", options=options)
    return import_job_run(job=job, path=path)


def counts(job: ImportJob) -> tuple[int, int, int, int, int]:
    return job.read, job.imported, job.duplicates, job.rejected, job.outside


def reasons(job: ImportJob) -> list[str]:
    return [r["reason"] for r in job.rejected_rows]


def write_layer(
    path, wkbs, fields: dict, crs: str, geometry_type="Point", driver=None, layer=None
) -> str:
    """Write a real GDAL layer (GeoPackage, Shapefile, …) with pyogrio; a GeoPackage written
    again with another `layer` gains that layer."""
    import warnings

    import numpy as np
    import pyogrio.raw

    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", "'crs' was not provided")
        _write_layer(path, wkbs, fields, crs, geometry_type, driver, layer, np, pyogrio.raw)
    return str(path)


def _write_layer(path, wkbs, fields, crs, geometry_type, driver, layer, np, raw):
    raw.write(
        str(path),
        np.array(wkbs, dtype=object),
        [np.array(v, dtype=object) for v in fields.values()],
        list(fields),
        geometry_type=geometry_type,
        crs=crs,  # None: a Shapefile without .prj, as some municipal exports come
        driver=driver,
        layer=layer,
    )


def polygon_geojson(properties: dict, ring: list[tuple[float, float]]) -> str:
    feature = {"type": "Feature", "properties": properties,
               "geometry": {"type": "Polygon", "coordinates": [ring]}}  # fmt: skip
    return json.dumps({"type": "FeatureCollection", "features": [feature]})
