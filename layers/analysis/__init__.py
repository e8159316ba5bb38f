"""Hotspot analysis: recorded crime versus perceived insecurity, block by block.

The formulas are documented in docs/methods.md; `services.analysis_run` runs one analysis.
"""
