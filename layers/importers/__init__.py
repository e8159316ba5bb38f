"""Importers for crime incidents, blocks, lamps and survey results (docs/data-formats.md).

Every importer streams its file, validates rows in Python, COPYs the accepted rows into a
temporary staging table and moves them into place with one INSERT … SELECT … ON CONFLICT DO
NOTHING, all inside the caller's transaction. `layers.services.import_run` is the entry point.
"""

from layers.importers.base import ImportRefused, Report

__all__ = ["ImportRefused", "Report"]
