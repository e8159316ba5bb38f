"""The crime table's partitions: one per area (LIST on area_id, migration 0007). There is no
default partition: attaching a partition would lock it, and with it every statement that picks
its area's partition only when it runs (the tile statements), until the area's creation commits.

A first load into an area (its partition empty) is written into a standalone table with no index,
indexed once all rows are in (a sorted GiST build and B-tree sorts take seconds where keeping six
indexes up to date row by row took half a minute per million rows), then attached in place of
the empty partition, all in the import's transaction. Table names come from integer area ids
only; nothing here is formatted from user input.
"""

from django.db import IntegrityError, OperationalError, connection, transaction
from psycopg import errors

PARENT = "layers_crimeincident"


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


def load_table_create(*, area_id: int) -> str:
    """A standalone table shaped like the crime table, without indexes, that accepts only the
    area's rows (so attaching it needs no scan)."""
    table = load_table_name(area_id)
    with connection.cursor() as cursor:
        cursor.execute(f"DROP TABLE IF EXISTS {table}")
        cursor.execute(
            f"CREATE TABLE {table} (LIKE {PARENT} INCLUDING DEFAULTS INCLUDING CONSTRAINTS,"
            f" CHECK (area_id = {int(area_id)}))"
        )
    return table


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


def load_table_attach(*, area_id: int, table: str) -> int | None:
    """Index the loaded table, put it in place of the area's empty partition and return how
    many duplicate rows were dropped; None when the swap's lock was not granted in time, and the
    caller is to insert the rows of `table` instead. The swap holds an exclusive lock on the
    crime table until the transaction ends, so it comes last."""
    duplicates = 0
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL maintenance_work_mem = '256MB'")
        cursor.execute(f"ALTER TABLE {table} ADD PRIMARY KEY (id, area_id)")
        try:
            with transaction.atomic():
                cursor.execute(f"ALTER TABLE {table} ADD UNIQUE (area_id, source_key)")
        except IntegrityError:
            duplicates = _drop_duplicate_keys(cursor, table)
            cursor.execute(f"ALTER TABLE {table} ADD UNIQUE (area_id, source_key)")
        cursor.execute(f"CREATE INDEX ON {table} (area_id, month)")
        cursor.execute(f"CREATE INDEX ON {table} (block_id)")
        cursor.execute(f"CREATE INDEX ON {table} USING gist (geom)")
        name = partition_name(area_id)
        try:
            with transaction.atomic():
                cursor.execute(f"SET LOCAL lock_timeout = {int(SWAP_LOCK_TIMEOUT_MS)}")
                cursor.execute(f"DROP TABLE {name}")
                cursor.execute(
                    f"ALTER TABLE {PARENT} ATTACH PARTITION {table} FOR VALUES IN ({int(area_id)})"
                )
                cursor.execute(f"ALTER TABLE {table} RENAME TO {name}")
                cursor.execute("SET LOCAL lock_timeout TO DEFAULT")
        except OperationalError as error:
            if not isinstance(error.__cause__, errors.LockNotAvailable):
                raise
            return None
    return duplicates


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
