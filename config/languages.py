"""The page's language as the two-letter code the taxonomy's labels and the scripts' word lists
are keyed by (en, sv, da)."""

from django.utils.translation import get_language


def current_language() -> str:
    return (get_language() or "en")[:2]
