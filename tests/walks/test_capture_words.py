"""The capture app's own words (walks/static/walks/i18n.js), read through its translator with
Node, which the set-up installs for the JS assets."""

import json
import shutil
import subprocess
from pathlib import Path

import pytest

I18N = Path(__file__).resolve().parents[2] / "walks" / "static" / "walks" / "i18n.js"


def words(language: str, key: str, *args) -> str:
    node = shutil.which("node")
    if node is None:
        pytest.skip("Node is not installed")
    script = (
        f"import {{ translator }} from {json.dumps(I18N.as_uri())};"
        f"process.stdout.write(translator({json.dumps(language)})"
        f"({json.dumps(key)}, ...{json.dumps(list(args))}));"
    )
    done = subprocess.run(
        [node, "--no-warnings", "--input-type=module", "-e", script],
        capture_output=True,
        text=True,
        check=True,
        timeout=30,
    )
    return done.stdout


def test_findings_kept_on_the_tablet_agree_with_their_number_in_swedish():
    # A Swedish participle agrees in number: "1 sparad", "3 sparade".
    assert words("sv", "kept_on_tablet", 1) == "1 sparad på surfplattan"
    assert words("sv", "kept_on_tablet", 3) == "3 sparade på surfplattan"
    assert words("en", "kept_on_tablet", 1) == "1 kept on this tablet"
