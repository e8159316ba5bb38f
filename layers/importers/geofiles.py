"""Reading GDAL vector files (GeoJSON, GeoPackage, zipped Shapefile) safely and in chunks."""

import os
import shutil
import tempfile
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass

import pyogrio
import pyogrio.raw
from django.conf import settings
from pyproj import CRS
from pyproj.exceptions import CRSError

from layers.importers.base import ImportRefused

VECTOR_SUFFIXES = (".geojson", ".json", ".gpkg", ".zip", ".shp")
SHAPEFILE_PARTS = (".shp", ".shx", ".dbf")
SHAPEFILE_SIDECARS = (".prj", ".cpg")
MAX_ZIP_MEMBERS = 200
# Shapefiles compress about 2–10×; a member that inflates 100× or more is a bomb, not data.
MAX_COMPRESSION_RATIO = 100
CHUNK = 20_000


def is_vector_file(name: str) -> bool:
    return name.lower().endswith(VECTOR_SUFFIXES)


@dataclass
class VectorSource:
    path: str
    srid: int
    fields: list[str]
    feature_count: int
    crs_note: str
    layer: str | None = None
    _tempdir: str | None = None

    def close(self) -> None:
        if self._tempdir:
            shutil.rmtree(self._tempdir, ignore_errors=True)
            self._tempdir = None

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def features(self, columns: list[str]) -> Iterator[tuple[int, bytes | None, list]]:
        """(feature number from 1, WKB or None, values of `columns` in that order), features
        in file order."""
        number = 0
        wanted = list(dict.fromkeys(columns))
        for skip in range(0, max(self.feature_count, 1), CHUNK):
            meta, _fids, geometries, values = pyogrio.raw.read(
                self.path,
                layer=self.layer,
                columns=wanted,
                skip_features=skip,
                max_features=CHUNK,
                datetime_as_string=True,
            )
            # GDAL returns the fields in the file's order, not in the order asked for.
            by_name = dict(zip(meta["fields"], values, strict=True))
            ordered = [by_name[column] for column in columns]
            for i in range(len(geometries)):
                number += 1
                yield number, geometries[i], [column[i] for column in ordered]


def _safe_extract_shapefile(path: str) -> tuple[str, str]:
    """Extract the one Shapefile of a zip into a private temporary directory → (dir, .shp)."""
    try:
        archive = zipfile.ZipFile(path)
    except (zipfile.BadZipFile, OSError):
        raise ImportRefused("file", "The file is not a readable zip archive.") from None
    with archive:
        members = [m for m in archive.infolist() if not m.is_dir()]
        if len(members) > MAX_ZIP_MEMBERS:
            raise ImportRefused("file", f"The zip holds {len(members)} files; a Shapefile has 3–6.")
        limit = settings.TRYGG_IMPORT_MAX_BYTES
        expanded = sum(m.file_size for m in members)
        if expanded > limit:
            raise ImportRefused(
                "file",
                f"The zip would expand to {expanded:,} bytes, over the {limit:,} byte limit; "
                "it is refused as a possible zip bomb.",
            )
        for m in members:
            if m.file_size > 1_000_000 and m.file_size > MAX_COMPRESSION_RATIO * max(
                m.compress_size, 1
            ):
                raise ImportRefused(
                    "file",
                    f"{m.filename} is compressed {m.file_size // max(m.compress_size, 1)}:1; "
                    "the zip is refused as a possible zip bomb.",
                )
        names = {m.filename.lower(): m for m in members}
        shps = [n for n in names if n.endswith(".shp")]
        if not shps:
            listed = ", ".join(sorted(m.filename for m in members)[:10]) or "nothing"
            raise ImportRefused(
                "file", f"The zip holds no Shapefile (.shp, .shx, .dbf); it contains {listed}."
            )
        if len(shps) > 1:
            raise ImportRefused("file", "The zip holds several Shapefiles; zip one per import.")
        stem = shps[0][:-4]
        missing = [s for s in SHAPEFILE_PARTS if stem + s not in names]
        if missing:
            raise ImportRefused(
                "file", f"The Shapefile in the zip lacks its {', '.join(missing)} part(s)."
            )
        directory = tempfile.mkdtemp(prefix="trygg-import-")
        written = 0
        for suffix in SHAPEFILE_PARTS + SHAPEFILE_SIDECARS:
            member = names.get(stem + suffix)
            if member is None:
                continue
            # Flat, fixed names: nothing in the archive decides where a file lands.
            with (
                archive.open(member) as src,
                open(os.path.join(directory, "data" + suffix), "wb") as dst,
            ):
                while chunk := src.read(1 << 20):
                    written += len(chunk)
                    if written > limit:
                        shutil.rmtree(directory, ignore_errors=True)
                        raise ImportRefused(
                            "file", "The zip expands beyond the size limit; refused."
                        )
                    dst.write(chunk)
        return directory, os.path.join(directory, "data.shp")


