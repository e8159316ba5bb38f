"""The crime table's partitions: one per area (LIST on area_id, migration 0007). There is no
default partition: attaching a partition would lock it, and with it every statement that picks
its area's partition only when it runs (the tile statements), until the area's creation commits.

A first load into an area (its partition empty) is written into a standalone table with no index,
indexed once all rows are in (a sorted GiST build and B-tree sorts take seconds where keeping the
indexes up to date row by row took half a minute per million rows), then attached in place of
the empty partition by the import's transaction (FirstLoad). Table names come from integer area
ids only; nothing here is formatted from user input.
"""

import logging
import threading

import psycopg
from django.db import IntegrityError, OperationalError, connection, transaction
from psycopg import errors

PARENT = "layers_crimeincident"
logger = logging.getLogger(__name__)


def partition_name(area_id: int) -> str:
    return f"layers_crimeincident_a{int(area_id)}"


def load_table_name(area_id: int) -> str:
    return f"layers_crimeincident_a{int(area_id)}_load"


def _exists(cursor, table: str) -> bool:
    cursor.execute("SELECT to_regclass(%s) IS NOT NULL", [table])
    return cursor.fetchone()[0]


def crime_partition_ensure(*, area_id: int) -> None:
    """Give the area its own partition if it has none (areas get theirs when created)."""
    name = partition_name(area_id)
    with connection.cursor() as cursor:
        if _exists(cursor, name):
            return
        # Created apart and attached rather than CREATE … PARTITION OF, which would lock the
        # whole crime table against readers until the area's transaction commits.
        cursor.execute(
            f"CREATE TABLE {name} (LIKE {PARENT} INCLUDING DEFAULTS INCLUDING CONSTRAINTS,"
            f" CHECK (area_id = {int(area_id)}))"
        )
        cursor.execute(
            f"ALTER TABLE {PARENT} ATTACH PARTITION {name} FOR VALUES IN ({int(area_id)})"
        )


def crime_partition_claim_empty(*, area_id: int) -> bool:
    """Lock the area's partition against other writers until the transaction ends and say
    whether it is empty, i.e. whether this import may build it afresh. Readers are not held up.
    """
    crime_partition_ensure(area_id=area_id)
    name = partition_name(area_id)
    with connection.cursor() as cursor:
        cursor.execute(f"LOCK TABLE {name} IN SHARE ROW EXCLUSIVE MODE")
        cursor.execute(f"SELECT NOT EXISTS (SELECT 1 FROM {name})")  # noqa: S608
        return cursor.fetchone()[0]


def side_connection() -> psycopg.Connection:
    """A second connection to the database, whose work commits apart from the import's."""
    return psycopg.connect(**connection.get_connection_params())


def _drop_duplicate_keys(cursor, table: str) -> int:
    """Rows whose source key an earlier row of the same file had: the first one stays, as an
    INSERT … ON CONFLICT DO NOTHING in file order would keep it."""
    cursor.execute(
        f"DELETE FROM {table} d USING {table} k"  # noqa: S608
        " WHERE d.source_key = k.source_key AND d.id > k.id"
    )
    return cursor.rowcount


# The swap waits at most this long for its exclusive lock on the crime table (a long analysis
# reading crime holds it off): every reader arriving meanwhile queues behind the swap.
SWAP_LOCK_TIMEOUT_MS = 2000
INDEX_MEMORY = "256MB"


# How long the side connection waits to create its table: the crime table it copies is held by
# an earlier import's swap until that commits, and always by this transaction once it swapped
# (several imports in one transaction, as in tests). Past this, all is done on the import's own
# connection.
SIDE_LOCK_TIMEOUT_MS = 1000
SIDE_INDEX_LOCK_TIMEOUT_MS = 30_000


