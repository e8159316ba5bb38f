"""The capture app's own words (walks/static/walks/i18n.js), read through its translator with
Node, which the set-up installs for the JS assets."""

import json
from pathlib import Path

from tests.node_script import module_output

I18N = Path(__file__).resolve().parents[2] / "walks" / "static" / "walks" / "i18n.js"


def words(language: str, key: str, *args) -> str:
    return words_script(
        f"process.stdout.write(translator({json.dumps(language)})"
        f"({json.dumps(key)}, ...{json.dumps(list(args))}));"
    )


def words_script(body: str) -> str:
    """What `body` writes, run with the module's translator and words imported."""
    return module_output(I18N, "translator, WORDS", body)


def test_findings_kept_on_the_tablet_agree_with_their_number_in_swedish():
    # A Swedish participle agrees in number: "1 sparad", "3 sparade".
    assert words("sv", "kept_on_tablet", 1) == "1 sparad på surfplattan"
    assert words("sv", "kept_on_tablet", 3) == "3 sparade på surfplattan"
    assert words("en", "kept_on_tablet", 1) == "1 kept on this tablet"


def test_the_capture_app_says_everything_in_swedish_and_danish_too():
    # Each word's key and kind (text, or a function of a number) as each language has it.
    kinds = json.loads(
        words_script(
            "const kinds = {};"
            "for (const [lang, ws] of Object.entries(WORDS)) kinds[lang] = Object.fromEntries("
            "Object.entries(ws).map(([k, w]) => [k, typeof w === 'string' ? w : typeof w]));"
            "process.stdout.write(JSON.stringify(kinds));"
        )
    )
    # Danish writes these as English does.
    same = {"sv": set(), "da": {"online", "offline", "note"}}
    for language in ("sv", "da"):
        assert kinds[language].keys() == kinds["en"].keys(), language
        for key, word in kinds["en"].items():
            theirs = kinds[language][key]
            if word == "function":
                assert theirs == "function", (language, key)
            else:
                assert theirs != "function", (language, key)
                assert (theirs != word) or key in same[language], (language, key)
