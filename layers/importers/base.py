"""What every importer shares: the refusal of a whole file, the per-row report, progress, and
the names a request may use (checked by web requests, which do not load the importers)."""

from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field

MAX_REJECTED_REASONS = 1000
REASON_KINDS_LISTED = 20
# The reason of the good rows a --strict import refuses along with the rejected ones.
STRICT_REFUSED = "not imported because other rows were rejected and the import is strict"
# Crime formats (layers/importers/crimeformats.py presets) and the keys of a generic column map.
FORMATS = ("police-uk", "chicago", "generic")
MAP_KEYS = ("lon", "lat", "date", "category", "id", "block")


class ImportRefused(Exception):
    """The file as a whole cannot be imported; `field` names the input at fault (file, format,
    map, srid, …) so the API can answer 400 {field: [message]} and the CLI can say it plainly."""

    def __init__(self, field: str, message: str):
        # A message quoting the file (its header) is stored as the job's error: PostgreSQL's
        # text cannot hold a NUL, and saving one left the job running.
        message = message.replace("\x00", "\\x00")
        super().__init__(message)
        self.field = field
        self.message = message


class RowRejected(Exception):
    """One row cannot be used. The reason is a template whose {fields} are the row's own values
    (given as keywords): the reason shown fills them in, the kind of reason rejections are
    counted by shows … in their place, so the fixed wording (numbers included) stays intact."""

    def __init__(self, template: str, **values):
        super().__init__(template.format(**values) if values else template)
        self.template = template
        self.values = values

    @property
    def kind(self) -> str:
        if not self.values:
            return self.template
        return self.template.format(**{name: _HIDDEN for name in self.values})


def fixed(text) -> str:
    """Text put into a RowRejected template as part of its fixed wording (a column name)."""
    return str(text).replace("{", "{{").replace("}", "}}")


class _Hidden:
    """Stands for a row's value in a kind of reason, whatever its format spec or conversion."""

    def __format__(self, spec: str) -> str:
        return "…"

    def __repr__(self) -> str:
        return "…"

    __str__ = __repr__


_HIDDEN = _Hidden()


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

    def reject(self, row: int, why: RowRejected | str) -> None:
        """Count a rejected row. A plain string is a reason with nothing of the row in it."""
        if isinstance(why, str):
            why = RowRejected(why)
        self.rejected += 1
        self.reason_kinds[why.kind] += 1
        if self.keep_reasons is None or len(self.rejected_rows) < self.keep_reasons:
            self.rejected_rows.append({"row": row, "reason": str(why)})

    def take_rejections(self, other: "Report") -> None:
        """Add the rejections of `other`, which kept all its reasons, in row order."""
        self.rejected += other.rejected
        self.reason_kinds.update(other.reason_kinds)
        for rejection in sorted(other.rejected_rows, key=lambda r: r["row"]):
            if self.keep_reasons is None or len(self.rejected_rows) < self.keep_reasons:
                self.rejected_rows.append(rejection)

    def refuse_all(self) -> int:
        """--strict refused the file: nothing is imported, so every row read counts as rejected,
        the good ones under STRICT_REFUSED (they are not listed one by one). Returns how many
        rows were rejected for a reason of their own."""
        own = self.rejected
        self.imported = self.duplicates = self.outside = 0
        if self.read > own:
            self.reason_kinds[STRICT_REFUSED] += self.read - own
            self.rejected = self.read
        return own

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
