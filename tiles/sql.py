"""The SQL of the vector tiles: one statement per tile, PostGIS is the engine. (A request
holding an ETag first runs the layer's revalidation statement, steps 1–3 alone; see
_revalidation.)

Every statement does, in this order and in one round trip:

1. find the requester (a token header's user, checked as DRF does, or the session's user the
   view binds), the area by slug and the requester's role in it,
2. map (role, published, superuser) to the layer's *mode* with a table the view builds from
   geo.access (so the permission rule stays in one place; SQL only looks the role up),
3. compute the ETag from the layer's data versions (and, for blocks, the run shown: the pinned or
   else the latest finished one),
4. build the tile with ST_AsMVT only if the mode allows it and the ETag is not one the client
   already holds. Index conditions read the envelope through a scalar subquery of `go` (an
   InitPlan): PostgreSQL then probes the GiST index with it, and finds nothing at once when
   `go` is empty, instead of scanning the area's rows before joining an empty `go`.

It returns one row (token_error, mode, etag, the area's kinds when a kind asked for is not one of
them, the walk ids asked for that are not walks of the area, tile, then the session cookie's user
id, password hash and session data for the view's check); the mode is hidden for an unknown slug.
The tile envelope is transformed to the storage SRID 4326 so the GiST indexes on the geometry
columns are used; geometries are only transformed to Web Mercator for the few features inside
the tile.

Parameters are always bound, never formatted; the statements are assembled from constants here
(MVT_GEOM(column) in a body stands for the shared simplify/transform/clip expression, MVT_GEOM_3857
(column) for the same of a column already in Web Mercator).
"""

import re

# The first CTEs shared by every layer; RUN is spliced in for the blocks layer only.
_AREA = """
WITH token_user AS (
    SELECT u.id, u.is_superuser, u.is_active
    FROM authtoken_token t JOIN auth_user u ON u.id = t.user_id
    WHERE t.key = %(token)s
),
cookie_user AS (
    -- A session cookie's user (accounts.Session names it): unexpired and active, as Django's
    -- session and model backend require. The view still checks the session's data and auth
    -- hash, which only Python can, before it uses the answer (tiles/auth.py).
    SELECT u.id, u.is_superuser, u.password, s.session_data
    FROM accounts_session s JOIN auth_user u ON u.id = s.user_id
    WHERE s.session_key = %(session)s AND s.expire_date > now() AND u.is_active
),
requester AS (
    -- A token header's user (DRF's rule: unknown or inactive is an error), else the session
    -- cookie's, else the user the view binds (a request through Django's middleware).
    SELECT CASE WHEN %(token)s::text IS NOT NULL THEN (SELECT id FROM token_user WHERE is_active)
                WHEN %(session)s::text IS NOT NULL THEN (SELECT id FROM cookie_user)
                ELSE %(user)s::integer END AS user_id,
           CASE WHEN %(token)s::text IS NOT NULL
                THEN coalesce((SELECT is_superuser FROM token_user WHERE is_active), false)
                WHEN %(session)s::text IS NOT NULL
                THEN coalesce((SELECT is_superuser FROM cookie_user), false)
                ELSE %(superuser)s::boolean END AS superuser,
           CASE WHEN %(token)s::text IS NULL THEN NULL
                WHEN NOT EXISTS (SELECT FROM token_user) THEN 'Invalid token.'
                WHEN NOT (SELECT is_active FROM token_user) THEN 'User inactive or deleted.'
           END AS token_error
),
area AS (
    SELECT a.id, a.published, a.analysis_srid, requester.superuser, requester.token_error,
           -- A lon/lat box that surely holds the snap distance anywhere in the area (only an
           -- index pre-filter, as in layers/assignment.py; distances are then metric).
           1.05 * %(snap)s / 110574.0 AS dlat,
           1.05 * %(snap)s / (111320.0 * cos(radians(least(
               greatest(abs(coalesce(ST_YMin(a.boundary), -80)),
                        abs(coalesce(ST_YMax(a.boundary), 80))) + 1.0, 89.0)))) AS dlon,
           (SELECT m.role FROM geo_membership m
             WHERE m.area_id = a.id AND m.user_id = requester.user_id) AS role
    FROM requester
    LEFT JOIN geo_area a ON a.slug = %(slug)s
),
"""

_RUN = """
run AS (
    SELECT r.id
    FROM layers_analysisrun r
    JOIN area ON r.area_id = area.id
    WHERE r.status = 'done'
    ORDER BY r.pinned DESC, r.finished_at DESC NULLS LAST, r.id DESC
    LIMIT 1
),
"""

