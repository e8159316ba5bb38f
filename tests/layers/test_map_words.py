"""The planner map's own words (layers/static/map/i18n.js), read with Node, which the set-up
installs for the JS assets: a word added in English only would show in English on a Swedish or
Danish map."""

import json
from pathlib import Path

from tests.node_script import module_output

I18N = Path(__file__).resolve().parents[2] / "layers" / "static" / "map" / "i18n.js"


def dictionary() -> dict:
    return json.loads(
        module_output(I18N, "dictionary", "process.stdout.write(JSON.stringify(dictionary));")
    )


def test_the_map_says_everything_in_swedish_and_danish_too():
    words = dictionary()
    english = set(words["en"])
    for language in ("sv", "da"):
        assert set(words[language]) == english, language
        untranslated = [key for key in english if words[language][key] == words["en"][key]]
        assert not untranslated, (language, untranslated)
