"""Every script the pages load parses as the ES module it is served as. A syntax error stops a
whole page's script (the walk planner once stayed empty after an edit left a stray brace), and
only the browser tests would notice, one page at a time."""

import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SCRIPTS = sorted(
    path
    for pattern in ("*/static/**/*.js", "static/js/*.js")
    for path in ROOT.glob(pattern)
    if "vendor" not in path.parts and "staticfiles" not in path.parts
)


def test_the_scripts_are_found():
    names = {path.name for path in SCRIPTS}
    assert {"capture.js", "queue.js", "plan.js", "map.js", "jobs.js", "page.js"} <= names


@pytest.mark.parametrize("script", SCRIPTS, ids=lambda path: str(path.relative_to(ROOT)))
def test_a_script_parses_as_a_module(script, tmp_path):
    node = shutil.which("node")
    assert node, "node is installed by scripts/bootstrap.sh"
    module = tmp_path / f"{script.stem}.mjs"  # parsed as a module, top-level await allowed
    module.write_bytes(script.read_bytes())
    checked = subprocess.run([node, "--check", str(module)], capture_output=True, text=True)
    assert checked.returncode == 0, checked.stderr
