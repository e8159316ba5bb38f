"""The map's filters as query parameters (`from`, `to`, `category`, `kind`, `light`,
`follow_up`, `walk`).

Each layer reads only the filters that apply to it; they become bound SQL parameters and a
canonical string that is part of the ETag, so two filter sets never share a cached tile.
"""

import datetime as dt
import re
from dataclasses import dataclass, field

from django.utils import timezone
from django.utils.translation import gettext as _
from rest_framework.exceptions import ValidationError

from layers.categories import CrimeCategory
from layers.exports.filters import parse_codes, unknown_walks
from walks.models import FollowUp, Light

WALK_IDS = re.compile(r"^[0-9]{1,9}(,[0-9]{1,9}){0,49}$")  # up to 50 walks


class FilterError(ValueError):
    """A bad filter value; `errors` maps the parameter to what is wrong with it."""

    def __init__(self, errors: dict[str, list[str]]):
        super().__init__(errors)
        self.errors = errors


@dataclass
class TileFilters:
    date_from: dt.date | None = None
    date_to: dt.date | None = None
    categories: list[str] | None = None
    kinds: list[str] | None = None
    light: str | None = None
    follow_ups: list[str] | None = None
    walks: list[int] | None = None
    canonical: str = ""
    applied: dict[str, str] = field(default_factory=dict)

    def sql_params(self) -> dict:
        # Dates bound a period of local days: `to` includes its whole day.
        time_from = time_to = None
        tz = (self.date_from or self.date_to) and timezone.get_current_timezone()
        if self.date_from:
            time_from = dt.datetime.combine(self.date_from, dt.time.min, tzinfo=tz)
        if self.date_to:
            time_to = dt.datetime.combine(
                self.date_to + dt.timedelta(days=1), dt.time.min, tzinfo=tz
            )
        return {
            "date_from": self.date_from,
            "date_to": self.date_to,
            "time_from": time_from,
            "time_to": time_to,
            "categories": self.categories,
            "kinds": self.kinds,
            "light": self.light,
            "follow_ups": self.follow_ups,
            "walks": self.walks,
        }


def _date(raw: str, name: str, errors: dict) -> dt.date | None:
    try:
        day = dt.date.fromisoformat(raw)
    except ValueError:
        errors[name] = [_("Expected a date YYYY-MM-DD, got %(value)r.") % {"value": raw}]
        return None
    if not 1900 <= day.year <= 2100:  # 9999-12-31 has no next day to end the period at
        errors[name] = [_("Expected a date from 1900 to 2100, got %(value)r.") % {"value": raw}]
        return None
    return day


def _codes(raw: str) -> list[str]:
    return sorted({part.strip() for part in raw.split(",") if part.strip()})


def _known_codes(raw: dict, name: str, known, errors: dict) -> list[str] | None:
    """Comma-separated codes of a closed list; unknown ones are an error naming them, in the
    words of the exports and the OGC API for the same parameter."""
    try:
        parse_codes(raw[name], name, set(known))
    except ValidationError as error:
        errors.update(_words(error))
    return _codes(raw[name]) or None


def _words(error: ValidationError) -> dict[str, list[str]]:
    return {field: [str(m) for m in words] for field, words in error.detail.items()}


def check_kinds(query, known) -> None:
    """FilterError naming the `kind` codes of `query` that are not among `known` (the area's
    kinds): the 400 the exports answer for the same codes. Which kinds an area has is known to
    the database only: the tile statement finds a code it lacks (tiles/sql.py), TileJSON and
    the style ask here."""
    errors = {}
    if query.get("kind", "").strip():
        _known_codes({"kind": query["kind"].strip()}, "kind", known, errors)
    if errors:
        raise FilterError(errors)


def check_walks(unknown: list[int] | None) -> None:
    """FilterError naming the walk ids asked for that are not walks of the area (another
    area's, or none): the 400 the exports answer for them. The tile statement finds them
    (tiles/sql.py), TileJSON and the style ask layers.exports.filters.walks_not_in."""
    if unknown:
        raise FilterError(_words(unknown_walks(unknown)))


def parse_filters(query, allowed: tuple[str, ...]) -> TileFilters:
    """Read the filters in `allowed` from a QueryDict; raise FilterError naming bad ones."""
    errors: dict[str, list[str]] = {}
    filters = TileFilters()
    raw = {name: query.get(name, "").strip() for name in allowed}
    if raw.get("from"):
        filters.date_from = _date(raw["from"], "from", errors)
    if raw.get("to"):
        filters.date_to = _date(raw["to"], "to", errors)
    if filters.date_from and filters.date_to and filters.date_from > filters.date_to:
        errors["to"] = [_("`to` must not be before `from`.")]
    if raw.get("category"):
        filters.categories = _known_codes(raw, "category", CrimeCategory.values, errors)
    if raw.get("kind"):
        # Which kinds there are depends on the area: checked against its own (check_kinds).
        filters.kinds = _codes(raw["kind"]) or None
    if raw.get("light"):
        if raw["light"] not in Light.values:
            errors["light"] = [
                _("Expected one of %(values)s.") % {"values": ", ".join(Light.values)}
            ]
        filters.light = raw["light"]
    if raw.get("follow_up"):
        filters.follow_ups = _known_codes(raw, "follow_up", FollowUp.values, errors)
    if raw.get("walk"):
        # Ids only here: which walks the area has is checked against its own (check_walks).
        if WALK_IDS.match(raw["walk"]):
            filters.walks = sorted({int(part) for part in raw["walk"].split(",")})
        else:
            errors["walk"] = [_("Expected up to 50 walk ids, comma-separated (e.g. 12 or 12,14).")]
    if errors:
        raise FilterError(errors)
    applied = {
        "from": filters.date_from.isoformat() if filters.date_from else "",
        "to": filters.date_to.isoformat() if filters.date_to else "",
        "category": ",".join(filters.categories or []),
        "kind": ",".join(filters.kinds or []),
        "light": filters.light or "",
        "follow_up": ",".join(filters.follow_ups or []),
        "walk": ",".join(map(str, filters.walks or [])),
    }
    filters.applied = {name: applied[name] for name in allowed if applied[name]}
    filters.canonical = "&".join(f"{k}={v}" for k, v in sorted(filters.applied.items()))
    return filters
