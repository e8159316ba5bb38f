"""Pages of an API list, for the clients that ask for them.

An area's walks and members grow for as long as the area is walked (600 walks and 300 members
after three years: docs/benchmarks.md). A client that sends `?limit=` gets one page,
`{"count", "next", "previous", "results"}`, and follows `next`; one that does not gets the
whole list as before, so scripts written against the list keep working."""

from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiParameter
from rest_framework.exceptions import ValidationError
from rest_framework.pagination import LimitOffsetPagination

from geo.geojson import Written, json_object

MAX_PAGE = 200
SEARCH = "q"  # the lists' text search: a walk's name, a member's username


class PagesWhenAsked(LimitOffsetPagination):
    default_limit = None  # no `limit`: not paginated
    max_limit = MAX_PAGE

    def paginate_queryset(self, queryset, request, view=None):
        self.get_offset(request)  # a wrong offset is refused, with a limit or without
        return super().paginate_queryset(queryset, request, view)

    def get_limit(self, request):
        if self.limit_query_param not in request.query_params:
            return None
        return min(self._count_in(request, self.limit_query_param, smallest=1), self.max_limit)

    def get_offset(self, request):
        if self.offset_query_param not in request.query_params:
            return 0
        return self._count_in(request, self.offset_query_param, smallest=0)

    @staticmethod
    def _count_in(request, name: str, *, smallest: int) -> int:
        # DRF reads a limit of "ten" as no limit at all: a wrong page is said so instead.
        raw = request.query_params[name]
        if not (raw.isascii() and raw.isdigit()) or int(raw) < smallest:
            message = _("Must be a whole number, at least %(n)s.") % {"n": smallest}
            raise ValidationError({name: [message]})
        return int(raw)

    def page_written(self, results: Written) -> str:
        """The page get_paginated_response gives, as JSON text around `results` written already
        (the walks list: walks.listing)."""
        return json_object(
            {
                "count": self.count,
                "next": self.get_next_link(),
                "previous": self.get_previous_link(),
                "results": results,
            }
        )

    def get_paginated_response_schema(self, schema):
        # Either shape, as the client asked: the list, or a page of it.
        return {"oneOf": [schema, super().get_paginated_response_schema(schema)]}

    def get_schema_operation_parameters(self, view):
        parameters = super().get_schema_operation_parameters(view)
        for parameter in parameters:
            parameter["schema"]["minimum"] = 1 if parameter["name"] == self.limit_query_param else 0
            if parameter["name"] == self.limit_query_param:
                parameter["schema"]["maximum"] = self.max_limit
                parameter["description"] = (
                    f"answer with one page of at most this many (≤ {self.max_limit}), as"
                    " {count, next, previous, results}; without it, the whole list"
                )
        return parameters


def searched(request, queryset, field: str):
    """`queryset` narrowed to rows whose `field` contains the request's `?q=` (any case)."""
    text = request.query_params.get(SEARCH, "").strip()
    return queryset.filter(**{f"{field}__icontains": text}) if text else queryset


def search_parameter(what: str) -> OpenApiParameter:
    return OpenApiParameter(SEARCH, str, description=f"only those whose {what} contains this")