class FirstLoad:
    """The rows of a first load, in a standalone table written on a connection of its own.

    The side connection creates the table and COPYs the rows into it in one transaction (so
    they go in frozen) and commits once all are in. The import's transaction then builds the
    B-tree indexes while the side connection builds the GiST one: a GiST build uses one core,
    and together they take about half the time one after the other does. Only the import's
    transaction attaches the table to the crime table, so readers see the rows when it commits
    and never before. A failed import drops the table (`load_table_discard`); one whose process
    died leaves it to the next first load into the area, which starts by dropping it.

    When the side connection cannot have its table at once, the table is made, filled and
    indexed in the import's own transaction, one index after the other (`side` is None).
    """

    def __init__(self, *, area_id: int):
        self.area_id = int(area_id)
        self.table = load_table_name(area_id)
        self.side = _side_table(self.table, self.area_id)
        if self.side is None:
            with connection.cursor() as cursor:
                cursor.execute(f"DROP TABLE IF EXISTS {self.table}")
                cursor.execute(_create_statement(self.table, self.area_id))

    @property
    def copy_connection(self) -> psycopg.Connection:
        """The connection the rows are to be COPYed on."""
        return self.side if self.side is not None else connection.connection

    def close(self) -> None:
        """Give up the side connection; rows not yet committed are gone with it."""
        if self.side is not None and not self.side.closed:
            self.side.rollback()
            self.side.close()

    def attach(self) -> int | None:
        """Commit the rows, index them and put the table in place of the area's empty
        partition; return how many duplicate rows were dropped, or None when the swap's lock
        was not granted in time and the caller is to insert the rows of the table instead.
        The swap holds an exclusive lock on the crime table until the transaction ends, so it
        comes last."""
        # The GiST build (one core) and the B-tree builds (parallel sorts) take about as long.
        side_indexes = [
            f"CREATE INDEX ON {self.table} USING gist (geom)",
            f"CREATE INDEX ON {self.table} (block_id)",
            # One value in every row of a first load: deduplicated, the smallest of the builds.
            f"CREATE INDEX ON {self.table} (import_job_id)",
        ]
        with connection.cursor() as cursor:
            cursor.execute("SELECT txid_current()")
            stem = f"{self.table}_{cursor.fetchone()[0]}"
            cursor.execute(f"SET LOCAL maintenance_work_mem = '{INDEX_MEMORY}'")
            if self.side is None:
                for statement in side_indexes:
                    cursor.execute(statement)
                unique = self._btrees(cursor, stem)
            else:
                self.side.commit()
                background = _Background(self.side, side_indexes)
                try:
                    unique = self._btrees(cursor, stem)
                finally:
                    background.join()
                self.side.close()
            duplicates = 0
            if not unique:
                # Deleting takes a lock the side's index builds wait for, and they hold this
                # transaction's thread: so only now, once they are done.
                duplicates = _drop_duplicate_keys(cursor, self.table)
                cursor.execute(self._unique_statement(stem))
            cursor.execute(
                f"ALTER TABLE {self.table} ADD PRIMARY KEY USING INDEX {stem}_pkey,"
                f" ADD UNIQUE USING INDEX {stem}_key"
            )
            if not _swap(cursor, self.area_id, self.table):
                return None
        return duplicates

    def _btrees(self, cursor, stem: str) -> bool:
        """The B-tree indexes, built as plain indexes (a GiST build under way on the same table
        holds off ALTER TABLE) and made the table's keys afterwards; False when the source key
        index could not be built because a key occurs twice."""
        cursor.execute(f"CREATE UNIQUE INDEX {stem}_pkey ON {self.table} (id, area_id)")
        cursor.execute(f"CREATE INDEX ON {self.table} (area_id, month)")
        try:
            with transaction.atomic():
                cursor.execute(self._unique_statement(stem))
        except IntegrityError:
            return False
        return True

    def _unique_statement(self, stem: str) -> str:
        return f"CREATE UNIQUE INDEX {stem}_key ON {self.table} (source_key, area_id)"


