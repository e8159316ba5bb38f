"""Checking what a tablet sends before anything is stored.

Every rejection names the field and says, in words a walk participant understands, what is wrong
and where: the point where a polygon crosses itself, how many metres outside the area a point
lies, that latitude and longitude look swapped. Messages are translated (English, Swedish,
Danish) because participants read them in the capture app.
"""

import math
import re
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from functools import lru_cache

import numpy
import shapely
from django.conf import settings
from django.contrib.gis.geos import GEOSGeometry
from django.core.exceptions import ValidationError
from django.utils import formats, text, timezone
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from pyproj import Transformer

from geo.crs import looks_swapped
from geo.models import Area
from walks.models import ObservationKind

GEOMETRY_TYPES = ("Point", "LineString", "Polygon")
# A position worse than this is no position (a tablet without a fix reports thousands of km).
MAX_ACCURACY_M = 10_000
CLOCK_SKEW = timedelta(minutes=10)
NOTE_MAX = 4000
# What a correction of a stored finding may change: what its author answered and drew, not when
# or how exactly it was captured (walks.services.observation_correct).
CORRECTABLE = ("kind", "geometry", "severity", "feeling", "note")


class Rejected(Exception):
    """One field of one item is wrong; `message` is for people."""

    def __init__(self, field_name: str, message: str):
        super().__init__(message)
        self.field = field_name
        self.message = message


class ItemErrors(Exception):
    """All field errors of one item."""

    def __init__(self, errors: dict[str, list[str]]):
        super().__init__(errors)
        self.errors = errors


def whole(value) -> str:
    """A whole number as the request's language writes it: 8,512 in English, 8 512 in Swedish
    and 8.512 in Danish (a Swede reads "8,512 m" as eight and a half metres)."""
    return formats.number_format(round(value), use_l10n=True, force_grouping=True)


def _number(value) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)


def _position(raw, field_name: str) -> tuple[float, float]:
    if not isinstance(raw, list | tuple) or len(raw) not in (2, 3) or not all(map(_number, raw)):
        raise Rejected(
            field_name,
            _("Each position must be [longitude, latitude] with two finite numbers."),
        )
    return float(raw[0]), float(raw[1])


# A shape drawn by hand on a tablet has tens or hundreds of vertices; far more is either a
# pasted dataset or an attack on the server's geometry work.
MAX_VERTICES = 5_000


def _vertex_limit(count: int, field_name: str) -> None:
    if count > MAX_VERTICES:
        raise Rejected(
            field_name,
            _("The geometry has %(count)s vertices; at most %(limit)s are accepted.")
            % {"count": whole(count), "limit": whole(MAX_VERTICES)},
        )


def shape_from_geojson(raw, field_name: str = "geometry") -> shapely.Geometry:
    """A GeoJSON Point, LineString or Polygon in WGS 84 → a shapely geometry.

    Parsed by hand rather than through OGR so that each structural mistake gets its own message.
    """
    if not isinstance(raw, dict):
        raise Rejected(field_name, _("A GeoJSON geometry object is required."))
    kind = raw.get("type")
    if kind not in GEOMETRY_TYPES:
        raise Rejected(
            field_name,
            _("Geometry type %(type)s is not supported; use Point, LineString or Polygon.")
            % {"type": repr(kind)},
        )
    coords = raw.get("coordinates")
    if kind == "Point":
        return shapely.Point(_position(coords, field_name))
    if not isinstance(coords, list):
        raise Rejected(field_name, _("The geometry has no coordinates list."))
    if kind == "LineString":
        _vertex_limit(len(coords), field_name)
        positions = [_position(p, field_name) for p in coords]
        if len(positions) < 2:
            raise Rejected(field_name, _("A line needs at least two positions."))
        return shapely.LineString(positions)
    _vertex_limit(sum(len(ring) for ring in coords if isinstance(ring, list)), field_name)
    rings = []
    for ring in coords:
        if not isinstance(ring, list):
            raise Rejected(field_name, _("A polygon is a list of rings of positions."))
        positions = [_position(p, field_name) for p in ring]
        if len(positions) < 4:
            raise Rejected(field_name, _("A polygon ring needs at least four positions."))
        if positions[0] != positions[-1]:
            raise Rejected(
                field_name, _("A polygon ring must end where it starts (the ring is not closed).")
            )
        rings.append(positions)
    if not rings:
        raise Rejected(field_name, _("A polygon needs an outer ring."))
    return shapely.Polygon(rings[0], rings[1:])


