"""Exports of an area's layers (GeoJSON, GeoPackage, CSV, DXF) and the OGC API – Features."""
