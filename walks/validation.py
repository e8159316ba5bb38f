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
from datetime import datetime, timedelta

from django.conf import settings
from django.contrib.gis.gdal import CoordTransform, SpatialReference
from django.contrib.gis.geos import GEOSGeometry, LineString, MultiPoint, Point, Polygon
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext as _

from geo.crs import looks_swapped
from geo.models import Area
from walks.models import ObservationKind

GEOMETRY_TYPES = ("Point", "LineString", "Polygon")
CLOCK_SKEW = timedelta(minutes=10)
NOTE_MAX = 4000


class Rejected(Exception):
    """One field of one item is wrong; `message` is for people."""

    def __init__(self, field_name: str, message: str):
        super().__init__(message)
        self.field = field_name
        self.message = message


def _number(value) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)


def _position(raw, field_name: str) -> tuple[float, float]:
    if not isinstance(raw, list | tuple) or len(raw) not in (2, 3) or not all(map(_number, raw)):
        raise Rejected(
            field_name,
            _("Each position must be [longitude, latitude] with two finite numbers."),
        )
    return float(raw[0]), float(raw[1])


def geometry_from_geojson(raw, field_name: str = "geometry") -> GEOSGeometry:
    """A GeoJSON Point, LineString or Polygon in WGS 84 → a GEOS geometry with srid 4326.

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
        return Point(*_position(coords, field_name), srid=4326)
    if not isinstance(coords, list):
        raise Rejected(field_name, _("The geometry has no coordinates list."))
    if kind == "LineString":
        positions = [_position(p, field_name) for p in coords]
        if len(positions) < 2:
            raise Rejected(field_name, _("A line needs at least two positions."))
        return LineString(positions, srid=4326)
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
    return Polygon(*rings, srid=4326)


_REASON = re.compile(r"^(?P<what>[^\[]+)\[(?P<x>[-0-9.eE+]+) (?P<y>[-0-9.eE+]+)\]$")


def invalid_reason(geometry: GEOSGeometry) -> str | None:
    """Why GEOS finds the geometry invalid and where, in words; None when it is valid."""
    if geometry.valid:
        return None
    reason = geometry.valid_reason
    match = _REASON.match(reason)
    if not match:
        return _("The geometry is invalid: %(reason)s.") % {"reason": reason}
    what = match["what"].strip()
    where = f"{float(match['x']):.6f}, {float(match['y']):.6f}"
    if what.lower().startswith("self-intersection"):
        return _("The shape crosses itself near %(where)s (longitude, latitude).") % {
            "where": where
        }
    if what.lower().startswith("too few points"):
        return _("The shape collapses to a single spot near %(where)s (longitude, latitude).") % {
            "where": where
        }
    return _("The geometry is invalid (%(what)s) near %(where)s (longitude, latitude).") % {
        "what": what,
        "where": where,
    }


@dataclass
class AreaFrame:
    """An area's boundary prepared once per request for the outside-the-area checks, in the
    area's metric analysis CRS so distances are metres, not degrees."""

    area: Area
    tolerance_m: float
    to_metric: CoordTransform | None = None
    boundary_m: GEOSGeometry | None = None
    allowed: object | None = None
    extent: tuple[float, float, float, float] | None = None

    @classmethod
    def for_area(cls, area: Area, tolerance_m: float | None = None) -> "AreaFrame":
        tolerance = settings.TRYGG_OUTSIDE_TOLERANCE_M if tolerance_m is None else tolerance_m
        frame = cls(area=area, tolerance_m=tolerance)
        if area.boundary is not None and area.analysis_srid:
            frame.to_metric = CoordTransform(
                SpatialReference(4326), SpatialReference(area.analysis_srid)
            )
            frame.boundary_m = area.boundary.transform(frame.to_metric, clone=True)
            frame.allowed = frame.boundary_m.buffer(tolerance).prepared
            frame.extent = area.boundary.extent
        return frame

    def outside_by_m(self, geometry: GEOSGeometry) -> float:
        """How far the farthest vertex lies outside the boundary, in metres (0 when inside)."""
        metric = geometry.transform(self.to_metric, clone=True)
        if self.allowed.covers(metric):
            return 0.0
        vertices = MultiPoint([Point(c, srid=metric.srid) for c in _vertices(metric)])
        farthest = max(self.boundary_m.distance(v) for v in vertices)
        # A segment can bulge past a concave boundary between two vertices that are within
        # the tolerance; then the tolerance is the honest lower bound to report.
        return max(farthest, self.tolerance_m + 0.5)

    def check_ranges(self, geometry: GEOSGeometry, field_name: str = "geometry") -> None:
        vertices = list(_vertices(geometry))
        if any(abs(lat) > 90 or abs(lon) > 180 for lon, lat in vertices):
            if self.extent and all(looks_swapped(lon, lat, self.extent) for lon, lat in vertices):
                raise Rejected(field_name, self._swapped_message())
            raise Rejected(
                field_name,
                _("Coordinates must be longitude -180…180 and latitude -90…90 (WGS 84)."),
            )

    def check(self, geometry: GEOSGeometry, field_name: str = "geometry") -> None:
        """Refuses a valid geometry that lies outside the area by more than the tolerance."""
        if self.boundary_m is None:
            return
        vertices = list(_vertices(geometry))
        distance = self.outside_by_m(geometry)
        if distance <= 0:
            return
        if all(looks_swapped(lon, lat, self.extent) for lon, lat in vertices):
            raise Rejected(field_name, self._swapped_message())
        raise Rejected(
            field_name,
            _(
                "This lies %(distance)s m outside the area %(area)s "
                "(up to %(tolerance)s m is accepted)."
            )
            % {
                "distance": f"{distance:,.0f}",
                "area": self.area.name,
                "tolerance": f"{self.tolerance_m:,.0f}",
            },
        )

    def _swapped_message(self) -> str:
        return _(
            "Latitude and longitude look swapped: GeoJSON positions are [longitude, latitude], "
            "and with the two numbers exchanged this would lie in the area %(area)s."
        ) % {"area": self.area.name}