def srid_of(crs_text: str | None, override: int | None) -> tuple[int, str]:
    if override:
        return override, f"EPSG:{override} (given)"
    if not crs_text:
        raise ImportRefused("srid", "The file declares no coordinate reference system; pass srid.")
    try:
        crs = CRS.from_user_input(crs_text)
    except CRSError:
        raise ImportRefused(
            "srid", "The file's coordinate reference system is unreadable."
        ) from None
    if crs.equals(CRS("OGC:CRS84")):
        return 4326, "OGC:CRS84"
    epsg = crs.to_epsg(min_confidence=70)
    if epsg is None:
        raise ImportRefused(
            "srid", f"The file's CRS ({crs.name}) has no EPSG code; pass srid to name one."
        )
    return epsg, f"EPSG:{epsg}"


def _unreadable(error: Exception, target: str) -> ImportRefused:
    # GDAL's message names the stored copy's path on the server, which is neither the user's
    # file name nor theirs to know, and ends with advice for GDAL's own users.
    reason = str(error).replace(f"'{target}' ", "").replace(target, "the file")
    reason = reason.split("; It might help")[0].rstrip(".")
    return ImportRefused(
        "file",
        "GDAL cannot read the file as a vector layer (GeoJSON, GeoPackage or a zipped"
        f" Shapefile): {reason}.",
    )


def layer_of(target: str, layer: str | None) -> str | None:
    """The layer to read: the one named, or the file's only one. A GeoPackage often holds
    several (points, lines, a study area); reading the first silently would import the wrong
    one, so the user names it."""
    try:
        names = [str(name) for name, _kind in pyogrio.list_layers(target)]
    except Exception as error:  # GDAL reports unreadable files with many error classes.
        raise _unreadable(error, target) from None
    listed = ", ".join(names[:20]) + (", …" if len(names) > 20 else "")
    if layer:
        if layer not in names:
            raise ImportRefused("layer", f"The file has no layer {layer!r}; it has {listed}.")
        return layer
    if len(names) > 1:
        raise ImportRefused(
            "layer", f"The file holds {len(names)} layers ({listed}); name the one to import."
        )
    return None


# GDAL picks a driver by the file's content, whatever its name, and some drivers open other
# files or URLs the file names: a "GeoJSON" that was a VRT read the server's /etc/passwd and
# fetched addresses from the server. Only these are read, and the content is checked first.
DRIVERS = {"GeoJSON", "GPKG", "ESRI Shapefile"}
SQLITE_HEADER = b"SQLite format 3\x00"


def _check_content(path: str) -> None:
    """Refuse before GDAL opens it a file that is neither JSON nor a GeoPackage (SQLite)."""
    with open(path, "rb") as file:
        head = file.read(512)
    text = head.removeprefix(b"\xef\xbb\xbf").lstrip()
    if head.startswith(SQLITE_HEADER) or text[:1] in (b"{", b"["):
        return
    raise ImportRefused(
        "file", "The file is not GeoJSON, a GeoPackage or a zipped Shapefile (by its content)."
    )


def open_vector(path: str, srid: int | None = None, layer: str | None = None) -> VectorSource:
    tempdir = None
    target = path
    if path.lower().endswith(".zip") or zipfile.is_zipfile(path):
        tempdir, target = _safe_extract_shapefile(path)
    else:
        _check_content(path)
    try:
        layer = layer_of(target, layer)
        try:
            info = pyogrio.read_info(target, layer=layer, force_feature_count=True)
        except Exception as error:  # GDAL reports unreadable files with many error classes.
            raise _unreadable(error, target) from None
        if info.get("driver") not in DRIVERS:
            raise ImportRefused(
                "file",
                f"The file reads as {info.get('driver')}; only GeoJSON, GeoPackage and zipped"
                " Shapefiles are imported.",
            )
        found_srid, note = srid_of(info.get("crs"), srid)
    except ImportRefused:
        if tempdir:
            shutil.rmtree(tempdir, ignore_errors=True)
        raise
    return VectorSource(
        path=target,
        srid=found_srid,
        fields=[str(f) for f in info["fields"]],
        feature_count=int(info.get("features") or 0),
        crs_note=note,
        layer=layer,
        _tempdir=tempdir,
    )