def _create_statement(table: str, area_id: int) -> str:
    # Accepts only the area's rows, so attaching it needs no scan.
    return (
        f"CREATE TABLE {table} (LIKE {PARENT} INCLUDING DEFAULTS INCLUDING CONSTRAINTS,"
        f" CHECK (area_id = {int(area_id)}))"
    )


def _side_table(table: str, area_id: int) -> psycopg.Connection | None:
    """A side connection in a transaction that has just created the empty `table`, or None."""
    side = side_connection()
    try:
        with side.cursor() as cursor:
            cursor.execute(f"SET LOCAL lock_timeout = {int(SIDE_LOCK_TIMEOUT_MS)}")
            cursor.execute(f"DROP TABLE IF EXISTS {table}")
            cursor.execute(_create_statement(table, area_id))
            cursor.execute("SET LOCAL lock_timeout TO DEFAULT")
    except errors.LockNotAvailable:
        side.close()
        return None
    except BaseException:
        side.close()
        raise
    return side


class _Background(threading.Thread):
    """Statements run and committed on the side connection while the caller goes on."""

    def __init__(self, side: psycopg.Connection, statements: list[str]):
        super().__init__(name="crime-index", daemon=True)
        self.side, self.statements = side, statements
        self.error: BaseException | None = None
        self.start()

    def run(self) -> None:
        try:
            with self.side.cursor() as cursor:
                cursor.execute(f"SET maintenance_work_mem = '{INDEX_MEMORY}'")
                # The import's thread waits for this one: a lock held by its own transaction
                # would never be released, so fail rather than wait for ever.
                cursor.execute(f"SET lock_timeout = {int(SIDE_INDEX_LOCK_TIMEOUT_MS)}")
                for statement in self.statements:
                    cursor.execute(statement)
            self.side.commit()
        except BaseException as error:  # raised by join(), in the caller's thread
            self.error = error

    def join(self, timeout=None) -> None:
        super().join(timeout)
        if self.error is not None:
            raise self.error


def _swap(cursor, area_id: int, table: str) -> bool:
    """Drop the area's empty partition and attach `table` in its place; False when the lock
    on the crime table was not granted within SWAP_LOCK_TIMEOUT_MS."""
    try:
        with transaction.atomic():
            cursor.execute(f"SET LOCAL lock_timeout = {int(SWAP_LOCK_TIMEOUT_MS)}")
            cursor.execute(f"DROP TABLE {partition_name(area_id)}")
            cursor.execute(
                f"ALTER TABLE {PARENT} ATTACH PARTITION {table} FOR VALUES IN ({int(area_id)})"
            )
            cursor.execute(f"ALTER TABLE {table} RENAME TO {partition_name(area_id)}")
            cursor.execute("SET LOCAL lock_timeout TO DEFAULT")
    except OperationalError as error:
        if not isinstance(error.__cause__, errors.LockNotAvailable):
            raise
        return False
    return True


def load_table_discard(*, area_id: int) -> None:
    """Drop the table of a first load that failed after its rows were committed. Called once
    the import's transaction has ended; a lock that still holds it leaves it to the next first
    load into the area. Best effort: it runs while the import's own error is being reported."""
    try:
        with side_connection() as side, side.cursor() as cursor:
            cursor.execute("SET lock_timeout = 5000")
            cursor.execute(f"DROP TABLE IF EXISTS {load_table_name(area_id)}")
    except psycopg.Error:
        logger.warning("Could not drop %s; the next first load will.", load_table_name(area_id))


def crime_partition_drop(*, area_id: int) -> None:
    """Drop a deleted area's partition, if the area is gone and the partition empty."""
    name = partition_name(area_id)
    with transaction.atomic(), connection.cursor() as cursor:
        if not _exists(cursor, name):
            return
        cursor.execute(
            f"SELECT NOT EXISTS (SELECT 1 FROM {name})"  # noqa: S608
            " AND NOT EXISTS (SELECT 1 FROM geo_area WHERE id = %s)",
            [area_id],
        )
        if cursor.fetchone()[0]:
            cursor.execute(f"DROP TABLE {name}")
