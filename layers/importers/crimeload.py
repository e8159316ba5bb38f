"""Writing accepted crime rows: placed in their block, counted outside the area, then COPYed.

Parsers hand over batches (pyarrow tables of BATCH_SCHEMA, coordinates in any SRID), which
are taken through the rest — coordinates to lon/lat by PostGIS where the source is projected,
the block by the exactly-once rule (layers/assignment.py), the outside count, a rendering in
PostgreSQL's binary COPY format (pgcopy.py) — and handed to a writer thread that COPYs them
while the next batch is parsed. Into an area whose
partition is empty the rows go straight into a fresh unindexed table that becomes the partition
(layers/partitions.py); otherwise into a temporary table and from there with INSERT … ON
CONFLICT DO NOTHING, the deduplication by source key.
"""

import hashlib
import itertools
import queue
import threading
from collections.abc import Iterator

import numpy as np
import pyarrow as pa
import shapely
from django.db import connection

from layers import partitions
from layers.assignment import BlockIndex
from layers.importers import pgcopy

BATCH_SCHEMA = pa.schema(
    [
        ("row_no", pa.int64()),
        ("source_key", pa.string()),
        ("source_id", pa.string()),
        ("x", pa.float64()),
        ("y", pa.float64()),
        ("srid", pa.int32()),
        ("occurred_at", pa.timestamp("us", tz="UTC")),
        ("month", pa.date32()),
        ("category", pa.string()),
        ("original_category", pa.string()),
        ("reported_block_code", pa.string()),
    ]
)
COLUMNS = (
    "area_id", "geom", "occurred_at", "month", "category", "original_category",
    "source_dataset", "source_id", "source_key", "precision", "reported_block_code", "block_id",
    "import_job_id",
)  # fmt: skip
STAGING = "import_crime_staging"
# Rows a reader hands over at a time: big enough for arrow and numpy to pay off, small
# enough to keep memory flat.
BATCH_ROWS = 20_000
# One round trip per batch of projected points; PostGIS does the transformation, as it did
# when the rows were transformed in the INSERT.
TO_LONLAT = """
SELECT ST_X(g), ST_Y(g) FROM (
    SELECT ST_Transform(ST_SetSRID(ST_MakePoint(x, y), %s), 4326) AS g, n
    FROM unnest(%s::float8[], %s::float8[]) WITH ORDINALITY AS t(x, y, n)
) q ORDER BY n
"""
# EWKB of a lon/lat point: little-endian, type Point with the SRID flag, SRID 4326, x, y.
EWKB_POINT = np.dtype(
    [("order", "u1"), ("type", "<u4"), ("srid", "<u4"), ("x", "<f8"), ("y", "<f8")]
)


def rows_to_batch(rows: list[tuple]) -> pa.Table:
    """A batch from row tuples in BATCH_SCHEMA's order (occurred_at a datetime or None)."""
    columns = list(zip(*rows, strict=True))
    return pa.table(
        [pa.array(values, type=f.type) for values, f in zip(columns, BATCH_SCHEMA, strict=True)],
        schema=BATCH_SCHEMA,
    )


def batched(rows: Iterator[tuple], size: int = BATCH_ROWS) -> Iterator[pa.Table]:
    """Batches of `size` row tuples (the last one shorter)."""
    while chunk := list(itertools.islice(rows, size)):
        yield rows_to_batch(chunk)


