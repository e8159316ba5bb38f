"""Reading CSV files as they really come: UTF-8 with or without a BOM, Latin-1 from older
Nordic systems, any line ending, and a header that tells us the delimiter and the preset."""

import csv
import os
from collections.abc import Iterator

from django.conf import settings

from layers.importers.base import ImportRefused

BOM = b"\xef\xbb\xbf"
DELIMITERS = {",": "comma", ";": "semicolon", "\t": "tab", "|": "pipe"}


def check_size(path: str) -> int:
    size = os.path.getsize(path)
    limit = settings.TRYGG_IMPORT_MAX_BYTES
    if size > limit:
        raise ImportRefused(
            "file", f"The file is {size:,} bytes; the limit is {limit:,} (TRYGG_IMPORT_MAX_BYTES)."
        )
    if size == 0:
        raise ImportRefused("file", "The file is empty.")
    return size


class DecodedLines:
    """Iterates a binary file as text lines, counting bytes for progress.

    Each line is decoded as UTF-8, else as Latin-1: a file exported from an older Swedish or
    Danish system is Latin-1 throughout, and mixed files exist too. Decoding per line keeps the
    file streaming while never failing on a byte.
    """

    def __init__(self, binary):
        self.binary = binary
        self.bytes_read = 0
        self.latin1_lines = 0
        self.had_bom = False

    def __iter__(self) -> Iterator[str]:
        first = True
        for raw in self.binary:
            self.bytes_read += len(raw)
            if first:
                first = False
                if raw.startswith((b"\xff\xfe", b"\xfe\xff")):
                    raise ImportRefused(
                        "file", "The file is UTF-16 text; save it as UTF-8 (or Latin-1) CSV."
                    )
                if raw.startswith(BOM):
                    self.had_bom = True
                    raw = raw[len(BOM) :]
            try:
                yield raw.decode("utf-8")
            except UnicodeDecodeError:
                self.latin1_lines += 1
                yield raw.decode("latin-1")

    def encoding_note(self, extra_latin1: int = 0) -> str:
        """`extra_latin1`: lines decoded as Latin-1 elsewhere (after the header)."""
        latin1 = self.latin1_lines + extra_latin1
        if latin1:
            return f"latin-1 ({latin1} lines were not UTF-8)"
        return "utf-8 with BOM" if self.had_bom else "utf-8"


class GuardedReader:
    """A csv reader whose errors refuse the file with the line, instead of ending the import as
    "failed unexpectedly": a field over the csv module's limit is nearly always a quote left
    open, which swallows the rest of the file into one field."""

    def __init__(self, reader):
        self.reader = reader

    @property
    def line_num(self) -> int:
        return self.reader.line_num

    def __iter__(self):
        return self

    def __next__(self) -> list[str]:
        try:
            return next(self.reader)
        except csv.Error as error:
            raise ImportRefused(
                "file",
                f"Line {self.reader.line_num}: {error}; a quotation mark left open swallows the"
                " rest of the file into one field.",
            ) from None


def open_csv(binary, delimiter: str) -> tuple[DecodedLines, Iterator[list[str]], list[str]]:
    """(lines, reader positioned after the header, header) or ImportRefused for an empty file."""
    lines = DecodedLines(binary)
    reader = GuardedReader(csv.reader(lines, delimiter=delimiter, strict=False))
    for header in reader:
        if any(cell.strip() for cell in header):
            return lines, reader, [cell.strip() for cell in header]
    raise ImportRefused("file", "The file is empty: it has no header row.")


def other_delimiter(header: list[str], delimiter: str, wanted: set[str]) -> str | None:
    """The delimiter the file really uses, when splitting the header by it finds more wanted
    columns than the configured one does."""
    joined = delimiter.join(header)
    best, best_hits = None, len(wanted & set(header))
    for candidate in DELIMITERS:
        if candidate == delimiter:
            continue
        hits = len(wanted & {c.strip() for c in next(csv.reader([joined], delimiter=candidate))})
        if hits > best_hits:
            best, best_hits = candidate, hits
    return best


def refuse_wrong_delimiter(found: str, delimiter: str) -> ImportRefused:
    return ImportRefused(
        "delimiter",
        f"The columns are separated by {DELIMITERS[found]}s ({found!r}), not "
        f"{DELIMITERS.get(delimiter, delimiter)}s ({delimiter!r}). Pass delimiter {found!r} "
        "(--delimiter on the command line) if the file is otherwise right.",
    )