_META = """
meta AS (
    SELECT area.id AS area_id, area.analysis_srid AS srid, area.dlat, area.dlon,
           area.token_error,
           CASE WHEN area.token_error IS NULL THEN coalesce(p.mode, 'hidden') ELSE 'hidden' END
               AS mode,
           md5(concat_ws('|', %(etag_base)s::text, p.mode, p.view,
               (SELECT string_agg(v.layer || '=' || v.version, ',' ORDER BY v.layer)
                  FROM geo_dataversion v
                 WHERE v.area_id = area.id AND v.layer = ANY(%(version_layers)s::text[])),
               {run_id}
           )) AS etag,
           {kinds_known} AS kinds_known,
           {walks_unknown} AS walks_unknown
    FROM area
    LEFT JOIN json_to_recordset(%(p_modes)s::json)
              AS p(role text, published boolean, superuser boolean, mode text, view text)
      ON p.role IS NOT DISTINCT FROM area.role AND p.published = area.published
     AND p.superuser = area.superuser
),
"""

# Kind codes asked for that the area does not have (the built-in kinds and its own): then the
# area's kinds, for the 400 that names them as the exports do (tiles.filters.check_kinds), and
# no tile; NULL when all are known or none asked. Only the layer that takes `kind` has it.
_KINDS_KNOWN = """
CASE WHEN EXISTS (
         SELECT FROM unnest(%(kinds)s::text[]) AS asked(code)
         WHERE NOT EXISTS (
             SELECT FROM walks_observationkind k
             WHERE k.code = asked.code AND (k.area_id IS NULL OR k.area_id = area.id)))
     THEN ARRAY(SELECT k.code FROM walks_observationkind k
                WHERE k.area_id IS NULL OR k.area_id = area.id)
END"""

# Walk ids asked for that are not walks of the area (another area's, or none): then those ids,
# for the exports' 400 that names them (tiles.filters.check_walks), and no tile; NULL when all
# are the area's or none asked. Whoever may see the layer sees every walk of the area on it
# (DESIGN), so this tells them nothing the tiles do not. Only the layers that take `walk`.
_WALKS_UNKNOWN = """
nullif(ARRAY(SELECT asked.id FROM unnest(%(walks)s::int[]) AS asked(id)
             WHERE NOT EXISTS (SELECT FROM walks_walk w
                               WHERE w.id = asked.id AND w.area_id = area.id)
             ORDER BY asked.id), '{}')"""

_GO = """
go AS (
    SELECT meta.area_id, meta.srid, meta.dlat, meta.dlon, meta.mode,
           ST_TileEnvelope(%(z)s, %(x)s, %(y)s) AS env,
           -- The buffered envelope clipped to the world first: at z1 its margin crosses the
           -- antimeridian, and transformed it wrapped round into an inverted box (empty tiles).
           ST_Transform(ST_ClipByBox2D(ST_TileEnvelope(%(z)s, %(x)s, %(y)s, margin => %(margin)s),
                                       ST_TileEnvelope(0, 0, 0)), 4326) AS env4326
    FROM meta
    WHERE meta.mode NOT IN ('hidden', 'forbidden')
      AND meta.kinds_known IS NULL
      AND meta.walks_unknown IS NULL
      AND meta.etag <> ALL(%(if_none_match)s::text[])
),
"""

# Geometries of lines and polygons are simplified by about a pixel below z15; ST_AsMVTGeom
# then snaps them to the 4096 grid with a 64-unit buffer.
_SIMPLIFIED = """
CASE WHEN %(simplify)s AND GeometryType({col}) NOT IN ('POINT', 'MULTIPOINT')
     THEN ST_Simplify({mercator}, %(tolerance)s, true)
     ELSE {mercator} END
"""


def _mvt_geom(match: re.Match) -> str:
    """MVT_GEOM(column) of a lon/lat column, MVT_GEOM_3857(column) of one in Web Mercator."""
    mercator = match[2] if match[1] else f"ST_Transform({match[2]}, 3857)"
    simplified = _SIMPLIFIED.format(col=match[2], mercator=mercator)
    return f"ST_AsMVTGeom({simplified}, go.env, 4096, 64, true)"