def ewkb(x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """EWKB of lon/lat points, one row of bytes per point."""
    points = np.empty(len(x), dtype=EWKB_POINT)
    points["order"], points["type"], points["srid"] = 1, 0x20000001, 4326
    points["x"], points["y"] = x, y
    return points.view(np.uint8).reshape(len(x), EWKB_POINT.itemsize)


def key_digests(keys: pa.Array) -> np.ndarray:
    """The stored form of each deduplication key (layers.models.source_key_of), 16 bytes a
    row. The digest is inlined: a call per key would add a third to its 0.5 s per million."""
    md5 = hashlib.md5
    joined = b"".join(
        [md5(key, usedforsecurity=False).digest() for key in keys.cast(pa.binary()).to_pylist()]
    )
    return np.frombuffer(joined, dtype=np.uint8).reshape(len(keys), 16)


class Places:
    """Block, inside-a-block and outside-the-area per point, each distinct coordinate pair worked
    out once. police-uk coordinates are snap points: a force's history of a million incidents
    lies on some tens of thousands of them, so most points of a batch were placed before.
    Keeps at most `limit` pairs (sorted, as complex x + iy): sources whose points never repeat
    fill it and then cost a lookup per batch."""

    def __init__(self, blocks: BlockIndex, boundary, limit: int = 250_000):
        self.blocks, self.boundary, self.limit = blocks, boundary, limit
        self.known = np.empty(0, dtype=np.complex128)
        self.block_id = np.empty(0, dtype=np.int64)
        self.inside = np.empty(0, dtype=bool)
        self.outside = np.empty(0, dtype=bool)

    def place(self, x: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(block id or −1, inside a block, outside the area) per point."""
        pairs, of_point = np.unique(x + 1j * y, return_inverse=True)
        at = np.searchsorted(self.known, pairs)
        hit = at < len(self.known)
        hit[hit] = self.known[at[hit]] == pairs[hit]
        block_id = np.empty(len(pairs), dtype=np.int64)
        inside = np.empty(len(pairs), dtype=bool)
        outside = np.empty(len(pairs), dtype=bool)
        block_id[hit], inside[hit] = self.block_id[at[hit]], self.inside[at[hit]]
        outside[hit] = self.outside[at[hit]]
        new = np.flatnonzero(~hit)
        if len(new):
            nx, ny = pairs[new].real, pairs[new].imag
            block_id[new], inside[new] = self.blocks.place(shapely.points(nx, ny))
            outside[new] = (
                ~shapely.intersects_xy(self.boundary, nx, ny)
                if self.boundary is not None
                else False
            )
            self._remember(pairs[new], at[new], block_id[new], inside[new], outside[new])
        return block_id[of_point], inside[of_point], outside[of_point]

    def _remember(self, pairs, at, block_id, inside, outside) -> None:
        if len(self.known) + len(pairs) > self.limit:
            return
        # `at` is where each new pair goes in the sorted arrays; pairs come sorted.
        self.known = np.insert(self.known, at, pairs)
        self.block_id = np.insert(self.block_id, at, block_id)
        self.inside = np.insert(self.inside, at, inside)
        self.outside = np.insert(self.outside, at, outside)


class CrimeWriter:
    """Use as a context manager: add() batches, then finish() → (imported, duplicates)."""

    def __init__(
        self,
        *,
        area,
        dataset: str,
        precision: str,
        streaming: bool = False,
        job_id: int | None = None,
    ):
        self.first_load = None
        self.how = "insert into the populated area"
        if partitions.crime_partition_claim_empty(area_id=area.pk):
            self.first_load = partitions.FirstLoad(area_id=area.pk)
            self.table = self.first_load.table
            self._raw = self.first_load.copy_connection
        else:
            self.table = STAGING
            self._raw = connection.connection
            names = ", ".join(COLUMNS)
            with connection.cursor() as cursor:
                cursor.execute(f"DROP TABLE IF EXISTS {STAGING}")
                cursor.execute(
                    f"CREATE TEMP TABLE {STAGING} ON COMMIT DROP AS "  # noqa: S608 -- constants
                    f"SELECT {names} FROM {partitions.PARENT} WITH NO DATA"
                )
        boundary = None
        if area.boundary:
            boundary = shapely.from_wkb(bytes(area.boundary.wkb))
            shapely.prepare(boundary)
        self.places = Places(BlockIndex.of_area(area), boundary)
        self.staged = self.outside = self.inside = self.snapped = 0
        # A table made in the COPY's transaction can take its rows frozen: readers after the
        # commit then need no commit-status lookups, and vacuum has nothing to freeze.
        freeze = ", FREEZE" if self.first_load else ""
        self._statement = (
            f"COPY {self.table} ({', '.join(COLUMNS)}) FROM STDIN (FORMAT binary{freeze})"
        )
        self._constants = {
            "area_id": pgcopy.constant(int(area.pk).to_bytes(8, "big")),
            "source_dataset": pgcopy.constant(dataset.encode()),
            "precision": pgcopy.constant(precision.encode()),
            # The import storing the rows (a row found again later stays its first import's).
            "import_job_id": pgcopy.NULL
            if job_id is None
            else pgcopy.constant(int(job_id).to_bytes(8, "big")),
        }
        self._error: BaseException | None = None
        self._thread = None
        if streaming:
            # One COPY for the whole file, fed by a thread while the main thread parses the
            # next batch; only sources already in lon/lat (into a populated area, batches
            # needing PostGIS to transform them would wait for the connection the COPY holds).
            self._queue: queue.Queue = queue.Queue(maxsize=2)
            self._thread = threading.Thread(target=self._run, name="crime-writer", daemon=True)
            self._thread.start()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self._stop()
        if self.first_load is not None:
            self.first_load.close()

    def add(self, batch: pa.Table) -> None:
        if self._error is not None:
            raise self._error
        if not batch.num_rows:
            return
        text = self._rendered(batch)
        self.staged += batch.num_rows
        if self._thread is None:
            with self._raw.cursor() as cursor, cursor.copy(self._statement) as copy:
                copy.write(pgcopy.SIGNATURE)
                copy.write(text)
                copy.write(pgcopy.TRAILER)
        else:
            self._queue.put(text)

    def _stop(self) -> None:
        if self._thread is not None and self._thread.is_alive():
            self._queue.put(None)
            self._thread.join()

    def _run(self) -> None:
        ended = False  # the main thread's end mark (None) has been taken from the queue
        try:
            with self._raw.cursor() as cursor, cursor.copy(self._statement) as copy:
                copy.write(pgcopy.SIGNATURE)
                while (text := self._queue.get()) is not None:
                    copy.write(text)
                ended = True
                copy.write(pgcopy.TRAILER)
        except BaseException as error:  # handed to the main thread
            self._error = error
            # Drain what the main thread still puts, up to its end mark (the import fails
            # anyway). The server may refuse a row only as the COPY ends, after the mark was
            # taken: waiting for another one then hung the import for good.
            while not ended and self._queue.get() is not None:
                pass

    def _lonlat(self, batch: pa.Table) -> tuple[np.ndarray, np.ndarray]:
        x = batch.column("x").to_numpy()
        y = batch.column("y").to_numpy()
        srid = batch.column("srid").to_numpy()
        if (srid == 4326).all():
            return x, y
        x, y = x.copy(), y.copy()
        for code in np.unique(srid[srid != 4326]).tolist():
            at = np.flatnonzero(srid == code)
            with connection.connection.cursor() as cursor:
                cursor.execute(TO_LONLAT, (code, x[at].tolist(), y[at].tolist()))
                x[at], y[at] = np.array(cursor.fetchall(), dtype=np.float64).T
        return x, y

    def _rendered(self, batch: pa.Table) -> memoryview:
        """The batch's rows in binary COPY format, with lon/lat geometry and block."""
        x, y = self._lonlat(batch)
        block_id, inside, outside = self.places.place(x, y)
        self.inside += int(inside.sum())
        self.snapped += int((block_id >= 0).sum() - inside.sum())
        self.outside += int(outside.sum())

        def column(name: str) -> pa.Array:
            return batch.column(name).combine_chunks()

        return pgcopy.rows(
            [
                self._constants["area_id"],
                pgcopy.bytes_cells(ewkb(x, y)),
                pgcopy.timestamptz_cells(column("occurred_at")),
                pgcopy.date_cells(column("month").cast(pa.int32()).to_numpy()),
                pgcopy.text_cells(column("category")),
                pgcopy.text_cells(column("original_category")),
                self._constants["source_dataset"],
                pgcopy.text_cells(column("source_id")),
                pgcopy.bytes_cells(key_digests(column("source_key"))),
                self._constants["precision"],
                pgcopy.text_cells(column("reported_block_code")),
                pgcopy.int8_cells(block_id, null=block_id < 0),
                self._constants["import_job_id"],
            ]
        )

    def copy_end(self) -> None:
        """Ends the writing: every row is sent, and the import's connection is free for other
        statements again (a streaming COPY into a populated area holds it until then, and a
        statement meanwhile would wait for it for good); raises what the writing met."""
        self._stop()
        if self._error is not None:
            raise self._error

    def finish(self) -> tuple[int, int]:
        """Ends the writing and stores the rows: (imported, duplicates)."""
        self.copy_end()
        if self.first_load is not None:
            duplicates = self.first_load.attach()
            if duplicates is not None:
                self.how = "first load: partition built and attached" + (
                    " (rows committed apart, indexes built on two connections)"
                    if self.first_load.side is not None
                    else ""
                )
                return self.staged - duplicates, duplicates
            self.how = (
                "first load: partition built, but the crime table stayed busy, so the rows "
                "were inserted into the empty partition"
            )
        names = ", ".join(COLUMNS)
        with connection.cursor() as cursor:
            cursor.execute(
                f"INSERT INTO {partitions.PARENT} ({names}) SELECT {names} FROM {self.table}"  # noqa: S608
                " ON CONFLICT (area_id, source_key) DO NOTHING"
            )
            imported = cursor.rowcount
            cursor.execute(f"DROP TABLE {self.table}")
        return imported, self.staged - imported
