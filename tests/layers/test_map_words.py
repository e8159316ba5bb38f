"""The planner map's own words (layers/static/map/i18n.js), read with Node, which the set-up
installs for the JS assets: a word added in English only would show in English on a Swedish or
Danish map."""

import json
import shutil
import subprocess
from pathlib import Path

import pytest

I18N = Path(__file__).resolve().parents[2] / "layers" / "static" / "map" / "i18n.js"


def dictionary() -> dict:
    node = shutil.which("node")
    if node is None:
        pytest.skip("Node is not installed")
    script = (
        f"import {{ dictionary }} from {json.dumps(I18N.as_uri())};"
        "process.stdout.write(JSON.stringify(dictionary));"
    )
    done = subprocess.run(
        [node, "--no-warnings", "--input-type=module", "-e", script],
        capture_output=True,
        text=True,
        check=True,
        timeout=30,
    )
    return json.loads(done.stdout)


def test_the_map_says_everything_in_swedish_and_danish_too():
    words = dictionary()
    english = set(words["en"])
    for language in ("sv", "da"):
        assert set(words[language]) == english, language
        untranslated = [key for key in english if words[language][key] == words["en"][key]]
        assert not untranslated, (language, untranslated)