def _steps_1_to_3(*, with_run: bool, with_kinds: bool, with_walks: bool) -> str:
    """The CTEs up to and including `meta` (requester, area, role, mode, ETag, unknown kinds and
    walks)."""
    meta = _META.format(
        run_id="(SELECT id FROM run)::text" if with_run else "''",
        kinds_known=_KINDS_KNOWN if with_kinds else "NULL::text[]",
        walks_unknown=_WALKS_UNKNOWN if with_walks else "NULL::int[]",
    )
    return _AREA + (_RUN if with_run else "") + meta


# The last columns of every statement: what the view needs to check a session cookie's user.
_SESSION_CHECK = """
    (SELECT id FROM cookie_user), (SELECT password FROM cookie_user),
    (SELECT session_data FROM cookie_user)
FROM meta"""


def _statement(
    body: str,
    layer: str,
    *,
    with_run: bool = False,
    with_kinds: bool = False,
    with_walks: bool = False,
) -> str:
    tail = (
        "\nSELECT meta.token_error, meta.mode, meta.etag, meta.kinds_known, "  # noqa: S608
        f"meta.walks_unknown, (SELECT ST_AsMVT(f, '{layer}', 4096, 'geom', 'id') FROM features f"
        f" WHERE f.geom IS NOT NULL), {_SESSION_CHECK}"
    )
    body = re.sub(r"MVT_GEOM(_3857)?\(([a-z_.]+)\)", _mvt_geom, body)
    steps = _steps_1_to_3(with_run=with_run, with_kinds=with_kinds, with_walks=with_walks)
    return steps + _GO + body + tail


BLOCKS = _statement(
    """
features AS (
    SELECT b.id, b.code,
           nullif(r."class", '') AS class,
           r.crime_gi_bin,
           r.insecurity_gi_bin,
           r.insecurity_index,
           CASE WHEN go.mode = 'exact' THEN r.crime_value
                WHEN r.crime_count >= %(min_count)s
                -- scaled with the count rounded, as everywhere (layers.analysis.results)
                THEN r.crime_value * (round(r.crime_count::numeric / %(rounded_to)s)
                                      * %(rounded_to)s) / r.crime_count
           END AS crime_value,
           MVT_GEOM_3857(b.geom_mercator) AS geom
    FROM go
    JOIN geo_block b ON b.area_id = go.area_id AND b.geom && (SELECT env4326 FROM go)
    LEFT JOIN layers_blockresult r
      ON go.mode <> 'geometry' AND r.block_id = b.id AND r.run_id = (SELECT id FROM run)
)""",
    "blocks",
    with_run=True,
)

# Crime: exact points for analysts from CRIME_POINTS_MINZOOM; otherwise one point per block (on
# its surface) with the count of incidents assigned to it, exactly once, by the rule of
# layers/assignment.py (stored on each incident as block_id).
# Non-analysts never see a block with fewer than min_count incidents.
CRIME = _statement(
    """
incident AS NOT MATERIALIZED (
    SELECT c.id, c.geom, c.category, c.month, c.block_id
    FROM layers_crimeincident c
    WHERE c.area_id = (SELECT area_id FROM go)
      AND (%(date_from)s::date IS NULL OR c.month >= date_trunc('month', %(date_from)s::date))
      AND (%(date_to)s::date IS NULL OR c.month <= %(date_to)s::date)
      AND (%(categories)s::text[] IS NULL OR c.category = ANY(%(categories)s::text[]))
),
points AS (
    SELECT c.id, c.category, to_char(c.month, 'YYYY-MM') AS month, NULL::bigint AS count,
           ST_AsMVTGeom(ST_Transform(c.geom, 3857), go.env, 4096, 64, true) AS geom
    FROM go
    JOIN incident c ON c.geom && (SELECT env4326 FROM go)
    WHERE go.mode = 'points'
),
tile_block AS MATERIALIZED (
    SELECT b.id, b.geom
    FROM go
    JOIN geo_block b ON b.area_id = go.area_id AND b.geom && (SELECT env4326 FROM go)
    WHERE go.mode IN ('counts', 'suppressed')
),
block_count AS (
    -- Incidents carry their block by the exactly-once rule (layers.assignment, kept current by
    -- every import), so a block's count is an index lookup on the block id.
    SELECT c.block_id, count(*) AS n
    FROM tile_block t
    JOIN incident c ON c.block_id = t.id
    GROUP BY c.block_id
),
cells AS (
    SELECT t.id, NULL::text AS category, NULL::text AS month,
           -- rounded for those who may not see small counts (layers.analysis.results)
           CASE WHEN go.mode = 'counts' THEN k.n
                ELSE (round(k.n::numeric / %(rounded_to)s) * %(rounded_to)s)::bigint END AS count,
           ST_AsMVTGeom(ST_Transform(ST_PointOnSurface(t.geom), 3857), go.env, 4096, 64, true)
               AS geom
    FROM tile_block t
    JOIN block_count k ON k.block_id = t.id
    CROSS JOIN go
    WHERE k.n >= CASE WHEN go.mode = 'counts' THEN 1 ELSE %(min_count)s END
),
features AS (SELECT * FROM points UNION ALL SELECT * FROM cells)""",
    "crime",
)