def geometry_from_geojson(raw, field_name: str = "geometry") -> GEOSGeometry:
    """As shape_from_geojson, as a GEOS geometry with srid 4326 (for model fields)."""
    return GEOSGeometry(memoryview(shapely.to_wkb(shape_from_geojson(raw, field_name))), srid=4326)


_REASON = re.compile(r"^(?P<what>[^\[]+)\[(?P<x>[-0-9.eE+]+) (?P<y>[-0-9.eE+]+)\]$")


def reason_in_words(reason: str) -> str:
    """GEOS's validity reason ("Self-intersection[13.005 55.605]") in words, with the place."""
    match = _REASON.match(reason)
    if not match:
        return _("The geometry is invalid: %(reason)s.") % {"reason": reason}
    what = match["what"].strip().lower()
    where = f"{float(match['x']):.6f}, {float(match['y']):.6f}"
    for start, words in GEOS_REASONS.items():
        if what.startswith(start):
            return _("%(what)s near %(where)s (longitude, latitude).") % {
                "what": words,
                "where": where,
            }
    return _("The geometry is invalid (%(what)s) near %(where)s (longitude, latitude).") % {
        "what": match["what"].strip(),
        "where": where,
    }


# GEOS's validity reasons (IsValidOp), in the participant's words and language.
GEOS_REASONS = {
    "self-intersection": gettext_lazy("The shape crosses itself"),
    "ring self-intersection": gettext_lazy("The shape crosses itself"),
    "too few points": gettext_lazy("The shape collapses to a single spot"),
    "hole lies outside shell": gettext_lazy("A hole in the shape lies outside it"),
    "holes are nested": gettext_lazy("Holes in the shape lie inside each other"),
    "nested shells": gettext_lazy("Parts of the shape lie inside each other"),
    "interior is disconnected": gettext_lazy("Holes cut the shape in pieces"),
    "duplicate rings": gettext_lazy("The shape has the same ring twice"),
    "invalid coordinate": gettext_lazy("A coordinate is not a number"),
    "ring is not closed": gettext_lazy("A ring of the shape does not end where it starts"),
}


