"""Crime incidents counted per block for the export layers: one join of each block to its
count, which Django's ORM cannot write by itself (layers.exports.definitions, `_crime_blocks`)."""

from django.db.models import Count, IntegerField, QuerySet
from django.db.models.expressions import Expression
from django.db.models.sql.constants import LOUTER
from django.db.models.sql.datastructures import Join

from geo.models import Area
from layers.exports.filters import Filters
from layers.models import CrimeIncident, crime_matching


def crime_in_filters(qs: QuerySet, filters: Filters) -> QuerySet:
    """The incidents of `qs` in the filters' months and categories."""
    return crime_matching(
        qs,
        month_from=filters.month_from,
        month_to=filters.month_to,
        categories=filters.categories,
    )


# Up to this many blocks (a page: offset + limit), each block's incidents are counted through the
# block-id index (about 30 µs a block at scale 10); beyond it, all of the area's incidents are
# grouped by block once (about 0.1 s for 300,000) and joined by hash.
LOOKUPS_UP_TO = 2000


class _CountsJoin(Join):
    """Each block joined once to its count of `incidents` (a queryset of their `block_id`), as
    column `n` of `alias`: a derived table Django's ORM cannot name. An annotated subquery would
    be repeated, and run, once for every column and condition that uses the count."""

    def __init__(self, incidents: QuerySet, parent_alias: str, alias: str):
        self.incidents = incidents
        self.table_name = self.table_alias = alias
        self.parent_alias = parent_alias
        self.join_type = LOUTER
        self.join_field = None
        self.nullable = True
        self.filtered_relation = None

    # S608 below: only Django's compiled SQL, the alias and quoted column names go into the text;
    # every value is a parameter.
    def as_sql(self, compiler, connection):
        qn, column = compiler.quote_name_unless_alias, connection.ops.quote_name
        alias, block = qn(self.table_alias), f"{qn(self.parent_alias)}.{column('id')}"
        page_end = compiler.query.high_mark
        if page_end is not None and page_end <= LOOKUPS_UP_TO:
            sql, params = self.incidents.query.get_compiler(connection=connection).as_sql()
            return (
                f"LEFT OUTER JOIN LATERAL (SELECT count(*) AS n FROM ({sql}) i"  # noqa: S608
                f" WHERE i.block_id = {block}) {alias} ON true",
                params,
            )
        grouped = self.incidents.annotate(n=Count("block_id"))
        sql, params = grouped.query.get_compiler(connection=connection).as_sql()
        return f"LEFT OUTER JOIN ({sql}) {alias} ON ({alias}.block_id = {block})", params

    def relabeled_clone(self, change_map):
        return _CountsJoin(
            self.incidents,
            change_map.get(self.parent_alias, self.parent_alias),
            change_map.get(self.table_alias, self.table_alias),
        )

    @property
    def identity(self):
        return (self.__class__, self.table_alias, self.parent_alias, id(self.incidents))

    def demote(self):  # always an outer join: a block without incidents counts 0
        return self

    def promote(self):
        return self


class _JoinedCount(Expression):
    """Column `n` of the `_CountsJoin` named `alias`, 0 where the block has no row there."""

    output_field = IntegerField()

    def __init__(self, alias: str):
        super().__init__()
        self.alias = alias

    def as_sql(self, compiler, connection):
        return f"coalesce({compiler.quote_name_unless_alias(self.alias)}.n, 0)", []

    def relabeled_clone(self, change_map):
        return _JoinedCount(change_map.get(self.alias, self.alias))

    def get_group_by_cols(self):
        return [self]


CRIME_COUNTS_ALIAS = "crime_per_block"


def crime_per_block(area: Area, filters: Filters) -> QuerySet:
    """The block ids of the area's incidents in the period and categories, one row each: every
    incident carries the block the exactly-once rule gives it (layers.assignment: inside, else
    the nearest within the snap distance), stored by every crime or blocks import and counted
    by the crime tiles as well. Unassigned incidents are left out."""
    return (
        crime_in_filters(CrimeIncident.objects.filter(area=area, block__isnull=False), filters)
        .order_by()
        .values("block_id")
    )


def with_crime_counts(blocks: QuerySet, area: Area, filters: Filters) -> QuerySet:
    """`blocks` with `n`, each block's count of incidents, from one join (`_CountsJoin`)."""
    blocks = blocks.all()
    query = blocks.query
    parent = query.get_initial_alias()
    query.alias_map[CRIME_COUNTS_ALIAS] = _CountsJoin(
        crime_per_block(area, filters), parent, CRIME_COUNTS_ALIAS
    )
    query.alias_refcount[CRIME_COUNTS_ALIAS] = 1
    return blocks.annotate(n=_JoinedCount(CRIME_COUNTS_ALIAS))