OBSERVATIONS = _statement(
    """
features AS (
    SELECT o.id, k.code AS kind, o.severity, o.feeling,
           -- 1 for a problem followed up as fixed or as needing no action (drawn faded), none
           -- otherwise: a safe place is recorded, not acted on (as the follow_up filter).
           CASE WHEN NOT k.positive AND o.follow_up IN ('fixed', 'no_action') THEN 1 END AS settled,
           MVT_GEOM(o.geom) AS geom
    FROM go
    JOIN walks_observation o ON o.geom && (SELECT env4326 FROM go)
    JOIN walks_walk w ON w.id = o.walk_id AND w.area_id = go.area_id
    JOIN walks_observationkind k ON k.id = o.kind_id
    WHERE (%(time_from)s::timestamptz IS NULL OR o.captured_at >= %(time_from)s::timestamptz)
      AND (%(time_to)s::timestamptz IS NULL OR o.captured_at < %(time_to)s::timestamptz)
      AND (%(kinds)s::text[] IS NULL OR k.code = ANY(%(kinds)s::text[]))
      AND (%(light)s::text IS NULL OR w.light = %(light)s::text)
      AND (%(follow_ups)s::text[] IS NULL
           OR (NOT k.positive AND o.follow_up = ANY(%(follow_ups)s::text[])))
      AND (%(walks)s::int[] IS NULL OR o.walk_id = ANY(%(walks)s::int[]))
)""",
    "observations",
    with_kinds=True,
    with_walks=True,
)

WALKS = _statement(
    """
features AS (
    SELECT w.id, w.light, w.status, MVT_GEOM(w.route) AS geom
    FROM go
    JOIN walks_walk w ON w.area_id = go.area_id AND w.route && (SELECT env4326 FROM go)
    -- A walk is in the period when its time span overlaps it, as in the exports.
    WHERE (%(time_from)s::timestamptz IS NULL
           OR coalesce(w.ends_at, w.starts_at) >= %(time_from)s::timestamptz)
      AND (%(time_to)s::timestamptz IS NULL OR w.starts_at < %(time_to)s::timestamptz)
      AND (%(light)s::text IS NULL OR w.light = %(light)s::text)
      AND (%(walks)s::int[] IS NULL OR w.id = ANY(%(walks)s::int[]))
)""",
    "walks",
    with_walks=True,
)

LAMPS = _statement(
    """
features AS (
    SELECT l.id, l.status,
           ST_AsMVTGeom(ST_Transform(l.geom, 3857), go.env, 4096, 64, true) AS geom
    FROM go
    JOIN layers_lamp l ON l.area_id = go.area_id AND l.geom && (SELECT env4326 FROM go)
)""",
    "lamps",
)


def _revalidation(*, with_run: bool, with_kinds: bool, with_walks: bool) -> str:
    """Steps 1–3 alone, for a request holding an ETag: (token_error, mode, etag, kinds_known,
    walks_unknown, NULL, then the session columns). The blocks, observations and crime tile
    statements are planned afresh on every execution (PostgreSQL keeps choosing custom plans,
    1–1.5 ms of planning each); this statement is a fraction of their size. Only when the held
    ETag turns out stale does the tile statement follow."""
    return (
        _steps_1_to_3(with_run=with_run, with_kinds=with_kinds, with_walks=with_walks)
        .rstrip()
        .rstrip(",")
        + "\nSELECT meta.token_error, meta.mode, meta.etag, meta.kinds_known,"
        + " meta.walks_unknown, NULL::bytea,"
        + _SESSION_CHECK
    )


STATEMENTS = {
    "blocks": BLOCKS,
    "crime": CRIME,
    "observations": OBSERVATIONS,
    "walks": WALKS,
    "lamps": LAMPS,
}

REVALIDATIONS = {
    layer: _revalidation(
        with_run=layer == "blocks",
        with_kinds=layer == "observations",
        with_walks=layer in ("observations", "walks"),
    )
    for layer in STATEMENTS
}
