"""The raw SQL of the walks app: the idempotent batch insert PostGIS does best.

One statement stores a whole batch. `ON CONFLICT (client_id) DO NOTHING` lets the unique index
decide which of two concurrent identical batches stores a row, so there is no window between
"does it exist?" and "insert it" in which both could insert.

The rows go in in client_id order. A row that meets another transaction's uncommitted row with
the same client_id waits for that transaction; a retry sent while its first attempt is still
running, with its items in another order, would otherwise wait for the first attempt while the
first waits for it (a deadlock, which PostgreSQL ends by failing one of them). In one global order
no transaction can wait for a row before one it already holds.
"""

from django.db import connection

INSERT_OBSERVATIONS = """
    INSERT INTO walks_observation (
        walk_id, author_id, kind_id, geom, severity, feeling, note, captured_at, accuracy_m,
        client_id, created_at
    )
    SELECT %s, %s, item.kind_id, ST_GeomFromEWKB(item.geom), item.severity, item.feeling,
           item.note, item.captured_at, item.accuracy_m, item.client_id, now()
    FROM unnest(
        %s::bigint[], %s::bytea[], %s::smallint[], %s::smallint[], %s::text[],
        %s::timestamptz[], %s::double precision[], %s::uuid[]
    ) AS item(kind_id, geom, severity, feeling, note, captured_at, accuracy_m, client_id)
    ORDER BY item.client_id
    ON CONFLICT (client_id) DO NOTHING
    RETURNING client_id, id
"""

STORED_BY_CLIENT_ID = """
    SELECT client_id, id, walk_id FROM walks_observation WHERE client_id = ANY(%s::uuid[])
"""


WALK_HOLD = "SELECT 1 FROM walks_walk WHERE id = %s FOR KEY SHARE"


def walk_hold(walk_id: int) -> bool:
    """Whether the walk still exists, holding it so until the transaction ends. KEY SHARE is
    what the findings' foreign key takes anyway: concurrent syncs do not wait for each other,
    a deletion (walks.services.walk_delete locks the walk FOR UPDATE) waits for them. Without
    it, a sync racing the deletion failed on the foreign key at its commit (a 409)."""
    with connection.cursor() as cursor:
        cursor.execute(WALK_HOLD, [walk_id])
        return cursor.fetchone() is not None


def observations_insert(*, walk_id: int, author_id: int | None, items) -> dict:
    """Insert the items that are not stored yet; {client_id: new id} of those inserted."""
    if not items:
        return {}
    with connection.cursor() as cursor:
        cursor.execute(
            INSERT_OBSERVATIONS,
            [
                walk_id,
                author_id,
                [i.kind.pk for i in items],
                [i.ewkb for i in items],
                [i.severity for i in items],
                [i.feeling for i in items],
                [i.note for i in items],
                [i.captured_at for i in items],
                [i.accuracy_m for i in items],
                [i.client_id for i in items],
            ],
        )
        return dict(cursor.fetchall())


def observations_stored(client_ids) -> dict:
    """{client_id: (id, walk_id)} for those already stored."""
    if not client_ids:
        return {}
    with connection.cursor() as cursor:
        cursor.execute(STORED_BY_CLIENT_ID, [list(client_ids)])
        return {client_id: (pk, walk_id) for client_id, pk, walk_id in cursor.fetchall()}