@dataclass
class AreaFrame:
    """An area's boundary prepared once per request for the outside-the-area checks, in the
    area's metric analysis CRS so distances are metres, not degrees.

    Shapely and pyproj work on whole arrays, so a batch of 500 observations costs a handful of
    vectorised calls rather than thousands of per-geometry ones."""

    area: Area
    tolerance_m: float
    to_metric: Transformer | None = None
    boundary_m: shapely.Geometry | None = None
    allowed: shapely.Geometry | None = None
    extent: tuple[float, float, float, float] | None = None

    @classmethod
    def for_area(cls, area: Area, tolerance_m: float | None = None) -> "AreaFrame":
        tolerance = settings.TRYGG_OUTSIDE_TOLERANCE_M if tolerance_m is None else tolerance_m
        frame = cls(area=area, tolerance_m=tolerance)
        if area.boundary is not None and area.analysis_srid:
            frame.to_metric = _transformer(area.analysis_srid)
            boundary = shapely.from_wkb(bytes(area.boundary.wkb))
            frame.boundary_m = frame.metric(boundary)
            frame.allowed = shapely.buffer(frame.boundary_m, tolerance)
            shapely.prepare(frame.allowed)
            shapely.prepare(frame.boundary_m)
            frame.extent = area.boundary.extent
        return frame

    def metric(self, geometries):
        def project(xy):
            x, y = self.to_metric.transform(xy[:, 0], xy[:, 1])
            return numpy.column_stack([x, y])

        return shapely.transform(geometries, project)

    def problems(self, shapes: list[shapely.Geometry]) -> list[str | None]:
        """One message per geometry (None when fine): out of range, invalid, swapped, outside."""
        geoms = numpy.asarray(shapes, dtype=object)
        messages: list[str | None] = [None] * len(geoms)
        if not len(geoms):
            return messages
        coords, owner = shapely.get_coordinates(geoms, return_index=True)
        out_of_range = (numpy.abs(coords[:, 0]) > 180) | (numpy.abs(coords[:, 1]) > 90)
        for i in numpy.unique(owner[out_of_range]):
            messages[i] = (
                self._swapped_message()
                if self._all_swapped(geoms[i])
                else _("Coordinates must be longitude -180…180 and latitude -90…90 (WGS 84).")
            )
        valid = shapely.is_valid(geoms)
        for i in numpy.flatnonzero(~valid):
            if messages[i] is None:
                messages[i] = reason_in_words(shapely.is_valid_reason(geoms[i]))
        if self.boundary_m is None:
            return messages
        check = numpy.array([m is None for m in messages])
        if not check.any():
            return messages
        metric = self.metric(geoms[check])
        inside = shapely.covers(self.allowed, metric)
        for i, metric_geom in zip(numpy.flatnonzero(check)[~inside], metric[~inside], strict=True):
            if self._all_swapped(geoms[i]):
                messages[i] = self._swapped_message()
                continue
            vertices = shapely.points(shapely.get_coordinates(metric_geom))
            farthest = float(shapely.distance(self.boundary_m, vertices).max())
            # A segment can bulge past a concave boundary between two vertices that are within
            # the tolerance; then the tolerance is the honest lower bound to report.
            messages[i] = self._outside_message(max(farthest, self.tolerance_m + 0.5))
        return messages

    def _all_swapped(self, geometry) -> bool:
        return self.extent is not None and all(
            looks_swapped(lon, lat, self.extent) for lon, lat in shapely.get_coordinates(geometry)
        )

    def _outside_message(self, distance: float) -> str:
        return _(
            "This lies %(distance)s m outside the area %(area)s "
            "(up to %(tolerance)s m is accepted)."
        ) % {
            "distance": whole(distance),
            "area": self.area.name,
            "tolerance": whole(self.tolerance_m),
        }

    def _swapped_message(self) -> str:
        return _(
            "Latitude and longitude look swapped: GeoJSON positions are [longitude, latitude], "
            "and with the two numbers exchanged this would lie in the area %(area)s."
        ) % {"area": self.area.name}


@lru_cache(maxsize=64)
def _transformer(srid: int) -> Transformer:
    return Transformer.from_crs(4326, srid, always_xy=True)


@dataclass
class CleanObservation:
    index: int
    client_id: uuid.UUID
    kind: ObservationKind
    shape: shapely.Geometry
    severity: int | None
    feeling: int | None
    note: str
    captured_at: datetime
    accuracy_m: float | None
    ewkb: bytes = b""


