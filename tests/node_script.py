"""Browser-side ES modules run with Node, which the set-up installs for the JS assets (a word
list, a pure function): a test reads what they hold without a browser."""

import json
import shutil
import subprocess
from pathlib import Path

import pytest


def module_output(module: Path, names: str, body: str) -> str:
    """What `body` writes, run with `names` ("a, b") imported from `module`; the test is
    skipped where Node is not installed."""
    node = shutil.which("node")
    if node is None:
        pytest.skip("Node is not installed")
    script = f"import {{ {names} }} from {json.dumps(module.as_uri())};{body}"
    done = subprocess.run(
        [node, "--no-warnings", "--input-type=module", "-e", script],
        capture_output=True,
        text=True,
        check=True,
        timeout=30,
    )
    return done.stdout
