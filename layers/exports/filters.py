"""The filters an export or an OGC API request applies: the map's period, kinds, categories,
day or night and follow-up, a bounding box, the OGC `datetime` parameter, and walks by id (a
walk's findings handed on as a spreadsheet). Bad values are a 400 naming the parameter."""

import calendar
from dataclasses import dataclass
from datetime import date, datetime, time

from django.contrib.gis.geos import Polygon
from django.utils import timezone
from django.utils.dateparse import parse_date, parse_datetime
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from rest_framework.exceptions import ValidationError

from geo.bbox import parse_bbox
from geo.models import Area
from layers.categories import CrimeCategory
from walks.models import FollowUp, Light, ObservationKind, Walk


@dataclass(frozen=True)
class Filters:
    """`start`/`end` bound the period (inclusive, aware datetimes); None means open."""

    start: datetime | None = None
    end: datetime | None = None
    kinds: tuple[str, ...] | None = None
    categories: tuple[str, ...] | None = None
    bbox: Polygon | None = None
    light: str | None = None  # walks and their observations: day or night
    follow_ups: tuple[str, ...] | None = None  # observations: open, reported, fixed, no_action
    walks: tuple[int, ...] | None = None  # walks and their observations, by id

    @property
    def month_from(self) -> date | None:
        """Crime is dated by month (the finest date every source gives): the first month in."""
        if self.start is None:
            return None
        local = timezone.localtime(self.start).date()
        return local.replace(day=1)

    @property
    def month_to(self) -> date | None:
        return None if self.end is None else timezone.localtime(self.end).date()


def _day_start(day: date) -> datetime:
    return timezone.make_aware(datetime.combine(day, time.min))


def _day_end(day: date) -> datetime:
    return timezone.make_aware(datetime.combine(day, time.max))


def parse_day(raw: str, field: str, *, end: bool) -> datetime:
    """YYYY-MM-DD, or YYYY-MM for a whole month (its first day for `from`, last for `to`)."""
    day = None
    if len(raw) == 7:
        try:
            year, month = (int(p) for p in raw.split("-"))
            first = date(year, month, 1)
            day = first.replace(day=calendar.monthrange(year, month)[1]) if end else first
        except ValueError:
            day = None
    else:
        try:
            day = parse_date(raw)
        except ValueError:
            day = None
    if day is None:
        raise ValidationError(
            {field: [_("%(value)r is not a date; use YYYY-MM-DD or YYYY-MM.") % {"value": raw}]}
        )
    return _day_end(day) if end else _day_start(day)


def parse_codes(raw: str | None, field: str, known: set[str]) -> tuple[str, ...] | None:
    if raw is None or raw.strip() == "":
        return None
    codes = tuple(dict.fromkeys(c.strip() for c in raw.split(",") if c.strip()))
    unknown = [c for c in codes if c not in known]
    if unknown:
        # The same English either way; other languages say "value" or "values".
        message = ngettext(
            "Unknown %(field)s %(codes)s; known: %(known)s.",
            "Unknown %(field)s %(codes)s; known: %(known)s.",
            len(unknown),
        ) % {
            "field": field,
            "codes": ", ".join(unknown),
            "known": ", ".join(sorted(known)),
        }
        raise ValidationError({field: [message]})
    return codes


def _instant(raw: str, *, end: bool) -> datetime | None:
    """A date-time with its zone, or a whole day (YYYY-MM-DD) in the server's time zone."""
    if raw in ("..", ""):
        return None
    is_day = len(raw) == 10
    try:
        parsed = parse_date(raw) if is_day else parse_datetime(raw)
    except ValueError:
        parsed = None
    if parsed is None:
        message = _("%(value)r is not an RFC 3339 date-time, a date or '..'.") % {"value": raw}
        raise ValidationError({"datetime": [message]})
    if is_day:
        return _day_end(parsed) if end else _day_start(parsed)
    if timezone.is_naive(parsed):
        message = _("%(value)r needs a time zone (RFC 3339, e.g. 2025-06-01T20:00:00Z).") % {
            "value": raw
        }
        raise ValidationError({"datetime": [message]})
    return parsed


