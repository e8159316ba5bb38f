import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

# rasterio's first raster in a fresh process, as load_demo and an analysis run make it.
FIRST_RASTER = """
import django
django.setup()
from rasterio.io import MemoryFile
with MemoryFile() as memory:
    memory.open(driver="GTiff", width=1, height=1, count=1, dtype="uint8").close()
"""


def test_a_raster_says_nothing_of_the_vrt_driver_left_out():
    result = subprocess.run(
        [sys.executable, "-c", FIRST_RASTER],
        cwd=ROOT,
        env=os.environ | {"DJANGO_SETTINGS_MODULE": "config.settings"},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    assert "GDAL_SKIP" not in result.stderr