def _vertices(geometry: GEOSGeometry):
    if isinstance(geometry, Point):
        yield geometry.coords[:2]
    elif isinstance(geometry, LineString):
        for c in geometry.coords:
            yield c[:2]
    elif isinstance(geometry, Polygon):
        for ring in geometry:
            for c in ring.coords:
                yield c[:2]
    else:
        for part in geometry:
            yield from _vertices(part)


@dataclass
class CleanObservation:
    index: int
    client_id: uuid.UUID
    kind: ObservationKind
    geom: GEOSGeometry
    severity: int | None
    feeling: int | None
    note: str
    captured_at: datetime
    accuracy_m: float | None


@dataclass
class ObservationChecker:
    """Validates the items of one sync request against one walk's area."""

    frame: AreaFrame
    kinds: dict[str, ObservationKind]
    now: datetime = field(default_factory=timezone.now)

    def clean(self, index: int, raw) -> CleanObservation:
        """One item → a CleanObservation, or a dict of field errors."""
        if not isinstance(raw, dict):
            raise ItemErrors({"non_field_errors": [_("Each observation must be a JSON object.")]})
        errors: dict[str, list[str]] = {}
        values = {}
        for name, check in (
            ("client_id", self._client_id),
            ("kind", self._kind),
            ("geometry", self._geometry),
            ("severity", self._scale),
            ("feeling", self._scale),
            ("note", self._note),
            ("captured_at", self._captured_at),
            ("accuracy_m", self._accuracy),
        ):
            try:
                values[name] = check(raw.get(name), name)
            except Rejected as rejection:
                errors.setdefault(rejection.field, []).append(rejection.message)
        kind, geom = values.get("kind"), values.get("geometry")
        if kind is not None and geom is not None and geom.geom_type not in kind.geometry_types:
            allowed = ", ".join(_geometry_word(t) for t in kind.geometry_types)
            errors.setdefault("geometry", []).append(
                _("A %(kind)s is drawn as %(allowed)s, not as %(given)s.")
                % {
                    "kind": kind.label().lower(),
                    "allowed": allowed,
                    "given": _geometry_word(geom.geom_type),
                }
            )
        if errors:
            raise ItemErrors(errors)
        return CleanObservation(
            index=index,
            client_id=values["client_id"],
            kind=kind,
            geom=geom,
            severity=values["severity"],
            feeling=values["feeling"],
            note=values["note"],
            captured_at=values["captured_at"],
            accuracy_m=values["accuracy_m"],
        )

    def _client_id(self, value, name):
        try:
            return uuid.UUID(str(value)) if value is not None else _missing(name)
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
        geom = geometry_from_geojson(value, name)
        self.frame.check_ranges(geom, name)
        reason = invalid_reason(geom)
        if reason:
            raise Rejected(name, reason)
        self.frame.check(geom, name)
        return geom

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
        ahead = moment - self.now
        if ahead > CLOCK_SKEW:
            minutes = math.ceil(ahead.total_seconds() / 60)
            raise Rejected(
                name,
                _(
                    "captured_at is %(minutes)s minutes in the future; check the tablet's clock "
                    "(up to 10 minutes of difference are accepted)."
                )
                % {"minutes": f"{minutes:,}"},
            )
        return moment

    def _accuracy(self, value, name):
        if value is None:
            return None
        if not _number(value) or value < 0:
            raise Rejected(name, _("accuracy_m must be a number of metres, 0 or more."))
        return float(value)


class ItemErrors(Exception):
    def __init__(self, errors: dict[str, list[str]]):
        super().__init__(errors)
        self.errors = errors


def _missing(name):
    raise Rejected(name, _("This field is required."))


def _geometry_word(geometry_type: str) -> str:
    return {"Point": _("a point"), "LineString": _("a line"), "Polygon": _("an area")}.get(
        geometry_type, geometry_type
    )