def parse_datetime_param(raw: str | None) -> tuple[datetime | None, datetime | None]:
    """OGC API `datetime`: an instant, or an interval 'start/end' with '..' for an open end."""
    if raw is None or raw == "":
        return None, None
    if "/" in raw:
        first, _slash, last = raw.partition("/")
        if first in ("..", "") and last in ("..", ""):
            raise ValidationError({"datetime": [_("An interval needs at least one end.")]})
        start, end = _instant(first, end=False), _instant(last, end=True)
    else:
        start, end = _instant(raw, end=False), _instant(raw, end=True)
        if len(raw) > 10:  # a date-time instant, not a whole day
            end = start
    if start and end and start > end:
        raise ValidationError({"datetime": [_("The interval starts after it ends.")]})
    return start, end


def kind_codes(area: Area) -> set[str]:
    """The built-in observation kinds and the area's own."""
    return set(ObservationKind.objects.of_area(area).values_list("code", flat=True))


def filters_from_query(params, *, area: Area, ogc: bool = False) -> Filters:
    """Filters from a request's query parameters (the map's `from`/`to` for exports, the OGC
    `datetime` for the OGC API; then `kind`, `category`, `light`, `follow_up`, `walk` and `bbox`,
    of which the OGC API lets only `kind`, `category` and `bbox` through: layers/exports/ogc.py)."""
    if ogc:
        start, end = parse_datetime_param(params.get("datetime"))
    else:
        raw_from, raw_to = params.get("from") or None, params.get("to") or None
        start = parse_day(raw_from, "from", end=False) if raw_from else None
        end = parse_day(raw_to, "to", end=True) if raw_to else None
        if start and end and start > end:
            raise ValidationError({"to": [_("The period ends before it starts.")]})
    return Filters(
        start=start,
        end=end,
        kinds=parse_codes(params.get("kind"), "kind", kind_codes(area))
        if params.get("kind")
        else None,
        categories=parse_codes(params.get("category"), "category", set(CrimeCategory.values)),
        bbox=parse_bbox(params.get("bbox")),
        light=_light(params.get("light")),
        follow_ups=parse_codes(params.get("follow_up"), "follow_up", set(FollowUp.values)),
        walks=_walks(params.get("walk"), area),
    )


def _walks(raw: str | None, area: Area) -> tuple[int, ...] | None:
    """Walk ids, comma-separated; each must be a walk of this area."""
    if not raw:
        return None
    parts = [part.strip() for part in raw.split(",") if part.strip()]
    if not 0 < len(parts) <= 50 or not all(
        part.isascii() and part.isdigit() and len(part) < 10 for part in parts
    ):
        message = _("%(value)r is not a list of up to 50 walk ids (e.g. 12 or 12,14).") % {
            "value": raw[:80]
        }
        raise ValidationError({"walk": [message]})
    ids = tuple(sorted({int(part) for part in parts}))
    unknown = walks_not_in(area, ids)
    if unknown:
        raise unknown_walks(unknown)
    return ids


def walks_not_in(area: Area, ids) -> list[int]:
    """Those of `ids` that are not walks of `area` (another area's, or none at all)."""
    known = set(Walk.objects.filter(area=area, pk__in=ids).values_list("pk", flat=True))
    return [i for i in ids if i not in known]


def unknown_walks(unknown: list[int]) -> ValidationError:
    """The 400 for walk ids that are not walks of the area; the tiles answer it in these words
    too (tiles.filters.check_walks)."""
    message = ngettext(
        "No walk %(ids)s in this area.", "No walk %(ids)s in this area.", len(unknown)
    ) % {"ids": ", ".join(map(str, unknown))}
    return ValidationError({"walk": [message]})


def _light(raw: str | None) -> str | None:
    if not raw:
        return None
    if raw not in Light.values:
        message = _("Expected one of %(values)s.") % {"values": ", ".join(Light.values)}
        raise ValidationError({"light": [message]})
    return raw
