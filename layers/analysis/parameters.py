"""The parameters of an analysis run, validated once for the API and the command line alike."""

import math
import re
from dataclasses import asdict, dataclass, field
from datetime import date

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from layers.categories import CrimeCategory

VARIABLES = ("count", "density", "rate")
WEIGHTS = ("queen", "distance", "knn")
MONTH = re.compile(r"^(\d{4})-(\d{2})$")
MAX_PERMUTATIONS = 9999
# The years a period may name: those crime imports accept (layers.importers.checks).
YEARS = (1900, 2100)

# Default weights of the three evidence components of the insecurity index (docs/methods.md).
DEFAULT_INSECURITY_WEIGHTS = {"observations": 1.0, "feeling": 1.0, "survey": 1.0}


@dataclass(frozen=True)
class Parameters:
    date_from: str | None = None  # "YYYY-MM"
    date_to: str | None = None
    categories: tuple[str, ...] = ()
    variable: str = "count"
    weights: str = "queen"
    distance_m: float | None = None  # distance band; None: smallest giving everyone a neighbour
    k: int = 8
    contiguity_m: float = 25.0  # queen: boundaries this close (across a street) touch
    permutations: int = 999
    seed: int = 1
    fdr: bool = False
    snap_distance_m: float | None = None  # None: settings.TRYGG_SNAP_DISTANCE_M
    observation_distance_m: float = 25.0
    positive_weight: float = 0.5
    insecurity_weights: dict = field(default_factory=lambda: dict(DEFAULT_INSECURITY_WEIGHTS))
    bandwidth_m: float | None = None  # None: the rule of docs/methods.md
    cell_m: float = 10.0

    def as_json(self) -> dict:
        data = asdict(self)
        data["categories"] = list(self.categories)
        data["from"] = data.pop("date_from")
        data["to"] = data.pop("date_to")
        return data

    @property
    def month_from(self) -> date | None:
        return _month(self.date_from)

    @property
    def month_to(self) -> date | None:
        return _month(self.date_to)


def _month(value: str | None) -> date | None:
    if value is None:
        return None
    year, month = MONTH.match(value).groups()
    return date(int(year), int(month), 1)


def _number(data, name, errors, *, kind=float, minimum=None, maximum=None, positive=False):
    raw = data[name]
    if isinstance(raw, bool) or not isinstance(raw, int | float | str):
        errors[name] = _("Expected a number, got %(value)r.") % {"value": raw}
        return None
    if isinstance(raw, float) and not math.isfinite(raw):  # 1e400 in JSON is infinity
        errors[name] = _("Must be a finite number.")
        return None
    if kind is int and isinstance(raw, float) and not raw.is_integer():
        # not 1 for 1.5, silently
        errors[name] = _("Expected an integer, got %(value)r.") % {"value": raw}
        return None
    try:
        value = kind(raw)
    except (TypeError, ValueError):
        if kind is int:
            errors[name] = _("Expected an integer, got %(value)r.") % {"value": raw}
        else:
            errors[name] = _("Expected a number, got %(value)r.") % {"value": raw}
        return None
    if kind is float and not math.isfinite(value):  # "nan", "inf" as text
        errors[name] = _("Must be a finite number.")
        return None
    if positive and value <= 0:
        errors[name] = _("Must be greater than 0.")
    elif minimum is not None and value < minimum:
        errors[name] = _("Must be at least %(minimum)s.") % {"minimum": minimum}
    elif maximum is not None and value > maximum:
        errors[name] = _("Must be at most %(maximum)s.") % {"maximum": maximum}
    return value


def _bool(data, name, errors):
    raw = data[name]
    if isinstance(raw, bool):
        return raw
    if isinstance(raw, str) and raw.lower() in {"true", "false", "1", "0"}:
        return raw.lower() in {"true", "1"}
    errors[name] = _("Expected true or false, got %(value)r.") % {"value": raw}
    return False