@dataclass
class ObservationChecker:
    """Validates the items of one sync request against one walk's area."""

    frame: AreaFrame
    kinds: dict[str, ObservationKind]
    now: datetime = field(default_factory=timezone.now)
    # How far the tablet's clock is behind the server's (clock_offset below): added to each
    # captured_at, so a tablet set hours wrong still stores its findings at their true times.
    clock_offset: timedelta = timedelta(0)

    def clean_batch(self, items: list) -> list[CleanObservation | ItemErrors]:
        """Each item → a CleanObservation or its ItemErrors, in order.

        Fields are checked item by item; geometries are then checked together (validity,
        range, swapped axes, distance outside the area), which is where the time would go."""
        cleaned: list[CleanObservation | ItemErrors] = []
        for index, raw in enumerate(items):
            try:
                cleaned.append(self._fields(index, raw))
            except ItemErrors as errors:
                cleaned.append(errors)
        candidates = [c for c in cleaned if isinstance(c, CleanObservation)]
        problems = self.frame.problems([c.shape for c in candidates])
        for candidate, problem in zip(candidates, problems, strict=True):
            if problem:
                cleaned[candidate.index] = ItemErrors({"geometry": [problem]})
        good = [c for c in cleaned if isinstance(c, CleanObservation)]
        if good:
            shapes = shapely.set_srid(numpy.asarray([c.shape for c in good], dtype=object), 4326)
            for candidate, ewkb in zip(
                good, shapely.to_wkb(shapes, include_srid=True), strict=True
            ):
                candidate.ewkb = ewkb
        return cleaned

    def _fields(self, index: int, raw) -> CleanObservation:
        if not isinstance(raw, dict):
            raise ItemErrors({"non_field_errors": [_("Each observation must be a JSON object.")]})
        values, errors = self._checked(raw, self._checks)
        kind, shape = values.get("kind"), values.get("geometry")
        if kind is not None and shape is not None:
            self._kind_fits(kind, shape, errors)
        if errors:
            raise ItemErrors(errors)
        return CleanObservation(
            index=index,
            client_id=values["client_id"],
            kind=kind,
            shape=shape,
            severity=values["severity"],
            feeling=values["feeling"],
            note=values["note"],
            captured_at=values["captured_at"],
            accuracy_m=values["accuracy_m"],
        )

    @property
    def _checks(self) -> dict:
        """Each field of an item and its check, in the order their errors are listed."""
        return {
            "client_id": self._client_id,
            "kind": self._kind,
            "geometry": self._geometry,
            "severity": self._scale,
            "feeling": self._scale,
            "note": self._note,
            "captured_at": self._captured_at,
            "accuracy_m": self._accuracy,
        }

    @staticmethod
    def _checked(raw: dict, checks: dict) -> tuple[dict, dict[str, list[str]]]:
        values, errors = {}, {}
        for name, check in checks.items():
            try:
                values[name] = check(raw.get(name), name)
            except Rejected as rejection:
                errors.setdefault(rejection.field, []).append(rejection.message)
        return values, errors

    @staticmethod
    def _kind_fits(kind: ObservationKind, shape: shapely.Geometry, errors: dict) -> None:
        if shape.geom_type in kind.geometry_types:
            return
        allowed = ", ".join(_geometry_word(t) for t in kind.geometry_types)
        # Swedish and Danish put the kind first: the sentence still starts with a capital.
        message = _("A %(kind)s is drawn as %(allowed)s, not as %(given)s.") % {
            "kind": kind.label().lower(),
            "allowed": allowed,
            "given": _geometry_word(shape.geom_type),
        }
        errors.setdefault("geometry", []).append(text.capfirst(message))

    def clean_correction(self, raw, *, kind: ObservationKind, shape: shapely.Geometry) -> dict:
        """A correction of a stored finding (its `kind` and `shape` now): the fields it gives,
        checked as the sync checks them, the stored kind and shape standing in for those it
        leaves out (a new kind must fit the shape kept, a new shape the kind kept). The geometry
        comes back as EWKB. Raises ItemErrors; nothing is half-taken."""
        if not isinstance(raw, dict):
            raise ItemErrors(
                {"non_field_errors": [_("Send the corrected fields as a JSON object.")]}
            )
        errors: dict[str, list[str]] = {}
        for name in sorted(set(raw) - set(CORRECTABLE)):
            errors[name] = [
                _("Only %(fields)s can be corrected.") % {"fields": ", ".join(CORRECTABLE)}
            ]
        given = {name: check for name, check in self._checks.items() if name in CORRECTABLE}
        values, field_errors = self._checked(
            raw, {name: check for name, check in given.items() if name in raw}
        )
        errors.update(field_errors)
        if "geometry" in values:
            [problem] = self.frame.problems([values["geometry"]])
            if problem:
                errors.setdefault("geometry", []).append(problem)
        new_kind, new_shape = values.get("kind", kind), values.get("geometry", shape)
        if not errors and ("kind" in values or "geometry" in values):
            self._kind_fits(new_kind, new_shape, errors)
        if errors:
            raise ItemErrors(errors)
        if "geometry" in values:
            values["geometry"] = shapely.to_wkb(
                shapely.set_srid(values["geometry"], 4326), include_srid=True
            )
        return values

    def _client_id(self, value, name):
        if value is None:
            _missing(name)
        # Text only: a number of 32 digits reads as a UUID once made text, and the answer, which
        # echoes the client_id as sent, would then carry none for it.
        try:
            if not isinstance(value, str):
                raise ValueError(value)
            return uuid.UUID(value)
        except ValueError:
            raise Rejected(name, _("client_id must be a UUID.")) from None

    def _kind(self, value, name):
        if value in (None, ""):
            _missing(name)
        kind = self.kinds.get(value) if isinstance(value, str) else None
        if kind is None:
            raise Rejected(
                name,
                _("Unknown kind %(kind)s; known kinds: %(known)s.")
                % {"kind": repr(value), "known": ", ".join(sorted(self.kinds))},
            )
        return kind

    def _geometry(self, value, name):
        if value is None:
            _missing(name)
        return shape_from_geojson(value, name)

    def _scale(self, value, name):
        if value is None:
            return None
        if not (isinstance(value, int) and not isinstance(value, bool)) or not 1 <= value <= 5:
            raise Rejected(
                name,
                _("%(field)s must be a whole number from 1 to 5, not %(value)s.")
                % {"field": name, "value": repr(value)},
            )
        return value

    def _note(self, value, name):
        if value is None:
            return ""
        if not isinstance(value, str):
            raise Rejected(name, _("The note must be text."))
        if len(value) > NOTE_MAX:
            raise Rejected(
                name, _("The note is longer than %(max)s characters.") % {"max": NOTE_MAX}
            )
        return value.replace("\x00", "")

    def _captured_at(self, value, name):
        if value is None:
            _missing(name)
        try:
            moment = parse_datetime(value) if isinstance(value, str) else None
        except ValueError:
            moment = None
        if moment is None:
            raise Rejected(
                name, _("captured_at must be an ISO 8601 time, e.g. 2026-11-22T20:15:00Z.")
            )
        if timezone.is_naive(moment):
            raise Rejected(
                name,
                _("captured_at needs a time zone (Z or an offset such as +01:00)."),
            )
        try:
            # In UTC, so that no later step (the messages' local time) leaves the calendar: year
            # 1 at +14:00, or a time moved by a tablet's sent_at of year 9999, has no UTC time.
            moment = (moment + self.clock_offset).astimezone(UTC)
        except OverflowError:
            raise Rejected(
                name,
                _(
                    "captured_at (%(value)s) cannot be placed in time; check the tablet's date "
                    "and time."
                )
                % {"value": value},
            ) from None
        ahead = moment - self.now
        if ahead > CLOCK_SKEW:
            minutes = math.ceil(ahead.total_seconds() / 60)
            raise Rejected(
                name,
                _(
                    "captured_at is %(minutes)s minutes in the future; check the tablet's clock "
                    "(up to 10 minutes of difference are accepted)."
                )
                % {"minutes": whole(minutes)},
            )
        return moment

    def _accuracy(self, value, name):
        if value is None:
            return None
        if not _number(value) or not 0 <= value <= MAX_ACCURACY_M:
            raise Rejected(
                name,
                _("accuracy_m must be a number of metres from 0 to %(max)s.")
                % {"max": MAX_ACCURACY_M},
            )
        return float(value)


def _missing(name):
    raise Rejected(name, _("This field is required."))


def _geometry_word(geometry_type: str) -> str:
    return {"Point": _("a point"), "LineString": _("a line"), "Polygon": _("an area")}.get(
        geometry_type, geometry_type
    )


# Below this, a difference between the tablet's sent_at and the server's clock is the network's
# delay, not a wrong clock, and times are stored as sent.
CLOCK_CORRECTED_FROM = timedelta(minutes=1)


def clock_offset(sent_at, now: datetime) -> timedelta:
    """How far the sending tablet's clock is behind the server's, from the batch's `sent_at`
    (its clock when it sent): zero without one, or for a difference the network explains."""
    if sent_at is None:
        return timedelta(0)
    try:
        moment = parse_datetime(sent_at) if isinstance(sent_at, str) else None
    except ValueError:  # the shape of a time, not a real one (month 13)
        moment = None
    if moment is None or timezone.is_naive(moment):
        raise ValidationError(
            {
                "sent_at": _(
                    "sent_at must be an ISO 8601 time with a time zone, e.g. 2026-11-22T20:15:00Z."
                )
            }
        )
    offset = now - moment
    return offset if abs(offset) >= CLOCK_CORRECTED_FROM else timedelta(0)
