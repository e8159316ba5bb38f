"""What every importer shares: the refusal of a whole file, the per-row report, progress, and
the names a request may use (checked by web requests, which do not load the importers)."""

import re
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field

MAX_REJECTED_REASONS = 1000
REASON_KINDS_LISTED = 20
# What varies from row to row in a reason: quoted values and numbers (not those of the fixed
# wording: ISO 8601, EPSG codes, ±90 and ±180).
_ROW_VALUES = re.compile(r"'[^']*'|\"[^\"]*\"|(?<!ISO )(?<!EPSG:)(?<!±)-?\b\d+(?:[.,]\d+)*")
# Crime formats (layers/importers/crime.py presets) and the keys of a generic column map.
FORMATS = ("police-uk", "chicago", "generic")
MAP_KEYS = ("lon", "lat", "date", "category", "id", "block")


class ImportRefused(Exception):
    """The file as a whole cannot be imported; `field` names the input at fault (file, format,
    map, srid, …) so the API can answer 400 {field: [message]} and the CLI can say it plainly."""

    def __init__(self, field: str, message: str):
        super().__init__(message)
        self.field = field
        self.message = message


class StrictRefused(Exception):
    """--strict and at least one row was rejected: the transaction is rolled back."""


@dataclass
class Report:
    """Counts of one import. read = imported + duplicates + rejected; `outside` counts accepted
    rows (imported or duplicate) lying outside the area's boundary."""

    read: int = 0
    imported: int = 0
    duplicates: int = 0
    rejected: int = 0
    outside: int = 0
    rejected_rows: list = field(default_factory=list)
    notes: dict = field(default_factory=dict)
    keep_reasons: int | None = MAX_REJECTED_REASONS  # None: all of them
    reason_kinds: Counter = field(default_factory=Counter)

    def reject(self, row: int, reason: str) -> None:
        self.rejected += 1
        self.reason_kinds[_ROW_VALUES.sub("…", reason)] += 1
        if self.keep_reasons is None or len(self.rejected_rows) < self.keep_reasons:
            self.rejected_rows.append({"row": row, "reason": reason})

    def reasons_counted(self) -> list[dict]:
        """The kinds of reason, most frequent first, with their rows: 40,000 rejected rows
        read as four causes, not as the first thousand rows listed one by one."""
        return [
            {"reason": kind, "rows": rows}
            for kind, rows in self.reason_kinds.most_common(REASON_KINDS_LISTED)
        ]

    def counts_line(self) -> str:
        return (
            f"read: {self.read}, imported: {self.imported}, duplicates: {self.duplicates}, "
            f"rejected: {self.rejected}, outside: {self.outside}"
        )


# Called with (done, total) in the unit the importer chose (bytes of the file, or features).
ProgressCallback = Callable[[int, int], None]


def no_progress(done: int, total: int) -> None:
    return None