def parameters_parse(data: dict) -> Parameters:
    """JSON-like input (keys as in the API: from, to, categories, …) → Parameters.

    Raises ValidationError with one message per bad field; unknown fields are refused so a typo
    never silently runs the default analysis.
    """
    data = dict(data or {})
    known = {
        "from",
        "to",
        "categories",
        "variable",
        "weights",
        "distance_m",
        "k",
        "contiguity_m",
        "permutations",
        "seed",
        "fdr",
        "snap_distance_m",
        "observation_distance_m",
        "positive_weight",
        "insecurity_weights",
        "bandwidth_m",
        "cell_m",
    }
    errors: dict[str, str] = {}
    for name in sorted(set(data) - known):
        errors[name] = _("Unknown parameter.")
    values: dict = {}
    for name, attr in (("from", "date_from"), ("to", "date_to")):
        raw = data.get(name)
        if raw in (None, ""):
            continue
        match = MONTH.match(str(raw))
        if not match or not 1 <= int(match.group(2)) <= 12:
            errors[name] = _("Expected a month as YYYY-MM, got %(value)r.") % {"value": raw}
        elif not YEARS[0] <= int(match.group(1)) <= YEARS[1]:
            # Year 0 is no date at all (a 500 once); recorded crime lies within these years.
            errors[name] = _("%(value)r is outside the years %(first)s–%(last)s.") % {
                "value": raw,
                "first": YEARS[0],
                "last": YEARS[1],
            }
        else:
            values[attr] = str(raw)
    if "date_from" in values and "date_to" in values and values["date_from"] > values["date_to"]:
        errors["to"] = _("Must not be before 'from'.")
    if data.get("categories") not in (None, "", []):
        raw = data["categories"]
        items = raw.split(",") if isinstance(raw, str) else raw
        if not isinstance(items, list | tuple) or not all(isinstance(c, str) for c in items):
            errors["categories"] = _("Expected a list of category codes.")
        else:
            items = [c.strip() for c in items if c.strip()]
            unknown = sorted(set(items) - set(CrimeCategory.values))
            if unknown:
                errors["categories"] = _("Unknown categories %(codes)s; use any of %(known)s.") % {
                    "codes": ", ".join(unknown),
                    "known": ", ".join(CrimeCategory.values),
                }
            values["categories"] = tuple(sorted(set(items)))
    for name, choices in (("variable", VARIABLES), ("weights", WEIGHTS)):
        if data.get(name) is not None:
            if data[name] not in choices:
                errors[name] = _("Expected one of %(values)s, got %(value)r.") % {
                    "values": ", ".join(choices),
                    "value": data[name],
                }
            else:
                values[name] = data[name]
    numbers = {
        "distance_m": dict(positive=True, maximum=100_000),  # a neighbour band, not a region
        "k": dict(kind=int, minimum=1, maximum=100),
        "contiguity_m": dict(minimum=0, maximum=500),
        "permutations": dict(kind=int, minimum=0, maximum=MAX_PERMUTATIONS),
        "seed": dict(kind=int, minimum=0, maximum=2**32 - 1),
        "snap_distance_m": dict(minimum=0, maximum=1000),
        "observation_distance_m": dict(minimum=0, maximum=1000),
        "positive_weight": dict(minimum=0, maximum=10),
        "bandwidth_m": dict(positive=True, maximum=100_000),
        "cell_m": dict(minimum=1, maximum=1000),
    }
    for name, options in numbers.items():
        if data.get(name) is not None:
            value = _number(data, name, errors, **options)
            if name not in errors:
                values[name] = value
    if data.get("fdr") is not None:
        values["fdr"] = _bool(data, "fdr", errors)
    if data.get("insecurity_weights") is not None:
        raw = data["insecurity_weights"]
        if not isinstance(raw, dict) or set(raw) - set(DEFAULT_INSECURITY_WEIGHTS):
            errors["insecurity_weights"] = _("Expected an object with keys among %(keys)s.") % {
                "keys": ", ".join(DEFAULT_INSECURITY_WEIGHTS)
            }
        else:
            merged = dict(DEFAULT_INSECURITY_WEIGHTS)
            for key, weight in raw.items():
                if (
                    isinstance(weight, bool)
                    or not isinstance(weight, int | float)
                    or not math.isfinite(weight)  # 1e400 in JSON: infinity, which JSONB refuses
                    or weight < 0
                ):
                    errors["insecurity_weights"] = _(
                        "Weight of %(key)s must be a finite number ≥ 0."
                    ) % {"key": key}
                merged[key] = weight
            if "insecurity_weights" not in errors and sum(merged.values()) <= 0:
                errors["insecurity_weights"] = _("At least one weight must be greater than 0.")
            values["insecurity_weights"] = merged
    if errors:
        raise ValidationError(errors)
    return Parameters(**values)
